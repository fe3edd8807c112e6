import ipaddress

import pytest

from hookline.domain.url_policy import Allowlist, InvalidUrl, blocked_reason, validate_url_syntax


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "javascript:alert(1)",
        "http://",
        "http://a\nb",
        " http://x",
        "x",
        "http://x/\x01",
        "http://x/\x00",
        "http://x/\x7f",
        "http://x/" + "a" * 66_000,
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidUrl):
        validate_url_syntax(url)


@pytest.mark.parametrize("url", ["http://example.com", "https://example.com:8443/p?q=1", "http://[::1]:8080/"])
def test_good_urls_pass(url: str) -> None:
    validate_url_syntax(url)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0",
     "::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "255.255.255.255"],
)  # fmt: skip
def test_private_addresses_are_blocked_by_default(address: str) -> None:
    assert blocked_reason("h", [ipaddress.ip_address(address)], Allowlist()) is not None


def test_public_address_passes_and_allowlist_opens_private_ones() -> None:
    assert blocked_reason("h", [ipaddress.ip_address("93.184.216.34")], Allowlist()) is None
    allow = Allowlist.parse("127.0.0.1, ::1, internal.example, 10.0.0.0/8")
    assert blocked_reason("h", [ipaddress.ip_address("127.0.0.1")], allow) is None
    assert blocked_reason("h", [ipaddress.ip_address("10.9.9.9")], allow) is None
    assert blocked_reason("internal.example", [ipaddress.ip_address("192.168.0.5")], allow) is None
    assert blocked_reason("h", [ipaddress.ip_address("192.168.0.5")], allow) is not None
