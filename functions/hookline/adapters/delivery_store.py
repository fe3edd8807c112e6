"""Event payloads and delivery logs in DynamoDB, compressed, each with a TTL.

Items of the deliveries table:
- ``EVENT#<uuid>`` / ``PAYLOAD``: an event's payload, stored once however many hooks it goes to.
- ``HOOK#<id>`` / ``PARKED#<ms>#<key>``: a delivery that ended without success (the hook was disabled for good, or
  the delivery expired or ran out of retries), kept 14 days so ``recover`` can queue it again.
- ``HOOK#<id>`` / ``LOG#<log id>``: one attempt. The bulky parts (headers, bodies) are one zlib-compressed blob; the
  request body is the event's payload unless a template made it different.
TTL deletion lags, so reads drop items whose ``expires_at`` has passed.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from hookline import settings
from hookline.adapters.aws import batch_get, batch_write, dynamodb, from_item, to_item
from hookline.domain.delivery import DeliveryLog, DeliveryTask, log_id_for

_TABLE = settings.DELIVERIES_TABLE
_TTL = _TABLE.ttl_attribute or "expires_at"
PARKED_TTL_SECONDS = 14 * 24 * 3600


def compress(data: Any) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)


def decompress(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _payload_key(event_uuid: str) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"EVENT#{event_uuid}", _TABLE.sort_key: "PAYLOAD"})


def _log_sort_key(log_id: int) -> str:
    return f"LOG#{log_id:020d}"


class DeliveryStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or _TABLE.name

    # --- payloads --------------------------------------------------------------------------------------------
    def payload_item(self, event_uuid: str, event_name: str, body: str, now: datetime) -> dict[str, Any]:
        return {
            **_payload_key(event_uuid),
            **to_item(
                {
                    "event_name": event_name,
                    "body": zlib.compress(body.encode(), 6),
                    "created_at": now.isoformat(),
                    _TTL: _epoch(now + timedelta(seconds=settings.PAYLOAD_TTL_SECONDS)),
                }
            ),
        }

    def get_payloads(self, event_uuids: Iterable[str]) -> dict[str, str]:
        """The stored bodies of these events (BatchGetItem), by event uuid."""
        items = batch_get(self.table_name, [_payload_key(event_uuid) for event_uuid in dict.fromkeys(event_uuids)])
        return {
            item[_TABLE.partition_key]["S"].removeprefix("EVENT#"): zlib.decompress(item["body"]["B"]).decode()
            for item in items
        }

    # --- logs ------------------------------------------------------------------------------------------------
    def log_item(self, log: DeliveryLog) -> dict[str, Any]:
        public = log.public_fields()
        blob = {name: public.pop(name) for name in ("request_headers", "response_headers", "response_body")}
        if log.request_data is not None:
            blob["request_data"] = log.request_data
        return {
            **to_item(
                {
                    _TABLE.partition_key: f"HOOK#{log.hook_id}",
                    _TABLE.sort_key: _log_sort_key(log.log_id),
                    "log_id": log.log_id,
                    "hook_id": log.hook_id,
                    "event_uuid": log.event_uuid,
                    "attempt": log.attempt,
                    "url_hash": log.url_hash,
                    "created_at": log.created_at.isoformat(),
                    _TTL: _epoch(log.created_at + timedelta(seconds=settings.LOG_TTL_SECONDS)),
                    "blob": compress(blob),
                    **{key: value for key, value in public.items() if key != "execution_duration"},
                    "execution_duration": str(public["execution_duration"]),
                }
            ),
        }

    def write_items(self, items: list[dict[str, Any]]) -> None:
        """BatchWriteItem, 25 a call, retrying what DynamoDB leaves unprocessed."""
        batch_write(self.table_name, [{"PutRequest": {"Item": item}} for item in items])

    def recent_logs(self, hook_id: int, now: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """A hook's unexpired logs, newest first, with their blobs expanded."""
        now = now or datetime.now(UTC)
        answer = dynamodb().query(
            TableName=self.table_name,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :log)",
            ExpressionAttributeNames={"#pk": _TABLE.partition_key, "#sk": _TABLE.sort_key},
            ExpressionAttributeValues=to_item({":pk": f"HOOK#{hook_id}", ":log": "LOG#"}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return _expanded(answer["Items"], now)

    def log_index(self, hook_id: int, now: datetime) -> list[tuple[int, str]]:
        """(log id, response_status) of each of a hook's unexpired logs, newest first; blobs are not read."""
        oldest = log_id_for(now - timedelta(seconds=settings.LOG_TTL_SECONDS), 0)
        paginator = dynamodb().get_paginator("query")
        index: list[tuple[int, str]] = []
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="#pk = :pk AND #sk BETWEEN :low AND :high",
            ProjectionExpression="log_id, response_status, #ttl",
            ExpressionAttributeNames={"#pk": _TABLE.partition_key, "#sk": _TABLE.sort_key, "#ttl": _TTL},
            ExpressionAttributeValues=to_item(
                {":pk": f"HOOK#{hook_id}", ":low": _log_sort_key(oldest), ":high": "LOG#~"}
            ),
            ScanIndexForward=False,
        ):
            index.extend(
                (int(item["log_id"]["N"]), item["response_status"]["S"])
                for item in page["Items"]
                if int(item[_TTL]["N"]) > _epoch(now)
            )
        return index

    def get_logs(self, hook_id: int, log_ids: list[int], now: datetime) -> list[dict[str, Any]]:
        """These logs of a hook that exist and have not expired, expanded, in the order asked (BatchGetItem)."""
        keys = [
            to_item({_TABLE.partition_key: f"HOOK#{hook_id}", _TABLE.sort_key: _log_sort_key(log_id)})
            for log_id in dict.fromkeys(log_ids)
        ]
        found = {int(log["log_id"]): log for log in _expanded(batch_get(self.table_name, keys), now)}
        return [found[log_id] for log_id in log_ids if log_id in found]

    # --- parked deliveries -----------------------------------------------------------------------------------
    def parked_item(self, task: DeliveryTask, reason: str, now: datetime) -> dict[str, Any]:
        millis = int(now.timestamp() * 1000)
        return to_item(
            {
                _TABLE.partition_key: f"HOOK#{task.hook_id}",
                _TABLE.sort_key: f"PARKED#{millis:015d}#{task.idempotency_key}",
                "task": compress(task.model_dump(mode="json", exclude_none=True)),
                "reason": reason,
                "parked_at": now.isoformat(),
                _TTL: _epoch(now + timedelta(seconds=PARKED_TTL_SECONDS)),
            }
        )

    def parked(self, hook_id: int, since: datetime, until: datetime) -> list[tuple[dict[str, Any], DeliveryTask, str]]:
        """A hook's parked deliveries parked in [since, until]: (key, task, reason), oldest first."""
        low, high = int(since.timestamp() * 1000), int(until.timestamp() * 1000)
        paginator = dynamodb().get_paginator("query")
        found = []
        for page in paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="#pk = :pk AND #sk BETWEEN :low AND :high",
            ExpressionAttributeNames={"#pk": _TABLE.partition_key, "#sk": _TABLE.sort_key},
            ExpressionAttributeValues=to_item(
                {":pk": f"HOOK#{hook_id}", ":low": f"PARKED#{low:015d}#", ":high": f"PARKED#{high:015d}#~"}
            ),
        ):
            for item in page["Items"]:
                key = {name: item[name] for name in (_TABLE.partition_key, _TABLE.sort_key)}
                task = DeliveryTask.model_validate(decompress(item["task"]["B"]))
                found.append((key, task, item["reason"]["S"]))
        return found

    def delete_items(self, keys: list[dict[str, Any]]) -> None:
        batch_write(self.table_name, [{"DeleteRequest": {"Key": key}} for key in keys])

    # --- counters --------------------------------------------------------------------------------------------
    def count_in_window(self, name: str, window_start: int, window_seconds: int = 60, by: int = 1) -> int:
        """Add ``by`` to a fixed-window counter and return its new value (one UpdateItem; the item expires)."""
        answer = dynamodb().update_item(
            TableName=self.table_name,
            Key=to_item({_TABLE.partition_key: f"COUNT#{name}", _TABLE.sort_key: f"WINDOW#{window_start}"}),
            UpdateExpression="ADD #n :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#n": "count", "#ttl": _TTL},
            ExpressionAttributeValues=to_item({":one": by, ":ttl": window_start + 2 * window_seconds}),
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["count"]["N"])


def _expanded(items: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Log items as plain values with their blob expanded; expired ones (TTL deletion lags) left out."""
    logs = []
    for item in items:
        values = from_item(item)
        if int(values[_TTL]) <= _epoch(now):
            continue
        values.update(decompress(bytes(values.pop("blob"))))
        logs.append(values)
    return logs
