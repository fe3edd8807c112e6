"""Event payloads and delivery logs in DynamoDB, compressed, each with a TTL.

Items of the deliveries table:
- ``EVENT#<uuid>`` / ``PAYLOAD``: an event's payload, stored once however many hooks it goes to; with the chain the
  event starts, when it starts one (its tenant and the hooks it calls: the recursion guard's).
- ``HOOK#<id>`` / ``PARKED#<ms>#<key>``: a delivery that ended without success (the hook was disabled for good, or
  the delivery expired or ran out of retries), kept 14 days so ``recover`` can queue it again. It carries its event's
  payload when the task refers to the stored one, so it never outlives what it sends.
- ``CHAIN#<tenant>#<uuid>`` / ``CHAIN``: the hooks a webhook chain called (the recursion guard), at most 100, each
  with the event that called it, written by the first event that joins the chain; forgotten 30 minutes after the
  chain's last call.
- ``HOOK#<id>`` / ``LOG#<base>#<random>``: up to ten attempts of one hook made by one sender batch, log ids
  ``base + 0 ..``, as one zlib-compressed blob, with their statuses beside it for the "Recent events" filter. A
  request body is the event's payload unless a template made it different. One item (one write unit, usually) for
  a hook's ten deliveries is what keeps the write cost per delivery low. Items are bounded by bytes, not by count:
  a blob over ``LOG_BLOB_LIMIT`` is split, and a single entry too large alone is cut down (marked ``truncated``).
TTL deletion lags, so reads drop items whose ``expires_at`` has passed.
"""

from __future__ import annotations

import json
import secrets
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from hookline import settings
from hookline.adapters.aws import BatchRead, batch_get, batch_write, dynamodb, from_item, read, to_item
from hookline.domain.delivery import DeliveryLog, DeliveryTask, log_id_for
from hookline.domain.recursion import CHAIN_TTL, Chain, ChainKey, ChainRoot, joined_chain

logger = Logger(service=settings.SERVICE_NAME)
_TABLE = settings.DELIVERIES_TABLE
#: The version of a chain item that cannot be read: the next write replaces it whatever it holds.
UNREADABLE_CHAIN = -1
_TTL = _TABLE.ttl_attribute or "expires_at"
PARKED_TTL_SECONDS = 14 * 24 * 3600
Item = dict[str, Any]
#: Entries per log item: a hook's attempts of one sender batch share an item, ids ``base + 0 .. base + 9``.
LOGS_PER_ITEM = 10
#: A log item's compressed blob stays under this, so every item is far below DynamoDB's 400 KB item limit.
LOG_BLOB_LIMIT = 256 * 1024
#: An event's payload, compressed, must fit one item (EventBridge's 256 KB event limit keeps it far below).
PAYLOAD_BLOB_LIMIT = 350 * 1024
#: What is kept of each bulky field of an entry that is too large alone (a receiver's or a template's bytes).
TRUNCATED_FIELD_CHARS = 16 * 1024


class PayloadTooLarge(ValueError):
    """An event's payload would not fit a DynamoDB item even compressed."""


def compress(data: Any) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)


def decompress(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _payloads_from_items(items: list[dict[str, Any]]) -> dict[str, str]:
    return {
        item[_TABLE.partition_key]["S"].removeprefix("EVENT#"): zlib.decompress(item["body"]["B"]).decode()
        for item in items
    }


def payload_key(event_uuid: str) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"EVENT#{event_uuid}", _TABLE.sort_key: "PAYLOAD"})


def _log_prefix(base: int) -> str:
    return f"LOG#{base:020d}#"


@dataclass(frozen=True)
class LogRef:
    """Where a log entry is: its id, its response_status (for the status filter) and its item's sort key."""

    log_id: int
    response_status: str
    sort_key: str


def _log_entry(log_id: int, log: DeliveryLog) -> dict[str, Any]:
    """One attempt as the API reads it back; absent values are left out (``request_data``: the stored payload)."""
    entry = {
        "log_id": log_id,
        "hook_id": log.hook_id,
        "event_uuid": log.event_uuid,
        "attempt": log.attempt,
        "url_hash": log.url_hash,
        "created_at": log.created_at.isoformat(),
        "request_data": log.request_data,
        **log.public_fields(),
    }
    return {key: value for key, value in entry.items() if value is not None}


class DeliveryStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or _TABLE.name

    # --- payloads --------------------------------------------------------------------------------------------
    def payload_item(
        self, event_uuid: str, event_name: str, body: str, now: datetime, chain: ChainRoot | None = None
    ) -> dict[str, Any]:
        """An event's payload item (with the chain it starts); PayloadTooLarge when even compressed it would not fit
        an item."""
        compressed = zlib.compress(body.encode(), 6)
        if len(compressed) > PAYLOAD_BLOB_LIMIT:
            raise PayloadTooLarge(f"the payload is too large to store ({len(compressed)} bytes compressed)")
        return {
            **payload_key(event_uuid),
            **to_item(
                {
                    "event_name": event_name,
                    "body": compressed,
                    "created_at": now.isoformat(),
                    _TTL: _epoch(now + timedelta(seconds=settings.PAYLOAD_TTL_SECONDS)),
                    "chain_tenant": chain.tenant if chain else None,
                    "chain_hooks": list(chain.hook_ids) if chain else None,
                }
            ),
        }

    def get_payloads(self, event_uuids: Iterable[str]) -> dict[str, str]:
        """The stored bodies of these events (BatchGetItem), by event uuid."""
        return read(self.payloads_read(event_uuids))

    def payloads_read(self, event_uuids: Iterable[str]) -> BatchRead[dict[str, str]]:
        """``get_payloads`` as a read that can share its BatchGetItem with another table's. Strongly consistent: the
        sender reads payloads moments after fan-out wrote them."""
        keys = [payload_key(event_uuid) for event_uuid in dict.fromkeys(event_uuids)]
        return BatchRead(self.table_name, keys, _payloads_from_items, consistent=True)

    # --- logs ------------------------------------------------------------------------------------------------
    def log_items(self, logs: list[DeliveryLog]) -> list[dict[str, Any]]:
        """The items of these attempts: a hook's entries share items of up to ten, each under the byte limit."""
        by_hook: dict[int, list[DeliveryLog]] = defaultdict(list)
        for log in logs:
            by_hook[log.hook_id].append(log)
        return [
            item
            for hook_logs in by_hook.values()
            for start in range(0, len(hook_logs), LOGS_PER_ITEM)
            for item in _bounded_items(hook_logs[start : start + LOGS_PER_ITEM])
        ]

    def write_items(self, items: list[dict[str, Any]]) -> None:
        """BatchWriteItem, 25 a call, retrying what DynamoDB leaves unprocessed."""
        batch_write(self.table_name, [{"PutRequest": {"Item": item}} for item in items])

    def _log_query(self, hook_id: int, condition: str, values: dict[str, Any], projection: str = "") -> list[Item]:
        """A hook's log items whose sort key (``#sk``) meets ``condition``, newest first, every page."""
        names = {"#pk": _TABLE.partition_key, "#sk": _TABLE.sort_key}
        extra: dict[str, Any] = {}
        if projection:
            names["#ttl"], extra["ProjectionExpression"] = _TTL, projection
        items: list[Item] = []
        for page in (
            dynamodb()
            .get_paginator("query")
            .paginate(
                TableName=self.table_name,
                KeyConditionExpression=f"#pk = :pk AND {condition}",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item({":pk": f"HOOK#{hook_id}", **values}),
                ScanIndexForward=False,
                **extra,
            )
        ):
            items.extend(page["Items"])
        return items

    def recent_logs(self, hook_id: int, now: datetime | None = None) -> list[dict[str, Any]]:
        """A hook's unexpired log entries, newest first (the CLI and tests; the API pages with log_index)."""
        now = now or datetime.now(UTC)
        items = self._log_query(hook_id, "begins_with(#sk, :log)", {":log": "LOG#"})
        return _newest_first(_entries(items, now))

    def log_index(self, hook_id: int, now: datetime) -> list[LogRef]:
        """Each of a hook's unexpired entries, newest first: its id, response_status and item; no blob is read."""
        oldest = log_id_for(now - timedelta(seconds=settings.LOG_TTL_SECONDS), 0)
        items = self._log_query(
            hook_id,
            "#sk BETWEEN :low AND :high",
            {":low": _log_prefix(oldest), ":high": "LOG#~"},
            "#sk, log_base, statuses, #ttl",
        )
        refs = [
            LogRef(int(item["log_base"]["N"]) + index, status["S"], item[_TABLE.sort_key]["S"])
            for item in items
            if int(item[_TTL]["N"]) > _epoch(now)
            for index, status in enumerate(item["statuses"]["L"])
        ]
        return sorted(refs, key=lambda ref: ref.log_id, reverse=True)

    def get_logs(self, hook_id: int, refs: list[LogRef], now: datetime) -> list[dict[str, Any]]:
        """The entries of these refs that have not expired, in the order given (one BatchGetItem for their items)."""
        keys = [
            to_item({_TABLE.partition_key: f"HOOK#{hook_id}", _TABLE.sort_key: sort_key})
            for sort_key in dict.fromkeys(ref.sort_key for ref in refs)
        ]
        entries = _entries(batch_get(self.table_name, keys), now)
        found = {(entry["_sort_key"], entry["log_id"]): entry for entry in entries}
        return [found[ref.sort_key, ref.log_id] for ref in refs if (ref.sort_key, ref.log_id) in found]

    def get_log(self, hook_id: int, log_id: int, now: datetime) -> dict[str, Any] | None:
        """One entry by id (one Query for the items of its base), or None when it is unknown or expired."""
        base = log_id - log_id % LOGS_PER_ITEM
        items = self._log_query(hook_id, "begins_with(#sk, :base)", {":base": _log_prefix(base)})
        return next((entry for entry in _entries(items, now) if entry["log_id"] == log_id), None)

    # --- parked deliveries -----------------------------------------------------------------------------------
    def parked_item(self, task: DeliveryTask, reason: str, now: datetime, payload: str | None = None) -> dict[str, Any]:
        """A parked delivery; ``payload`` is its event's stored payload, kept with it when the task refers to it."""
        millis = int(now.timestamp() * 1000)
        return to_item(
            {
                _TABLE.partition_key: f"HOOK#{task.hook_id}",
                _TABLE.sort_key: f"PARKED#{millis:015d}#{task.idempotency_key}",
                "task": compress(task.model_dump(mode="json", exclude_none=True)),
                "payload": zlib.compress(payload.encode(), 6) if payload is not None and task.body is None else None,
                "event_name": task.event_name,
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

    def restore_payloads(self, keys: list[dict[str, Any]], now: datetime) -> None:
        """Store again the payloads that these parked items carry (a recovered delivery reads it at send time)."""
        items = [item for item in batch_get(self.table_name, keys, consistent=True) if "payload" in item]
        restored = {decompress(item["task"]["B"])["event_uuid"]: _parked_payload(item) for item in items}
        self.write_items(
            [
                self.payload_item(event_uuid, event_name, body.decode(), now)
                for event_uuid, (event_name, body) in restored.items()
            ]
        )

    def delete_items(self, keys: list[dict[str, Any]]) -> None:
        batch_write(self.table_name, [{"DeleteRequest": {"Key": key}} for key in keys])

    # --- recursion chains ------------------------------------------------------------------------------------
    def chain_item(self, key: ChainKey, calls: dict[int, str], version: int, now: datetime) -> dict[str, Any]:
        return _chain_key(key) | to_item(
            {
                "tenant": key.tenant,
                "uuid": key.uuid,
                "calls": {str(hook_id): event_uuid for hook_id, event_uuid in calls.items()},
                "version": version,
                _TTL: _epoch(now + CHAIN_TTL),
            }
        )

    def get_chains(self, keys: Iterable[ChainKey], now: datetime) -> dict[ChainKey, Chain]:
        """The chains these keys name as events that join them see them (one strongly consistent BatchGetItem for
        the chain items and the payload items of the events that started them): as stored, else as started."""
        wanted = list(dict.fromkeys(keys))
        stored: dict[ChainKey, Chain] = {}
        roots: dict[str, tuple[ChainRoot, bool]] = {}
        requested = [_chain_key(key) for key in wanted] + [payload_key(uuid) for uuid in {key.uuid for key in wanted}]
        for item in batch_get(self.table_name, requested, consistent=True):
            values = from_item(item)
            if values[_TABLE.sort_key] != "PAYLOAD":
                stored[ChainKey(str(values.get("tenant")), str(values.get("uuid")))] = _stored_chain(values, now)
            elif (started := _chain_root(values, now)) is not None:
                roots[values[_TABLE.partition_key].removeprefix("EVENT#")] = started
        chains = {}
        for key in wanted:
            root, fresh = roots.get(key.uuid) or (None, False)
            chains[key] = joined_chain(stored.get(key), root, key, fresh)
        return chains

    def put_chain(self, key: ChainKey, calls: dict[int, str], expected_version: int, now: datetime) -> bool:
        """Store a chain's calls if it is still at ``expected_version`` (0: not stored); False when another writer
        changed it first."""
        condition: dict[str, Any] = {}
        if expected_version == 0:
            condition = {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": _TABLE.partition_key},
            }
        elif expected_version != UNREADABLE_CHAIN:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": to_item({":v": expected_version}),
            }
        version = max(expected_version, 0) + 1
        try:
            dynamodb().put_item(TableName=self.table_name, Item=self.chain_item(key, calls, version, now), **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

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


def _chain_key(key: ChainKey) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"CHAIN#{key.tenant}#{key.uuid}", _TABLE.sort_key: "CHAIN"})


