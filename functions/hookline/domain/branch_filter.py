"""GitLab's push branch filter: wildcard, regex (RE2, unanchored) or all branches.

Every filter is a tenant's, so matching is bounded whatever the pattern:
- a wildcard is matched by one left-to-right scan, each literal piece found once after the previous one (no regex
  engine, no backtracking: linear in the branch name and the pattern);
- a regex runs on RE2 (linear time, no backtracking) with ``max_mem`` capped and a program-size bound checked at save
  time and again before matching; a pattern over it never matches;
- a branch name longer than ``BRANCH_NAME_MAX_LENGTH`` matches only a blank or ``all_branches`` filter.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

import re2

WILDCARD_MAX_LENGTH = 4000
#: Hookline's bounds on a tenant's regex: pattern length, RE2's memory budget and its compiled program's size.
REGEX_MAX_LENGTH = 4000
REGEX_MAX_MEMORY = 1 << 20
REGEX_MAX_PROGRAM_SIZE = 4096
#: A longer branch name is not matched against a pattern (git allows it; no filter is worth the cost).
BRANCH_NAME_MAX_LENGTH = 1024
BRANCH_REF_PREFIX = "refs/heads/"


class BranchFilterStrategy(StrEnum):
    WILDCARD = "wildcard"
    REGEX = "regex"
    ALL_BRANCHES = "all_branches"


class InvalidBranchFilter(ValueError):
    """The filter cannot be saved; the message says why."""


class InvalidWildcardFilter(InvalidBranchFilter):
    """A wildcard filter GitLab refuses: not a git branch name once each ``*`` stands for a character, or too long.
    GitLab answers it with 422 ``Invalid branch filter given``."""


#: Ruby's ``[[:space:]]`` (Unicode White_Space), which ``String#squish`` collapses.
_WHITESPACE = re.compile(r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
#: Characters git refuses in a reference name: controls, DEL, space, ``~ ^ : \\ ? [`` and ``*`` (no glob in a branch).
_BAD_REF_CHARACTER = re.compile(r"[\x00-\x20\x7f~^:\\?\[*]")
#: GitLab's GitRefValidator refuses these prefixes before asking libgit2.
_REFUSED_PREFIXES = ("refs/heads/", "refs/remotes/", "-")


def squish(value: str) -> str:
    """ActiveSupport's ``String#squish``: whitespace runs become one space, none (nor NUL, as Ruby's ``strip``) at
    either end."""
    return _WHITESPACE.sub(" ", value).strip(" \x00")


def is_valid_branch_name(name: str) -> bool:
    """GitLab's ``GitRefValidator``: libgit2's rules for ``refs/heads/<name>`` (no empty, ``.``-leading or
    ``.lock``-ending component, no ``..`` or ``@{``, no trailing ``.`` or ``/``, none of the refused characters), and
    not ``HEAD`` nor one of the refused prefixes."""
    if not name or name == "HEAD" or name.startswith(_REFUSED_PREFIXES) or _BAD_REF_CHARACTER.search(name):
        return False
    if ".." in name or "@{" in name or name.endswith((".", "/")):
        return False
    return all(part and not part.startswith(".") and not part.endswith(".lock") for part in name.split("/"))


def checked_wildcard(pattern: str | None) -> str | None:
    """A wildcard filter as GitLab saves it: squished, then checked as a branch name with each ``*`` read as a
    character; a blank filter is kept (it matches every branch)."""
    if pattern is None:
        return None
    squished = squish(pattern)
    if squished and not is_valid_branch_name(squished.replace("*", "x")):
        raise InvalidWildcardFilter("is not a valid branch name")
    if len(squished) > WILDCARD_MAX_LENGTH:
        raise InvalidWildcardFilter(f"is longer than the allowed length of {WILDCARD_MAX_LENGTH} characters.")
    return squished


def branch_name(ref: str) -> str:
    """The branch a push ref names: the ref without ``refs/heads/``."""
    return ref.removeprefix(BRANCH_REF_PREFIX)


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = REGEX_MAX_MEMORY
    options.log_errors = False
    return options


_OPTIONS = _options()


@lru_cache(maxsize=1024)
def _compile_regex(pattern: str) -> re2._Regexp:
    """The pattern compiled by RE2 within the bounds; InvalidBranchFilter when it is not valid or is over them."""
    if len(pattern) > REGEX_MAX_LENGTH:
        raise InvalidBranchFilter(f"is too long (maximum is {REGEX_MAX_LENGTH} characters)")
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise InvalidBranchFilter(f"is not a valid RE2 regular expression: {reason}") from None
    except UnicodeError:
        raise InvalidBranchFilter("is not valid UTF-8 text") from None
    if compiled.programsize > REGEX_MAX_PROGRAM_SIZE:
        raise InvalidBranchFilter(
            f"is not a valid RE2 regular expression: pattern too large (program size over {REGEX_MAX_PROGRAM_SIZE})"
        )
    return compiled


def wildcard_matches(pattern: str, name: str) -> bool:
    """Whether the whole name matches, each ``*`` any run of characters: the first piece is a prefix, the last a
    suffix, each middle piece found at its leftmost place after the previous (leftmost is always safe with ``*``)."""
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return name == pattern
    first, *middle, last = pieces
    if len(first) + len(last) > len(name) or not name.startswith(first) or not name.endswith(last):
        return False
    position, end = len(first), len(name) - len(last)
    for piece in middle:
        if not piece:
            continue
        found = name.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def validate_branch_filter(strategy: BranchFilterStrategy, pattern: str | None) -> str | None:
    """The filter as it is saved (a wildcard squished); InvalidBranchFilter for one GitLab (or Hookline's bounds)
    refuses at save time (InvalidWildcardFilter for a wildcard's)."""
    if strategy is BranchFilterStrategy.WILDCARD:
        return checked_wildcard(pattern)
    if pattern and strategy is BranchFilterStrategy.REGEX:
        _compile_regex(pattern)
    return pattern


def branch_matches(strategy: BranchFilterStrategy, pattern: str | None, branch: str) -> bool:
    """Whether a push to ``branch`` passes the filter (a blank filter passes everything)."""
    if strategy is BranchFilterStrategy.ALL_BRANCHES or not pattern:
        return True
    if len(branch) > BRANCH_NAME_MAX_LENGTH:
        return False
    if strategy is BranchFilterStrategy.REGEX:
        try:
            return _compile_regex(pattern).search(branch) is not None
        except (InvalidBranchFilter, UnicodeError):  # saved before a bound, or a name RE2 cannot take: no match
            return False
    return wildcard_matches(pattern, branch)
