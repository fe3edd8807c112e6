"""Issue 13's thundering herd (figure 10): a backlog held while its hook is disabled, drained by concurrent senders.

A :class:`LimitedReceiver` takes ``capacity`` requests at once, each answered after a fixed service time; a request
that arrives while more are in flight is answered 500 (a plain failure that counts toward disabling the hook; a 503
would also pause it). One hook points at it, temporarily disabled, while ``deliveries`` tasks for it queue up. Then
the disable window ends (the injected clock moves past it) and ``workers`` Lambda-like SQS pollers in threads, each
invoking the real sender handler against moto, drain the queue. The receiver measures what was in flight at each
arrival; the hook's stored state is watched for re-disables. Nothing is waited out: a re-disable's window, or a spell
with nothing in flight while the queue still holds deliveries (retries on their schedule, holds), moves the clock
instead, and the time skipped counts in the drain time, as it would pass in AWS.

The same run with the concurrency gate off (``SenderPolicy.concurrency_gate=False``: a per-batch limit only) is the
baseline.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any

from hookline import settings
from hookline.adapters.hook_store import HookStore
from hookline.adapters.queue import OutgoingMessage, send_messages
from hookline.clock import CLOCK
from hookline.domain.delivery import DeliveryTask, idempotency_key
from hookline.domain.events import HookKind
from hookline.domain.hook_state import FAILURE_THRESHOLD, AlertStatus, HookState, alert_status
from hookline.domain.hooks import Hook
from hookline.domain.sending import SenderPolicy
from hookline.handlers import sender
from hookline.wiring import delivery_sender, hook_admin
from infra.local.http_server import LoopbackHTTPServer, QuietHandler
from infra.local.lambda_runtime import SqsPoller

NUMBER = 10
#: How long the hook is disabled while the backlog queues up (the clock then moves past it).
DISABLE_WINDOW = timedelta(minutes=1)
#: With nothing in flight for IDLE_S, the clock moves IDLE_STEP ahead, twice as far each time up to MAX_IDLE_STEP.
IDLE_S = 2.0
IDLE_STEP = timedelta(seconds=5)
MAX_IDLE_STEP = timedelta(minutes=10)
_REPLY = b'{"ok":true}'


@dataclass(frozen=True)
class Arrival:
    in_flight: int  # requests in flight at the receiver when this one arrived, itself included
    status: int
    event_uuid: str


class LimitedReceiver:
    """A receiver that can serve ``capacity`` requests at once, each in ``service_s``. A request that arrives while
    ``capacity`` are in flight already is answered ``overload_status`` (after the same service time)."""

    def __init__(self, capacity: int, service_s: float, overload_status: int = 500) -> None:
        self.capacity, self.service_s, self.overload_status = capacity, service_s, overload_status
        self.arrivals: list[Arrival] = []
        self.answered: set[str] = set()  # the event uuids answered 200
        self.in_flight = 0
        self.changed = threading.Condition()

    def start(self) -> LimitedReceiver:
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.read_body()
                status = receiver.arrive(self.headers.get("X-Gitlab-Event-UUID", ""))
                time.sleep(receiver.service_s)  # the receiver's own work: its capacity is capacity / service_s
                receiver.leave()  # before the answer goes out: the sender frees its slot only once it has it
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(_REPLY)))
                self.end_headers()
                self.wfile.write(_REPLY)

        self.server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def arrive(self, event_uuid: str) -> int:
        with self.changed:
            self.in_flight += 1
            status = 200 if self.in_flight <= self.capacity else self.overload_status
            self.arrivals.append(Arrival(self.in_flight, status, event_uuid))
            if status == 200:
                self.answered.add(event_uuid)
            return status

    def leave(self) -> None:
        with self.changed:
            self.in_flight -= 1
            self.changed.notify_all()

    def reset(self) -> None:
        with self.changed:
            self.arrivals, self.answered = [], set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/herd"

    @property
    def peak(self) -> int:
        with self.changed:
            return max((arrival.in_flight for arrival in self.arrivals), default=0)

    def delivered(self) -> int:
        """Distinct deliveries answered 200."""
        with self.changed:
            return len(self.answered)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class HerdRun:
    """One side's measurements."""

    gated: bool
    deliveries: int
    capacity: int
    service_ms: float
    workers: int
    delivered: int = 0
    refused: int = 0  # requests the receiver answered with its overload status
    peak_in_flight: int = 0
    re_disables: int = 0
    drained: bool = False  # every delivery answered 200
    wall_s: float = 0.0  # from the window's end to the last delivery's answer (or the timeout)
    skipped_s: float = 0.0  # disable windows not waited out (the clock moved past them)
    first_in_flight: list[int] = field(default_factory=list)  # at each of the first arrivals after recovery
    sender_invocations: int = 0

    @property
    def drain_s(self) -> float:
        return self.wall_s + self.skipped_s

    @property
    def ideal_s(self) -> float:
        return self.deliveries / self.capacity * self.service_ms / 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            **{item.name: getattr(self, item.name) for item in fields(self)},
            "drain_s": self.drain_s,
            "ideal_s": self.ideal_s,
        }


def gate_policy(policy: SenderPolicy, gated: bool) -> SenderPolicy:
    """The sender's policy for one side: holds of a second at most (so a moved clock is noticed at once), no namespace
    rate limit (the backlog is one tenant's), the gate on or off."""
    return replace(policy, max_hold_seconds=1, namespace_rate_limit=10**9, concurrency_gate=gated)


