"""The sender, an imperative shell around :mod:`hookline.domain.sending`: read once, decide, send, write once.

A batch of delivery tasks is triaged (drop, park, hold, send, probe), the ready ones are prepared and sent
concurrently, and the results settled (hook states, retries, parks, logs, operational events). Each delivery is its
own unit of failure: anything that goes wrong preparing or sending one becomes that delivery's internal error, with a
kind, logged and retried on its schedule. Only a failing AWS call fails the batch (then SQS gives it back whole).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from hookline import settings
from hookline.adapters.aws import in_parallel, read_both, read_three
from hookline.adapters.delivery_store import DeliveryStore
from hookline.adapters.gate_store import GateStore
from hookline.adapters.hook_store import HookStore
from hookline.adapters.http_client import HttpSender, LoopRunner, OutboundRequest
from hookline.adapters.ops_events import put_ops_events
from hookline.adapters.queue import OutgoingMessage, hide_messages, send_messages
from hookline.clock import CLOCK
from hookline.domain.delivery import (
    DeliveryLog,
    DeliveryResult,
    DeliveryTask,
    FailureClass,
    FailureKind,
    Outgoing,
    RequestContext,
    delivery_log,
    parse_delivery_message,
    prepare_outgoing,
)
from hookline.domain.gate import (
    Gate,
    GateOutcome,
    acquired,
    admit,
    lease_length,
    needs_release,
    released,
    slot_wait,
)
from hookline.domain.hook_state import HookState
from hookline.domain.hooks import Hook
from hookline.domain.retry import ParkReason
from hookline.domain.sending import (
    HOOK_DELETED,
    HOOK_DISABLED_EVENT,
    PARKED_HOOK_DISABLED,
    Attempt,
    OpsEvent,
    QueuedTask,
    SenderPolicy,
    Settlement,
    Triage,
    Verdict,
    counted_outcomes,
    fold,
    gate_outcome,
    park_events,
    plan_holds,
    resolve_probes,
    settle,
    state_events,
    triage,
)
from hookline.services.sqs_batch import SQSRecord

__all__ = ["HOOK_DELETED", "PARKED_HOOK_DISABLED", "DeliverySender", "QueuedTask", "SendReport", "SenderPolicy"]

logger = Logger(service=settings.SERVICE_NAME)

_FAILURE_METRICS = {
    FailureClass.CLIENT: settings.METRIC_FAILED_4XX,
    FailureClass.SERVER: settings.METRIC_FAILED_5XX,
    FailureClass.INTERNAL: settings.METRIC_FAILED_INTERNAL,
}
_STATE_WRITE_ATTEMPTS = 10
_GATE_WRITE_ATTEMPTS = 3
SEND_FAILED = "Hookline could not send this delivery"
NOT_STARTED = "Not sent: the batch's time to send ran out while this hook's earlier requests were slow; retried"


@dataclass
class SendReport:
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    dropped: int = 0
    held: int = 0
    parked: int = 0
    retried: int = 0
    hooks_disabled: int = 0
    throttled: int = 0
    unreadable: int = 0
    held_by_gate: int = 0
    hooks_at_limit: int = 0
    logs: list[DeliveryLog] = field(default_factory=list)
    keep_message_ids: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    """What one batch logs, parks, holds and announces, gathered so each goes out in batched calls."""

    now: datetime
    logs: list[DeliveryLog] = field(default_factory=list)
    parks: list[tuple[DeliveryTask, ParkReason]] = field(default_factory=list)
    holds: list[tuple[QueuedTask, datetime]] = field(default_factory=list)
    ops: list[OpsEvent] = field(default_factory=list)
    dropped: int = 0
    throttled: int = 0
    held_by_gate: int = 0
    hooks_at_limit: int = 0

    def sort(
        self, queued: list[QueuedTask], verdicts: list[Triage], hooks: dict[int, Hook]
    ) -> list[tuple[QueuedTask, Hook]]:
        """Act on every verdict but SEND; the deliveries to send, with their hooks."""
        ready = []
        for item, verdict in zip(queued, verdicts, strict=True):
            if verdict.verdict is Verdict.SEND:
                ready.append((item, hooks[item.task.hook_id]))
            elif verdict.verdict is Verdict.DROP:
                self.dropped += 1
                dropped = DeliveryResult(0.0, internal_error=verdict.reason, error_kind=FailureKind.HOOK_DELETED)
                self.logs.append(delivery_log(item.task, None, None, dropped, self.now))
            elif verdict.verdict is Verdict.PARK:
                assert verdict.park is not None
                self.parks.append((item.task, verdict.park))
            else:
                assert verdict.until is not None
                self.holds.append((item, verdict.until))
        return ready


@dataclass(frozen=True)
class _Slots:
    """A batch's lease on a hook's gate: the gate as this batch wrote it, and how many requests it may have in
    flight to the hook."""

    lease_id: str
    gate: Gate
    slots: int
    limit: int  # the hook's concurrency_limit when the lease was taken
    one_round: bool = False  # every delivery had its slot at once: the lease lapses one request timeout later


@dataclass
class DeliverySender:
    hook_store: HookStore
    delivery_store: DeliveryStore
    http: HttpSender
    context: RequestContext
    #: The hooks' concurrency gates, shared by every sender (None, or policy.concurrency_gate False: each batch
    #: limits itself to policy.per_hook_concurrency per hook, and nothing more).
    gates: GateStore | None = None
    queue_url: str = ""
    bus_name: str = settings.DEFAULT_BUS_NAME
    policy: SenderPolicy = field(default_factory=SenderPolicy)
    metrics: Metrics | None = None
    clock: Callable[[], datetime] = CLOCK.now
    jitter: Callable[[], float] = random.random

    @staticmethod
    def parse_record(record: SQSRecord) -> list[QueuedTask]:
        """A message's tasks (one per hook). A malformed one fails its record, and reaches the DLQ after
        maxReceiveCount; the reason is logged."""
        try:
            tasks = parse_delivery_message(record.body)
        except ValueError as error:
            logger.warning("Malformed delivery task", extra={"message_id": record.message_id, "reason": str(error)})
            raise
        receive_count = int(record.attributes.approximate_receive_count or 1)
        return [QueuedTask(task, record.message_id, record.receipt_handle, receive_count, len(tasks)) for task in tasks]

    def deliver_messages(self, messages: list[list[QueuedTask]]) -> SendReport:
        """The tasks of a batch of messages, delivered together."""
        return self.deliver([queued for tasks in messages for queued in tasks])

    def deliver(self, queued: list[QueuedTask]) -> SendReport:
        """Triage every delivery, send the ready ones, settle the results: each kind of I/O once for the batch."""
        now = self.clock()
        hook_reads = self.hook_store.many_read(item.task.hook_id for item in queued)
        payload_reads = self.delivery_store.payloads_read(
            item.task.event_uuid for item in queued if item.task.body is None
        )
        gates: dict[int, Gate] = {}
        if self._gated:
            assert self.gates is not None
            hooks, bodies, gates = read_three(  # hooks, stored payloads and gates with one BatchGetItem
                hook_reads, payload_reads, self.gates.many_read(item.task.hook_id for item in queued)
            )
        else:
            hooks, bodies = read_both(hook_reads, payload_reads)
        verdicts = resolve_probes(
            [(item.task.hook_id, triage(item.task, hooks.get(item.task.hook_id), now, self.policy)) for item in queued],
            lambda hook_id: self.hook_store.acquire_probe(hook_id, now, now + self.policy.probe_lease),
            now,
            self.policy,
        )
        batch = _Batch(now)
        ready = self._within_rate_limits(batch.sort(queued, verdicts, hooks), batch)
        leases: dict[int, _Slots] = {}
        if self._gated:
            ready, leases = self._through_gates(ready, gates, batch)
        limits = {hook_id: lease.slots for hook_id, lease in leases.items()}
        attempts = self._attempt([(item.task, hook) for item, hook in ready], now, bodies, limits=limits)
        states = self._record_outcomes(attempts, batch)
        self._release_gates(leases, attempts, states, now)
        return self._flush(batch, attempts, settle(attempts, states, now, self.policy, self.jitter), bodies)

    @property
    def _gated(self) -> bool:
        return self.gates is not None and self.policy.concurrency_gate

    # --- the hooks' concurrency gates ------------------------------------------------------------------------
    def _through_gates(
        self, ready: list[tuple[QueuedTask, Hook]], gates: dict[int, Gate], batch: _Batch
    ) -> tuple[list[tuple[QueuedTask, Hook]], dict[int, _Slots]]:
        """Take slots on each hook's gate for this batch's deliveries (one conditional write per hook); a hook that
        is full or paused holds them all."""
        by_hook: dict[int, list[tuple[QueuedTask, Hook]]] = defaultdict(list)
        for pair in ready:
            by_hook[pair[1].id].append(pair)
        allowed: list[tuple[QueuedTask, Hook]] = []
        leases: dict[int, _Slots] = {}
        acquisitions = in_parallel(
            [
                partial(self._acquire, pairs[0][1], len(pairs), gates.get(hook_id, Gate()), batch.now)
                for hook_id, pairs in by_hook.items()
            ]
        )
        for (hook_id, pairs), lease in zip(by_hook.items(), acquisitions, strict=True):
            if isinstance(lease, _Slots):
                leases[hook_id] = lease
                allowed.extend(pairs)
                continue
            batch.hooks_at_limit += 1
            batch.held_by_gate += len(pairs)
            for item, _ in pairs:
                until = lease or batch.now + slot_wait(item.receive_count, self.jitter())
                batch.holds.append((item, until))
        return allowed, leases

    def _acquire(self, hook: Hook, wanted: int, gate: Gate, now: datetime) -> _Slots | datetime | None:
        """This batch's lease on the hook's gate; or, when it has no free slot, until when it is paused (None: full).
        A race with another sender re-reads the gate and tries again."""
        assert self.gates is not None
        lease_id = uuid.uuid4().hex[:16]
        for _ in range(_GATE_WRITE_ATTEMPTS):
            admission = admit(gate, hook.concurrency_limit, wanted, now)
            if not admission.slots:
                return admission.paused_until
            length = lease_length(wanted, admission.slots, self.policy.round_lease, self.policy.lease_duration)
            new = acquired(gate, lease_id, admission.slots, now, now + length)
            if self.gates.acquire(hook.id, gate, new):
                return _Slots(
                    lease_id, new, admission.slots, hook.concurrency_limit, one_round=wanted <= admission.slots
                )
            gate = self.gates.get(hook.id)
        return None

    def _release_gates(
        self, leases: dict[int, _Slots], attempts: list[Attempt], states: dict[int, HookState], now: datetime
    ) -> None:
        """Give each lease back, all at once, with what the batch learnt (slow start, a pause asked for)."""
        by_hook: dict[int, list[Attempt]] = defaultdict(list)
        for attempt in attempts:
            by_hook[attempt.hook.id].append(attempt)
        in_parallel(
            [
                partial(self._release, hook_id, lease, gate_outcome(by_hook.get(hook_id, []), states, now), now)
                for hook_id, lease in leases.items()
            ]
        )

    def _release(self, hook_id: int, lease: _Slots, learnt: GateOutcome, now: datetime) -> None:
        assert self.gates is not None
        after = released(lease.gate, lease.lease_id, lease.limit, learnt)
        if not needs_release(lease.gate, after, lease.limit, now, one_round=lease.one_round):
            return
        try:
            self.gates.release(hook_id, lease.lease_id, after)
        except Exception:  # the lease lapses by itself; the deliveries are done and must be recorded
            logger.exception("Could not release a hook's concurrency lease", extra={"hook_id": hook_id})

    def send_test(self, hook: Hook, task: DeliveryTask) -> DeliveryResult:
        """A forced delivery (hook test): sent even when the hook is disabled; a success re-enables the hook."""
        return self._send_now(hook, task, render=True)

    def send_resend(self, hook: Hook, task: DeliveryTask) -> DeliveryResult:
        """A logged request sent again now, as logged: same Idempotency-Key, its logged body (no template again).

        The caller checks that the hook is executable and its URL unchanged; the outcome counts as any delivery's.
        ``task.body`` is the logged request_data, or None when the log pointed at the event's stored payload.
        """
        return self._send_now(hook, task, render=False)

    def _send_now(self, hook: Hook, task: DeliveryTask, *, render: bool) -> DeliveryResult:
        """One delivery now, outside the queue: sent, logged (its own body kept unless it is the stored payload)."""
        batch = _Batch(self.clock())
        bodies = {} if task.body is not None else self.delivery_store.get_payloads([task.event_uuid])
        (attempt,) = self._attempt([(task, hook)], batch.now, bodies, render=render)
        batch.logs.append(delivery_log(task, hook, attempt.outgoing, attempt.result, batch.now, task.body))
        self._record_outcomes([attempt], batch)
        self._flush(batch, [], None, bodies)
        return attempt.result

    def _within_rate_limits(self, ready: list[tuple[QueuedTask, Hook]], batch: _Batch) -> list[tuple[QueuedTask, Hook]]:
        """Deliveries per top-level namespace per minute (system hooks are never limited). One counter update per
        namespace per batch; what is over the limit waits for the next window instead of being dropped."""
        buckets: dict[str, list[tuple[QueuedTask, Hook]]] = defaultdict(list)
        for pair in ready:
            buckets[pair[1].top_level_namespace() or ""].append(pair)
        window = int(batch.now.timestamp()) // 60 * 60
        allowed = list(buckets.pop("", []))
        for namespace, pairs in buckets.items():
            count = self.delivery_store.count_in_window(f"deliveries:{_bounded(namespace)}", window, by=len(pairs))
            room = max(0, self.policy.namespace_rate_limit - (count - len(pairs)))
            allowed.extend(pairs[:room])
            batch.throttled += len(pairs[room:])
            batch.holds.extend((item, datetime.fromtimestamp(window + 60, UTC)) for item, _ in pairs[room:])
        return allowed

    # --- sending ---------------------------------------------------------------------------------------------
    def _attempt(
        self,
        to_send: list[tuple[DeliveryTask, Hook]],
        now: datetime,
        bodies: dict[str, str],
        *,
        render: bool = True,
        limits: dict[int, int] | None = None,
    ) -> list[Attempt]:
        """Prepare each request (url variables, custom headers, template) and send the ready ones concurrently.
        A delivery that cannot be prepared is an attempt that failed before anything went out."""
        timestamp = int(now.timestamp())
        prepared = [
            prepare_outgoing(hook, task, _body(task, bodies), self.context, timestamp, render=render)
            for task, hook in to_send
        ]
        hooks = [hook for _, hook in to_send]
        results = LoopRunner.run(self._send_limited(prepared, hooks, limits or {})) if prepared else []
        return [
            Attempt(task, hook, result, outgoing)
            for (task, hook), outgoing, result in zip(to_send, prepared, results, strict=True)
        ]

    async def _send_limited(
        self, prepared: list[Outgoing], hooks: list[Hook], slots: dict[int, int]
    ) -> list[DeliveryResult]:
        """Concurrent sends, at most the hook's slots (``per_hook_concurrency`` without a gate) at once to any one
        hook; none can fail another."""
        limits = {hook.id: asyncio.Semaphore(slots.get(hook.id, self.policy.per_hook_concurrency)) for hook in hooks}

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.send_window_seconds

        async def one(outgoing: Outgoing, hook: Hook) -> DeliveryResult:
            failure = outgoing.failure()
            if failure is not None:
                return failure
            assert outgoing.body is not None
            try:
                body = outgoing.body.encode()
                async with limits[hook.id]:
                    if loop.time() > deadline:  # its hook's earlier requests were slow: retried, not counted
                        return DeliveryResult(0.0, internal_error=NOT_STARTED, error_kind=FailureKind.DEFERRED)
                    return await self.http.send(
                        OutboundRequest(
                            outgoing.url, outgoing.headers, body, hook.enable_ssl_verification, hook.scope_key
                        )
                    )
            except Exception:  # the client answers every failure as a result; this is the bulkhead behind it
                logger.exception("Unexpected error sending a delivery", extra={"hook_id": hook.id})
                return DeliveryResult(0.0, internal_error=SEND_FAILED, error_kind=FailureKind.INTERNAL)

        return list(
            await asyncio.gather(*(one(outgoing, hook) for outgoing, hook in zip(prepared, hooks, strict=True)))
        )

    # --- state, logs, metrics --------------------------------------------------------------------------------
    def _record_outcomes(self, attempts: list[Attempt], batch: _Batch) -> dict[int, HookState]:
        """Each hook's state after this batch: its outcomes folded in with a conditional write, re-read on a race."""
        hooks = {attempt.hook.id: attempt.hook for attempt in attempts}
        states = {hook_id: hook.state for hook_id, hook in hooks.items()}
        for hook_id, successes in counted_outcomes(attempts).items():
            states[hook_id] = self._write_state(hooks[hook_id], successes, batch)
        return states

    def _write_state(self, hook: Hook, successes: list[bool], batch: _Batch) -> HookState:
        state = hook.state
        for _ in range(_STATE_WRITE_ATTEMPTS):
            new = fold(state, successes, batch.now)
            if new is None:
                return state
            if self.hook_store.replace_state(hook.id, state, new):
                batch.ops.extend(state_events(hook, state, new, batch.now))
                return new
            current = self.hook_store.get(hook.id)
            if current is None:
                return state
            state = current.state
        logger.warning("Hook state kept changing; outcome not recorded", extra={"hook_id": hook.id})
        return state

    def _flush(
        self, batch: _Batch, attempts: list[Attempt], settlement: Settlement | None, bodies: dict[str, str]
    ) -> SendReport:
        """Logs and parked items first, then the retries, then the holds: a crash before a step repeats it."""
        batch.logs.extend(delivery_log(a.task, a.hook, a.outgoing, a.result, batch.now) for a in attempts)
        parks = batch.parks + (settlement.parks if settlement else [])
        retries = settlement.retries if settlement else []
        holds = plan_holds(batch.holds, batch.now, self.policy)
        parked_items = [
            self.delivery_store.parked_item(task, reason, batch.now, payload=_body(task, bodies))
            for task, reason in parks
        ]
        self.delivery_store.write_items(self.delivery_store.log_items(batch.logs) + parked_items)
        requeue = retries + holds.requeue
        if requeue:
            send_messages(
                self.queue_url,
                [
                    OutgoingMessage(task.model_dump_json(exclude_none=True), delay, task.message_group)
                    for task, delay in requeue
                ],
            )
        if holds.hide:
            hide_messages(self.queue_url, holds.hide)
        ops = batch.ops + park_events(parks)
        if ops:
            try:
                put_ops_events(self.bus_name, ops)
            except Exception:  # an alerting side channel must not fail deliveries
                logger.exception("Could not put operational events")
        results = [attempt.result for attempt in attempts]
        report = SendReport(
            attempted=len(results),
            succeeded=sum(result.succeeded for result in results),
            failed=sum(not result.succeeded for result in results),
            dropped=batch.dropped,
            held=len(batch.holds),
            parked=len(parks),
            retried=len(retries),
            hooks_disabled=sum(event.detail_type == HOOK_DISABLED_EVENT for event in ops),
            throttled=batch.throttled,
            unreadable=sum(result.error_kind is FailureKind.HOOK_UNREADABLE for result in results),
            held_by_gate=batch.held_by_gate,
            hooks_at_limit=batch.hooks_at_limit,
            logs=batch.logs,
            keep_message_ids=holds.keep_message_ids,
        )
        self._record_metrics(results, report)
        return report

    def _record_metrics(self, results: list[DeliveryResult], report: SendReport) -> None:
        """One EMF data point per count per batch, and each attempt's latency."""
        if self.metrics is None:
            return
        counts = {
            settings.METRIC_DELIVERIES: len(results),
            settings.METRIC_SUCCEEDED: sum(r.succeeded for r in results),
            settings.METRIC_HELD: report.held,
            settings.METRIC_PARKED: report.parked,
            settings.METRIC_RETRIED: report.retried,
            settings.METRIC_HOOKS_DISABLED: report.hooks_disabled,
            settings.METRIC_THROTTLED: report.throttled,
            settings.METRIC_HOOK_UNREADABLE: report.unreadable,
            settings.METRIC_HELD_BY_GATE: report.held_by_gate,
            settings.METRIC_HOOKS_AT_LIMIT: report.hooks_at_limit,
        }
        for failure_class, name in _FAILURE_METRICS.items():
            counts[name] = sum(r.failure_class is failure_class for r in results)
        for name, count in counts.items():
            if count:
                self.metrics.add_metric(name, MetricUnit.Count, count)
        for result in results:
            self.metrics.add_metric(settings.METRIC_LATENCY, MetricUnit.Milliseconds, result.duration_s * 1000)


def _body(task: DeliveryTask, bodies: dict[str, str]) -> str | None:
    """The body a task sends: its own, or its event's stored payload (None when that could not be read)."""
    return task.body if task.body is not None else bodies.get(task.event_uuid)


def _bounded(name: str) -> str:
    """A tenant's name as part of a key: as it is when short, else its digest (keys are bounded in bytes)."""
    return name if len(name.encode()) <= 200 else hashlib.sha256(name.encode()).hexdigest()
