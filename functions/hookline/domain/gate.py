"""Each hook's concurrency gate, as pure functions: how many requests a batch may have in flight to a hook at once,
whatever the number of senders, and how that number moves.

Every sender sees a hook's :class:`Gate` (one stored item per hook). A batch that has deliveries for a hook asks
:func:`admit` how many slots it may take, takes them with one conditional write (a lease, which lapses by itself),
sends through them, and gives them back with one write (:func:`released`) that also carries what the batch learnt.
A hook far below its limit skips that second write (:func:`needs_release`): when every delivery had a slot at once,
the lease lapses one request timeout after it was taken, when those requests have ended whatever happened.

- **Slow start.** After a successful probe the window is 1; each batch whose deliveries all succeeded doubles it, up to
  the hook's limit; a failure halves it (at least 1).
- **Receivers' signals.** A 429 or a 503 pauses the hook for every sender: until its ``Retry-After`` (at most
  :data:`MAX_PAUSE`), or :data:`DEFAULT_PAUSE` without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

#: How long a delivery that found no free slot waits before it is tried again: at least SLOT_WAIT, spread by jitter
#: over up to one more SLOT_WAIT per time it was already received (at most MAX_SLOT_WAIT), so a herd thins out.
SLOT_WAIT = timedelta(seconds=1)
MAX_SLOT_WAIT = timedelta(seconds=15)
#: A 503 without Retry-After pauses the hook this long; no Retry-After pauses it longer than MAX_PAUSE.
DEFAULT_PAUSE = timedelta(seconds=30)
MAX_PAUSE = timedelta(hours=1)
#: Statuses that pause a hook for every sender.
PAUSING_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class Lease:
    """Slots one batch holds, until it gives them back or ``until`` passes (its sender died)."""

    slots: int
    until: datetime


@dataclass(frozen=True)
class Gate:
    """A hook's shared concurrency state. ``window`` None: the hook's full limit. ``version`` changes with every
    write, so an acquisition is conditional on the state it was computed from."""

    leases: dict[str, Lease] = field(default_factory=dict)
    window: int | None = None
    paused_until: datetime | None = None
    version: int = 0

    def in_flight(self, now: datetime) -> int:
        """Slots held by leases that have not lapsed."""
        return sum(lease.slots for lease in self.leases.values() if lease.until > now)

    def current_window(self, limit: int) -> int:
        return max(1, min(limit if self.window is None else self.window, limit))


@dataclass(frozen=True)
class Admission:
    """What a batch may do for one hook: send its deliveries through ``slots`` at once, or (0) hold them until
    ``paused_until``, or for :func:`slot_wait` when the hook is full."""

    slots: int
    paused_until: datetime | None = None


def admit(gate: Gate, limit: int, wanted: int, now: datetime) -> Admission:
    """How many slots a batch with ``wanted`` deliveries for a hook may take now (all of them go through those)."""
    if gate.paused_until is not None and gate.paused_until > now:
        return Admission(0, gate.paused_until)
    return Admission(min(wanted, max(0, gate.current_window(limit) - gate.in_flight(now))))


def slot_wait(receive_count: int, jitter_unit: float) -> timedelta:
    """How long a delivery that found its hook full waits."""
    return min(SLOT_WAIT * (1 + jitter_unit * max(0, receive_count)), MAX_SLOT_WAIT)


def lease_length(wanted: int, slots: int, one_round: timedelta, whole_batch: timedelta) -> timedelta:
    """How long a lease lasts: one request's timeout (with a margin) when every delivery has its slot at once (their
    requests all start now), else as long as a batch can last."""
    return one_round if wanted <= slots else whole_batch


def needs_release(held: Gate, after: Gate, limit: int, now: datetime, *, one_round: bool) -> bool:
    """Whether a batch must write its lease back (``held``: the gate as the batch acquired it; ``after``: as it would
    release it). Not when the lease was one round's, the batch learnt nothing new (window, pause), and the hook is far
    below its limit (at most half of its window in use, this lease included): then the lease lapses by itself."""
    learnt = after.window != held.window or after.paused_until != held.paused_until
    return learnt or not one_round or held.in_flight(now) > after.current_window(limit) // 2


def acquired(gate: Gate, lease_id: str, slots: int, now: datetime, until: datetime) -> Gate:
    """The gate once a batch holds ``slots`` (lapsed leases are dropped in the same write)."""
    leases = {key: lease for key, lease in gate.leases.items() if lease.until > now}
    leases[lease_id] = Lease(slots, until)
    return replace(gate, leases=leases, version=gate.version + 1)


@dataclass(frozen=True)
class GateOutcome:
    """What one batch's deliveries to a hook told: counted successes and failures, whether a probe succeeded (the
    hook is back: slow start begins), and a pause its receiver asked for."""

    succeeded: int = 0
    failed: int = 0
    recovered: bool = False
    pause_until: datetime | None = None


def next_window(window: int, limit: int, outcome: GateOutcome) -> int | None:
    """The window after a batch: 1 after a recovery, halved by a failure, doubled when all succeeded; None when it is
    the hook's full limit."""
    if outcome.recovered:
        grown = 1
    elif outcome.failed:
        grown = max(1, window // 2)
    elif outcome.succeeded:
        grown = min(limit, window * 2)
    else:
        grown = window
    return None if grown >= limit else grown


def released(gate: Gate, lease_id: str, limit: int, outcome: GateOutcome) -> Gate:
    """The gate once a batch gives its slots back, with what it learnt."""
    leases = {key: lease for key, lease in gate.leases.items() if key != lease_id}
    paused_until = gate.paused_until
    if outcome.pause_until is not None and (paused_until is None or outcome.pause_until > paused_until):
        paused_until = outcome.pause_until
    return Gate(leases, next_window(gate.current_window(limit), limit, outcome), paused_until, gate.version + 1)


def pause_until(status_code: int | None, retry_after: timedelta | None, now: datetime) -> datetime | None:
    """Until when a receiver's answer pauses its hook for every sender: a 429 or 503 for its Retry-After (capped),
    else for :data:`DEFAULT_PAUSE`; None for any other answer."""
    if status_code not in PAUSING_STATUSES:
        return None
    if retry_after is None or retry_after <= timedelta(0):
        return now + DEFAULT_PAUSE
    return now + min(retry_after, MAX_PAUSE)
