"""Figure 11 (issue 13's F2, noisy neighbours): tenant A puts a flood of events at once while tenant B puts two a
second; B's p95 PutEvents → receiver latency under the flood ÷ B's p95 with no flood, with A's throughput beside it.

Fair: the delivery queue's messages carry their tenant's message group, and the local stack's moto hands them out as
SQS fair queues do (infra/local/moto_fair_queues.py). Baseline, in the same run: today's behaviour, messages sent
without a group, handed out in arrival order. The functions run in processes of their own (``python -m
bench.neighbours``, several at once, each an ingest and a sender poller, as Lambda runs invocations side by side). The
namespace rate limit (500 a minute by default) would hold A's flood for 40 minutes, so it is lifted for these
functions. The ingest queue cannot have a group per tenant in AWS (an EventBridge rule's SQS target takes one fixed
group), so it is watched: its depth while A's flood comes in tells whether ingest keeps up.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.figures import Figure, percentile
from bench.workload import create_hooks, event_entry, push_payload, put_events
from hookline import settings
from hookline.domain.events import HookKind
from infra.local.child import ChildServer, ignore_interrupts

if TYPE_CHECKING:
    from bench.runner import Bench

NUMBER = 11
GOAL = 2.0
_GROUPS_ENV = "HOOKLINE_BENCH_MESSAGE_GROUPS"


@contextmanager
def functions_processes(environment: dict[str, str], groups: bool, workers: int) -> Iterator[list[ChildServer]]:
    """``workers`` children, each an ingest and a sender poller (as Lambda runs invocations side by side, each in a
    process of its own); without groups: today's messages."""
    env = {
        **os.environ,
        **environment,
        settings.NAMESPACE_RATE_LIMIT_ENV: str(10**9),  # lifted: the flood is what is measured, not the rate limit
        _GROUPS_ENV: "1" if groups else "0",
    }
    children: list[ChildServer] = []
    try:
        for _ in range(workers):
            children.append(ChildServer(__name__, env=env))
        yield children
    finally:
        for child in children:
            child.stop()


@dataclass
class FloodRun:
    """One tenant's flood beside another's trickle: what B waited, what A got through, how deep ingest got."""

    b_latencies_ms: list[float]
    a_events: int
    a_put_s: float
    a_drain_s: float
    ingest_max_depth: int
    ingest_behind_s: float  # from A's last put until the ingest queue was empty again
    delivery_max_depth: int  # where message groups matter: a backlog on the delivery queue

    @property
    def a_per_s(self) -> float:
        return self.a_events / max(self.a_drain_s, 1e-9)

    def as_dict(self) -> dict[str, Any]:
        return {
            "b_events": len(self.b_latencies_ms),
            "b_p50_ms": percentile(self.b_latencies_ms, 0.5),
            "b_p95_ms": percentile(self.b_latencies_ms, 0.95),
            "b_max_ms": max(self.b_latencies_ms),
            "a_events": self.a_events,
            "a_put_s": self.a_put_s,
            "a_put_events_per_s": self.a_events / max(self.a_put_s, 1e-9),
            "a_drain_s": self.a_drain_s,
            "a_deliveries_per_s": self.a_per_s,
            "ingest_max_depth": self.ingest_max_depth,
            "ingest_behind_s": self.ingest_behind_s,
            "delivery_max_depth": self.delivery_max_depth,
        }


