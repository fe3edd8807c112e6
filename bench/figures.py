"""The figures, each a value with its target, from measurements taken in one run: issue 6's seven, cold start
(issue 13's F4) as figure 8, the cost at each volume (issue 13's F3) as figure 9, in bench/volume.py, the
thundering herd (issue 13's F1) as figure 10, in bench/herd.py, and noisy neighbours (issue 13's F2) as figure 11, in
bench/neighbours.py."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from bench import prices
from bench.meter import Usage, chunks
from hookline import settings


@dataclass(frozen=True)
class Figure:
    number: int
    name: str
    value: float
    unit: str
    shown: str
    target: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunStats:
    """One batch of events through the ingest and sender functions, driven as Lambda's SQS pollers would."""

    events: int
    deliveries: int
    calls: dict[str, int]
    usage: Usage
    ingest_invocations: int
    ingest_billed_ms: int
    sender_invocations: int
    sender_billed_ms: int

    def per_delivery(self, count: float) -> float:
        return count / self.deliveries

    @property
    def sender_batch(self) -> float:
        return self.deliveries / max(self.sender_invocations, 1)


def requests_per_delivery(run: RunStats) -> Figure:
    total = sum(run.calls.values())
    value = run.per_delivery(total)
    return Figure(
        1,
        "AWS requests per delivery",
        value,
        "requests",
        f"{value:.3f} ({total} for {run.deliveries} deliveries)",
        "<= 0.5",
        value <= 0.5,
        {
            "per_delivery_by_operation": {name: run.per_delivery(count) for name, count in sorted(run.calls.items())},
            "calls": run.calls,
            "events": run.events,
            "deliveries": run.deliveries,
            "ingest_invocations": run.ingest_invocations,
            "sender_invocations": run.sender_invocations,
        },
    )


def write_units_per_delivery(run: RunStats) -> Figure:
    value = run.per_delivery(run.usage.write_units)
    return Figure(
        2,
        "DynamoDB write units per delivery",
        value,
        "WRU",
        f"{value:.3f}",
        "<= 1.5",
        value <= 1.5,
        run.usage.as_dict(),
    )


def sender_ms_per_delivery(run: RunStats, slow_ms: int) -> Figure:
    """Billed ms per delivery. The floor: one answer's time spread over the deliveries a batch carries (ten messages,
    each an event for up to ten hooks), or over the queue's batch size when each message were a single delivery."""
    value = run.per_delivery(run.sender_billed_ms)
    floor = slow_ms / max(run.sender_batch, 1)
    return Figure(
        3,
        "Billed sender ms per delivery",
        value,
        "ms",
        f"{value:.2f} ms = {value / floor:.2f} x the floor {floor:.1f} ms ({slow_ms} ms / {run.sender_batch:.0f})",
        "<= 15 ms",
        value <= 15,
        {
            "receiver_answer_ms": slow_ms,
            "floor_ms": floor,
            "ratio_to_floor": value / floor,
            "batch_size": settings.DELIVERY_QUEUE.batch_size,
            "single_delivery_floor_ms": slow_ms / settings.DELIVERY_QUEUE.batch_size,
            "deliveries_per_invocation": run.sender_batch,
            "per_hook_concurrency": settings.PER_HOOK_CONCURRENCY,
            "mean_invocation_ms": run.sender_billed_ms / max(run.sender_invocations, 1),
            "deliveries": run.deliveries,
        },
    )


