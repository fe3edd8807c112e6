"""Hooks' concurrency gates in DynamoDB: one ``GATE#<hook id>`` / ``GATE`` item per hook in the hooks table.

Attributes: ``leases`` (lease id → ``{"n": slots, "u": until, epoch ms}``), ``window`` (slow start; absent at the
hook's full limit), ``paused_until`` (epoch ms) and ``v`` (the version every write raises). The item is bounded: a
lease holds at least one slot, the slots held are at most the hook's limit, and every acquisition drops lapsed leases.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from hookline import settings
from hookline.adapters.aws import BatchRead, dynamodb, from_item, to_item
from hookline.domain.gate import Gate, Lease

_TABLE = settings.HOOKS_TABLE
_PREFIX = "GATE#"


def _gate_key(hook_id: int) -> dict[str, Any]:
    return to_item({_TABLE.partition_key: f"{_PREFIX}{hook_id}", _TABLE.sort_key: "GATE"})


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(ms: Any) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def _gate_from_item(values: dict[str, Any]) -> Gate:
    """A stored gate; what cannot be read of it counts as absent (a gate can only ever loosen to the hook's limit)."""
    leases: dict[str, Lease] = {}
    for lease_id, lease in (values.get("leases") or {}).items():
        try:
            leases[str(lease_id)] = Lease(max(1, int(lease["n"])), _moment(lease["u"]))
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            continue
    try:
        window = int(values["window"]) if values.get("window") is not None else None
        paused = _moment(values["paused_until"]) if values.get("paused_until") is not None else None
        version = int(values.get("v") or 0)
    except (TypeError, ValueError, OverflowError, OSError):
        window, paused, version = None, None, int(values.get("v") or 0)
    return Gate(leases, window, paused, version)


def _hook_id(values: dict[str, Any]) -> int:
    return int(str(values[_TABLE.partition_key]).removeprefix(_PREFIX))


class GateStore:
    def __init__(self, table_name: str | None = None) -> None:
        self.table_name = table_name or _TABLE.name

    def many_read(self, hook_ids: Iterable[int]) -> BatchRead[dict[int, Gate]]:
        """The gates of these hooks (a hook without an item has the open gate), as a read that can share its
        BatchGetItem with other reads."""
        keys = [_gate_key(hook_id) for hook_id in dict.fromkeys(hook_ids)]

        def parse(items: list[dict[str, Any]]) -> dict[int, Gate]:
            values = [from_item(item) for item in items]
            return {_hook_id(value): _gate_from_item(value) for value in values}

        return BatchRead(self.table_name, keys, parse)

    def get(self, hook_id: int) -> Gate:
        item = dynamodb().get_item(TableName=self.table_name, Key=_gate_key(hook_id), ConsistentRead=True).get("Item")
        return _gate_from_item(from_item(item)) if item else Gate()

    def acquire(self, hook_id: int, read: Gate, new: Gate) -> bool:
        """Write ``new``'s leases (``read``'s live ones and this batch's) only if the gate is still ``read``; False
        when another sender wrote it first."""
        leases = {key: {"n": lease.slots, "u": _ms(lease.until)} for key, lease in new.leases.items()}
        values: dict[str, Any] = {":leases": leases, ":new": new.version}
        if read.version:
            condition, values[":old"] = "#v = :old", read.version
        else:
            condition = "attribute_not_exists(#v)"
        try:
            dynamodb().update_item(
                TableName=self.table_name,
                Key=_gate_key(hook_id),
                UpdateExpression="SET #l = :leases, #v = :new",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#l": "leases", "#v": "v"},
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, hook_id: int, lease_id: str, new: Gate) -> None:
        """Give a batch's slots back, with the window and the pause it learnt (``new``)."""
        names = {"#l": "leases", "#id": lease_id, "#v": "v", "#w": "window"}
        values: dict[str, Any] = {":one": 1}
        sets, removes = [], ["#l.#id"]
        if new.window is None:
            removes.append("#w")
        else:
            sets.append("#w = :w")
            values[":w"] = new.window
        if new.paused_until is not None:
            names["#p"] = "paused_until"
            sets.append("#p = :p")
            values[":p"] = _ms(new.paused_until)
        update = (f"SET {', '.join(sets)} " if sets else "") + f"REMOVE {', '.join(removes)} ADD #v :one"
        dynamodb().update_item(
            TableName=self.table_name,
            Key=_gate_key(hook_id),
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
        )
