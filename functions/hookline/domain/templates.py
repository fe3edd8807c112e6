"""Custom webhook templates, rendered by GitLab's rules (``WebHookService#render_custom_template``).

- ``{{path.to.value}}`` placeholders, matched non-greedily; the path is split on ``.`` and nothing is trimmed.
- A string is inserted as its JSON-escaped content without quotes; anything else as a JSON literal; a missing key is
  ``null``.
- The rendered text must parse as JSON; the parsed value is what is sent.

Hookline goes beyond GitLab in one way: an all-digit segment (optionally negative) indexes an array, as Ruby's
``Array#dig`` would (``{{commits.0.id}}``, ``{{commits.-1.id}}``; out of range is ``null``). Any other step into an
array, or any step into a string, number or boolean, stays GitLab's error.
"""

from __future__ import annotations

import json
import re
from typing import Any

TEMPLATE_MAX_LENGTH = 4096
_PLACEHOLDER = re.compile(r"{{(.+?)}}")
_INDEX = re.compile(r"^-?[0-9]+$")
_ERROR_PREFIX = "Error while parsing rendered custom webhook template: "
ARRAY_ACCESS_ERROR = _ERROR_PREFIX + "You may be trying to access an array value, which is not supported."


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


def render_template(template: str, payload: dict[str, Any]) -> str:
    """The body a template gives for this payload, as compact JSON text; TemplateError with GitLab's message."""
    try:
        rendered = _PLACEHOLDER.sub(lambda match: _insert(_dig(payload, match.group(1).split("."))), template)
    except _NotDiggable:
        raise TemplateError(ARRAY_ACCESS_ERROR) from None
    try:
        parsed = json.loads(rendered, parse_constant=_reject_constant)
    except ValueError as error:
        raise TemplateError(f"{_ERROR_PREFIX}{error}") from None
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
