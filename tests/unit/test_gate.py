"""The concurrency gate's decisions, as tables: admission, leases, slow start, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.gate import (
    DEFAULT_PAUSE,
    MAX_PAUSE,
    MAX_SLOT_WAIT,
    SLOT_WAIT,
    Admission,
    Gate,
    GateOutcome,
    Lease,
    acquired,
    admit,
    lease_length,
    needs_release,
    next_window,
    pause_until,
    released,
    slot_wait,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=60)
GONE = NOW - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("gate", "limit", "wanted", "admission"),
    [
        (Gate(), 4, 10, Admission(4)),  # an open gate: the hook's limit
        (Gate(), 4, 1, Admission(1)),  # never more than wanted
        (Gate({"a": Lease(3, LATER)}), 4, 10, Admission(1)),  # others' live leases count
        (Gate({"a": Lease(4, LATER)}), 4, 1, Admission(0)),  # full: nothing
        (Gate({"a": Lease(4, GONE)}), 4, 2, Admission(2)),  # a lapsed lease (its sender died) holds nothing
        (Gate({"a": Lease(2, LATER), "b": Lease(2, LATER)}), 3, 1, Admission(0)),  # the limit was lowered
        (Gate(window=1), 4, 10, Admission(1)),  # slow start
        (Gate(window=9), 4, 10, Admission(4)),  # a window above the limit is the limit
        (Gate(window=0), 4, 10, Admission(1)),  # never below one
        (Gate(paused_until=LATER), 4, 10, Admission(0, LATER)),  # paused for every sender
        (Gate(paused_until=GONE), 4, 10, Admission(4)),  # a pause that ended
    ],
)
def test_admission(gate: Gate, limit: int, wanted: int, admission: Admission) -> None:
    assert admit(gate, limit, wanted, NOW) == admission


def test_acquiring_drops_lapsed_leases_and_raises_the_version() -> None:
    gate = Gate({"dead": Lease(2, GONE), "live": Lease(1, LATER)}, window=2, version=7)
    assert acquired(gate, "mine", 1, NOW, LATER) == Gate(
        {"live": Lease(1, LATER), "mine": Lease(1, LATER)}, window=2, version=8
    )


@pytest.mark.parametrize(
    ("window", "outcome", "after"),
    [
        (4, GateOutcome(succeeded=1, recovered=True), 1),  # a probe succeeded: start again at one
        (1, GateOutcome(succeeded=3), 2),  # all succeeded: doubled
        (2, GateOutcome(succeeded=1), None),  # reached the limit (4): stored as absent
        (4, GateOutcome(succeeded=5), None),
        (4, GateOutcome(succeeded=3, failed=1), 2),  # a failure halves it
        (1, GateOutcome(failed=2), 1),  # never below one
        (2, GateOutcome(), 2),  # nothing counted (deferred, Hookline's own failures): unchanged
    ],
)
def test_slow_start(window: int, outcome: GateOutcome, after: int | None) -> None:
    assert next_window(window, 4, outcome) == after


def test_releasing_gives_back_only_its_own_lease_and_keeps_the_longest_pause() -> None:
    gate = Gate({"mine": Lease(2, LATER), "theirs": Lease(1, LATER)}, window=2, paused_until=LATER, version=3)
    sooner = NOW + timedelta(seconds=5)
    assert released(gate, "mine", 4, GateOutcome(succeeded=2, pause_until=sooner)) == Gate(
        {"theirs": Lease(1, LATER)}, window=None, paused_until=LATER, version=4
    )
    later_still = LATER + timedelta(seconds=5)
    assert released(gate, "mine", 4, GateOutcome(failed=1, pause_until=later_still)).paused_until == later_still


@pytest.mark.parametrize(
    ("status", "retry_after", "until"),
    [
        (429, timedelta(seconds=120), NOW + timedelta(seconds=120)),
        (503, timedelta(seconds=5), NOW + timedelta(seconds=5)),
        (429, None, NOW + DEFAULT_PAUSE),  # no (or an unreadable) Retry-After
        (503, timedelta(0), NOW + DEFAULT_PAUSE),
        (429, timedelta(days=365), NOW + MAX_PAUSE),  # a receiver cannot stop a hook for a year
        (500, timedelta(seconds=120), None),  # only 429 and 503 pause
        (200, None, None),
        (None, None, None),  # no answer at all
    ],
)
def test_pause(status: int | None, retry_after: timedelta | None, until: datetime | None) -> None:
    assert pause_until(status, retry_after, NOW) == until


@pytest.mark.parametrize(
    ("receive_count", "jitter", "wait"),
    [
        (1, 0.0, SLOT_WAIT),
        (1, 1.0, 2 * SLOT_WAIT),
        (4, 0.5, 3 * SLOT_WAIT),
        (1000, 1.0, MAX_SLOT_WAIT),  # a herd thins out, within a bound
    ],
)
def test_a_full_hooks_deliveries_wait_longer_the_more_often_they_came_back(
    receive_count: int, jitter: float, wait: timedelta
) -> None:
    assert slot_wait(receive_count, jitter) == wait


ROUND = timedelta(seconds=15)
WHOLE = timedelta(seconds=75)


@pytest.mark.parametrize(
    ("wanted", "slots", "length"),
    [(1, 1, ROUND), (3, 4, ROUND), (4, 4, ROUND), (5, 4, WHOLE), (10, 1, WHOLE)],
)
def test_a_lease_lasts_one_round_when_every_delivery_has_its_slot_at_once(
    wanted: int, slots: int, length: timedelta
) -> None:
    assert lease_length(wanted, slots, ROUND, WHOLE) == length


MINE = Lease(1, LATER)


@pytest.mark.parametrize(
    ("held", "after", "one_round", "needed"),
    [
        (Gate({"mine": MINE}), Gate(), True, False),  # far below the limit: the lease lapses by itself
        (Gate({"mine": MINE, "b": Lease(1, LATER)}), Gate({"b": Lease(1, LATER)}), True, False),  # half in use
        (Gate({"mine": Lease(2, LATER), "b": Lease(1, LATER)}), Gate(), True, True),  # more than half
        (Gate({"mine": MINE, "old": Lease(3, GONE)}), Gate(), True, False),  # lapsed leases are not in use
        (Gate({"mine": MINE}), Gate(), False, True),  # a lease for several rounds lasts as long as a batch
        (Gate({"mine": MINE}, window=1), Gate(window=2), True, True),  # slow start moved: written
        (Gate({"mine": MINE}, window=1), Gate(window=1), True, True),  # the whole window in use
        (Gate({"mine": MINE}, window=2), Gate(window=2), True, False),  # half of the window
        (Gate({"mine": MINE}), Gate(paused_until=LATER), True, True),  # a pause: written
    ],
)
def test_which_batches_give_their_lease_back(held: Gate, after: Gate, one_round: bool, needed: bool) -> None:
    assert needs_release(held, after, 4, NOW, one_round=one_round) is needed
