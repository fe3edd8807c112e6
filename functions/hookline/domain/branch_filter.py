"""GitLab's push branch filter: wildcard, regex (RE2, unanchored) or all branches."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

import re2

WILDCARD_MAX_LENGTH = 4000
BRANCH_REF_PREFIX = "refs/heads/"


class BranchFilterStrategy(StrEnum):
    WILDCARD = "wildcard"
    REGEX = "regex"
    ALL_BRANCHES = "all_branches"


class InvalidBranchFilter(ValueError):
    """The filter cannot be saved; the message says why."""


def branch_name(ref: str) -> str:
    """The branch a push ref names: the ref without ``refs/heads/``."""
    return ref.removeprefix(BRANCH_REF_PREFIX)


@lru_cache(maxsize=1024)
def _compile_wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


@lru_cache(maxsize=1024)
def _compile_regex(pattern: str) -> re2._Regexp:
    return re2.compile(pattern)


def validate_branch_filter(strategy: BranchFilterStrategy, pattern: str | None) -> None:
    """Raise InvalidBranchFilter for a filter GitLab refuses at save time."""
    if not pattern:
        return
    if strategy is BranchFilterStrategy.WILDCARD and len(pattern) > WILDCARD_MAX_LENGTH:
        raise InvalidBranchFilter(f"is too long (maximum is {WILDCARD_MAX_LENGTH} characters)")
    if strategy is BranchFilterStrategy.REGEX:
        try:
            _compile_regex(pattern)
        except re2.error as error:
            reason = error.args[0].decode() if isinstance(error.args[0], bytes) else str(error)
            raise InvalidBranchFilter(f"is not a valid RE2 regular expression: {reason}") from None


def branch_matches(strategy: BranchFilterStrategy, pattern: str | None, branch: str) -> bool:
    """Whether a push to ``branch`` passes the filter (a blank filter passes everything)."""
    if strategy is BranchFilterStrategy.ALL_BRANCHES or not pattern:
        return True
    if strategy is BranchFilterStrategy.REGEX:
        try:
            return _compile_regex(pattern).search(branch) is not None
        except re2.error:
            return False
    if "*" not in pattern:
        return branch == pattern
    return _compile_wildcard(pattern).fullmatch(branch) is not None
