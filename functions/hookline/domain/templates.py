"""Custom webhook templates, rendered by GitLab's rules (``WebHookService#render_custom_template``).

- ``{{path.to.value}}`` placeholders, matched non-greedily; the path is split on ``.`` and nothing is trimmed.
- A string is inserted as its JSON-escaped content without quotes; anything else as a JSON literal; a missing key is
  ``null``.
- The rendered text must parse as JSON; the parsed value is what is sent.

Hookline goes beyond GitLab in one way: an all-digit segment (optionally negative) indexes an array, as Ruby's
``Array#dig`` would (``{{commits.0.id}}``, ``{{commits.-1.id}}``; out of range is ``null``). Any other step into an
array, or any step into a string, number or boolean, stays GitLab's error.

Bounds (a template is a tenant's): a template over ``TEMPLATE_MAX_LENGTH`` (4096 characters) is not rendered, and the
rendered body may be at most ``RENDERED_MAX_BYTES`` (64 KB, 65,536 bytes of UTF-8). The cap is enforced while
rendering: the first placeholder that takes the text past it stops the render with a TemplateError, so a small template
that repeats a large value never builds the large text. Placeholders are found by a linear scan (no backtracking).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

TEMPLATE_MAX_LENGTH = 4096
RENDERED_MAX_BYTES = 64 * 1024
_INDEX = re.compile(r"^-?[0-9]+$")
_ERROR_PREFIX = "Error while parsing rendered custom webhook template: "
ARRAY_ACCESS_ERROR = _ERROR_PREFIX + "You may be trying to access an array value, which is not supported."
TOO_LARGE_ERROR = f"Rendered custom webhook template is too large (the limit is {RENDERED_MAX_BYTES} bytes)"
TOO_LONG_ERROR = f"Custom webhook template is too long (maximum is {TEMPLATE_MAX_LENGTH} characters)"


class TemplateError(ValueError):
    """Rendering failed; the message is GitLab's, logged as the delivery's internal error."""


class _NotDiggable(Exception):
    pass


def _dig(payload: Any, segments: list[str]) -> Any:
    value = payload
    for segment in segments:
        if value is None:
            return None
        if isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and _INDEX.match(segment):
            index = int(segment)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            raise _NotDiggable
    return value


def _insert(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text[1:-1] if isinstance(value, str) else text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"unexpected token {name}")


def placeholders(template: str) -> Iterator[tuple[int, int, str]]:
    """Each ``{{path}}`` as ``re.finditer(r"{{(.+?)}}")`` finds them: (start, end, path), the path one or more
    characters without a newline, ending at the first ``}}`` after it. One pass: the next ``}}`` and the next newline
    only move forward, so no character is scanned more than a few times."""
    position, close, newline, length = 0, -1, -1, len(template)
    while (start := template.find("{{", position)) >= 0:
        if close < start + 3:
            close = template.find("}}", start + 3)
            if close < 0:
                return
        if newline < start + 2:
            newline = template.find("\n", start + 2)
            newline = length if newline < 0 else newline
        if newline < close:  # no match starts here
            position = start + 1
            continue
        yield start, close + 2, template[start + 2 : close]
        position = close + 2


def render_template(template: str, payload: dict[str, Any]) -> str:
    """The body a template gives for this payload, as compact JSON text; TemplateError with GitLab's message, or
    Hookline's when the template or the rendered text is over its bound."""
    if len(template) > TEMPLATE_MAX_LENGTH:
        raise TemplateError(TOO_LONG_ERROR)
    pieces: list[str] = []
    size = last = 0
    try:
        for start, end, path in placeholders(template):
            for piece in (template[last:start], _insert(_dig(payload, path.split(".")))):
                size += len(piece.encode("utf-8", "surrogatepass"))
                if size > RENDERED_MAX_BYTES:
                    raise TemplateError(TOO_LARGE_ERROR)
                pieces.append(piece)
            last = end
    except _NotDiggable:
        raise TemplateError(ARRAY_ACCESS_ERROR) from None
    except RecursionError:  # a payload value nested too deep to write
        raise TemplateError(f"{_ERROR_PREFIX}a value is nested too deep") from None
    pieces.append(template[last:])
    rendered = "".join(pieces)
    try:
        parsed = json.loads(rendered, parse_constant=_reject_constant)
        body = json.dumps(parsed, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except RecursionError:
        raise TemplateError(f"{_ERROR_PREFIX}nesting too deep") from None
    except ValueError as error:
        raise TemplateError(f"{_ERROR_PREFIX}{error}") from None
    try:
        encoded = body.encode()
    except UnicodeEncodeError:  # a lone surrogate from the payload: sent escaped, so the body is valid UTF-8
        body = json.dumps(parsed, separators=(",", ":"))
        encoded = body.encode()
    if len(encoded) > RENDERED_MAX_BYTES:
        raise TemplateError(TOO_LARGE_ERROR)
    return body
