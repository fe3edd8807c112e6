"""Figure 9 (issue 13's F3): the modelled monthly AWS bill at 1 to 1,000 events a second, with the batches Lambda's SQS
event source mappings really form at each rate.

Measured: what one invocation of the ingest and of the sender function costs (AWS calls by operation, billed SQS
requests, DynamoDB write and read units, billed ms, bytes logged) at the smallest batch (one message) and at a full
one, from real runs of the handlers against the local AWS (the bench's meter); and what a batching window costs in
latency (``window_latency``). Modelled: how many messages a batch holds at a rate, and what Lambda's pollers add (see
``batch_size``, ``receives_per_batch`` and ``idle_receives_per_s``). Today's settings are the baseline; beside them, a
batching window of settings.ECONOMY_BATCHING_WINDOW_S on both mappings.
"""

from __future__ import annotations

import io
import json
import logging
import math
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bench import prices
from bench.figures import Figure, percentile
from bench.meter import chunks
from bench.receiver import SLOW_PREFIX
from bench.workload import TimedHandler, create_hooks, event_entry, push_payload, put_events
from hookline import settings
from hookline.domain.events import HookKind
from hookline.handlers import ingest, sender
from infra.local.lambda_runtime import SqsPoller

if TYPE_CHECKING:
    from bench.runner import Bench

NUMBER = 9
MONTH_S = 30 * 24 * 3600
#: Lambda's SQS event source mapping: at least five pollers per mapping, each long-polling (20 s) when idle. An idle
#: queue so costs 5 / 20 s = 0.25 ReceiveMessage requests a second, about 648,000 a month, per mapping.
MIN_POLLERS = 5
LONG_POLL_S = 20
#: A poller gathering a batch within a window gets each message by a receive of its own while they arrive apart (a
#: long poll answers on the first message); messages arriving within this long of each other share one receive.
RECEIVE_TURNAROUND_S = 0.05
#: Lambda's own lines per invocation in its log group (START, END, REPORT with the X-Ray trace id): about this many
#: bytes; the function's own lines (Powertools logs, EMF metrics) are measured.
PLATFORM_LOG_BYTES = 400
#: Active tracing: Lambda records the first invocation each second and 5 % of the rest (X-Ray's default rule, which
#: Lambda applies per function).
XRAY_RESERVOIR_PER_S = 1.0
XRAY_FIXED_RATE = 0.05
OBSERVABILITY = ("xray_traces", "cloudwatch_logs")
#: Events a second, and hooks each event goes to.
RATES = (1, 10, 100, 1000)
FAN_OUTS = (1, 5)
#: The target: from this rate up, a delivery at fan-out 5 costs no more than figure 7's target with full batches.
TARGET_FROM_RATE = 10
TARGET_USD = 1.00


@dataclass(frozen=True)
class EsmSettings:
    """A deployment's event source mapping settings, the same for both queues unless given apart."""

    label: str
    ingest_window_s: int
    delivery_window_s: int
    batch_size: int = settings.DELIVERY_QUEUE.batch_size


def compared_settings() -> tuple[EsmSettings, ...]:
    """Today's settings (the baseline) and a batching window on both mappings (settings.ECONOMY_BATCHING_WINDOW_S)."""
    return (
        EsmSettings(
            "today", settings.INGEST_QUEUE.max_batching_window_s, settings.DELIVERY_QUEUE.max_batching_window_s
        ),
        EsmSettings(
            f"window {settings.ECONOMY_BATCHING_WINDOW_S} s",
            settings.ECONOMY_BATCHING_WINDOW_S,
            settings.ECONOMY_BATCHING_WINDOW_S,
        ),
    )


# --- the measured part -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One function's cost per invocation at one batch size, measured: means, and the median of billed ms."""

    messages: float
    calls: dict[str, float]
    sqs_billed: float
    write_units: float
    read_units: float
    billed_ms: float
    log_bytes: float = 0.0

    @property
    def receives(self) -> float:
        return self.calls.get("SQS.ReceiveMessage", 0.0)

    @property
    def requests(self) -> float:
        return sum(self.calls.values())


