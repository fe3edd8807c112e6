"""Save-time rules for hostile values and the URL's userinfo split: pure functions of the domain and the store."""

from __future__ import annotations

import pytest

from hookline.adapters.hook_store import join_url_userinfo, split_url_userinfo
from hookline.domain.hooks import (
    InvalidHookField,
    check_custom_headers,
    check_token,
    check_url_text,
    check_url_variables,
    is_framing_header,
)


@pytest.mark.parametrize(
    ("url", "bare", "userinfo"),
    [
        ("https://example.invalid/p", "https://example.invalid/p", None),
        ("https://u:p@example.invalid:8443/p?q=1#f", "https://example.invalid:8443/p?q=1#f", "u:p"),
        ("http://a@b:c@host/x@y", "http://host/x@y", "a@b:c"),  # the last @ before the path ends the userinfo
        ("https://{user}:{pass}@{host}/p", "https://{host}/p", "{user}:{pass}"),
        ("https://host?next=http://u:p@evil", "https://host?next=http://u:p@evil", None),
        ("HTTPS://U:P@[::1]:80", "HTTPS://[::1]:80", "U:P"),
    ],
)
def test_userinfo_splits_off_and_joins_back_exactly(url: str, bare: str, userinfo: str | None) -> None:
    assert split_url_userinfo(url) == (bare, userinfo)
    assert join_url_userinfo(bare, userinfo) == url


@pytest.mark.parametrize(
    "name",
    ["Host", "HOST", "content-length", "Content_Length", "Transfer-Encoding", "Connection", "Upgrade", "TE", "te",
     "Trailer", "Expect", "Keep-Alive", "keep.alive", "Proxy", "Proxy-Authorization", "proxy_connection"],
)  # fmt: skip
def test_hop_by_hop_and_framing_headers(name: str) -> None:
    assert is_framing_header(name)
    with pytest.raises(InvalidHookField) as refused:
        check_custom_headers({name: "v"})
    assert refused.value.field == "custom_headers" and name in refused.value.message


@pytest.mark.parametrize("name", ["X-Host", "Hosts", "Content-Type", "X-Proxy-Id", "Te1", "Authorization"])
def test_ordinary_headers_are_not_framing_headers(name: str) -> None:
    assert not is_framing_header(name)
    assert check_custom_headers({name: "v"}) == {name: "v"}


HEADER_VALUES = [
    ("plain value", True),
    ("kms1:QUFB:QkJC", True),
    ("[REDACTED]", True),
    ("a\x00b", False),
    ("a\r\nb", False),
    ("a\x7fb", False),
    ("a\x85b", False),
    (" lead", False),
    ("trail ", False),
    ("tab\t", False),
    ("välue", False),
    ("\u2028", False),
    ("nbsp\u00a0", False),
]


@pytest.mark.parametrize(("value", "ok"), HEADER_VALUES)
def test_header_values_and_tokens_a_header_can_carry(value: str, ok: bool) -> None:
    for check, field in ((lambda v: check_custom_headers({"X-K": v}), "custom_headers"), (check_token, "token")):
        if ok:
            check(value)
            continue
        with pytest.raises(InvalidHookField) as refused:
            check(value)
        assert refused.value.field == field
        assert value not in refused.value.message  # never echoed


def test_a_token_with_a_newline_keeps_gitlabs_wording() -> None:
    with pytest.raises(InvalidHookField) as refused:
        check_token("a\nb")
    assert refused.value.message == "is invalid"


@pytest.mark.parametrize(
    ("value", "ok"), [("a b", True), ("välue", True), ("../x", True), ("a\x00", False), ("a\r", False), ("\x7f", False)]
)
def test_url_variable_values_have_no_control_characters(value: str, ok: bool) -> None:
    if ok:
        assert check_url_variables({"v": value}) == {"v": value}
    else:
        with pytest.raises(InvalidHookField, match="url_variables"):
            check_url_variables({"v": value})


def test_url_variable_keys_and_header_names_are_capped() -> None:
    check_url_variables({"k" * 100: "v"})
    check_custom_headers({"X" * 128: "v"})
    with pytest.raises(InvalidHookField):
        check_url_variables({"k" * 101: "v"})
    with pytest.raises(InvalidHookField):
        check_custom_headers({"X" * 129: "v"})


def test_url_text() -> None:
    check_url_text("https://example.invalid/" + "a" * 2024)
    with pytest.raises(InvalidHookField, match="too long"):
        check_url_text("https://example.invalid/" + "a" * 2025)
    with pytest.raises(InvalidHookField, match="control"):
        check_url_text("https://example.invalid/\x00")
