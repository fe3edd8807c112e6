"""Patterns a tenant controls (branch filters, custom templates) run under a bound, whatever the pattern and input."""

from __future__ import annotations

import json
import re
import tracemalloc
from typing import Any

import pytest
import re2
from hypothesis import given
from hypothesis import strategies as st

from hookline.domain import branch_filter, templates
from hookline.domain.branch_filter import (
    BRANCH_NAME_MAX_LENGTH,
    REGEX_MAX_MEMORY,
    REGEX_MAX_PROGRAM_SIZE,
    BranchFilterStrategy,
    branch_matches,
    wildcard_matches,
)
from hookline.domain.templates import RENDERED_MAX_BYTES, TOO_LARGE_ERROR, TemplateError, placeholders, render_template
from tests.adversarial.neighbours import Bulkhead, push_payload

W, R, A = BranchFilterStrategy.WILDCARD, BranchFilterStrategy.REGEX, BranchFilterStrategy.ALL_BRANCHES
#: 57 s on the old backtracking translation (``a.*a.*…b``), against 43 ``a``s.
CATASTROPHIC = "*a*a*a*a*a*a*a*a*a*a*b"
BRANCH = "a" * 43


class CountingName(str):
    """A branch name that counts the searches made in it, and the characters each may scan."""

    scanned = 0
    searches = 0

    def find(self, sub: Any, start: Any = None, end: Any = None) -> int:
        CountingName.searches += 1
        CountingName.scanned += (len(self) if end is None else end) - (start or 0)
        return super().find(sub, start, end)


def test_a_catastrophic_wildcard_is_one_bounded_scan() -> None:
    """Structural: one search per literal piece, none scanning past the name; the old regex backtracked ~2^43."""
    CountingName.searches = CountingName.scanned = 0
    assert wildcard_matches(CATASTROPHIC, CountingName(BRANCH)) is False
    pieces = CATASTROPHIC.count("*") + 1
    assert CountingName.searches <= pieces
    assert CountingName.scanned <= pieces * len(BRANCH)
    assert branch_matches(W, CATASTROPHIC, BRANCH) is False
    assert branch_matches(W, CATASTROPHIC, BRANCH + "b") is True