def throughput_ratio(ratio: float, details: dict[str, Any]) -> Figure:
    engine, bare = details["engine_deliveries_per_s"], details["bare_httpx_deliveries_per_s"]
    return Figure(
        4,
        "Loopback throughput ratio",
        ratio,
        "ratio",
        f"{ratio:.2f} (engine {engine:.0f}/s, bare httpx {bare:.0f}/s)",
        ">= 0.8",
        ratio >= 0.8,
        {**details, "per_hook_concurrency": settings.PER_HOOK_CONCURRENCY},
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def latency(latencies_ms: list[float], reference_ms: float, details: dict[str, Any]) -> Figure:
    p50, p95, p99 = (percentile(latencies_ms, share) for share in (0.50, 0.95, 0.99))
    return Figure(
        5,
        "End-to-end latency p50/p95/p99",
        p95,
        "ms (p95)",
        f"{p50:.0f}/{p95:.0f}/{p99:.0f} ms; p95 = {p95 / reference_ms:.0f} moto calls",
        "p95 <= 120 ms",
        p95 <= 120,
        {
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "max_ms": max(latencies_ms),
            "deliveries": len(latencies_ms),
            "moto_call_ms": reference_ms,
            "p95_in_moto_calls": p95 / reference_ms,
            **details,
        },
    )


def growth(cases: list[dict[str, Any]]) -> Figure:
    """Routing reads per event stay flat; sends follow ceil(messages / 10), a message per ten hooks of an event."""
    reads = [case["routing_reads_per_event"] for case in cases]
    flat = max(reads) / min(reads)
    sends_ok = all(math.isclose(case["sends_per_event"], case["expected_sends_per_event"]) for case in cases)
    shown = "; ".join(
        f"{case['hooks']}h/{case['scopes']}s: reads {case['routing_reads_per_event']:.2f}, "
        f"sends {case['sends_per_event']:.1f}, all {case['requests_per_event']:.1f}"
        for case in cases
    )
    return Figure(
        6,
        "Growth: ingest requests per event",
        flat,
        "max/min routing reads",
        shown,
        "reads flat (1.0); sends ceil(events x ceil(N/10) / 10)",
        flat == 1.0 and sends_ok,
        {"cases": cases},
    )


def cost(fast: RunStats, slow: RunStats, event_bytes: int) -> Figure:
    """Dollars per million deliveries: fast-receiver requests and units (figures 1, 2), sender time at 100 ms (3)."""
    ingest_gb = settings.INGEST_FUNCTION.memory_mb / 1024
    sender_gb = settings.SENDER_FUNCTION.memory_mb / 1024
    gb_seconds = (
        fast.per_delivery(fast.ingest_billed_ms) * ingest_gb + slow.per_delivery(slow.sender_billed_ms) * sender_gb
    ) / 1000
    parts = {
        "sqs": fast.per_delivery(fast.usage.sqs_requests) * prices.SQS_REQUEST,
        "dynamodb_writes": fast.per_delivery(fast.usage.write_units) * prices.DYNAMODB_WRITE_REQUEST_UNIT,
        "dynamodb_reads": fast.per_delivery(fast.usage.read_units) * prices.DYNAMODB_READ_REQUEST_UNIT,
        "lambda_requests": fast.per_delivery(fast.ingest_invocations + fast.sender_invocations) * prices.LAMBDA_REQUEST,
        "lambda_duration": gb_seconds * prices.LAMBDA_ARM_GB_SECOND,
        "eventbridge_put_events": fast.per_delivery(fast.events * chunks(event_bytes)) * prices.EVENTBRIDGE_PUT_EVENT,
    }
    per_million = {name: dollars * 1_000_000 for name, dollars in parts.items()}
    value = sum(per_million.values())
    biggest = max(per_million, key=lambda name: per_million[name])
    return Figure(
        7,
        "Modelled cost per million deliveries",
        value,
        "USD",
        f"${value:.3f} (biggest: {biggest} ${per_million[biggest]:.3f})",
        "<= $1.00",
        value <= 1.0,
        {
            "per_million_by_part": per_million,
            "biggest": biggest,
            "gb_seconds_per_delivery": gb_seconds,
            "prices_date": prices.PRICES_DATE,
            "region": prices.REGION,
            "sources": list(prices.SOURCES),
        },
    )


def cold_start(measured: dict[str, Any]) -> Figure:
    """Import time of each handler module (median process time minus a bare interpreter's), against its target; the
    value is the largest share of its target any handler uses."""
    imports, targets = measured["import_ms"], measured["targets_ms"]
    shares = {module: imports[module] / targets[module] for module in imports}
    value = max(shares.values())
    short = {module: module.rsplit(".", 1)[-1] for module in imports}
    shown = ", ".join(f"{short[m]} {imports[m]:.0f}" for m in imports)
    cpu = "/".join(f"{measured['import_cpu_ms'][m]:.0f}" for m in imports)
    return Figure(
        8,
        "Cold start: handler import time",
        value,
        "x target (worst)",
        f"{shown} ms (CPU {cpu}; bare python {measured['bare_interpreter_ms']:.0f} ms, median of {measured['runs']})",
        " / ".join(f"{short[m]} <= {targets[m]:.0f}" for m in targets) + " ms",
        all(share <= 1 for share in shares.values()),
        measured,
    )


def _herd_side(side: dict[str, Any]) -> str:
    drain = (
        f"drain {side['drain_s']:.0f} s = {side['drain_s'] / side['ideal_s']:.1f} x ideal"
        if side["drained"]
        else f"not drained in {side['wall_s']:.0f} s ({side['delivered']}/{side['deliveries']} delivered)"
    )
    return f"peak {side['peak_in_flight']} in flight, {side['re_disables']} re-disables, {drain}"


def herd(gated: dict[str, Any], baseline: dict[str, Any]) -> Figure:
    """A disabled hook's backlog released to concurrent senders: the peak in flight at a receiver that fails past
    ``capacity`` (the value), re-disables and drain time against the ideal, beside the baseline (gate off)."""
    capacity = gated["capacity"]
    return Figure(
        10,
        "Herd: backlog after recovery",
        gated["peak_in_flight"],
        "requests in flight (peak)",
        f"{_herd_side(gated)}; baseline: {_herd_side(baseline)}",
        f"peak <= {capacity}, 0 re-disables, drained (ideal {gated['ideal_s']:.0f} s)",
        gated["peak_in_flight"] <= capacity and gated["re_disables"] == 0 and gated["drained"],
        {"gated": gated, "baseline": baseline},
    )
