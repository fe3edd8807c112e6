"""Relative image references in webhook bodies made absolute, as GitLab's hook data builders do
(``Gitlab::HookData::BaseBuilder#absolute_image_urls``).

``![image](/uploads/<sha>/image.png)`` becomes ``![image](<instance>/-/project/<id>/uploads/<sha>/image.png)``;
another relative reference (``![a](foo.png)``) becomes ``<instance>/foo.png``. Left alone: URLs that are absolute
(any scheme) or protocol-relative, links (``[text](/uploads/…)``, no ``!``), reference-style images (link labels),
an escaped ``\\!``, fenced code blocks and multi-line HTML blocks, and upload references when the project's id is not
known. One RE2 pass per field (linear time); the text an event may grow by is bounded (``GROWTH_LIMIT``): past it,
the remaining references are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

#: The markdown fields GitLab rewrites, by event: issue and merge request descriptions (IssueBuilder,
#: MergeRequestBuilder), a note's ``description`` (NoteBuilder) and its noteable's, a wiki page's content
#: (WikiPageBuilder), a release's description (ReleaseBuilder), an emoji's note and awardable.
_NOTEABLES = (("issue", "description"), ("merge_request", "description"))
REWRITTEN_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Issue Hook": (("object_attributes", "description"),),
    "Confidential Issue Hook": (("object_attributes", "description"),),
    "Merge Request Hook": (("object_attributes", "description"),),
    "Note Hook": (("object_attributes", "description"), *_NOTEABLES),
    "Confidential Note Hook": (("object_attributes", "description"), *_NOTEABLES),
    "Wiki Page Hook": (("object_attributes", "content"),),
    "Release Hook": (("description",),),
    "Emoji Hook": (("note", "description"), *_NOTEABLES),
}
#: At most this many bytes are added to one event's payload (about 5,000 rewritten references).
GROWTH_LIMIT = 256 * 1024

_OPTIONS = re2.Options()
_OPTIONS.max_mem = 16 << 20
_MARKDOWN = re2.compile(
    r"(?m)"
    r"(?P<code>^```[^\n]*\n(?s:.*?)\n```[ ]*$)"  # a fenced code block
    r"|(?P<html>^<[^>\n]+>[ ]*\n(?s:.*?)\n</[^>\n]+>[ ]*$)"  # an HTML block over several lines
    r"|(?P<escape>\\(?s:.))"  # an escaped character: \! starts no image
    r"|!\[(?P<title>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\((?P<url>[^)\n]+)\)",  # an inline image, brackets nested once
    _OPTIONS,
)
_LEFT_ALONE = re2.compile(r"^(?://|[A-Za-z][A-Za-z0-9+.-]*:|[\s<#])")
_UPLOADS = ("/uploads/", "uploads/")


@dataclass
class Budget:
    """Bytes an event's rewrites may still add."""

    left: int = GROWTH_LIMIT


def absolute_url(url: str, instance_url: str, project_id: int | None) -> str | None:
    """The absolute form of an image URL, or None when it is left as it is."""
    if _LEFT_ALONE.search(url):
        return None
    base = instance_url.rstrip("/")
    if url.startswith(_UPLOADS):
        if project_id is None:
            return None
        return f"{base}/-/project/{project_id}/{url.lstrip('/')}"
    return f"{base}/{url.lstrip('/')}"


def absolute_image_urls(text: str, instance_url: str, project_id: int | None, budget: Budget | None = None) -> str:
    """``text`` with its relative image references made absolute (one linear pass)."""
    if "](" not in text:
        return text
    budget = budget if budget is not None else Budget()

    def rewrite(match: Any) -> str:
        whole: str = match.group(0)
        url = match.group("url")
        if url is None:
            return whole
        absolute = absolute_url(url, instance_url, project_id)
        if absolute is None or len(absolute) - len(url) > budget.left:
            return whole
        budget.left -= len(absolute) - len(url)
        return f"![{match.group('title')}]({absolute})"

    return str(_MARKDOWN.sub(rewrite, text))


def with_absolute_image_urls(
    event_name: str, payload: dict[str, Any], instance_url: str, project_id: int | None
) -> dict[str, Any]:
    """The payload with GitLab's markdown fields rewritten (copied where changed); the same object when nothing
    changed."""
    if not instance_url:
        return payload
    budget = Budget()

    def rewrite(text: str) -> str:
        return absolute_image_urls(text, instance_url, project_id, budget)

    for path in REWRITTEN_FIELDS.get(event_name, ()):
        payload = _rewrite_at(payload, path, rewrite)
    return payload


def _rewrite_at(value: dict[str, Any], path: tuple[str, ...], rewrite: Callable[[str], str]) -> dict[str, Any]:
    current = value.get(path[0])
    if isinstance(current, str) and len(path) == 1:
        new: Any = rewrite(current)
    elif isinstance(current, dict) and len(path) > 1:
        new = _rewrite_at(current, path[1:], rewrite)
    else:
        return value
    unchanged = new is current or (isinstance(new, str) and new == current)
    return value if unchanged else {**value, path[0]: new}