@contextmanager
def sender_policy(gated: bool) -> Iterator[None]:
    """The process's sender (the one the handler uses) with the side's policy while the block runs."""
    service = delivery_sender()
    original = service.policy
    service.policy = gate_policy(original, gated)
    try:
        yield
    finally:
        service.policy = original


def disabled_hook(project: str, url: str, limit: int) -> Hook:
    """A project hook to ``url`` with ``limit`` as its concurrency limit, temporarily disabled (past the failure
    threshold) for DISABLE_WINDOW from now."""
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, project.replace("/", "%2F"), creating=True)
    hook = admin.create(namespace, {"url": url, "push_events": True, "concurrency_limit": limit})
    state = HookState(FAILURE_THRESHOLD + 1, CLOCK.now() + DISABLE_WINDOW)
    if not HookStore().replace_state(hook.id, hook.state, state):
        raise RuntimeError(f"hook {hook.id}: could not set its state")
    return hook


def enqueue(queue_url: str, hook: Hook, count: int) -> None:
    """``count`` deliveries to ``hook`` on the delivery queue, a message each, as the fan-out would have queued them
    for ``count`` events."""
    now = CLOCK.now()
    messages = []
    for _ in range(count):
        event_uuid = str(uuid.uuid4())
        task = DeliveryTask(
            hook_id=hook.id,
            event_uuid=event_uuid,
            event_name="Push Hook",
            idempotency_key=idempotency_key(event_uuid, hook.id),
            body=json.dumps({"object_kind": "push", "event_name": "push", "n": event_uuid}),
            queued_at=now,
        )
        messages.append(OutgoingMessage(task.model_dump_json(exclude_none=True)))
    send_messages(queue_url, messages)


@dataclass
class Workers:
    """``count`` sender functions behind their own SQS pollers (threads), each invoking the real handler."""

    count: int
    make_sqs: Callable[[], Any]
    queue_url: str
    invocations: int = 0
    threads: list[SqsPoller] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self, event: dict[str, Any], context: Any) -> Any:
        with self.lock:
            self.invocations += 1
        return sender.lambda_handler(event, context)

    def __enter__(self) -> Workers:
        self.threads = [
            SqsPoller(f"SenderFunction-{index}", self.make_sqs(), self.queue_url, settings.DELIVERY_QUEUE, self.handler)
            for index in range(self.count)
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for thread in self.threads:
            thread.stop()
        for thread in self.threads:
            thread.join(timeout=10)


def run_herd(
    receiver: LimitedReceiver,
    make_sqs: Callable[[], Any],
    queue_url: str,
    project: str,
    *,
    gated: bool,
    deliveries: int,
    workers: int,
    timeout_s: float,
    progress: Callable[[str], None] = lambda _: None,
) -> HerdRun:
    """One side: the backlog queued behind a disabled hook (its concurrency limit the receiver's capacity), the window
    ended, ``workers`` senders draining it until every delivery was answered 200 or ``timeout_s`` passed. The queue is
    purged afterwards (a baseline leaves retries behind)."""
    run = HerdRun(gated, deliveries, receiver.capacity, receiver.service_s * 1000, workers)
    receiver.reset()
    hook = disabled_hook(project, receiver.url, receiver.capacity)
    enqueue(queue_url, hook, deliveries)
    sqs, store = make_sqs(), HookStore()
    seen_windows: set[Any] = set()
    skipped = DISABLE_WINDOW + timedelta(seconds=1)
    CLOCK.advance(skipped)  # the disable window ends: the whole backlog may go

    def skip(by: timedelta) -> None:
        nonlocal skipped
        CLOCK.advance(by)
        skipped += by
        run.skipped_s += by.total_seconds()

    try:
        with sender_policy(gated), Workers(workers, make_sqs, queue_url) as running:
            started = reported = last_change = time.monotonic()
            arrived, idle_step = 0, IDLE_STEP
            while time.monotonic() - started < timeout_s:
                if len(receiver.arrivals) != arrived or receiver.in_flight:
                    arrived, last_change, idle_step = len(receiver.arrivals), time.monotonic(), IDLE_STEP
                elif time.monotonic() - last_change >= IDLE_S:
                    skip(idle_step)  # nothing in flight: what waits on the clock (retries, holds) comes due sooner
                    last_change, idle_step = time.monotonic(), min(idle_step * 2, MAX_IDLE_STEP)
                stored = store.get(hook.id)
                state = stored.state if stored is not None else HookState()
                now = CLOCK.now()
                if alert_status(state, now) is AlertStatus.TEMPORARILY_DISABLED:
                    assert state.disabled_until is not None
                    if state.disabled_until not in seen_windows:
                        seen_windows.add(state.disabled_until)
                        run.re_disables += 1
                    skip(state.disabled_until - now + timedelta(seconds=1))  # not waited out: counted instead
                elif alert_status(state, now) is AlertStatus.DISABLED or receiver.delivered() >= deliveries:
                    break
                if time.monotonic() - reported >= 10:
                    reported = time.monotonic()
                    progress(f"      {receiver.delivered()}/{deliveries} delivered, {run.re_disables} re-disables")
                time.sleep(0.1)
            run.wall_s = time.monotonic() - started
            run.drained = receiver.delivered() >= deliveries
            run.sender_invocations = running.invocations
    finally:
        CLOCK.advance(-skipped)
        sqs.purge_queue(QueueUrl=queue_url)
    with receiver.changed:
        arrivals = list(receiver.arrivals)
    run.delivered = receiver.delivered()
    run.refused = sum(arrival.status != 200 for arrival in arrivals)
    run.peak_in_flight = max((arrival.in_flight for arrival in arrivals), default=0)
    run.first_in_flight = [arrival.in_flight for arrival in arrivals[:12]]
    return run
