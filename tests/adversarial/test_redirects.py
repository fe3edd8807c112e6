"""Redirects are followed as GitLab's client follows them, and a hostile receiver cannot use one to reach a blocked
address, leak a credential to another origin, loop, or outlast the attempt's deadline."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import time
from collections.abc import Iterator

import pytest

from hookline.adapters.http_client import (
    MAX_REQUESTS_PER_CHAIN,
    TOO_MANY_REDIRECTS,
    HttpSender,
    OutboundRequest,
    _same_origin,
    resolve_host,
)
from hookline.domain.delivery import DeliveryResult, FailureKind, Redirect, for_log
from hookline.domain.url_policy import Allowlist, IPAddress
from infra.local.receiver import Receiver
from infra.local.zoo import Zoo

TOKEN = "redirect-Secret-Token"
HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "GitLab/19.0.0",
    "X-Gitlab-Event": "Push Hook",
    "Idempotency-Key": "key-1",
    "webhook-id": "key-1",
    "webhook-timestamp": "1700000000",
    "X-Gitlab-Token": TOKEN,
    "webhook-signature": "v1,c2lnbmF0dXJl",
    "X-Custom-Secret": "custom-value",
}
BODY = b'{"object_kind":"push"}'


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Receiver, Receiver]]:
    """Two receivers: two ports, so two origins (started once: stopping one takes half a second)."""
    first, second = Receiver().start(), Receiver().start()
    yield first, second
    first.stop()
    second.stop()


def _fresh(server: Receiver) -> Receiver:
    with server.changed:
        server.requests.clear()
    server.statuses.clear()
    server.locations.clear()
    return server


@pytest.fixture
def receiver(servers: tuple[Receiver, Receiver]) -> Receiver:
    return _fresh(servers[0])


@pytest.fixture
def other(servers: tuple[Receiver, Receiver]) -> Receiver:
    return _fresh(servers[1])


@pytest.fixture(scope="module")
def zoo() -> Iterator[Zoo]:
    server = Zoo().start()
    yield server
    server.stop()


def _send(url: str, sender: HttpSender | None = None, headers: dict[str, str] | None = None) -> DeliveryResult:
    sender = sender or HttpSender(Allowlist.parse("127.0.0.1"), timeout_s=2.0)
    return asyncio.run(sender.send(OutboundRequest(url, HEADERS if headers is None else headers, BODY)))


def _redirect(receiver: Receiver, path: str, location: str, status: int = 302) -> None:
    receiver.statuses[path] = status
    receiver.locations[path] = location


@pytest.mark.parametrize(
    ("status", "method", "body"),
    [
        (301, "GET", b""),
        (302, "GET", b""),
        (303, "GET", b""),
        (300, "GET", b""),
        (307, "POST", BODY),
        (308, "POST", BODY),
    ],
)
def test_a_moved_receiver_gets_the_delivery_as_httparty_sends_it(
    receiver: Receiver, status: int, method: str, body: bytes
) -> None:
    _redirect(receiver, "/moved", "/new", status)
    result = _send(receiver.url("/moved"))
    assert (result.status_code, result.succeeded, result.internal_error) == (200, True, None)
    assert result.redirects == (Redirect(status, "/new"),)
    moved, new = receiver.requests
    assert (moved.method, moved.body) == ("POST", BODY)
    assert (new.path, new.method, new.body) == ("/new", method, body)
    assert new.headers["X-Gitlab-Token"] == TOKEN  # the same origin keeps every header


def test_the_last_answer_decides(receiver: Receiver) -> None:
    _redirect(receiver, "/moved", "/gone")
    receiver.statuses["/gone"] = 410
    result = _send(receiver.url("/moved"))
    assert (result.status_code, result.succeeded) == (410, False)
    receiver.statuses["/final-3xx"] = 302  # a redirect with no Location is the last answer: a success, as GitLab's
    final = _send(receiver.url("/final-3xx"))
    assert (final.status_code, final.succeeded) == (302, True)
    _redirect(receiver, "/not-modified", "/elsewhere", 304)  # 304 is never followed
    assert _send(receiver.url("/not-modified")).status_code == 304
    assert not receiver.to("/elsewhere")


@pytest.mark.parametrize(
    ("location", "reached"),
    [
        ("next", "/a/next"),
        ("/abs", "/abs"),
        ("../up", "/up"),
        ("?q=1", "/a/b?q=1"),
        ("//{host}/scheme-relative", "/scheme-relative"),
    ],
)
def test_relative_locations_are_resolved_against_the_url_asked(receiver: Receiver, location: str, reached: str) -> None:
    host = receiver.base_url.removeprefix("http://")
    _redirect(receiver, "/a/b", location.format(host=host))
    result = _send(receiver.url("/a/b"))
    assert result.status_code == 200, result.internal_error
    assert receiver.requests[-1].path == reached


@pytest.mark.parametrize(("redirects", "ok"), [(MAX_REQUESTS_PER_CHAIN - 1, True), (MAX_REQUESTS_PER_CHAIN, False)])
def test_a_chain_makes_at_most_five_requests(receiver: Receiver, redirects: int, ok: bool) -> None:
    for index in range(redirects):
        _redirect(receiver, f"/hop{index}", f"/hop{index + 1}")
    result = _send(receiver.url("/hop0"))
    assert len(receiver.requests) == MAX_REQUESTS_PER_CHAIN
    assert len(result.redirects) == min(redirects, MAX_REQUESTS_PER_CHAIN)
    if ok:
        assert (result.status_code, receiver.requests[-1].path) == (200, f"/hop{redirects}")
    else:
        assert (result.status_code, result.error_kind, result.response_status) == (
            None,
            FailureKind.PROTOCOL,
            "internal error",
        )
        assert result.internal_error == TOO_MANY_REDIRECTS
        assert not receiver.to(f"/hop{redirects}")


def test_a_redirect_loop_ends_at_the_limit(zoo: Zoo) -> None:
    asked = zoo.to("/redirect-loop")
    result = _send(zoo.url("/redirect-loop"))
    assert result.internal_error == TOO_MANY_REDIRECTS
    assert zoo.to("/redirect-loop") - asked == MAX_REQUESTS_PER_CHAIN


@pytest.mark.parametrize(
    ("target", "address"),
    [
        ("http://127.0.0.1:{port}/internal", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::ffff:127.0.0.1]:{port}/mapped", "::ffff:7f00:1"),
        ("http://[::ffff:a9fe:a9fe]/mapped-metadata", "::ffff:a9fe:a9fe"),
        ("http://2130706433:{port}/decimal", "127.0.0.1"),
        ("http://0x7f000001:{port}/hex", "127.0.0.1"),
        ("http://0177.0.0.1:{port}/octal", "127.0.0.1"),
        ("http://[::1]:{port}/v6", "::1"),
        ("http://10.0.0.1/private", "10.0.0.1"),
        ("http://[fd00:ec2::254]/imds-v6", "fd00:ec2::254"),
    ],
)
def test_each_hop_passes_the_outbound_policy_again(receiver: Receiver, target: str, address: str) -> None:
    """The hook's host is allow-listed by name only: the redirect's address is checked as any send's, and refused
    before anything connects to it."""
    port = receiver.server.server_address[1]

    async def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")] if host == "hooks.test" else await resolve_host(host, port)

    _redirect(receiver, "/moved", target.format(port=port))
    sender = HttpSender(Allowlist.parse("hooks.test"), resolver=resolver, timeout_s=2.0)
    result = _send(f"http://hooks.test:{port}/moved", sender)
    assert result.error_kind is FailureKind.BLOCKED
    assert result.internal_error == (
        f"URL is blocked: the redirect's host resolves to a private or reserved address ({address})"
    )
    assert [request.path for request in receiver.requests] == ["/moved"]
    assert result.redirects == (Redirect(302, target.format(port=port)),)


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "javascript:alert(1)", "gopher://127.0.0.1:70/_x", "ftp://127.0.0.1/", "data:,hi"]
)
def test_a_redirect_to_another_scheme_is_blocked(receiver: Receiver, target: str) -> None:
    _redirect(receiver, "/moved", target)
    result = _send(receiver.url("/moved"))
    assert (result.error_kind, result.internal_error) == (
        FailureKind.BLOCKED,
        "URL is blocked: Only allowed schemes are http, https",
    )
    assert len(receiver.requests) == 1


def test_the_chain_is_pinned_to_the_addresses_checked(receiver: Receiver, other: Receiver) -> None:
    looked_up: list[str] = []

    async def resolver(host: str, port: int) -> list[IPAddress]:
        looked_up.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    other_port = other.server.server_address[1]
    _redirect(receiver, "/moved", f"http://elsewhere.test:{other_port}/landing")
    sender = HttpSender(Allowlist.parse("127.0.0.1"), resolver=resolver, timeout_s=2.0)
    result = _send(f"http://hooks.test:{receiver.server.server_address[1]}/moved", sender)
    assert result.status_code == 200, result.internal_error
    assert looked_up == ["hooks.test", "elsewhere.test"]  # one lookup a hop, no second one to rebind
    assert other.requests[0].headers["Host"] == f"elsewhere.test:{other_port}"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


SECRET_HEADERS = ("Authorization", "X-Gitlab-Token", "webhook-signature", "X-Custom-Secret")


def test_credentials_stay_with_the_hook_origin(receiver: Receiver, other: Receiver) -> None:
    """Basic auth, the token, the signature and custom headers never reach another origin (a 307 keeps the body),
    nor the hook's origin again once the chain has left it; the delivery headers that carry no secret go along."""
    _redirect(receiver, "/moved", other.url("/landing"), 307)
    _redirect(other, "/landing", receiver.url("/back"), 307)
    url = receiver.url("/moved").replace("http://", "http://us%40er:p%3Ass@")
    result = _send(url)
    assert result.status_code == 200, result.internal_error
    moved, back = receiver.requests
    assert moved.headers["Authorization"] == _basic("us@er", "p:ss")
    assert all(moved.headers.get(name) for name in SECRET_HEADERS)
    for request in (other.requests[0], back):
        assert [name for name in SECRET_HEADERS if name in request.headers] == [], request.path
        assert request.body == BODY
        assert request.headers["X-Gitlab-Event"] == "Push Hook" and request.headers["Idempotency-Key"] == "key-1"
        assert request.headers["User-Agent"] == "GitLab/19.0.0"


