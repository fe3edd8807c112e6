"""Counts AWS requests by service and operation with botocore event hooks (e2e figures and the benchmark)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestCounter:
    """Counts each call made by the clients it is attached to. An empty ReceiveMessage is counted apart: Lambda's own
    pollers make those at no charge to the function, so per-delivery figures leave them out."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.in_order: list[str] = []  # the counted calls, as they were made
        self.empty_receives = 0
        self._lock = threading.Lock()
        self._attached: list[Any] = []

    def attach(self, *clients: Any) -> RequestCounter:
        for client in clients:
            if any(client is seen for seen in self._attached):
                continue
            client.meta.events.register("after-call.*.*", self._count)
            self._attached.append(client)
        return self

    def detach(self) -> None:
        for client in self._attached:
            client.meta.events.unregister("after-call.*.*", self._count)
        self._attached.clear()

    def _count(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        name = f"{model.service_model.service_id}.{model.name}"
        with self._lock:
            if model.name == "ReceiveMessage" and not parsed.get("Messages"):
                self.empty_receives += 1
            else:
                self.calls[name] += 1
                self.in_order.append(name)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.in_order.clear()
            self.empty_receives = 0
