"""One bench run on one local stack: the workloads behind the figures, in order, with progress."""

from __future__ import annotations

import json
import math
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import coldstart, engine, figures, herd, neighbours, volume
from bench.config import BenchConfig
from bench.figures import Figure, RunStats
from bench.lambdas import lambdas_process, summary_of
from bench.meter import AwsMeter
from bench.receiver import SLOW_PREFIX, BenchReceiver, receiver_process
from bench.workload import Pollers, create_hooks, event_entry, push_payload, put_events, spread_hooks
from hookline import settings
from hookline.adapters import aws
from hookline.domain.events import HookKind
from infra.local.request_counter import RequestCounter
from infra.local.stack import LocalStack

RESULTS_DIR = Path(__file__).parent / "results"
Progress = Callable[[str], None]


def to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, stack: LocalStack, config: BenchConfig, progress: Progress = to_stderr) -> None:
        self.stack, self.config, self.progress = stack, config, progress
        self.run_id = uuid.uuid4().hex[:8]
        self.receiver = BenchReceiver(slow_s=config.slow_ms / 1000).start()
        self.events = stack.client("events")  # the producer's client: its PutEvents are not Hookline's requests
        self.sqs = stack.client("sqs")  # the event source mappings' client
        self.pollers = Pollers(stack.environment, self.sqs)
        reader = stack.client("dynamodb")  # reads updated items back for the meter, uncounted
        hookline_clients = (aws.dynamodb(), aws.sqs(), aws.events(), self.sqs)
        self.counter = RequestCounter().attach(*hookline_clients)
        self.meter = AwsMeter(
            lambda table, key: reader.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        ).attach(*hookline_clients)

    def close(self) -> None:
        self.counter.detach()
        self.meter.detach()
        self.receiver.stop()

    def _project(self, tag: str) -> str:
        return f"bench-{self.run_id}-{tag}/team/svc"

    def _hooks(self, project: str, path: str) -> None:
        """``fan_out`` project hooks to the receiver, at ``path``/0, /1..."""
        urls = [f"{self.receiver.base_url}{path}/{index}" for index in range(self.config.fan_out)]
        create_hooks(HookKind.PROJECT, project, urls)

    def _start_counting(self) -> None:
        self.counter.reset()
        self.meter.reset()
        self.pollers.reset()

    def _wait_for_deliveries(self, count: int) -> None:
        if not self.receiver.wait_for(count, self.config.timeout_s):
            raise RuntimeError(f"receiver: {self.receiver.count} requests of {count} in {self.config.timeout_s}s")

    # --- figures 1-3 -----------------------------------------------------------------------------------------
    def deliveries_run(self, tag: str, slow: bool, events: int) -> RunStats:
        """``events`` events to ``fan_out`` hooks, queued first, then handled as Lambda's pollers hand a backlog."""
        project, fan_out = self._project(tag), self.config.fan_out
        self._hooks(project, f"{SLOW_PREFIX if slow else '/fast/'}{tag}")
        expected = self.receiver.count + events * fan_out
        put_events(self.events, event_entry(project, push_payload(project, self.config.payload_bytes)), events)
        self._start_counting()
        deadline = time.monotonic() + self.config.timeout_s
        while self.receiver.count < expected and time.monotonic() < deadline:
            self.pollers.drain()
        self._wait_for_deliveries(expected)
        return RunStats(
            events=events,
            deliveries=events * fan_out,
            calls=dict(self.counter.calls),
            usage=self.meter.reset(),
            ingest_invocations=len(self.pollers.ingest.durations),
            ingest_billed_ms=self.pollers.ingest.billed_ms(),
            sender_invocations=len(self.pollers.sender.durations),
            sender_billed_ms=self.pollers.sender.billed_ms(),
        )

    # --- figure 4 --------------------------------------------------------------------------------------------
    def engine_ratio(self) -> Figure:
        config = self.config
        payload = push_payload("bench/engine", config.payload_bytes)
        with receiver_process() as base_url:
            result = engine.measure(base_url, config.fan_out, payload, config.engine_batches, config.engine_rounds)
        return figures.throughput_ratio(result.ratio, result.as_dict())

    # --- figure 5 --------------------------------------------------------------------------------------------
    def moto_call_ms(self, samples: int = 25) -> float:
        """The reference for latency: one small request to the local AWS, median."""
        url = self.stack.environment[settings.DELIVERY_QUEUE.env_var]
        timings = []
        for _ in range(samples):
            started = time.perf_counter()
            self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)

    def latency(self) -> Figure:
        """Events put at a steady rate; the functions run in a process of their own, as Lambda's do."""
        config = self.config
        project = self._project("latency")
        self._hooks(project, "/fast/latency")
        entry = event_entry(project, push_payload(project, config.payload_bytes))
        count = max(1, round(config.rate * config.duration_s / config.fan_out))
        interval = config.fan_out / config.rate
        reference = self.moto_call_ms()
        put_at: dict[str, float] = {}
        pacing = threading.Event()
        with lambdas_process(self.stack.environment) as functions:
            put_events(self.events, entry, 1)  # warm-up: the functions' first invocations, not timed
            self._wait_for_deliveries(self.receiver.count + config.fan_out)
            functions.tell("reset")
            expected = self.receiver.count + count * config.fan_out
            started = reported = time.monotonic()
            for index in range(count):
                pacing.wait(max(0.0, started + index * interval - time.monotonic()))
                sent = time.monotonic()
                (event_id,) = put_events(self.events, entry, 1)
                put_at[event_id] = sent
                if sent - reported >= 5:
                    reported = sent
                    self.progress(f"      {index + 1}/{count} events put, {self.receiver.count} deliveries so far")
            sending_s = time.monotonic() - started
            self._wait_for_deliveries(expected)
            timings = summary_of(functions.stop())
        latencies = [(a.at - put_at[a.event_uuid]) * 1000 for a in self.receiver.arrivals if a.event_uuid in put_at]
        return figures.latency(
            latencies,
            reference,
            {
                "events": count,
                "achieved_deliveries_per_s": count * config.fan_out / max(sending_s, interval),
                **timings,
            },
        )

    # --- figure 6 --------------------------------------------------------------------------------------------
    def growth_case(self, hooks: int, scopes: int) -> dict[str, Any]:
        events = self.config.growth_events
        project = f"bench-{self.run_id}-g{hooks}x{scopes}/a/b/c/svc"
        spread_hooks(project, hooks, scopes, lambda i: f"{self.receiver.base_url}/fast/growth/{hooks}x{scopes}/{i}")
        put_events(self.events, event_entry(project, push_payload(project, self.config.payload_bytes)), events)
        self._start_counting()
        self.pollers.drain(sender=False)
        calls = dict(self.counter.calls)
        self.stack.drain_queues()  # the deliveries themselves are figure 1's business
        queued = events * math.ceil(hooks / settings.HOOKS_PER_MESSAGE)  # messages: ten hooks each
        return {
            "hooks": hooks,
            "scopes": scopes,
            "events": events,
            "routing_reads_per_event": calls.get("DynamoDB.BatchGetItem", 0) / events,
            "sends_per_event": calls.get("SQS.SendMessageBatch", 0) / events,
            "messages_per_event": queued / events,
            "expected_sends_per_event": math.ceil(queued / settings.DELIVERY_QUEUE.batch_size) / events,
            "requests_per_event": sum(calls.values()) / events,
            "by_operation_per_event": {name: count / events for name, count in sorted(calls.items())},
        }

    def growth(self) -> Figure:
        cases = [
            self.growth_case(hooks, scopes)
            for hooks in self.config.growth_hooks
            for scopes in self.config.growth_scopes
            if scopes <= hooks or scopes == min(self.config.growth_scopes)
        ]
        return figures.growth(cases)

    # --- figure 10 -------------------------------------------------------------------------------------------
    def herd(self) -> Figure:
        """The herd with the concurrency gate, then the baseline without it, on the same receiver."""
        config, queue_url = self.config, self.stack.environment[settings.DELIVERY_QUEUE.env_var]
        self.counter.detach()  # the senders' AWS requests are figure 1's business; metering them would load moto
        self.meter.detach()
        receiver = herd.LimitedReceiver(settings.PER_HOOK_CONCURRENCY, config.herd_service_ms / 1000).start()
        sides = {}
        try:
            for gated, timeout_s in ((True, config.herd_timeout_s), (False, config.herd_baseline_s)):
                self.progress(f"      {'gate on' if gated else 'baseline (gate off)'}")
                sides[gated] = herd.run_herd(
                    receiver,
                    lambda: self.stack.client("sqs"),
                    queue_url,
                    self._project("herd-gate" if gated else "herd-base"),
                    gated=gated,
                    deliveries=config.herd_deliveries,
                    workers=config.herd_workers,
                    timeout_s=timeout_s,
                    progress=self.progress,
                ).as_dict()
        finally:
            receiver.stop()
        return figures.herd(sides[True], sides[False])

    # --- all -------------------------------------------------------------------------------------------------
    def run(self) -> list[Figure]:
        config, started, chosen = self.config, time.monotonic(), set(self.config.figures)

        def step(message: str) -> None:
            self.progress(f"[{time.monotonic() - started:6.1f}s] {message}")

        result: list[Figure] = []
        step("warming up the handlers")
        self.deliveries_run("warm", slow=False, events=1)
        if chosen & {1, 2, 7}:
            step(f"figures 1-2: {config.events} events x {config.fan_out} hooks, receivers answering at once")
            fast = self.deliveries_run("fast", slow=False, events=config.events)
            result += [figures.requests_per_delivery(fast), figures.write_units_per_delivery(fast)]
        if chosen & {3, 7}:
            step(f"figure 3: the same with receivers answering after {config.slow_ms} ms")
            slow = self.deliveries_run("slow", slow=True, events=config.events)
            result.append(figures.sender_ms_per_delivery(slow, config.slow_ms))
        if 4 in chosen:
            step(f"figure 4: delivery engine vs bare httpx, {config.engine_rounds} x {config.engine_batches} batches")
            result.append(self.engine_ratio())
        if 5 in chosen:
            step(f"figure 5: end-to-end latency at {config.rate:g} deliveries/s for {config.duration_s:g} s")
            result.append(self.latency())
        if 6 in chosen:
            step(f"figure 6: growth with {config.growth_hooks} hooks over {config.growth_scopes} scopes")
            result.append(self.growth())
        if 7 in chosen:
            step("figure 7: cost model")
            event_bytes = len(json.dumps(event_entry(self._project("fast"), push_payload("x", config.payload_bytes))))
            result.append(figures.cost(fast, slow, event_bytes))
        if 8 in chosen:
            step(f"figure 8: cold start, each handler imported in {config.coldstart_runs} fresh interpreters")
            result.append(figures.cold_start(coldstart.measure(config.coldstart_runs)))
        if volume.NUMBER in chosen:
            step(f"figure {volume.NUMBER}: cost at each volume, invocations measured at batches of 1 and 10")
            result.append(volume.figure(self))
        if herd.NUMBER in chosen:
            step(
                f"figure {herd.NUMBER}: herd, {config.herd_deliveries} deliveries held, "
                f"then {config.herd_workers} senders; "
                f"receiver: {settings.PER_HOOK_CONCURRENCY} at once, {config.herd_service_ms} ms each"
            )
            result.append(self.herd())
        if neighbours.NUMBER in chosen:
            step(
                f"figure {neighbours.NUMBER}: noisy neighbour, {config.neighbours_flood} events at once beside "
                f"{config.neighbours_rate:g}/s, {config.neighbours_workers} pollers per function; fair, then baseline"
            )
            result.append(neighbours.measure(self))
        step("done")
        return [figure for figure in result if figure.number in chosen]


def run_all(
    stack: LocalStack, config: BenchConfig, output_dir: Path = RESULTS_DIR, progress: Progress = to_stderr
) -> tuple[dict[str, Any], Path]:
    """Run every figure on ``stack`` (its own pollers stopped) and write the JSON; the document and its path."""
    stack.stop_pollers()
    stack.drain_queues()
    started = datetime.now(UTC)
    bench = Bench(stack, config, progress)
    try:
        results = bench.run()
    finally:
        bench.close()
    document = {
        "started_at": started.isoformat(timespec="seconds"),
        "elapsed_s": (datetime.now(UTC) - started).total_seconds(),
        "config": config.as_dict(),
        "figures": [figure.as_dict() for figure in results],
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return document, path
