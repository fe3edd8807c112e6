"""What "Recent events" keep, as GitLab keeps it: byte caps marked with "…", no emails."""

from __future__ import annotations

import time
from typing import Any

import pytest

from hookline.domain.log_text import REDACTED, redact_emails, truncate_bytes


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 8, "short"),
        ("exactly8", 8, "exactly8"),
        ("nine char", 8, "nine …"),  # 5 bytes + the 3-byte mark
        ("ééééé", 8, "éé…"),  # 2 bytes a character: 4 + 3 fits, a third é would not
        ("👍👍👍👍", 13, "👍👍…"),  # 4 bytes each: 8 + 3
        ("abcde\u0301fgh", 9, "abcd…"),  # e + combining acute is one grapheme: never split
        ("ab👩\u200d💻cd", 12, "ab…"),  # a ZWJ sequence is one grapheme
        ("abc\r\ndef", 7, "abc…"),  # CRLF is one grapheme
        ("anything", 3, "…"),
        ("anything", 2, ""),
    ],
)
def test_truncate_bytes_as_activesupport(text: str, limit: int, expected: str) -> None:
    cut = truncate_bytes(text, limit)
    assert cut == expected
    assert len(cut.encode()) <= limit


def test_a_text_cut_before_is_marked_even_when_it_fits() -> None:
    assert truncate_bytes("short", 8, cut=True) == "short…"
    assert truncate_bytes("a" * 20, 8, cut=True) == "aaaaa…"


@pytest.mark.parametrize(
    ("data", "redacted"),
    [
        ({"email": "jane@example.com"}, {"email": REDACTED}),
        ({"user": {"email": "j.doe+tag@sub.example.co"}}, {"user": {"email": REDACTED}}),
        ({"commits": [{"author": {"email": "a@b"}}]}, {"commits": [{"author": {"email": REDACTED}}]}),
        (["x@y.z", "not an email"], [REDACTED, "not an email"]),
        ({"name": "Jane <jane@example.com>"}, {"name": "Jane <jane@example.com>"}),  # the whole value must match
        ({"msg": "mail jane@example.com today"}, {"msg": "mail jane@example.com today"}),
        ({"jane@example.com": 1}, {"jane@example.com": 1}),  # keys are kept
        ({"n": 1, "b": True, "z": None, "f": 1.5}, {"n": 1, "b": True, "z": None, "f": 1.5}),
        ({"email": "jane@-example.com"}, {"email": "jane@-example.com"}),  # not a valid domain label
        ({"email": "jane@example.com\n"}, {"email": "jane@example.com\n"}),  # \z: nothing may follow
        ("jane@example.com", REDACTED),
        ("plain", "plain"),
        (None, None),
    ],
)
def test_emails_are_redacted_as_gitlab_logs_them(data: Any, redacted: Any) -> None:
    assert redact_emails(data) == redacted


def test_redaction_is_linear_and_needs_no_stack() -> None:
    deep: Any = "jane@example.com"
    for _ in range(100_000):
        deep = [deep]
    inner = redact_emails({"d": deep})["d"]
    while isinstance(inner, list):
        inner = inner[0]
    assert inner == REDACTED
    hostile = {"v": "a" * 1_000_000 + "@" + "b" * 1_000_000, "w": ["a@" + "b-" * 200_000]}
    started = time.perf_counter()
    assert redact_emails(hostile)["v"].startswith("a")
    assert time.perf_counter() - started < 1.0
