"""Hookline's own operational events on the bus, under a source the ingest rule never matches."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hookline import settings
from hookline.adapters.aws import events

_BATCH_LIMIT = 10
HOOK_DISABLED = "Hookline Hook Disabled"
HOOK_RE_ENABLED = "Hookline Hook Re-enabled"
DELIVERY_EXHAUSTED = "Hookline Delivery Exhausted"


@dataclass(frozen=True)
class OpsEvent:
    detail_type: str
    detail: dict[str, Any]


def put_ops_events(bus_name: str, items: Sequence[OpsEvent]) -> None:
    for start in range(0, len(items), _BATCH_LIMIT):
        events().put_events(
            Entries=[
                {
                    "Source": settings.OPS_EVENT_SOURCE,
                    "DetailType": item.detail_type,
                    "Detail": json.dumps(item.detail, default=str),
                    "EventBusName": bus_name,
                }
                for item in items[start : start + _BATCH_LIMIT]
            ]
        )
