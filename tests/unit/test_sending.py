"""The sender's pure core as tables: triage, probes, holds, outcomes and settle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.delivery import DeliveryResult, DeliveryTask, FailureKind, idempotency_key
from hookline.domain.events import HookKind
from hookline.domain.gate import GateOutcome
from hookline.domain.hook_state import HookState
from hookline.domain.hooks import Hook
from hookline.domain.retry import EXHAUSTED, EXPIRED
from hookline.domain.sending import (
    DELIVERY_EXHAUSTED_EVENT,
    HOOK_DISABLED_EVENT,
    HOOK_RE_ENABLED_EVENT,
    PARKED_HOOK_DISABLED,
    Attempt,
    QueuedTask,
    SenderPolicy,
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

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = SenderPolicy(max_age=timedelta(hours=72), max_hold_seconds=3600, max_receive_count=5)


def hook(failures: int = 0, until: datetime | None = None, kind: HookKind = HookKind.PROJECT, id: int = 7) -> Hook:
    return Hook(
        id=id,
        kind=kind,
        scope_key="project:1",
        url="https://example.com/h",
        recent_failures=failures,
        disabled_until=until,
        created_at=NOW,
    )


def task(
    hook_id: int = 7, age: timedelta = timedelta(0), not_before: datetime | None = None, attempt: int = 1
) -> DeliveryTask:
    return DeliveryTask(
        hook_id=hook_id,
        event_uuid="ev",
        event_name="Push Hook",
        idempotency_key=idempotency_key("ev", hook_id),
        body="{}",
        queued_at=NOW - age,
        not_before=not_before,
        attempt=attempt,
    )


LATER = NOW + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("the_task", "the_hook", "expected"),
    [
        (task(), None, Triage(Verdict.DROP, reason="Hook was deleted; the delivery was dropped")),
        (task(age=timedelta(hours=73)), hook(), Triage(Verdict.PARK, park=EXPIRED)),
        (task(age=timedelta(hours=73)), hook(kind=HookKind.SYSTEM), Triage(Verdict.PARK, park=EXPIRED)),
        (task(not_before=LATER), hook(), Triage(Verdict.HOLD, until=LATER)),
        (task(), hook(failures=40), Triage(Verdict.PARK, park=PARKED_HOOK_DISABLED)),
        (task(), hook(failures=5, until=LATER), Triage(Verdict.HOLD, until=LATER + timedelta(seconds=1))),
        (task(), hook(failures=5, until=NOW - timedelta(seconds=1)), Triage(Verdict.PROBE)),
        (task(), hook(failures=3), Triage(Verdict.SEND)),  # at the threshold, not past it
        (task(), hook(failures=40, kind=HookKind.SYSTEM), Triage(Verdict.SEND)),  # system hooks are never disabled
        (task(), hook(failures=5, kind=HookKind.SYSTEM), Triage(Verdict.SEND)),
        (task(), hook(), Triage(Verdict.SEND)),
    ],
)
def test_triage(the_task: DeliveryTask, the_hook: Hook | None, expected: Triage) -> None:
    assert triage(the_task, the_hook, NOW, POLICY) == expected


def test_one_probe_per_hook_goes_when_its_lease_is_won() -> None:
    asked: list[int] = []

    def acquire(hook_id: int) -> bool:
        asked.append(hook_id)
        return hook_id != 2

    probe, send = Triage(Verdict.PROBE), Triage(Verdict.SEND)
    resolved = resolve_probes([(1, probe), (1, probe), (2, probe), (3, send)], acquire, NOW, POLICY)
    wait = Triage(Verdict.HOLD, NOW + POLICY.probe_wait)
    assert resolved == [send, wait, wait, send]
    assert asked == [1, 2]  # one lease write per recovering hook


def queued(message: str, hook_id: int, count: int = 1, tasks_in_message: int = 1) -> QueuedTask:
    return QueuedTask(task(hook_id), message, f"rh-{message}", count, tasks_in_message)


@pytest.mark.parametrize(
    ("holds", "hidden", "requeued"),
    [
        ([(queued("m1", 1), LATER)], [("rh-m1", 301)], []),  # the whole message waits: hidden, one call
        ([(queued("m1", 1, tasks_in_message=2), LATER)], [], [(1, 300)]),  # its neighbour went: re-queued alone
        ([(queued("m1", 1, count=4), LATER)], [], [(1, 300)]),  # near the redrive limit: re-queued, never DLQ'd
        ([(queued("m1", 1), NOW + timedelta(days=2))], [("rh-m1", 3600)], []),  # capped at max_hold_seconds
        (
            [(queued("m1", 1, tasks_in_message=2), LATER), (queued("m1", 2, tasks_in_message=2), NOW)],
            [("rh-m1", 1)],
            [],
        ),
    ],
)
def test_plan_holds(
    holds: list[tuple[QueuedTask, datetime]], hidden: list[tuple[str, int]], requeued: list[tuple[int, int]]
) -> None:
    plan = plan_holds(holds, NOW, POLICY)
    assert plan.hide == hidden
    assert [(t.hook_id, delay) for t, delay in plan.requeue] == [(hook_id, min(d, 900)) for hook_id, d in requeued]
    assert plan.keep_message_ids == [handle.removeprefix("rh-") for handle, _ in hidden]


OK = DeliveryResult(0.1, status_code=200)
FAIL = DeliveryResult(0.1, status_code=500)
MISSING = DeliveryResult(0.0, internal_error="x", error_kind=FailureKind.PAYLOAD_MISSING)
TIMEOUT = DeliveryResult(10.0, internal_error="Request timed out", error_kind=FailureKind.TIMEOUT)
UNREADABLE = DeliveryResult(0.0, internal_error="x", error_kind=FailureKind.HOOK_UNREADABLE)


def test_counted_outcomes_leave_out_system_hooks_and_hooklines_own_failures() -> None:
    system = hook(kind=HookKind.SYSTEM, id=9)
    attempts = [
        Attempt(task(), hook(), FAIL),
        Attempt(task(), hook(), MISSING),
        Attempt(task(), hook(), OK),
        Attempt(task(), hook(), UNREADABLE),  # the hook's own fault: counted
        Attempt(task(9), system, FAIL),
    ]
    assert counted_outcomes(attempts) == {7: [False, True, False]}


@pytest.mark.parametrize(
    ("state", "outcomes", "expected"),
    [
        (HookState(), [True], None),
        (HookState(), [False], HookState(1)),
        (HookState(3), [False], HookState(4, NOW + timedelta(minutes=1))),
        (HookState(3), [False, False], HookState(4, NOW + timedelta(minutes=1))),  # disabled: the second is not counted
        (HookState(2), [False, True], HookState()),
        (HookState(39), [False], HookState(40, NOW + timedelta(hours=24))),
    ],
)
def test_fold(state: HookState, outcomes: list[bool], expected: HookState | None) -> None:
    assert fold(state, outcomes, NOW) == expected


def test_state_events_announce_disable_and_re_enable() -> None:
    disabled = HookState(4, NOW + timedelta(minutes=1))
    assert [e.detail_type for e in state_events(hook(), HookState(3), disabled, NOW)] == [HOOK_DISABLED_EVENT]
    assert [e.detail_type for e in state_events(hook(), disabled, HookState(), NOW)] == [HOOK_RE_ENABLED_EVENT]
    assert state_events(hook(), HookState(1), HookState(2), NOW) == []


@pytest.mark.parametrize(
    ("attempt", "state", "retry_at", "parked"),
    [
        (Attempt(task(), hook(), OK), HookState(), None, None),
        (Attempt(task(), hook(), FAIL), HookState(1), NOW + timedelta(seconds=10), None),
        (Attempt(task(), hook(), MISSING), HookState(), NOW + timedelta(seconds=10), None),  # retried, not counted
        (Attempt(task(), hook(), TIMEOUT), HookState(1), NOW + timedelta(seconds=60), None),  # a throttle
        (
            Attempt(task(), hook(), DeliveryResult(0.1, status_code=429, response_headers={"Retry-After": "120"})),
            HookState(1),
            NOW + timedelta(seconds=120),
            None,
        ),
        (  # a receiver's absurd Retry-After is capped, never an overflow
            Attempt(task(), hook(), DeliveryResult(0.1, status_code=429, response_headers={"retry-after": "9" * 400})),
            HookState(1),
            NOW + timedelta(hours=6),
            None,
        ),
        (Attempt(task(), hook(), FAIL), HookState(40), None, PARKED_HOOK_DISABLED),
        (Attempt(task(attempt=9), hook(), FAIL), HookState(1), None, EXHAUSTED),
        (Attempt(task(age=timedelta(hours=71, minutes=59, seconds=55)), hook(), FAIL), HookState(1), None, EXPIRED),
        (  # a retry never comes before the hook's window ends
            Attempt(task(), hook(), FAIL),
            HookState(4, NOW + timedelta(minutes=1)),
            NOW + timedelta(minutes=1),
            None,
        ),
        (  # system hooks are never disabled, so never parked for it
            Attempt(task(9), hook(kind=HookKind.SYSTEM, id=9), FAIL),
            HookState(40),
            NOW + timedelta(seconds=10),
            None,
        ),
    ],
)
def test_settle(attempt: Attempt, state: HookState, retry_at: datetime | None, parked: str | None) -> None:
    settlement = settle([attempt], {attempt.hook.id: state}, NOW, POLICY, jitter=lambda: 0.5)
    assert [(t.not_before, t.attempt) for t, _ in settlement.retries] == (
        [(retry_at, attempt.task.attempt + 1)] if retry_at else []
    )
    assert [reason for _, reason in settlement.parks] == ([parked] if parked else [])


def test_only_deliveries_that_ran_out_are_announced() -> None:
    events = park_events([(task(), EXHAUSTED), (task(), PARKED_HOOK_DISABLED), (task(), EXPIRED)])
    assert [(e.detail_type, e.detail["reason"]) for e in events] == [
        (DELIVERY_EXHAUSTED_EVENT, EXHAUSTED),
        (DELIVERY_EXHAUSTED_EVENT, EXPIRED),
    ]


def _attempt(the_hook: Hook, status: int | None, headers: dict[str, str] | None = None, kind=None) -> Attempt:
    result = DeliveryResult(0.01, status, headers or {}, internal_error="x" if kind else None, error_kind=kind)
    return Attempt(task(the_hook.id), the_hook, result)


RECOVERING = hook(failures=4, until=NOW - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("attempts", "after", "outcome"),
    [
        ([], HookState(), GateOutcome()),
        ([_attempt(hook(), 200), _attempt(hook(), 500)], HookState(1), GateOutcome(succeeded=1, failed=1)),
        # Hookline's own failures (a deferred send, a payload it could not read) tell the gate nothing
        ([_attempt(hook(), None, kind=FailureKind.DEFERRED)], HookState(), GateOutcome()),
        ([_attempt(RECOVERING, 200)], HookState(), GateOutcome(succeeded=1, recovered=True)),
        ([_attempt(RECOVERING, 500)], HookState(5, NOW), GateOutcome(failed=1)),
        (
            [_attempt(hook(), 429, {"Retry-After": "120"}), _attempt(hook(), 503, {"retry-after": "5"})],
            HookState(2),
            GateOutcome(failed=2, pause_until=NOW + timedelta(seconds=120)),
        ),
    ],
)
def test_what_a_batch_tells_a_hooks_gate(attempts: list[Attempt], after: HookState, outcome: GateOutcome) -> None:
    assert gate_outcome(attempts, {7: after}, NOW) == outcome