def test_a_location_with_userinfo_lends_no_credentials_and_is_logged_masked(receiver: Receiver) -> None:
    port = receiver.server.server_address[1]
    location = f"http://intruder:hunter2@127.0.0.1:{port}/landing"
    _redirect(receiver, "/moved", location)
    result = _send(receiver.url("/moved").replace("http://", "http://hook:pw@"))
    assert result.status_code == 200, result.internal_error
    assert receiver.to("/landing")[0].headers["Authorization"] == _basic("hook", "pw")  # the hook's, same origin
    assert for_log(result).redirects[0].location == f"http://[REDACTED]@127.0.0.1:{port}/landing"


def test_one_deadline_bounds_the_whole_chain(receiver: Receiver, zoo: Zoo) -> None:
    _redirect(receiver, "/moved", zoo.url("/hang"), 307)
    started = time.perf_counter()
    result = _send(receiver.url("/moved"), HttpSender(Allowlist.parse("127.0.0.1"), timeout_s=0.5))
    assert (result.error_kind, result.internal_error) == (FailureKind.TIMEOUT, "Request timed out")
    assert time.perf_counter() - started < 1.5
    assert result.redirects == (Redirect(307, zoo.url("/hang")),)


@pytest.mark.parametrize(
    ("first", "other", "same"),
    [
        (("https", "a.example", 443), ("https", "a.example", 443), True),
        (("http", "a.example", 80), ("https", "a.example", 443), True),  # an upgrade of the same host
        (("https", "a.example", 443), ("http", "a.example", 80), False),  # a downgrade
        (("http", "a.example", 8080), ("https", "a.example", 443), False),
        (("https", "a.example", 443), ("https", "b.example", 443), False),
        (("https", "a.example", 443), ("https", "a.example", 8443), False),
    ],
)
def test_origins(first: tuple[str, str, int], other: tuple[str, str, int], same: bool) -> None:
    assert _same_origin(first, other) is same