def test_no_backtracking_regex_engine_runs_a_wildcard(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a wildcard must not compile a regex")

    monkeypatch.setattr(re, "compile", forbidden)
    monkeypatch.setattr(re2, "compile", forbidden)
    assert branch_matches(W, "*a*b*c*d" * 200, "abcd" * 250) is True


def _old_wildcard(pattern: str, name: str) -> bool:
    """The former translation, a correct but backtracking reference for small inputs."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name, re.DOTALL) is not None


@given(st.text(alphabet="ab*/.", max_size=8), st.text(alphabet="ab/.", max_size=10))
def test_the_scan_agrees_with_the_regex_translation(pattern: str, name: str) -> None:
    assert wildcard_matches(pattern, name) is _old_wildcard(pattern, name)


def test_a_regex_filter_runs_on_re2_with_bounded_memory() -> None:
    compiled = branch_filter._compile_regex("^(feature|fix)/.*")
    assert isinstance(compiled, re2._Regexp)
    assert compiled.options.max_mem == REGEX_MAX_MEMORY
    assert compiled.programsize <= REGEX_MAX_PROGRAM_SIZE


def test_a_stored_regex_over_the_bounds_never_matches() -> None:
    """A pattern saved before the bounds existed is not run: it passes no push."""
    assert branch_matches(R, ".{1000}", "x" * 1000) is False
    assert branch_matches(R, "(a+)+$", "a" * 43 + "!") is False  # RE2: linear, the classic ReDoS is harmless


def test_a_branch_name_past_the_bound_matches_only_when_no_pattern_applies() -> None:
    name = "a" * (BRANCH_NAME_MAX_LENGTH + 1)
    assert branch_matches(R, "a", name) is False
    assert branch_matches(W, "*", name) is False
    assert branch_matches(A, None, name) is True
    assert branch_matches(W, "", name) is True


# --- templates ---------------------------------------------------------------------------------------------------
REPEATED = "{{commits.0.message}}"
BOMB = '{"m":"' + REPEATED * ((templates.TEMPLATE_MAX_LENGTH - 8) // len(REPEATED)) + '"}'
BIG_MESSAGE = "x" * 100_000


def test_a_template_bomb_stops_at_the_cap_without_building_the_text() -> None:
    """~190 copies of a 100 KB value would be 19 MB; the render stops at the first past 64 KB."""
    assert len(BOMB) <= templates.TEMPLATE_MAX_LENGTH
    payload = {"commits": [{"message": BIG_MESSAGE}]}
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError, match="too large"):
            render_template(BOMB, payload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


def test_the_cap_is_on_the_rendered_bytes() -> None:
    fits = "é" * ((RENDERED_MAX_BYTES - 16) // 2)  # two bytes a character
    assert render_template('{"m":"{{m}}"}', {"m": fits}) == json.dumps({"m": fits}, ensure_ascii=False).replace(" ", "")
    with pytest.raises(TemplateError) as error:
        render_template('{"m":"{{m}}","n":"{{m}}"}', {"m": fits})
    assert str(error.value) == TOO_LARGE_ERROR


def test_a_template_over_its_length_is_not_rendered() -> None:
    with pytest.raises(TemplateError, match="too long"):
        render_template("{}" + " " * templates.TEMPLATE_MAX_LENGTH, {})


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("template", "payload"),
    [
        ("[" * 2000 + "]" * 2000, {}),  # nested past the JSON parser's recursion limit
        ('{"v":{{deep}}}', {"deep": _nested(5000)}),
        ('{"v":{{n}}}', {"n": 1e400}),  # Infinity is not JSON
        ('{"v":1e400}', {}),
    ],
)
def test_what_json_cannot_write_is_a_template_error(template: str, payload: dict[str, Any]) -> None:
    """A TemplateError (the delivery's internal error), never a RecursionError or a body that is not JSON."""
    with pytest.raises(TemplateError):
        render_template(template, payload)


def test_a_lone_surrogate_in_the_payload_still_renders_valid_utf8() -> None:
    body = render_template('{"m":"{{m}}"}', {"m": "a\ud800b"})
    assert json.loads(body.encode()) == {"m": "a\ud800b"}


@given(st.text(alphabet="{}a.\n", max_size=24))
def test_placeholders_are_found_as_the_regex_finds_them(template: str) -> None:
    expected = [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"{{(.+?)}}", template)]
    assert list(placeholders(template)) == expected


def test_an_unclosed_placeholder_run_is_scanned_once() -> None:
    class Counting(str):
        scanned = 0

        def find(self, sub: Any, start: Any = None, end: Any = None) -> int:
            found = super().find(sub, start, end)
            Counting.scanned += (len(self) if found < 0 else found + len(sub)) - (start or 0)
            return found

    template = Counting("{" * 4096)
    assert list(placeholders(template)) == []
    assert Counting.scanned <= 4 * len(template)  # the regex's lazy scan took ~n^2 / 2


# --- on the local stack: the neighbours do not notice ------------------------------------------------------------
def test_hostile_patterns_leave_the_neighbours_their_deliveries(bulkhead: Bulkhead) -> None:
    wildcard = bulkhead.hostile_hook(push_events_branch_filter=CATASTROPHIC)
    regex = bulkhead.hostile_hook(push_events_branch_filter="(a+)+$", branch_filter_strategy="regex")
    template = bulkhead.hostile_hook(custom_webhook_template=BOMB)
    assert [answer.status_code for answer in (wildcard, regex, template)] == [201, 201, 201]
    payload = push_payload(bulkhead.hostile_project, f"refs/heads/{BRANCH}")
    payload["commits"] = [{"id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "message": BIG_MESSAGE}]
    bulkhead.run(hostile_payload=payload)
    bulkhead.assert_invariant()
    assert bulkhead.hostile_logs(wildcard.json()["id"]) == []  # filtered out, in no time
    (log,) = bulkhead.hostile_logs(template.json()["id"])[:1]
    assert log["response_status"] == "internal error" and "too large" in log["internal_error_message"]