def _stored_chain(values: dict[str, Any], now: datetime) -> Chain:
    """A chain item as stored (no calls once expired; TTL deletion lags); one that cannot be read is replaced."""
    try:
        calls = {int(hook_id): str(caller) for hook_id, caller in dict(values.get("calls") or {}).items()}
        return Chain({} if int(values[_TTL]) <= _epoch(now) else calls, int(values["version"]))
    except (KeyError, TypeError, ValueError):
        logger.warning("Unreadable recursion chain item; it is replaced", extra={"key": values[_TABLE.partition_key]})
        return Chain({}, UNREADABLE_CHAIN)


def _chain_root(values: dict[str, Any], now: datetime) -> tuple[ChainRoot, bool] | None:
    """The chain a payload item's event started, and whether it is still remembered (``CHAIN_TTL``)."""
    if "chain_tenant" not in values:
        return None
    try:
        root = ChainRoot(str(values["chain_tenant"]), tuple(int(hook_id) for hook_id in values["chain_hooks"]))
        return root, datetime.fromisoformat(values["created_at"]) + CHAIN_TTL > now
    except (KeyError, TypeError, ValueError):
        return None


def _parked_payload(item: dict[str, Any]) -> tuple[str, bytes]:
    return item["event_name"]["S"], zlib.decompress(item["payload"]["B"])


