import pytest

from hookline.domain.branch_filter import (
    BranchFilterStrategy,
    InvalidBranchFilter,
    InvalidWildcardFilter,
    branch_matches,
    branch_name,
    validate_branch_filter,
)

W, R, A = BranchFilterStrategy.WILDCARD, BranchFilterStrategy.REGEX, BranchFilterStrategy.ALL_BRANCHES


@pytest.mark.parametrize(
    ("strategy", "pattern", "branch", "expected"),
    [
        (W, None, "main", True),
        (W, "", "anything", True),
        (W, "main", "main", True),
        (W, "main", "domain", False),
        (W, "release/*", "release/1.0", True),
        (W, "release/*", "release/a/b", True),  # * crosses slashes
        (W, "release/*", "release/", True),  # * may be empty
        (W, "release/*", "main", False),
        (W, "*-stable", "12-stable", True),
        (W, "fix?", "fix?", True),  # ? is literal
        (W, "fix?", "fixa", False),
        (W, "[ab]", "a", False),  # [] is literal
        (W, "[ab]", "[ab]", True),
        (R, "main", "domain", True),  # unanchored search
        (R, "^main$", "domain", False),
        (R, "^(feature|fix)/", "feature/x", True),
        (R, "^(feature|fix)/", "chore/x", False),
        (A, "release/*", "main", True),
        (W, "a*a", "a", False),  # the prefix and the suffix may not overlap
        (W, "a*a", "aa", True),
        (W, "*", "", True),
        (W, "**", "x", True),
        (W, "ab*ba", "aba", False),
        (W, "ab*ba", "abba", True),
        (W, "*b*b*", "abcb", True),
        (W, "*b*b*", "abc", False),
        (W, "x*y*z", "xzyz", True),  # leftmost y, then z after it
    ],
)
def test_branch_filter_table(strategy: BranchFilterStrategy, pattern: str | None, branch: str, expected: bool) -> None:
    assert branch_matches(strategy, pattern, branch) is expected


def test_branch_name_strips_refs_heads() -> None:
    assert branch_name("refs/heads/release/1.0") == "release/1.0"


def test_lookahead_is_rejected_at_save_time() -> None:
    with pytest.raises(InvalidBranchFilter, match="RE2"):
        validate_branch_filter(R, "^(?!main).*")


def test_wildcard_length_limit() -> None:
    validate_branch_filter(W, "a" * 4000)
    with pytest.raises(InvalidBranchFilter):
        validate_branch_filter(W, "a" * 4001)


def test_a_regex_over_the_program_size_bound_is_refused_at_save_time() -> None:
    with pytest.raises(InvalidBranchFilter, match="too large"):
        validate_branch_filter(R, ".{1000}")  # RE2 accepts it; its program is ~16,000 instructions
    validate_branch_filter(R, "^(main|release/[0-9]+[.][0-9]+|hotfix/.*)$")


def test_a_regex_over_the_length_bound_is_refused() -> None:
    with pytest.raises(InvalidBranchFilter, match="too long"):
        validate_branch_filter(R, "a" * 4001)


def test_a_pattern_that_is_not_utf8_is_refused_and_never_matches() -> None:
    with pytest.raises(InvalidBranchFilter):
        validate_branch_filter(R, "main\ud800")
    assert branch_matches(R, "main\ud800", "main") is False
    assert branch_matches(R, "main", "main\ud800") is False  # a branch name RE2 cannot take
    assert branch_matches(W, "main*", "main\ud800") is True  # the wildcard scan takes any text


@pytest.mark.parametrize(
    ("sent", "saved"),
    [
        ("main", "main"),
        ("release/*", "release/*"),
        ("*-stable", "*-stable"),
        ("*", "*"),
        ("feature/**/x", "feature/**/x"),
        ("  main  ", "main"),  # squished, as ActiveSupport's String#squish
        ("\tmain\n", "main"),
        ("\u3000main\u00a0", "main"),  # Unicode whitespace too
        ("", ""),
        ("   ", ""),  # blank after squishing: matches every branch
        (None, None),
        ("a" * 4000, "a" * 4000),
        ("ünïcödé/ブランチ", "ünïcödé/ブランチ"),
        ("v1.0@x", "v1.0@x"),
    ],
)
def test_a_wildcard_is_saved_squished(sent: str | None, saved: str | None) -> None:
    assert validate_branch_filter(W, sent) == saved


@pytest.mark.parametrize(
    "pattern",
    [
        "bad branch",  # a space stays after squishing
        "main  dev",
        "bad~name",
        "a^b",
        "a:b",
        "a?b",
        "[ab]",
        "a\\b",
        "a\x7fb",
        "a\x01b",
        "a..b",
        ".hidden",
        "dir/.hidden",
        "x.lock",
        "dir/x.lock/y",
        "a//b",
        "trailing/",
        "/leading",
        "trailing.",
        "a@{b",
        "HEAD",
        "-dash",
        "refs/heads/main",
        "refs/remotes/origin/main",
        "a" * 4001,
    ],
)
def test_a_wildcard_that_is_no_branch_name_is_refused(pattern: str) -> None:
    with pytest.raises(InvalidWildcardFilter):
        validate_branch_filter(W, pattern)


def test_the_regex_strategy_is_not_checked_as_a_branch_name() -> None:
    assert validate_branch_filter(R, "^(feature|fix)/.+ [x]?$") == "^(feature|fix)/.+ [x]?$"
    assert validate_branch_filter(R, "  main  ") == "  main  "  # not squished
