"""Delivery health at a glance: a hook's deliveries, success rate and p95 elapsed time over its recent events."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryHealth:
    deliveries: int
    succeeded: int
    success_rate: float  # 0..1; 0 when there were no deliveries
    p95_elapsed_seconds: float  # nearest-rank p95 of the sampled durations; 0 without any


def delivery_health(statuses: Sequence[str], durations: Sequence[float]) -> DeliveryHealth:
    """``statuses``: every logged ``response_status`` (2xx succeeded; other codes and ``internal error`` did not);
    ``durations``: the elapsed seconds of the entries sampled (the newest ones)."""
    succeeded = sum(1 for status in statuses if status.isdigit() and 200 <= int(status) < 300)
    ordered = sorted(durations)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0
    rate = succeeded / len(statuses) if statuses else 0.0
    return DeliveryHealth(len(statuses), succeeded, rate, p95)
