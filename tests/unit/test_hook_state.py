from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.hook_state import (
    AlertStatus,
    HookState,
    after_failure,
    after_success,
    alert_status,
    is_executable,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(seconds=1), NOW + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("failures", "disabled_until", "executable"),
    [
        (3, None, True), (3, PAST, True), (3, NOW, True), (3, FUTURE, True),
        (4, None, True), (4, PAST, True), (4, NOW, False), (4, FUTURE, False),
        (39, None, True), (39, PAST, True), (39, NOW, False), (39, FUTURE, False),
        (40, None, False), (40, PAST, False), (40, NOW, False), (40, FUTURE, False),
    ],
)  # fmt: skip
def test_executable_table(failures: int, disabled_until: datetime | None, executable: bool) -> None:
    assert is_executable(HookState(failures, disabled_until), NOW) is executable


def test_backoff_sequence_doubles_to_a_day_then_disables_for_good() -> None:
    state, now, windows = HookState(), NOW, []
    for _ in range(40):
        new = after_failure(state, now)
        assert new is not None
        if new.disabled_until is not None and new.recent_failures < 40:
            windows.append(new.disabled_until - now)
            now = new.disabled_until + timedelta(seconds=1)  # the window passed: executable again
        state = new
    minutes = [int(w.total_seconds() // 60) for w in windows]
    assert minutes[:7] == [1, 2, 4, 8, 16, 32, 64]
    assert minutes[10] == 1024  # n=14: 17 h 4 m
    assert all(m == 24 * 60 for m in minutes[11:])
    assert state.recent_failures == 40
    assert alert_status(state, now + timedelta(days=365)) is AlertStatus.DISABLED


def test_failure_while_disabled_is_a_no_op() -> None:
    assert after_failure(HookState(4, FUTURE), NOW) is None
    assert after_failure(HookState(40, None), NOW) is None


def test_first_three_failures_do_not_disable() -> None:
    assert after_failure(HookState(2), NOW) == HookState(3, None)
    assert after_failure(HookState(3), NOW) == HookState(4, NOW + timedelta(minutes=1))


def test_success_after_backoff_re_enables_and_clean_success_writes_nothing() -> None:
    assert after_success(HookState(5, PAST)) == HookState()
    assert after_success(HookState()) is None