@dataclass(frozen=True)
class Profile:
    """Cost per invocation between two measured batch sizes, linear in the messages a batch holds."""

    small: Point
    full: Point

    def at(self, messages: float, what: str) -> float:
        low, high = getattr(self.small, what), getattr(self.full, what)
        span = self.full.messages - self.small.messages
        share = 0.0 if span <= 0 else min(max((messages - self.small.messages) / span, 0.0), 1.0)
        return float(low + (high - low) * share)

    def as_dict(self) -> dict[str, Any]:
        return {"small": self.small.__dict__, "full": self.full.__dict__}


@dataclass
class _Run:
    """One drain of a queue by one function, metered."""

    handler: TimedHandler
    calls: dict[str, int] = field(default_factory=dict)
    usage: Any = None
    log_bytes: int = 0

    def point(self) -> Point:
        invocations = max(len(self.handler.durations), 1)
        return Point(
            messages=self.handler.records / invocations,
            calls={name: count / invocations for name, count in sorted(self.calls.items())},
            sqs_billed=self.usage.sqs_requests / invocations,
            write_units=self.usage.write_units / invocations,
            read_units=self.usage.read_units / invocations,
            # the median: one slow invocation (a moto hiccup) would move a mean of a few
            billed_ms=statistics.median(math.ceil(seconds * 1000) for seconds in self.handler.durations or [0.0]),
            log_bytes=self.log_bytes / invocations,
        )


class _ByteCount(io.TextIOBase):
    """Counts what the functions write to stdout (their logs and EMF metrics: CloudWatch Logs bills the bytes)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


@contextmanager
def _counting_output() -> Iterator[_ByteCount]:
    counted = _ByteCount()
    handlers = [h for h in logging.getLogger(settings.SERVICE_NAME).handlers if isinstance(h, logging.StreamHandler)]
    streams = [handler.setStream(counted) for handler in handlers]  # type: ignore[arg-type]
    saved, sys.stdout = sys.stdout, counted
    try:
        yield counted
    finally:
        sys.stdout = saved
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)


def _drain(bench: Bench, queue: settings.QueueSpec, handler: TimedHandler, batch: int, until: int | None) -> _Run:
    """``handler`` behind an event source mapping of ``batch`` messages, until the queue is empty (and, for the
    sender, the receiver has ``until`` requests)."""
    poller = SqsPoller(
        f"{queue.logical_id}Volume",
        bench.sqs,
        bench.stack.environment[queue.env_var],
        replace(queue, batch_size=batch),
        handler,
    )
    bench.counter.reset()
    bench.meter.reset()
    deadline = time.monotonic() + bench.config.timeout_s
    with _counting_output() as output:
        while time.monotonic() < deadline:
            if poller.poll_once():
                continue
            if until is None or bench.receiver.count >= until:
                break
            time.sleep(0.02)  # a delivery held for a moment (a wall-clock wait on the local AWS, not a test)
    return _Run(handler, dict(bench.counter.calls), bench.meter.reset(), output.bytes)


def measure(bench: Bench, fan_out: int, batch: int) -> tuple[Point, Point]:
    """Events to ``fan_out`` hooks (receivers answering after ``slow_ms``), drained in batches of ``batch`` messages:
    the ingest and the sender function's cost per invocation."""
    config = bench.config
    tag = f"volume-f{fan_out}-b{batch}"
    project = bench._project(tag)
    urls = [f"{bench.receiver.base_url}{SLOW_PREFIX}{tag}/{index}" for index in range(fan_out)]
    create_hooks(HookKind.PROJECT, project, urls)
    entry = event_entry(project, push_payload(project, config.payload_bytes))
    for events, counted in ((1, False), (batch * config.volume_invocations, True)):  # a warm-up event first
        expected = bench.receiver.count + events * fan_out
        put_events(bench.events, entry, events)
        runs = (
            _drain(bench, settings.INGEST_QUEUE, TimedHandler(ingest.lambda_handler), batch, None),
            _drain(bench, settings.DELIVERY_QUEUE, TimedHandler(sender.lambda_handler), batch, expected),
        )
        if not bench.receiver.wait_for(expected, config.timeout_s):
            raise RuntimeError(f"volume: {bench.receiver.count} requests of {expected}")
        if counted:
            return runs[0].point(), runs[1].point()
    raise AssertionError("unreachable")