class Neighbours:
    def __init__(self, bench: Bench) -> None:
        self.bench, self.config = bench, bench.config
        receiver = bench.receiver
        self.a_path, self.b_path = f"/fast/nb-{bench.run_id}/a", f"/fast/nb-{bench.run_id}/b"
        a_project, b_project = f"nb-a-{bench.run_id}/svc", f"nb-b-{bench.run_id}/svc"  # two top-level namespaces
        create_hooks(HookKind.PROJECT, a_project, [receiver.base_url + self.a_path])
        create_hooks(HookKind.PROJECT, b_project, [receiver.base_url + self.b_path])
        size = self.config.payload_bytes
        self.a_entry = event_entry(a_project, push_payload(a_project, size))
        self.b_entry = event_entry(b_project, push_payload(b_project, size))
        self.ingest_url = bench.stack.environment[settings.INGEST_QUEUE.env_var]
        self.delivery_url = bench.stack.environment[settings.DELIVERY_QUEUE.env_var]

    @staticmethod
    def _depth(sqs: Any, url: str) -> int:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    def _arrivals(self, path: str, since: int) -> list[Any]:
        return [arrival for arrival in self.bench.receiver.arrivals[since:] if arrival.path == path]

    def _trickle(self, stop: threading.Event, put_at: dict[str, float]) -> None:
        """B's events, one every 1/rate seconds, until told to stop."""
        events = self.bench.stack.client("events")
        interval, started = 1 / self.config.neighbours_rate, time.monotonic()
        for index in range(10**9):
            if stop.wait(max(0.0, started + index * interval - time.monotonic())):
                return
            sent = time.monotonic()
            (event_id,) = put_events(events, self.b_entry, 1)
            put_at[event_id] = sent

    def _b_latencies(self, put_at: dict[str, float], since: int, timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            arrived = {a.event_uuid: a.at for a in self._arrivals(self.b_path, since)}
            if set(put_at) <= set(arrived):
                return [(arrived[event_id] - sent) * 1000 for event_id, sent in put_at.items()]
            time.sleep(0.1)
        raise RuntimeError(f"tenant B: {len(put_at)} events put, not all delivered in {timeout:.0f}s")

    def _warm(self, since: int) -> None:
        events = self.bench.stack.client("events")
        put_events(events, self.a_entry, 1)
        put_events(events, self.b_entry, 1)
        deadline = time.monotonic() + self.config.timeout_s
        while len(self._arrivals(self.a_path, since)) + len(self._arrivals(self.b_path, since)) < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("the functions did not deliver the warm-up events")
            time.sleep(0.05)

    def quiet(self) -> list[float]:
        """B alone: its latencies with no flood."""
        with functions_processes(self.bench.stack.environment, True, self.config.neighbours_workers):
            self._warm(self.bench.receiver.count)
            since, stop, put_at = self.bench.receiver.count, threading.Event(), {}
            trickle = threading.Thread(target=self._trickle, args=(stop, put_at), daemon=True)
            trickle.start()
            stop.wait(self.config.neighbours_quiet_s)
            stop.set()
            trickle.join()
            return self._b_latencies(put_at, since, self.config.timeout_s)

    def flood(self, groups: bool) -> FloodRun:
        config, sqs = self.config, self.bench.stack.client("sqs")
        flood = config.neighbours_flood
        timeout = max(config.timeout_s, flood / 10)  # this machine delivers a flood at 25-30 events/s
        with functions_processes(self.bench.stack.environment, groups, config.neighbours_workers):
            self._warm(self.bench.receiver.count)
            since, stop, put_at = self.bench.receiver.count, threading.Event(), {}
            trickle = threading.Thread(target=self._trickle, args=(stop, put_at), daemon=True)
            trickle.start()
            stop.wait(1.0)  # B's trickle is under way before the flood starts
            depths: list[tuple[float, int]] = []
            delivery_depth = 0
            started = time.monotonic()
            flooding = threading.Thread(
                target=put_events, args=(self.bench.stack.client("events"), self.a_entry, flood), daemon=True
            )
            flooding.start()
            put_done = 0.0
            deadline = reported = started + timeout
            while (delivered := len(self._arrivals(self.a_path, since))) < flood:  # the warm-up's came before since
                now = time.monotonic()
                if now - reported >= 5 or reported == deadline:
                    reported = now
                    depth = depths[-1][1] if depths else 0
                    self.bench.progress(
                        f"      A: {delivered}/{flood} delivered, ingest queue {depth}, B {len(put_at)}"
                    )
                if now > deadline:
                    stop.set()
                    raise RuntimeError(f"tenant A's flood was not delivered in {timeout:.0f}s")
                if not put_done and not flooding.is_alive():
                    put_done = time.monotonic()
                depths.append((time.monotonic(), self._depth(sqs, self.ingest_url)))
                delivery_depth = max(delivery_depth, self._depth(sqs, self.delivery_url))
                time.sleep(0.25)
            flooding.join()
            put_done = put_done or time.monotonic()
            a_done = max(a.at for a in self._arrivals(self.a_path, since))
            stop.set()
            trickle.join()
            during = {event_id: sent for event_id, sent in put_at.items() if started <= sent <= a_done}
            self._b_latencies(put_at, since, timeout)  # every B event delivered before the child stops
            latencies = self._b_latencies(during or put_at, since, timeout)
        emptied = next((at for at, depth in depths if at >= put_done and depth == 0), put_done)
        return FloodRun(
            b_latencies_ms=latencies,
            a_events=flood,
            a_put_s=put_done - started,
            a_drain_s=a_done - started,
            ingest_max_depth=max((depth for _, depth in depths), default=0),
            ingest_behind_s=max(0.0, emptied - put_done),
            delivery_max_depth=delivery_depth,
        )


def measure(bench: Bench) -> Figure:
    """Quiet B, then A's flood with message groups (fair), then the same without (today's baseline)."""
    runs = Neighbours(bench)
    quiet = runs.quiet()
    fair = runs.flood(groups=True)
    baseline = runs.flood(groups=False)
    quiet_p95 = percentile(quiet, 0.95)
    ratio = percentile(fair.b_latencies_ms, 0.95) / quiet_p95
    baseline_ratio = percentile(baseline.b_latencies_ms, 0.95) / quiet_p95
    return Figure(
        NUMBER,
        "Noisy neighbour: B's p95 under A's flood / alone",
        ratio,
        "x (p95)",
        f"{ratio:.2f} (baseline, no groups: {baseline_ratio:.2f}); B alone p95 {quiet_p95:.0f} ms; "
        f"A {fair.a_per_s:.0f} deliveries/s (baseline {baseline.a_per_s:.0f}/s)",
        f"<= {GOAL:g}",
        ratio <= GOAL,
        {
            "b_quiet_p95_ms": quiet_p95,
            "b_quiet_p50_ms": statistics.median(quiet),
            "b_quiet_events": len(quiet),
            "fair": fair.as_dict(),
            "baseline": baseline.as_dict(),
            "baseline_ratio": baseline_ratio,
            "flood_events": bench.config.neighbours_flood,
            "b_events_per_s": bench.config.neighbours_rate,
            "workers": bench.config.neighbours_workers,
            "namespace_rate_limit": "lifted (10^9 a minute) for these runs",
        },
    )


def main() -> None:
    """The child: an ingest and a sender poller on the stack's queues until stdin closes."""
    protocol, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - Powertools logs to stdout

    from hookline.adapters import aws, queue
    from hookline.handlers import ingest, sender
    from infra.local.lambda_runtime import SqsPoller

    ignore_interrupts()
    if os.environ.get(_GROUPS_ENV) == "0":  # today's behaviour: messages without a group
        with_group = queue.OutgoingMessage.entry

        def entry(self: queue.OutgoingMessage, entry_id: str) -> Any:
            sent = with_group(self, entry_id)
            sent.pop("MessageGroupId", None)
            return sent

        queue.OutgoingMessage.entry = entry  # type: ignore[method-assign]
    sqs = aws.sqs()
    pollers = [
        SqsPoller(name, sqs, os.environ[spec.env_var], spec, handler)
        for name, spec, handler in (
            ("IngestFunction", settings.INGEST_QUEUE, ingest.lambda_handler),
            ("SenderFunction", settings.DELIVERY_QUEUE, sender.lambda_handler),
        )
    ]
    for poller in pollers:
        poller.start()
    print("ready", file=protocol, flush=True)
    sys.stdin.read()
    for poller in pollers:
        poller.stop()
    for poller in pollers:
        poller.join(timeout=5)
    print(json.dumps({"batches": sum(poller.batches for poller in pollers)}), file=protocol, flush=True)


if __name__ == "__main__":
    main()
