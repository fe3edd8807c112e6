"""The sender: a batch of delivery tasks becomes concurrent POSTs, logs, failure-state updates and retries.

Each task is, in order of the checks:
- dropped and logged when its hook was deleted;
- parked as ``expired`` when it is older than the maximum age;
- held (hidden on the queue, not counted) until its ``not_before`` or its hook's ``disabled_until``;
- parked as ``hook_disabled`` when its hook is disabled for good;
- held briefly when its hook is recovering and another delivery is the probe;
- otherwise sent. A failure is retried on its own schedule (a new message, same Idempotency-Key), or parked as
  ``exhausted`` when the schedule or the maximum age runs out.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from hookline import settings
from hookline.adapters.aws import read_both
from hookline.adapters.delivery_store import DeliveryStore
from hookline.adapters.hook_store import HookStore
from hookline.adapters.http_client import HttpSender, LoopRunner, OutboundRequest
from hookline.adapters.ops_events import DELIVERY_EXHAUSTED, HOOK_DISABLED, HOOK_RE_ENABLED, OpsEvent, put_ops_events
from hookline.adapters.queue import OutgoingMessage, hide_messages, send_messages
from hookline.clock import CLOCK
from hookline.domain.delivery import (
    DeliveryLog,
    DeliveryResult,
    DeliveryTask,
    FailureClass,
    Outgoing,
    RequestContext,
    masked_url,
    parse_delivery_message,
    prepare_outgoing,
)
from hookline.domain.events import HookKind
from hookline.domain.hook_state import (
    FAILURE_THRESHOLD,
    AlertStatus,
    HookState,
    after_failure,
    after_success,
    alert_status,
)
from hookline.domain.hooks import Hook
from hookline.domain.retry import EXHAUSTED, EXPIRED, next_attempt, parse_retry_after

logger = Logger(service=settings.SERVICE_NAME)

HOOK_DELETED = "Hook was deleted; the delivery was dropped"
PAYLOAD_MISSING = "The event's payload is no longer stored"
PARKED_HOOK_DISABLED = "hook_disabled"
_FAILURE_METRICS = {
    FailureClass.CLIENT: settings.METRIC_FAILED_4XX,
    FailureClass.SERVER: settings.METRIC_FAILED_5XX,
    FailureClass.INTERNAL: settings.METRIC_FAILED_INTERNAL,
}
_STATE_WRITE_ATTEMPTS = 10
Prepared = tuple[Outgoing, "OutboundRequest | None", int]  # what is sent and logged, the request (None: not sent), hook
Sent = tuple[Outgoing, DeliveryResult]


@dataclass(frozen=True)
class QueuedTask:
    """A delivery task as received: the message it came in, so it can be held."""

    task: DeliveryTask
    message_id: str
    receipt_handle: str
    receive_count: int
    tasks_in_message: int = 1


@dataclass(frozen=True)
class SenderPolicy:
    """Limits of holding and retrying (from settings; the local stack's tests lower max_hold_seconds)."""

    max_age: timedelta = timedelta(hours=settings.DEFAULT_DELIVERY_MAX_AGE_HOURS)
    max_hold_seconds: int = settings.SQS_MAX_VISIBILITY_SECONDS
    max_receive_count: int = settings.DELIVERY_QUEUE.max_receive_count
    probe_lease: timedelta = timedelta(seconds=settings.PROBE_LEASE_SECONDS)
    per_hook_concurrency: int = settings.PER_HOOK_CONCURRENCY
    namespace_rate_limit: int = settings.DEFAULT_NAMESPACE_RATE_LIMIT


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
    logs: list[DeliveryLog] = field(default_factory=list)
    keep_message_ids: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    """What one batch writes, queues and hides, gathered so each goes out in batched calls."""

    logs: list[DeliveryLog] = field(default_factory=list)
    parked: list[dict[str, Any]] = field(default_factory=list)
    requeue: list[OutgoingMessage] = field(default_factory=list)
    holds: list[tuple[QueuedTask, datetime]] = field(default_factory=list)
    hide: list[tuple[str, int]] = field(default_factory=list)
    ops: list[OpsEvent] = field(default_factory=list)


@dataclass
class DeliverySender:
    hook_store: HookStore
    delivery_store: DeliveryStore
    http: HttpSender
    context: RequestContext
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
        now = self.clock()
        hooks, bodies = read_both(  # the hooks and the events' stored payloads with one BatchGetItem
            self.hook_store.many_read(item.task.hook_id for item in queued),
            self.delivery_store.payloads_read(item.task.event_uuid for item in queued if item.task.body is None),
        )
        report, batch = SendReport(), _Batch()
        probes: set[int] = set()
        to_send: list[tuple[QueuedTask, Hook]] = []
        for item in queued:
            hook = hooks.get(item.task.hook_id)
            if hook is None:
                report.dropped += 1
                dropped = DeliveryResult(0.0, internal_error=HOOK_DELETED)
                batch.logs.append(self._log(item.task, None, None, dropped, now))
            elif now - item.task.queued_at > self.policy.max_age:
                self._park(item.task, EXPIRED, now, batch, report)
            elif item.task.not_before is not None and item.task.not_before > now:
                self._hold(item, item.task.not_before, now, batch, report)
            elif hook.kind is HookKind.SYSTEM:
                to_send.append((item, hook))
            elif (status := hook.alert_status(now)) is AlertStatus.DISABLED:
                self._park(item.task, PARKED_HOOK_DISABLED, now, batch, report)
            elif status is AlertStatus.TEMPORARILY_DISABLED:
                assert hook.disabled_until is not None
                self._hold(item, hook.disabled_until + timedelta(seconds=1), now, batch, report)
            elif hook.recent_failures > FAILURE_THRESHOLD and not self._is_probe(hook, now, probes):
                self._hold(item, now + self.policy.probe_lease, now, batch, report)
            else:
                to_send.append((item, hook))

        to_send = self._within_rate_limits(to_send, now, batch, report)
        self._settle_holds(batch, now, report)
        results = self._send([(item.task, hook) for item, hook in to_send], now, bodies=bodies)
        outcomes: dict[int, list[bool]] = defaultdict(list)
        for (item, hook), (outgoing, result) in zip(to_send, results, strict=True):
            batch.logs.append(self._log(item.task, hook, outgoing, result, now))
            if result.internal_error == PAYLOAD_MISSING:  # Hookline's loss, not the receiver's failure
                report.dropped += 1
                continue
            outcomes[hook.id].append(result.succeeded)
            report.attempted += 1
            report.succeeded += result.succeeded
            report.failed += not result.succeeded

        states = {
            hook_id: self._apply_outcomes(hooks[hook_id], successes, now, batch)
            for hook_id, successes in outcomes.items()
            if hooks[hook_id].kind is not HookKind.SYSTEM
        }
        for (item, hook), (_, result) in zip(to_send, results, strict=True):
            if not result.succeeded and result.internal_error != PAYLOAD_MISSING:
                self._retry_or_park(item.task, hook, result, states.get(hook.id), now, batch, report)

        self._flush(batch)
        report.hooks_disabled = sum(event.detail_type == HOOK_DISABLED for event in batch.ops)
        self._record_metrics([result for _, result in results], report)
        report.logs = batch.logs
        return report

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
        now = self.clock()
        batch = _Batch()
        ((outgoing, result),) = self._send([(task, hook)], now, render=render)
        batch.logs.append(self._log(task, hook, outgoing, result, now, request_data=task.body))
        if hook.kind is not HookKind.SYSTEM:
            self._apply_outcomes(hook, [result.succeeded], now, batch)
        self._flush(batch)
        return result

    def _within_rate_limits(
        self, to_send: list[tuple[QueuedTask, Hook]], now: datetime, batch: _Batch, report: SendReport
    ) -> list[tuple[QueuedTask, Hook]]:
        """Deliveries per top-level namespace per minute (system hooks are never limited). One counter update per
        namespace per batch; what is over the limit waits for the next window instead of being dropped."""
        limit = self.policy.namespace_rate_limit
        buckets: dict[str, list[tuple[QueuedTask, Hook]]] = defaultdict(list)
        for pair in to_send:
            buckets[pair[1].top_level_namespace() or ""].append(pair)
        window = int(now.timestamp()) // 60 * 60
        allowed: list[tuple[QueuedTask, Hook]] = list(buckets.pop("", []))
        for namespace, pairs in buckets.items():
            count = self.delivery_store.count_in_window(f"deliveries:{namespace}", window, by=len(pairs))
            room = max(0, limit - (count - len(pairs)))
            allowed.extend(pairs[:room])
            for item, _ in pairs[room:]:
                report.throttled += 1
                self._hold(item, datetime.fromtimestamp(window + 60, UTC), now, batch, report)
        return allowed

    # --- decisions -------------------------------------------------------------------------------------------
    def _is_probe(self, hook: Hook, now: datetime, probes: set[int]) -> bool:
        """A recovering hook gets one delivery through: the probe. The rest wait for its outcome."""
        if hook.id in probes:
            return False
        if self.hook_store.acquire_probe(hook.id, now, now + self.policy.probe_lease):
            probes.add(hook.id)
            return True
        return False

    @staticmethod
    def _hold(item: QueuedTask, until: datetime, now: datetime, batch: _Batch, report: SendReport) -> None:
        """Keep a task for later without counting a failure (how: see _settle_holds)."""
        report.held += 1
        batch.holds.append((item, until))

    def _settle_holds(self, batch: _Batch, now: datetime, report: SendReport) -> None:
        """A message whose every task waits is hidden until the earliest of them (cheap: one visibility change).
        The waiting tasks of a message that had others to do, or that nears the redrive limit, are re-queued alone."""
        by_message: dict[str, list[tuple[QueuedTask, datetime]]] = defaultdict(list)
        for item, until in batch.holds:
            by_message[item.message_id].append((item, until))
        for held in by_message.values():
            first = held[0][0]
            if len(held) == first.tasks_in_message and first.receive_count < self.policy.max_receive_count - 1:
                until = min(until for _, until in held)
                seconds = max(1, min(int((until - now).total_seconds()) + 1, self.policy.max_hold_seconds))
                batch.hide.append((first.receipt_handle, seconds))
                report.keep_message_ids.append(first.message_id)
                continue
            for item, until in held:
                task = item.task.model_copy(update={"not_before": until})
                batch.requeue.append(OutgoingMessage(task.model_dump_json(exclude_none=True), self._delay(until, now)))

    def _park(self, task: DeliveryTask, reason: str, now: datetime, batch: _Batch, report: SendReport) -> None:
        report.parked += 1
        batch.parked.append(self.delivery_store.parked_item(task, reason, now))
        if reason != PARKED_HOOK_DISABLED:
            batch.ops.append(
                OpsEvent(
                    DELIVERY_EXHAUSTED,
                    {
                        "hook_id": task.hook_id,
                        "event_uuid": task.event_uuid,
                        "idempotency_key": task.idempotency_key,
                        "attempts": task.attempt,
                        "reason": reason,
                    },
                )
            )

    def _retry_or_park(
        self,
        task: DeliveryTask,
        hook: Hook,
        result: DeliveryResult,
        state: HookState | None,
        now: datetime,
        batch: _Batch,
        report: SendReport,
    ) -> None:
        if state is not None and alert_status(state, now) is AlertStatus.DISABLED:
            self._park(task, PARKED_HOOK_DISABLED, now, batch, report)
            return
        decision = next_attempt(
            task.attempt,
            task.queued_at,
            now,
            jitter_unit=self.jitter(),
            throttled=result.status_code == 429 or result.internal_error == "Request timed out",
            retry_after=parse_retry_after(_header(result.response_headers, "retry-after"), now),
            disabled_until=state.disabled_until if state is not None else None,
            max_age=self.policy.max_age,
        )
        if decision.at is None:
            self._park(task, decision.ended or EXHAUSTED, now, batch, report)
            return
        report.retried += 1
        retry = task.model_copy(update={"attempt": task.attempt + 1, "not_before": decision.at})
        batch.requeue.append(OutgoingMessage(retry.model_dump_json(exclude_none=True), self._delay(decision.at, now)))

    def _delay(self, until: datetime, now: datetime) -> int:
        """DelaySeconds for a re-queued message: SQS's 15 min at most; a later one hops (held again on receipt)."""
        wait = int((until - now).total_seconds())
        return max(0, min(wait, settings.SQS_MAX_DELAY_SECONDS, self.policy.max_hold_seconds))

    # --- sending ---------------------------------------------------------------------------------------------
    def _send(
        self,
        to_send: list[tuple[DeliveryTask, Hook]],
        now: datetime,
        *,
        render: bool = True,
        bodies: dict[str, str] | None = None,
    ) -> list[Sent]:
        """Prepare each request (url variables, custom headers, template), send the ready ones concurrently.
        ``bodies``: the stored payloads of the tasks without a body of their own, when already read."""
        if bodies is None:
            bodies = self.delivery_store.get_payloads(task.event_uuid for task, _ in to_send if task.body is None)
        timestamp = int(now.timestamp())
        prepared: list[Prepared] = []
        for task, hook in to_send:
            body = task.body if task.body is not None else bodies.get(task.event_uuid)
            outgoing = prepare_outgoing(hook, task, body, self.context, timestamp, render=render)
            request = None
            if outgoing.error is None and outgoing.body is not None:
                verify = hook.enable_ssl_verification
                request = OutboundRequest(outgoing.url, outgoing.headers, outgoing.body.encode(), verify)
            prepared.append((outgoing, request, hook.id))
        if not prepared:
            return []
        results = LoopRunner.run(self._send_limited(prepared))
        return [
            (outgoing, replace(result, internal_error=outgoing.scrub(result.internal_error)))
            for (outgoing, _, _), result in zip(prepared, results, strict=True)
        ]

    async def _send_limited(self, prepared: list[Prepared]) -> list[DeliveryResult]:
        """Concurrent sends, at most ``per_hook_concurrency`` at once to any one hook."""
        limits: dict[int, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.policy.per_hook_concurrency))

        async def one(outgoing: Outgoing, request: OutboundRequest | None, hook_id: int) -> DeliveryResult:
            if request is None:
                return DeliveryResult(0.0, internal_error=outgoing.error or PAYLOAD_MISSING)
            async with limits[hook_id]:
                return await self.http.send(request)

        return list(await asyncio.gather(*(one(*item) for item in prepared)))

    # --- state, logs, metrics --------------------------------------------------------------------------------
    def _apply_outcomes(self, hook: Hook, successes: list[bool], now: datetime, batch: _Batch) -> HookState:
        """Fold this batch's outcomes into the hook's state with a conditional write, re-reading on a race."""
        state = hook.state
        for _ in range(_STATE_WRITE_ATTEMPTS):
            new = _fold(state, successes, now)
            if new is None:
                return state
            if self.hook_store.replace_state(hook.id, state, new):
                self._state_events(hook, state, new, now, batch)
                return new
            current = self.hook_store.get(hook.id)
            if current is None:
                return state
            state = current.state
        logger.warning("Hook state kept changing; outcome not recorded", extra={"hook_id": hook.id})
        return state

    @staticmethod
    def _state_events(hook: Hook, old: HookState, new: HookState, now: datetime, batch: _Batch) -> None:
        before, after = alert_status(old, now), alert_status(new, now)
        detail = {"hook_id": hook.id, "scope": hook.scope_key, "recent_failures": new.recent_failures}
        if after is not AlertStatus.EXECUTABLE and after is not before:
            batch.ops.append(
                OpsEvent(HOOK_DISABLED, {**detail, "alert_status": after.value, "disabled_until": new.disabled_until})
            )
        elif new.recent_failures == 0 and old.recent_failures > FAILURE_THRESHOLD:
            batch.ops.append(OpsEvent(HOOK_RE_ENABLED, detail))

    def _flush(self, batch: _Batch) -> None:
        """Logs and parked items first, then the retries, then the holds: a crash before a step repeats it."""
        self.delivery_store.write_items(self.delivery_store.log_items(batch.logs) + batch.parked)
        if batch.requeue:
            send_messages(self.queue_url, batch.requeue)
        if batch.hide:
            hide_messages(self.queue_url, batch.hide)
        if batch.ops:
            try:
                put_ops_events(self.bus_name, batch.ops)
            except Exception:  # an alerting side channel must not fail deliveries
                logger.exception("Could not put operational events")

    def _log(
        self,
        task: DeliveryTask,
        hook: Hook | None,
        outgoing: Outgoing | None,
        result: DeliveryResult,
        now: datetime,
        request_data: str | None = None,
    ) -> DeliveryLog:
        """The log of one attempt; request_data is kept only when it is not the event's stored payload."""
        if outgoing is not None and outgoing.rendered is not None:
            request_data = outgoing.rendered
        return DeliveryLog(
            hook_id=task.hook_id,
            hook_kind=hook.kind if hook else HookKind.PROJECT,
            trigger=task.log_trigger,
            url=masked_url(hook.url) if hook else "",
            request_headers=outgoing.logged_headers if outgoing else {},
            request_data=request_data,
            url_hash=outgoing.url_hash if outgoing else None,
            event_uuid=task.event_uuid,
            idempotency_key=task.idempotency_key,
            attempt=task.attempt,
            created_at=now,
            result=result,
        )

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
        }
        for failure_class, name in _FAILURE_METRICS.items():
            counts[name] = sum(r.failure_class is failure_class for r in results)
        for name, count in counts.items():
            if count:
                self.metrics.add_metric(name, MetricUnit.Count, count)
        for result in results:
            self.metrics.add_metric(settings.METRIC_LATENCY, MetricUnit.Milliseconds, result.duration_s * 1000)


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _fold(state: HookState, successes: list[bool], now: datetime) -> HookState | None:
    """The state after these outcomes in order, or None when nothing changes."""
    current = state
    for succeeded in successes:
        current = (after_success(current) if succeeded else after_failure(current, now)) or current
    return None if current == state else current