def _bounded_items(logs: list[DeliveryLog]) -> list[dict[str, Any]]:
    """Log items for one hook's entries, each blob under LOG_BLOB_LIMIT: halved until they fit, and an entry too
    large alone cut down. Entries ``base + i`` (log ids) share an item; the key's random suffix keeps two items of
    the same base (same millisecond, same slot) apart."""
    first = logs[0]
    base = log_id_for(first.created_at, secrets.randbelow(1000 // LOGS_PER_ITEM) * LOGS_PER_ITEM)
    entries = [_log_entry(base + index, log) for index, log in enumerate(logs)]
    blob = compress(entries)
    if len(blob) > LOG_BLOB_LIMIT and len(logs) > 1:
        middle = len(logs) // 2
        return _bounded_items(logs[:middle]) + _bounded_items(logs[middle:])
    if len(blob) > LOG_BLOB_LIMIT:
        entries = [_truncated(entries[0])]
        blob = compress(entries)
    item = {
        _TABLE.partition_key: f"HOOK#{first.hook_id}",
        _TABLE.sort_key: f"{_log_prefix(base)}{secrets.token_hex(4)}",
        "log_base": base,
        "statuses": [entry["response_status"] for entry in entries],
        "created_at": first.created_at.isoformat(),
        _TTL: _epoch(first.created_at + timedelta(seconds=settings.LOG_TTL_SECONDS)),
        "blob": blob,
    }
    return [to_item(item)]


def _truncated(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry too large to store, cut to a bounded size and marked ``truncated`` (it cannot be resent)."""
    cut: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, str):
            cut[key] = value[:TRUNCATED_FIELD_CHARS]
        elif isinstance(value, dict):
            pairs = list(value.items())[:50]
            cut[key] = {str(name)[:256]: str(inner)[:1024] for name, inner in pairs}
        else:
            cut[key] = value
    return {**cut, "truncated": True}


def _entries(items: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The entries of log items, each with its item's TTL and sort key (``_sort_key``); expired ones (TTL deletion
    lags) left out."""
    return [
        {**entry, _TTL: int(item[_TTL]["N"]), "_sort_key": item[_TABLE.sort_key]["S"]}
        for item in items
        if int(item[_TTL]["N"]) > _epoch(now)
        for entry in decompress(item["blob"]["B"])
    ]


def _newest_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entries, key=lambda entry: entry["log_id"], reverse=True)
