"""Hookline's own operational events on the bus, under a source the ingest rule never matches."""

from __future__ import annotations

import json
from collections.abc import Sequence

from hookline import settings
from hookline.adapters.aws import events
from hookline.domain.sending import DELIVERY_EXHAUSTED_EVENT as DELIVERY_EXHAUSTED
from hookline.domain.sending import HOOK_DISABLED_EVENT as HOOK_DISABLED
from hookline.domain.sending import HOOK_RE_ENABLED_EVENT as HOOK_RE_ENABLED
from hookline.domain.sending import OpsEvent

__all__ = ["DELIVERY_EXHAUSTED", "HOOK_DISABLED", "HOOK_RE_ENABLED", "OpsEvent", "put_ops_events"]
_BATCH_LIMIT = 10


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
