from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.retry import RETRY_SCHEDULE, next_attempt, parse_retry_after

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("attempt", "expected"), list(enumerate(RETRY_SCHEDULE, start=1)))
def test_schedule_without_jitter(attempt: int, expected: timedelta) -> None:
    assert next_attempt(attempt, T0, T0, jitter_unit=0.5).at == T0 + expected


def test_jitter_spreads_twenty_percent_each_way() -> None:
    assert next_attempt(2, T0, T0, jitter_unit=0.0).at == T0 + timedelta(seconds=48)
    assert next_attempt(2, T0, T0, jitter_unit=0.999999).at == pytest.approx(
        T0 + timedelta(seconds=72), abs=timedelta(milliseconds=1)
    )


def test_throttled_and_timed_out_wait_a_minute_and_retry_after_is_honoured_within_bounds() -> None:
    assert next_attempt(1, T0, T0, jitter_unit=0.5, throttled=True).at == T0 + timedelta(seconds=60)
    assert next_attempt(1, T0, T0, jitter_unit=0.5, retry_after=timedelta(minutes=7)).at == T0 + timedelta(minutes=7)
    assert next_attempt(1, T0, T0, jitter_unit=0.5, retry_after=timedelta(days=3)).at == T0 + timedelta(hours=6)


def test_never_before_disabled_until() -> None:
    until = T0 + timedelta(minutes=4)
    assert next_attempt(1, T0, T0, jitter_unit=0.5, disabled_until=until).at == until


def test_exhausted_after_the_schedule_or_seventy_two_hours() -> None:
    assert next_attempt(9, T0, T0, jitter_unit=0.5).at is None
    late = next_attempt(7, T0, T0 + timedelta(hours=65), jitter_unit=0.5)
    assert late.at is None and late.ended == "expired"
    assert next_attempt(9, T0, T0, jitter_unit=0.5).ended == "exhausted"


def test_retry_after_formats() -> None:
    assert parse_retry_after("120", T0) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 23 Nov 2026 12:05:00 GMT", T0) == timedelta(minutes=5)
    assert parse_retry_after("soon", T0) is None
    assert parse_retry_after(None, T0) is None
