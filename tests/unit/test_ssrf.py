"""The SSRF guard on send: every vector is refused before any connection; allow-listed addresses go through,
connected to the address that was checked, with the Host header and SNI kept."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from hookline.adapters.http_client import HttpSender, OutboundRequest
from hookline.domain.url_policy import Allowlist, IPAddress, ip_literal
from infra.local.receiver import Receiver

LITERAL_VECTORS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://10.0.0.1/",
    "http://10.255.255.254:8080/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://255.255.255.255/",
    "http://224.0.0.1/",
    "https://user:pass@10.0.0.1/",
]


def _send(sender: HttpSender, url: str) -> str | None:
    result = asyncio.run(sender.send(OutboundRequest(url, {"Content-Type": "application/json"}, b"{}")))
    return result.internal_error


@pytest.mark.parametrize("url", LITERAL_VECTORS)
def test_literal_vectors_are_blocked_on_send(url: str) -> None:
    async def never(host: str, port: int) -> list[IPAddress]:
        literal = ip_literal(host)
        assert literal is not None, f"{host} should be read as a literal"
        return [literal]

    error = _send(HttpSender(Allowlist(), resolver=never), url)
    assert error is not None and error.startswith("URL is blocked")


@pytest.mark.parametrize("answer", ["10.0.0.1", "127.0.0.1", "169.254.169.254", "::1", "fd00:ec2::254"])
def test_a_name_that_resolves_to_a_private_address_is_blocked(answer: str) -> None:
    async def private(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address(answer)]  # one bad answer is enough

    error = _send(HttpSender(Allowlist(), resolver=private), "https://hooks.example.invalid/x")
    assert error is not None and "URL is blocked" in error


def test_allow_listed_address_works_and_the_checked_address_is_the_one_connected(receiver: Receiver) -> None:
    resolved: list[str] = []

    async def rebinding(host: str, port: int) -> list[IPAddress]:
        resolved.append(host)  # a second lookup could answer differently: there must be none
        return [ipaddress.ip_address("127.0.0.1")]

    sender = HttpSender(Allowlist.parse("127.0.0.1"), resolver=rebinding)
    port = receiver.server.server_address[1]
    result = asyncio.run(
        sender.send(OutboundRequest(f"http://hooks.example.invalid:{port}/pinned", {"X-Test": "1"}, b'{"a":1}'))
    )
    assert result.status_code == 200, result.internal_error
    (request,) = receiver.to("/pinned")
    assert request.headers["Host"] == f"hooks.example.invalid:{port}"
    assert resolved == ["hooks.example.invalid"]


@pytest.mark.parametrize(
    ("host", "address"),
    [("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
     ("[::1]", "::1"), ("hooks.example.com", None), ("1.2.3.4.5", None)],
)  # fmt: skip
def test_ip_spellings(host: str, address: str | None) -> None:
    literal = ip_literal(host)
    assert (str(literal) if literal else None) == address
