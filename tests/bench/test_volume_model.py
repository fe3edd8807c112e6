"""Figure 9's model of Lambda's SQS pollers, as tables: the batches they form and the receives they make."""

from __future__ import annotations

import math

import pytest

from bench import prices
from bench.volume import (
    MIN_POLLERS,
    MONTH_S,
    PLATFORM_LOG_BYTES,
    EsmSettings,
    Point,
    Profile,
    batch_size,
    bill,
    idle_receives_per_s,
    receives_per_batch,
    window_wait_s,
)


@pytest.mark.parametrize(
    ("rate", "window_s", "invocation_s", "expected"),
    [
        (0.01, 0, 0.1, 1.0),  # a trickle: one message a batch
        (1, 0, 0.1, 1.0),
        (100, 0, 0.1, 2.0),  # all five pollers busy: what arrives meanwhile waits for the next receive
        (1000, 0, 0.5, 10.0),  # never more than the batch size
        (1, 20, 0.0, 4.0),  # a window: each of the five pollers gathers its share of 20 s
        (10, 20, 0.0, 10.0),
    ],
)
def test_batch_size(rate: float, window_s: float, invocation_s: float, expected: float) -> None:
    assert batch_size(rate, window_s, invocation_s, 10) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("rate", "window_s", "invocation_s", "messages", "expected"),
    [
        (1, 0, 0.1, 1.0, 1.0),  # no window: one receive takes what is there
        (1000, 0, 0.5, 10.0, 1.0),
        (1, 20, 0.0, 4.0, 4.0),  # within a window, messages arriving apart take a receive each
        (1000, 1, 0.0, 10.0, 1.0),  # arriving together (200/s a poller, 10 within 50 ms): one receive
        (100, 5, 0.5, 10.0, 1.0),  # what waited during the invocation comes at once
    ],
)
def test_receives_per_batch(
    rate: float, window_s: float, invocation_s: float, messages: float, expected: float
) -> None:
    assert receives_per_batch(rate, window_s, invocation_s, messages) == pytest.approx(expected)


def test_idle_pollers_make_a_long_poll_each_per_20_s_until_messages_end_them() -> None:
    assert idle_receives_per_s(0) == MIN_POLLERS / 20
    assert idle_receives_per_s(0) * MONTH_S == 648_000
    assert idle_receives_per_s(1) < 0.02 * idle_receives_per_s(0)  # at 1 message a second they are rare


def test_a_window_delays_up_to_its_length_less_once_batches_fill() -> None:
    assert window_wait_s(1, 0, 10) == 0
    assert window_wait_s(1, 20, 10) == 20
    assert window_wait_s(100, 20, 10) == pytest.approx(0.5)  # ten messages a poller within half a second


def _point(messages: float, **values: float) -> Point:
    calls = {"SQS.ReceiveMessage": 1.0, "SQS.DeleteMessageBatch": 1.0}
    return Point(messages, calls, sqs_billed=2.0, write_units=0.0, read_units=0.0, billed_ms=0.0, **values)


def test_bill_of_an_idle_month_is_the_pollers_receives_and_a_busy_one_follows_the_measured_costs() -> None:
    flat = Profile(_point(1.0), _point(10.0))
    today, window = EsmSettings("today", 0, 0), EsmSettings("window", 20, 20)
    trickle = bill(1, 1, today, flat, flat, 1000)
    assert trickle["ingest_batch"] == trickle["sender_batch"] == 1.0
    events = MONTH_S
    # per event: PutEvents; EventBridge's send, and per function a receive and a delete; Lambda's two invocations
    assert trickle["monthly_by_part"]["eventbridge_put_events"] == pytest.approx(events * prices.EVENTBRIDGE_PUT_EVENT)
    sqs = trickle["monthly_by_part"]["sqs"] / prices.SQS_REQUEST
    assert sqs == pytest.approx(5 * events + 2 * idle_receives_per_s(1) * MONTH_S)
    assert trickle["monthly_by_part"]["lambda_requests"] == pytest.approx(2 * events * prices.LAMBDA_REQUEST)
    batched = bill(1, 1, window, flat, flat, 1000)
    assert batched["ingest_batch"] == batched["sender_batch"] == 4.0
    # a quarter of the invocations and deletes; a receive per message still (they arrive apart)
    assert batched["monthly_by_part"]["lambda_requests"] == pytest.approx(
        trickle["monthly_by_part"]["lambda_requests"] / 4
    )
    assert batched["monthly_usd"] < trickle["monthly_usd"]
    assert batched["added_wait_s"] == 40 and trickle["added_wait_s"] == 0
    assert math.isclose(trickle["usd_per_million"], trickle["monthly_usd"] / events * 1e6)


def test_traces_follow_lambdas_sampling_and_logs_the_bytes_written() -> None:
    logged = Profile(_point(1.0, log_bytes=600.0), _point(10.0, log_bytes=600.0))
    trickle = bill(1, 1, EsmSettings("today", 0, 0), logged, logged, 1000)["observability_by_part"]
    # each function: its one invocation a second is the first of that second, so recorded
    assert trickle["xray_traces"] == pytest.approx(2 * MONTH_S * prices.XRAY_TRACE_RECORDED)
    assert trickle["cloudwatch_logs"] == pytest.approx(
        2 * MONTH_S * (600 + PLATFORM_LOG_BYTES) / 1024**3 * prices.CLOUDWATCH_LOGS_INGESTED_GB
    )
    flood = bill(1000, 1, EsmSettings("today", 0, 0), logged, logged, 1000)
    per_s = 2 * (1 + 0.05 * (1000 / flood["ingest_batch"] - 1))  # invocations of 0 ms: batches of one
    assert flood["observability_by_part"]["xray_traces"] == pytest.approx(per_s * MONTH_S * prices.XRAY_TRACE_RECORDED)