def window_latency(bench: Bench, window_s: int) -> dict[str, Any]:
    """PutEvents → receiver at ``volume_latency_rate`` events a second to one hook, with both local mappings' batching
    window set to ``window_s`` (one poller a queue here, where Lambda has five)."""
    config = bench.config
    tag = f"volume-latency-w{window_s}"
    project = bench._project(tag)
    create_hooks(HookKind.PROJECT, project, [f"{bench.receiver.base_url}/fast/{tag}"])
    entry = event_entry(project, push_payload(project, config.payload_bytes))
    pollers = [
        SqsPoller(
            f"{spec.logical_id}Window",
            bench.stack.client("sqs"),
            bench.stack.environment[spec.env_var],
            replace(spec, max_batching_window_s=window_s),
            handler,
        )
        for spec, handler in (
            (settings.INGEST_QUEUE, ingest.lambda_handler),
            (settings.DELIVERY_QUEUE, sender.lambda_handler),
        )
    ]
    for poller in pollers:
        poller.start()
    put_at: dict[str, float] = {}
    pacing = threading.Event()
    try:
        expected = bench.receiver.count + config.volume_latency_events
        started = time.monotonic()
        for index in range(config.volume_latency_events):
            pacing.wait(max(0.0, started + index / config.volume_latency_rate - time.monotonic()))
            sent = time.monotonic()
            (event_id,) = put_events(bench.events, entry, 1)
            put_at[event_id] = sent
        if not bench.receiver.wait_for(expected, config.timeout_s):
            raise RuntimeError(f"volume latency: {bench.receiver.count} requests of {expected}")
    finally:
        for poller in pollers:
            poller.stop()
        for poller in pollers:
            poller.join(timeout=window_s + 5)
    latencies = [(a.at - put_at[a.event_uuid]) * 1000 for a in bench.receiver.arrivals if a.event_uuid in put_at]
    return {
        "window_s": window_s,
        "events_per_s": config.volume_latency_rate,
        "deliveries": len(latencies),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "max_ms": max(latencies),
        "batches": {poller.name: poller.batches for poller in pollers},
        # one poller a queue: a message waits at most the window at each of the two queues
        "modelled_max_wait_ms": 2 * 1000 * window_wait_s(config.volume_latency_rate, window_s, 10, pollers=1),
    }


# --- the model -------------------------------------------------------------------------------------------------


def batch_size(rate: float, window_s: float, invocation_s: float, limit: int, pollers: int = MIN_POLLERS) -> float:
    """Messages a batch holds at ``rate`` messages a second: each poller gets its share of the messages that arrive
    while it gathers (the window) and while its previous invocation runs; at least one, at most the batch size."""
    return min(max(rate * (window_s + invocation_s) / pollers, 1.0), float(limit))


def receives_per_batch(
    rate: float, window_s: float, invocation_s: float, messages: float, pollers: int = MIN_POLLERS
) -> float:
    """Without a window one receive takes what is there. Within a window, what waited during the poller's previous
    invocation comes in one receive; the rest arrive apart and take a receive each (a long poll answers on the first
    message), but those within RECEIVE_TURNAROUND_S of each other share one."""
    if window_s <= 0:
        return 1.0
    waiting = min(rate * invocation_s / pollers, messages)
    together = min(max(rate * RECEIVE_TURNAROUND_S / pollers, 1.0), messages)
    return max((1.0 if waiting >= 1 else 0.0) + (messages - waiting) / together, 1.0)


def idle_receives_per_s(rate: float, pollers: int = MIN_POLLERS) -> float:
    """Empty long polls: each poller's 20 s poll ends empty when no message reaches it (Poisson arrivals)."""
    return pollers / LONG_POLL_S * math.exp(-LONG_POLL_S * rate / pollers)


def window_wait_s(rate: float, window_s: float, limit: int, pollers: int = MIN_POLLERS) -> float:
    """Longest a message waits for its batch to close: the window, or less once a poller's batch fills first."""
    if window_s <= 0:
        return 0.0
    return min(float(window_s), limit * pollers / max(rate, 1e-9))


