"""The sender's decisions as pure functions: the service reads once, asks these, and writes once per kind.

- :func:`triage`: what to do with a received delivery now (drop, park, hold, send, or send as a recovering hook's
  probe); :func:`resolve_probes` lets one probe per hook through.
- :func:`plan_holds`: how waiting deliveries are kept (a message hidden, or its waiting tasks re-queued alone).
- :func:`counted_outcomes` and :func:`fold`: what a batch's results do to each hook's failure state.
- :func:`settle`: what each failed attempt becomes (a retry on its schedule, or parked with a reason), and the
  operational events of state changes and parked deliveries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hookline import settings
from hookline.domain.delivery import REQUEST_TIMEOUT_SECONDS, DeliveryResult, DeliveryTask, FailureKind, Outgoing
from hookline.domain.gate import GateOutcome, pause_until
from hookline.domain.hook_state import AlertStatus, HookState, after_failure, after_success, alert_status, recovering
from hookline.domain.hooks import Hook
from hookline.domain.retry import EXHAUSTED, EXPIRED, ParkReason, next_attempt, parse_retry_after, past_max_age

HOOK_DELETED = "Hook was deleted; the delivery was dropped"
PARKED_HOOK_DISABLED = ParkReason.HOOK_DISABLED
HOOK_DISABLED_EVENT = "Hookline Hook Disabled"
HOOK_RE_ENABLED_EVENT = "Hookline Hook Re-enabled"
DELIVERY_EXHAUSTED_EVENT = "Hookline Delivery Exhausted"
#: Failures that are Hookline's, not the receiver's: retried, but never counted against the hook's state.
NOT_THE_HOOKS_FAILURE = frozenset({FailureKind.PAYLOAD_MISSING, FailureKind.DEFERRED})
#: Failures retried as a throttle (at least a minute apart), like a 429.
THROTTLE_KINDS = frozenset({FailureKind.TIMEOUT})


def send_window(request_timeout_s: float) -> float:
    """How long after a batch's sends began a request may still start: the last one then ends before the function's
    timeout, with a margin for the batch's writes."""
    return max(1.0, settings.SENDER_FUNCTION.timeout_s - request_timeout_s - 5)


@dataclass(frozen=True)
class SenderPolicy:
    """Limits of holding and retrying (from settings; the local stack's tests lower max_hold_seconds)."""

    max_age: timedelta = timedelta(hours=settings.DEFAULT_DELIVERY_MAX_AGE_HOURS)
    max_hold_seconds: int = settings.SQS_MAX_VISIBILITY_SECONDS
    max_receive_count: int = settings.DELIVERY_QUEUE.max_receive_count
    probe_lease: timedelta = timedelta(seconds=settings.PROBE_LEASE_SECONDS)
    probe_wait: timedelta = timedelta(seconds=settings.PROBE_WAIT_SECONDS)
    #: Without the concurrency gate, each batch sends at most this many requests at once to one hook.
    per_hook_concurrency: int = settings.PER_HOOK_CONCURRENCY
    #: Every sender shares each hook's gate (False: today's per-batch limit only, the bench's baseline).
    concurrency_gate: bool = True
    #: A batch's lease on a gate lapses after this long, if its sender died before giving it back ...
    lease_duration: timedelta = timedelta(seconds=settings.SENDER_FUNCTION.timeout_s)
    #: ... or after this long when all its deliveries to the hook had a slot at once (one request's timeout and a
    #: margin): then a hook far below its limit needs no second write.
    round_lease: timedelta = timedelta(seconds=REQUEST_TIMEOUT_SECONDS + settings.LEASE_MARGIN_SECONDS)
    namespace_rate_limit: int = settings.DEFAULT_NAMESPACE_RATE_LIMIT
    #: A request may start this long after the batch's sends began; later ones are deferred, so a batch ends within
    #: the function's timeout however slow its hooks (this window plus one request's timeout, plus the writes).
    send_window_seconds: float = send_window(REQUEST_TIMEOUT_SECONDS)

    def requeue_delay(self, until: datetime, now: datetime) -> int:
        """DelaySeconds for a re-queued message: SQS's 15 min at most; a later one hops (held again on receipt)."""
        wait = int((until - now).total_seconds())
        return max(0, min(wait, settings.SQS_MAX_DELAY_SECONDS, self.max_hold_seconds))


@dataclass(frozen=True)
class QueuedTask:
    """A delivery task as received: the message it came in, so it can be held."""

    task: DeliveryTask
    message_id: str
    receipt_handle: str
    receive_count: int
    tasks_in_message: int = 1


class Verdict(StrEnum):
    DROP = "drop"  # the hook is gone: logged, not sent
    PARK = "park"  # kept aside for ``recover``
    HOLD = "hold"  # waits, not counted
    SEND = "send"
    PROBE = "probe"  # a recovering hook's delivery: one per hook goes, the rest wait for its outcome


