"""Delivery health: deliveries, success rate and nearest-rank p95 of the sampled durations."""

from __future__ import annotations

import pytest

from hookline.domain.stats import DeliveryHealth, delivery_health


@pytest.mark.parametrize(
    ("statuses", "durations", "expected"),
    [
        ([], [], DeliveryHealth(0, 0, 0.0, 0.0)),
        (["200"], [0.5], DeliveryHealth(1, 1, 1.0, 0.5)),
        (["200", "500", "internal error", "404"], [0.1, 0.2, 10.0, 0.3], DeliveryHealth(4, 1, 0.25, 10.0)),
        (["204", "299", "300", "199"], [], DeliveryHealth(4, 2, 0.5, 0.0)),
        (["200"] * 20, [float(n) for n in range(1, 21)], DeliveryHealth(20, 20, 1.0, 19.0)),
        (["200"] * 100, [float(n) for n in range(100, 0, -1)], DeliveryHealth(100, 100, 1.0, 95.0)),
    ],
)
def test_delivery_health(statuses: list[str], durations: list[float], expected: DeliveryHealth) -> None:
    assert delivery_health(statuses, durations) == expected
