"""What AWS bills per request, from the botocore request parameters and parsed responses of the attached clients.

- DynamoDB write units: each written item's size by DynamoDB's rules (attribute names plus values), rounded up per
  1 KB; twice that in a transaction. An UpdateItem is billed on the item it leaves, read back with a client of its own.
- DynamoDB read units: per item (BatchGetItem, GetItem) or per response (Query), rounded up per 4 KB, half for
  eventually consistent reads.
- SQS requests: one per 64 KB chunk of the messages sent or received. An empty ReceiveMessage is not counted: Lambda's
  pollers make those at no charge to the function (as RequestCounter leaves them out).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.prices import BILLING_CHUNK_BYTES

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
ItemReader = Callable[[str, dict[str, Any]], "dict[str, Any] | None"]


def number_size(text: str) -> int:
    """About one byte per two significant digits, plus one."""
    digits = format(abs(Decimal(text)), "f").replace(".", "").strip("0")
    return (max(len(digits), 1) + 1) // 2 + 1


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        return number_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode()) for text in inner)
    if kind == "BS":
        return sum(len(blob) for blob in inner)
    if kind == "NS":
        return sum(number_size(text) for text in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in inner.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def chunks(size: int) -> int:
    return max(1, math.ceil(size / BILLING_CHUNK_BYTES))


@dataclass
class Usage:
    write_units: float = 0.0
    read_units: float = 0.0
    sqs_requests: int = 0
    #: Items written, by the first part of their sort key (LOG, PAYLOAD, HOOK...): count and bytes.
    items: Counter[str] = field(default_factory=Counter)
    item_bytes: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "write_units": self.write_units,
            "read_units": self.read_units,
            "sqs_billed_requests": self.sqs_requests,
            "items_written": dict(self.items),
            "mean_item_bytes": {kind: self.item_bytes[kind] / count for kind, count in self.items.items()},
        }


class AwsMeter:
    def __init__(self, read_item: ItemReader) -> None:
        self.read_item = read_item
        self.usage = Usage()
        self._lock = threading.Lock()
        self._attached: list[Any] = []

    def attach(self, *clients: Any) -> AwsMeter:
        for client in clients:
            if any(client is seen for seen in self._attached):
                continue
            client.meta.events.register("before-parameter-build", self._keep_params)
            client.meta.events.register("after-call", self._after_call)
            self._attached.append(client)
        return self

    def detach(self) -> None:
        for client in self._attached:
            client.meta.events.unregister("before-parameter-build", self._keep_params)
            client.meta.events.unregister("after-call", self._after_call)
        self._attached.clear()

    def reset(self) -> Usage:
        with self._lock:
            usage, self.usage = self.usage, Usage()
        return usage

    @staticmethod
    def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = params

    def _after_call(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        params = context.get("bench_params", {})
        service, operation = model.service_model.service_id, model.name
        if service == "DynamoDB":
            self._dynamodb(operation, params, parsed)
        elif service == "SQS":
            self._sqs(operation, params, parsed)

    # --- DynamoDB --------------------------------------------------------------------------------------------
    def _written(self, item: dict[str, Any], factor: int = 1) -> None:
        size = item_size(item)
        sort_key = next((value.get("S", "") for name, value in item.items() if name == "sk"), "")
        kind = sort_key.split("#", 1)[0] or "other"
        with self._lock:
            self.usage.write_units += factor * write_units(size)
            self.usage.items[kind] += 1
            self.usage.item_bytes[kind] += size

    def _write(self, failed: bool, entry: dict[str, Any], factor: int = 1) -> None:
        """One written item: ``{"Put": {"Item": ...}}``, ``{"Update": {"TableName", "Key"}}``, Delete or a check."""
        item = None  # a failed condition, a delete or a check: one unit
        if not failed and "Put" in entry:
            item = entry["Put"]["Item"]
        elif not failed and "Update" in entry:
            item = self.read_item(entry["Update"]["TableName"], entry["Update"]["Key"])
        if item is None:
            self._add(write=factor)
        else:
            self._written(item, factor)

    def _add(self, write: float = 0.0, read: float = 0.0, sqs: int = 0) -> None:
        with self._lock:
            self.usage.write_units += write
            self.usage.read_units += read
            self.usage.sqs_requests += sqs

    def _dynamodb(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        failed = "Error" in parsed
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self._write(failed, {operation.removesuffix("Item"): params})
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    self._write(failed, {"Put": request["PutRequest"]} if "PutRequest" in request else {"Delete": {}})
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                self._write(failed, entry, factor=2)
        elif operation == "GetItem":
            self._add(read=read_units(item_size(parsed.get("Item", {})), bool(params.get("ConsistentRead"))))
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                consistent = bool(request.get("ConsistentRead"))
                found = parsed.get("Responses", {}).get(table, [])
                missing = len(request["Keys"]) - len(found)
                units = sum(read_units(item_size(item), consistent) for item in found)
                self._add(read=units + missing * read_units(0, consistent))
        elif operation in ("Query", "Scan"):
            size = sum(item_size(item) for item in parsed.get("Items", []))
            self._add(read=read_units(size, bool(params.get("ConsistentRead"))))

    # --- SQS -------------------------------------------------------------------------------------------------
    def _sqs(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if operation == "ReceiveMessage":
            messages = parsed.get("Messages", [])
            if messages:
                self._add(sqs=chunks(sum(len(message["Body"].encode()) for message in messages)))
        elif operation == "SendMessageBatch":
            self._add(sqs=chunks(sum(len(entry["MessageBody"].encode()) for entry in params["Entries"])))
        elif operation == "SendMessage":
            self._add(sqs=chunks(len(params["MessageBody"].encode())))
        else:
            self._add(sqs=1)