@dataclass(frozen=True)
class Triage:
    verdict: Verdict
    until: datetime | None = None  # HOLD
    reason: str | None = None  # DROP: why
    park: ParkReason | None = None  # PARK: why


def triage(task: DeliveryTask, hook: Hook | None, now: datetime, policy: SenderPolicy) -> Triage:
    """What to do with a received delivery now, in order of the checks. Never raises: a delivery whose data cannot
    be judged (a stored state out of range) is parked, alone, as ``internal_error``."""
    try:
        return _triage(task, hook, now, policy)
    except (ArithmeticError, ValueError, TypeError, KeyError, AssertionError):
        return Triage(Verdict.PARK, park=ParkReason.INTERNAL)


def _triage(task: DeliveryTask, hook: Hook | None, now: datetime, policy: SenderPolicy) -> Triage:
    if hook is None:
        return Triage(Verdict.DROP, reason=HOOK_DELETED)
    if past_max_age(task.queued_at, now, policy.max_age):
        return Triage(Verdict.PARK, park=EXPIRED)
    if task.not_before is not None and task.not_before > now:
        return Triage(Verdict.HOLD, until=task.not_before)
    status = hook.alert_status(now)
    if status is AlertStatus.DISABLED:
        return Triage(Verdict.PARK, park=PARKED_HOOK_DISABLED)
    if status is AlertStatus.TEMPORARILY_DISABLED:
        assert hook.disabled_until is not None
        return Triage(Verdict.HOLD, until=hook.disabled_until + timedelta(seconds=1))
    if hook.tracks_failures and recovering(hook.state):
        return Triage(Verdict.PROBE)
    return Triage(Verdict.SEND)


def resolve_probes(
    verdicts: list[tuple[int, Triage]], acquire: Callable[[int], bool], now: datetime, policy: SenderPolicy
) -> list[Triage]:
    """PROBE becomes SEND for the first delivery of a hook whose probe lease ``acquire`` wins; the rest HOLD a short
    while (they look again until the probe has an outcome)."""
    won: dict[int, bool] = {}
    resolved = []
    for hook_id, verdict in verdicts:
        if verdict.verdict is Verdict.PROBE:
            first = hook_id not in won
            if first:
                won[hook_id] = acquire(hook_id)
            verdict = Triage(Verdict.SEND) if first and won[hook_id] else Triage(Verdict.HOLD, now + policy.probe_wait)
        resolved.append(verdict)
    return resolved


@dataclass
class HoldPlan:
    hide: list[tuple[str, int]] = field(default_factory=list)  # (receipt handle, seconds)
    keep_message_ids: list[str] = field(default_factory=list)  # left on the queue (batch item failures)
    requeue: list[tuple[DeliveryTask, int]] = field(default_factory=list)  # (task with not_before, DelaySeconds)


def plan_holds(holds: list[tuple[QueuedTask, datetime]], now: datetime, policy: SenderPolicy) -> HoldPlan:
    """A message whose every task waits is hidden until the earliest of them (one visibility change). The waiting
    tasks of a message that had others to do, or that nears the redrive limit, are re-queued alone."""
    by_message: dict[str, list[tuple[QueuedTask, datetime]]] = defaultdict(list)
    for item, until in holds:
        by_message[item.message_id].append((item, until))
    plan = HoldPlan()
    for held in by_message.values():
        first = held[0][0]
        if len(held) == first.tasks_in_message and first.receive_count < policy.max_receive_count - 1:
            until = min(until for _, until in held)
            seconds = max(1, min(int((until - now).total_seconds()) + 1, policy.max_hold_seconds))
            plan.hide.append((first.receipt_handle, seconds))
            plan.keep_message_ids.append(first.message_id)
            continue
        for item, until in held:
            task = item.task.model_copy(update={"not_before": until})
            plan.requeue.append((task, policy.requeue_delay(until, now)))
    return plan


@dataclass(frozen=True)
class Attempt:
    """One delivery that was tried in this batch (sent, or failed while being prepared)."""

    task: DeliveryTask
    hook: Hook
    result: DeliveryResult
    outgoing: Outgoing | None = None  # what was (or would have been) sent, for the log


def counted_outcomes(attempts: Iterable[Attempt]) -> dict[int, list[bool]]:
    """Each hook's outcomes in order, as its failure state counts them (system hooks and Hookline's own failures
    are not counted)."""
    outcomes: dict[int, list[bool]] = defaultdict(list)
    for attempt in attempts:
        if attempt.hook.tracks_failures and attempt.result.error_kind not in NOT_THE_HOOKS_FAILURE:
            outcomes[attempt.hook.id].append(attempt.result.succeeded)
    return dict(outcomes)