def _mapping(profile: Profile, rate: float, window_s: int, limit: int, memory_mb: int) -> dict[str, float]:
    """One event source mapping and its function over a month at ``rate`` messages a second."""
    messages = 1.0
    for _ in range(8):  # the batch and the invocation's duration depend on each other; a few rounds settle
        messages = batch_size(rate, window_s, profile.at(messages, "billed_ms") / 1000, limit)
    invocations = rate * MONTH_S / messages
    receives = receives_per_batch(rate, window_s, profile.at(messages, "billed_ms") / 1000, messages)
    idle = idle_receives_per_s(rate) * MONTH_S
    measured_receives = profile.at(messages, "receives")
    sqs_requests = invocations * (profile.at(messages, "sqs_billed") - measured_receives + receives) + idle
    requests = invocations * (profile.at(messages, "requests") - measured_receives + receives + 1) + idle
    gb_seconds = invocations * profile.at(messages, "billed_ms") / 1000 * memory_mb / 1024
    per_s = rate / messages
    traces = (min(per_s, XRAY_RESERVOIR_PER_S) + XRAY_FIXED_RATE * max(per_s - XRAY_RESERVOIR_PER_S, 0)) * MONTH_S
    log_gb = invocations * (profile.at(messages, "log_bytes") + PLATFORM_LOG_BYTES) / 1024**3
    return {
        "batch": messages,
        "invocations": invocations,
        "requests": requests,
        "sqs": sqs_requests * prices.SQS_REQUEST,
        "dynamodb_writes": invocations * profile.at(messages, "write_units") * prices.DYNAMODB_WRITE_REQUEST_UNIT,
        "dynamodb_reads": invocations * profile.at(messages, "read_units") * prices.DYNAMODB_READ_REQUEST_UNIT,
        "lambda_requests": invocations * prices.LAMBDA_REQUEST,
        "lambda_duration": gb_seconds * prices.LAMBDA_ARM_GB_SECOND,
        "xray_traces": traces * prices.XRAY_TRACE_RECORDED,
        "cloudwatch_logs": log_gb * prices.CLOUDWATCH_LOGS_INGESTED_GB,
        "idle_receives": idle,
        "wait_s": window_wait_s(rate, window_s, limit),
    }


