"""GitLab's auto-disabling state machine, as pure functions of (state, outcome, now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

FAILURE_THRESHOLD = 3
PERMANENT_FAILURES = 40
INITIAL_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=24)


class AlertStatus(StrEnum):
    EXECUTABLE = "executable"
    TEMPORARILY_DISABLED = "temporarily_disabled"
    DISABLED = "disabled"


@dataclass(frozen=True)
class HookState:
    recent_failures: int = 0
    disabled_until: datetime | None = None


CLEAN_STATE = HookState()


def recovering(state: HookState) -> bool:
    """Past the threshold: the hook is or was disabled for a while, and its next delivery goes alone (the probe)."""
    return state.recent_failures > FAILURE_THRESHOLD


def alert_status(state: HookState, now: datetime) -> AlertStatus:
    if state.recent_failures >= PERMANENT_FAILURES:
        return AlertStatus.DISABLED
    if recovering(state) and state.disabled_until is not None and state.disabled_until >= now:
        return AlertStatus.TEMPORARILY_DISABLED
    return AlertStatus.EXECUTABLE


def is_executable(state: HookState, now: datetime) -> bool:
    return alert_status(state, now) is AlertStatus.EXECUTABLE


def next_backoff(recent_failures: int) -> timedelta:
    """The disable window that follows a failure when the hook had ``recent_failures`` before it."""
    exponent = recent_failures - FAILURE_THRESHOLD
    if exponent >= 11:  # 2**11 min > 24 h
        return MAX_BACKOFF
    return min(max(INITIAL_BACKOFF * (2 ** max(exponent, 0)), INITIAL_BACKOFF), MAX_BACKOFF)


def after_failure(state: HookState, now: datetime) -> HookState | None:
    """The state after a failed delivery, or None when nothing changes (the hook was not executable)."""
    if not is_executable(state, now):
        return None
    failures = min(state.recent_failures + 1, PERMANENT_FAILURES)
    disabled_until = now + next_backoff(state.recent_failures) if failures > FAILURE_THRESHOLD else None
    return HookState(failures, disabled_until if disabled_until is not None else state.disabled_until)


def after_success(state: HookState) -> HookState | None:
    """The state after a success, or None when it is already clean (no write)."""
    return None if state == CLEAN_STATE else CLEAN_STATE