def gate_outcome(attempts: list[Attempt], states: dict[int, HookState], now: datetime) -> GateOutcome:
    """What one hook's attempts in a batch tell its concurrency gate: counted successes and failures, whether its
    probe succeeded (``states``: each hook's state after the batch), and the longest pause a 429 or 503 asked for."""
    if not attempts:
        return GateOutcome()
    hook = attempts[0].hook
    counted = [a.result for a in attempts if a.result.error_kind not in NOT_THE_HOOKS_FAILURE]
    pauses = [
        moment
        for a in attempts
        if (
            moment := pause_until(
                a.result.status_code, parse_retry_after(header(a.result.response_headers, "retry-after"), now), now
            )
        )
        is not None
    ]
    after = states.get(hook.id)
    return GateOutcome(
        succeeded=sum(result.succeeded for result in counted),
        failed=sum(not result.succeeded for result in counted),
        recovered=recovering(hook.state) and after is not None and after.recent_failures == 0,
        pause_until=max(pauses, default=None),
    )


def fold(state: HookState, successes: list[bool], now: datetime) -> HookState | None:
    """The state after these outcomes in order, or None when nothing changes."""
    current = state
    for succeeded in successes:
        current = (after_success(current) if succeeded else after_failure(current, now)) or current
    return None if current == state else current


@dataclass(frozen=True)
class OpsEvent:
    """An operational event Hookline puts on its bus (source ``hookline``)."""

    detail_type: str
    detail: dict[str, Any]


def state_events(hook: Hook, old: HookState, new: HookState, now: datetime) -> list[OpsEvent]:
    """A hook newly disabled (for a while or for good), or re-enabled after it had been."""
    before, after = alert_status(old, now), alert_status(new, now)
    detail = {"hook_id": hook.id, "scope": hook.scope_key, "recent_failures": new.recent_failures}
    if after is not AlertStatus.EXECUTABLE and after is not before:
        return [
            OpsEvent(HOOK_DISABLED_EVENT, {**detail, "alert_status": after.value, "disabled_until": new.disabled_until})
        ]
    if new.recent_failures == 0 and recovering(old):
        return [OpsEvent(HOOK_RE_ENABLED_EVENT, detail)]
    return []


@dataclass
class Settlement:
    retries: list[tuple[DeliveryTask, int]] = field(default_factory=list)  # (next attempt, DelaySeconds)
    parks: list[tuple[DeliveryTask, ParkReason]] = field(default_factory=list)


def settle(
    attempts: Iterable[Attempt],
    states: dict[int, HookState],
    now: datetime,
    policy: SenderPolicy,
    jitter: Callable[[], float],
) -> Settlement:
    """Each failed attempt is retried on its own schedule (same Idempotency-Key), or parked: its hook is now
    disabled for good, or its schedule or maximum age ran out. ``states``: each hook's state after this batch."""
    settlement = Settlement()
    for attempt in attempts:
        if attempt.result.succeeded:
            continue
        try:
            _settle_failure(attempt, states.get(attempt.hook.id), now, policy, jitter, settlement)
        except (ArithmeticError, ValueError, TypeError, KeyError, IndexError):  # this delivery's data, nobody else's
            settlement.parks.append((attempt.task, ParkReason.INTERNAL))
    return settlement


def _settle_failure(
    attempt: Attempt,
    state: HookState | None,
    now: datetime,
    policy: SenderPolicy,
    jitter: Callable[[], float],
    settlement: Settlement,
) -> None:
    task, result = attempt.task, attempt.result
    if attempt.hook.tracks_failures and state is not None and alert_status(state, now) is AlertStatus.DISABLED:
        settlement.parks.append((task, PARKED_HOOK_DISABLED))
        return
    decision = next_attempt(
        task.attempt,
        task.queued_at,
        now,
        jitter_unit=jitter(),
        throttled=result.status_code == 429 or result.error_kind in THROTTLE_KINDS,
        retry_after=parse_retry_after(header(result.response_headers, "retry-after"), now),
        disabled_until=state.disabled_until if state is not None else None,
        max_age=policy.max_age,
    )
    if decision.at is None:
        settlement.parks.append((task, decision.ended or EXHAUSTED))
        return
    retry = task.model_copy(update={"attempt": task.attempt + 1, "not_before": decision.at})
    settlement.retries.append((retry, policy.requeue_delay(decision.at, now)))


def park_events(parks: Iterable[tuple[DeliveryTask, ParkReason]]) -> list[OpsEvent]:
    """A delivery that ran out of time or retries is announced; one parked behind a disabled hook is not."""
    return [
        OpsEvent(
            DELIVERY_EXHAUSTED_EVENT,
            {
                "hook_id": task.hook_id,
                "event_uuid": task.event_uuid,
                "idempotency_key": task.idempotency_key,
                "attempts": task.attempt,
                "reason": reason,
            },
        )
        for task, reason in parks
        if reason is not ParkReason.HOOK_DISABLED
    ]


def header(headers: dict[str, str], name: str) -> str | None:
    """A header's value by case-insensitive name."""
    return next((value for key, value in headers.items() if key.lower() == name), None)
