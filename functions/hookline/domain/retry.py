"""When a failed delivery is tried again: a per-delivery schedule with jitter, floors and Retry-After."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

#: The wait before retry n (1-based): about 10 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.2
THROTTLED_FLOOR = timedelta(seconds=60)
RETRY_AFTER_CEILING = timedelta(hours=6)
MAX_AGE = timedelta(hours=72)


class ParkReason(StrEnum):
    """Why a delivery was parked (kept 14 days for ``recover``)."""

    EXHAUSTED = "exhausted"  # its retry schedule ran out
    EXPIRED = "expired"  # older than the maximum age
    HOOK_DISABLED = "hook_disabled"  # its hook is disabled for good
    INTERNAL = "internal_error"  # Hookline could not process it (its data is not what Hookline writes)


EXHAUSTED = ParkReason.EXHAUSTED
EXPIRED = ParkReason.EXPIRED


def past_max_age(first_queued_at: datetime, moment: datetime, max_age: timedelta) -> bool:
    """The age limit, the one rule for triage and retries: a delivery is not attempted past ``max_age``."""
    return moment - first_queued_at > max_age


@dataclass(frozen=True)
class RetryDecision:
    """Either the moment of the next attempt, or why there is none (``exhausted`` or ``expired``)."""

    at: datetime | None
    ended: ParkReason | None = None


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date, at most the ceiling; None when absent or unreadable (a receiver
    writes it: any text must give an answer, never an exception)."""
    if not value:
        return None
    value = value.strip()[:64]
    if value.isascii() and value.isdigit():
        return min(timedelta(seconds=int(value[:12])), RETRY_AFTER_CEILING)
    try:
        moment = parsedate_to_datetime(value)
        return min(max(moment - now, timedelta(0)), RETRY_AFTER_CEILING) if moment.tzinfo else None
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def next_attempt(
    attempt: int,
    first_queued_at: datetime,
    now: datetime,
    *,
    jitter_unit: float,
    throttled: bool = False,
    retry_after: timedelta | None = None,
    disabled_until: datetime | None = None,
    max_age: timedelta = MAX_AGE,
) -> RetryDecision:
    """The decision after failed attempt number ``attempt``.

    ``jitter_unit`` is a number in [0, 1) (random in production, fixed in tests) spreading the wait by ±20%.
    A 429 or a timeout waits at least a minute; Retry-After is honoured up to 6 h; a retry never comes before the
    hook's ``disabled_until``; a delivery older than ``max_age`` is exhausted.
    """
    if attempt > len(RETRY_SCHEDULE):
        return RetryDecision(None, EXHAUSTED)
    wait = RETRY_SCHEDULE[attempt - 1] * (1 + JITTER * (2 * jitter_unit - 1))
    if throttled:
        wait = max(wait, THROTTLED_FLOOR)
    if retry_after is not None:
        wait = max(wait, min(retry_after, RETRY_AFTER_CEILING))
    at = now + wait
    if disabled_until is not None and disabled_until > at:
        at = disabled_until
    if past_max_age(first_queued_at, at, max_age):
        return RetryDecision(None, EXPIRED)
    return RetryDecision(at)