def bill(
    rate: float, fan_out: int, esm: EsmSettings, ingest_profile: Profile, sender_profile: Profile, event_bytes: int
) -> dict[str, Any]:
    """The month at ``rate`` events a second to ``fan_out`` hooks each: dollars by part, requests, batches."""
    events = rate * MONTH_S
    deliveries = events * fan_out
    messages_per_event = math.ceil(fan_out / settings.HOOKS_PER_MESSAGE)
    ingest_side = _mapping(
        ingest_profile, rate, esm.ingest_window_s, esm.batch_size, settings.INGEST_FUNCTION.memory_mb
    )
    sender_side = _mapping(
        sender_profile,
        rate * messages_per_event,
        esm.delivery_window_s,
        esm.batch_size,
        settings.SENDER_FUNCTION.memory_mb,
    )
    parts = {"eventbridge_put_events": events * chunks(event_bytes) * prices.EVENTBRIDGE_PUT_EVENT}
    # EventBridge's SendMessage to the ingest queue is an SQS request of the queue's owner.
    parts["sqs"] = events * chunks(event_bytes) * prices.SQS_REQUEST
    observability = dict.fromkeys(OBSERVABILITY, 0.0)
    for side in (ingest_side, sender_side):
        for name in ("sqs", "dynamodb_writes", "dynamodb_reads", "lambda_requests", "lambda_duration"):
            parts[name] = parts.get(name, 0.0) + side[name]
        for name in OBSERVABILITY:
            observability[name] += side[name]
    monthly = sum(parts.values())
    requests = events * chunks(event_bytes) + ingest_side["requests"] + sender_side["requests"]
    return {
        "rate": rate,
        "fan_out": fan_out,
        "settings": esm.label,
        "monthly_usd": monthly,
        "usd_per_million": monthly / deliveries * 1_000_000,
        #: tracing and logs, on top (figure 7 leaves them out too)
        "observability_monthly_usd": sum(observability.values()),
        "observability_by_part": observability,
        "requests_per_delivery": requests / deliveries,
        "ingest_batch": ingest_side["batch"],
        "sender_batch": sender_side["batch"],
        "added_wait_s": ingest_side["wait_s"] + sender_side["wait_s"],
        "idle_receives_per_month": ingest_side["idle_receives"] + sender_side["idle_receives"],
        "monthly_by_part": parts,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """The README's table: one line per rate and fan-out, the compared settings side by side (batch: messages an
    ingest / sender invocation gets; wait: the longest a delivery waits for its batches to close, both queues)."""
    labels = list(dict.fromkeys(row["settings"] for row in rows))
    head = ["events/s", "fan-out", "deliveries/month"]
    for index, label in enumerate(labels):
        head += [f"{label}: $/month", "+ traces, logs", "$/M deliveries", "requests/delivery", "batch"]
        head += ["wait"] if index else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keyed = {(row["rate"], row["fan_out"], row["settings"]): row for row in rows}
    for rate in dict.fromkeys(row["rate"] for row in rows):
        for fan_out in dict.fromkeys(row["fan_out"] for row in rows):
            cells = [f"{rate:,}", str(fan_out), f"{rate * fan_out * MONTH_S / 1e6:,.1f} M"]
            for index, label in enumerate(labels):
                row = keyed[(rate, fan_out, label)]
                cells += [
                    f"{row['monthly_usd']:,.2f}",
                    f"{row['observability_monthly_usd']:,.2f}",
                    f"{row['usd_per_million']:.2f}",
                    f"{row['requests_per_delivery']:.2f}",
                    f"{row['ingest_batch']:.1f}/{row['sender_batch']:.1f}",
                ]
                cells += [f"{row['added_wait_s']:.0f} s"] if index else []
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def figure(bench: Bench) -> Figure:
    config = bench.config
    measured: dict[int, tuple[Profile, Profile]] = {}
    points: dict[str, Any] = {}
    for fan_out in FAN_OUTS:
        small_ingest, small_sender = measure(bench, fan_out, 1)
        full_ingest, full_sender = measure(bench, fan_out, settings.DELIVERY_QUEUE.batch_size)
        measured[fan_out] = (Profile(small_ingest, full_ingest), Profile(small_sender, full_sender))
        points[str(fan_out)] = {"ingest": measured[fan_out][0].as_dict(), "sender": measured[fan_out][1].as_dict()}
    latency = [window_latency(bench, window) for window in (0, config.volume_latency_window_s)]
    event_bytes = len(json.dumps(event_entry(bench._project("x"), push_payload("x", config.payload_bytes))))
    rows = [
        bill(rate, fan_out, esm, *measured[fan_out], event_bytes)
        for rate in RATES
        for fan_out in FAN_OUTS
        for esm in compared_settings()
    ]
    return cost_figure(rows, points, latency)


def cost_figure(rows: list[dict[str, Any]], points: dict[str, Any], latency: list[dict[str, Any]]) -> Figure:
    """The value: the dearest delivery at fan-out 5 (figure 7's workload) from 10 events a second up, with the window;
    today's beside it, and the trickle (1 event a second) both ways."""
    keyed = {(row["rate"], row["fan_out"], row["settings"]): row for row in rows}
    today, economy = (esm.label for esm in compared_settings())
    fan_out = FAN_OUTS[-1]

    def worst(label: str) -> float:
        return max(keyed[(rate, fan_out, label)]["usd_per_million"] for rate in RATES if rate >= TARGET_FROM_RATE)

    value, before = worst(economy), worst(today)
    trickle = {label: keyed[(RATES[0], fan_out, label)]["usd_per_million"] for label in (today, economy)}
    window = settings.ECONOMY_BATCHING_WINDOW_S
    plain, windowed = latency
    return Figure(
        NUMBER,
        "Cost at each volume, $ per million deliveries (fan-out 5)",
        value,
        "USD",
        f"${value:.2f} with a {window} s window (today ${before:.2f}); at 1 event/s ${trickle[economy]:.2f} "
        f"(today ${trickle[today]:.2f}); a {windowed['window_s']} s window measured at "
        f"{windowed['events_per_s']:g} event/s: p95 {windowed['p95_ms'] / 1000:.1f} s (none: {plain['p95_ms']:.0f} ms)",
        f"<= ${TARGET_USD:.2f} from {TARGET_FROM_RATE} events/s",
        value <= TARGET_USD,
        {
            "rows": rows,
            "measured_per_invocation": points,
            "table": table(rows),
            "baseline_value": before,
            "window_latency_measured": latency,
            "model": {
                "month_s": MONTH_S,
                "min_pollers": MIN_POLLERS,
                "long_poll_s": LONG_POLL_S,
                "receive_turnaround_s": RECEIVE_TURNAROUND_S,
                "prices_date": prices.PRICES_DATE,
                "region": prices.REGION,
            },
        },
    )
