"""Text as GitLab's "Recent events" keep it: byte caps marked with "…", emails redacted."""

from __future__ import annotations

import unicodedata
from typing import Any

import re2

REDACTED = "[REDACTED]"
#: ActiveSupport's ``String#truncate_bytes`` omission, which GitLab's logs keep at the end of a cut value.
TRUNCATION_MARK = "…"
_MARK_BYTES = len(TRUNCATION_MARK.encode())
#: ``URI::MailTo::EMAIL_REGEXP``, which GitLab's ``WebHookLog#redact_user_emails`` matches against each whole value.
_EMAIL = re2.compile(
    r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*"
)


def truncate_bytes(text: str, limit: int, *, cut: bool = False) -> str:
    """GitLab's ``truncate_bytes(limit)``: ``text`` when its UTF-8 fits ``limit`` bytes (and it was not ``cut``
    already), else its longest prefix of whole grapheme clusters that fits ``limit`` with "…" appended."""
    encoded = text.encode("utf-8", "replace")
    if len(encoded) <= limit and not cut:
        return text
    if limit < _MARK_BYTES:
        return ""
    kept = len(encoded[: limit - _MARK_BYTES].decode("utf-8", "ignore"))
    while 0 < kept < len(text) and _extends(text[kept - 1], text[kept]):
        kept -= 1
    return text[:kept] + TRUNCATION_MARK


def _extends(before: str, char: str) -> bool:
    """Whether ``char`` belongs to the grapheme cluster of ``before``: a combining mark, a joiner or what follows one,
    a variation selector, an emoji modifier or tag, the LF of a CRLF (the cases a cut can split)."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or before == "\u200d"
        or code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or (before == "\r" and char == "\n")
    )


def redact_emails(data: Any) -> Any:
    """GitLab's ``WebHookLog#redact_user_emails``: every value, at any depth of objects and arrays, whose whole text
    is an email address becomes ``[REDACTED]``; keys and other values are kept. Containers are changed in place
    (``data`` is a freshly parsed copy); iterative, so nesting depth costs no stack."""
    if isinstance(data, str):
        return REDACTED if _is_email(data) else data
    stack = [data] if isinstance(data, dict | list) else []
    while stack:
        container = stack.pop()
        pairs = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in list(pairs):
            if isinstance(value, dict | list):
                stack.append(value)
            elif isinstance(value, str) and _is_email(value):
                container[key] = REDACTED
    return data


def _is_email(value: str) -> bool:
    return "@" in value and _EMAIL.fullmatch(value) is not None
