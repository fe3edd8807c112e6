"""HttpSender.send never raises: a URL or header that cannot go, or any error at all, is that delivery's result, with
a kind and a message of Hookline's that carries no secret; what is kept of an answer is bounded in bytes."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import tracemalloc
import zlib
from collections.abc import Iterator

import brotli
import pytest

from hookline.adapters.http_client import (
    READ_LIMIT,
    HttpSender,
    OutboundRequest,
    decoded_body,
    received_headers,
)
from hookline.domain.delivery import (
    RESPONSE_HEADER_NAME_LIMIT,
    RESPONSE_HEADER_VALUE_LIMIT,
    RESPONSE_HEADERS_BYTES_LIMIT,
    RESPONSE_HEADERS_LIMIT,
    DeliveryResult,
    FailureKind,
    for_log,
)
from hookline.domain.url_policy import Allowlist, IPAddress
from infra.local.receiver import Receiver
from tests.adversarial.neighbours import assert_no_secret

SECRET = "s3cr3t-Token-Value"


@pytest.fixture(scope="module")
def local() -> Iterator[tuple[HttpSender, Receiver]]:
    receiver = Receiver().start()
    yield HttpSender(Allowlist.parse("127.0.0.1"), timeout_s=2.0), receiver
    receiver.stop()


def _send(sender: HttpSender, url: str, headers: dict[str, str] | None = None) -> DeliveryResult:
    request = OutboundRequest(url, {"Content-Type": "application/json", **(headers or {})}, b"{}")
    return asyncio.run(sender.send(request))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a\x01b", "The URL cannot be sent: invalid character"),
        ("/a\x00b", "The URL cannot be sent: invalid character"),
        ("/a\x7fb", "The URL cannot be sent: invalid character"),
        ("/a\nb", "The URL cannot be sent: invalid character"),
        (f"/{SECRET}\x01", "The URL cannot be sent: invalid character"),  # a url variable's value with a control char
        ("/" + "a" * 66_000, "The URL cannot be sent: it is too long"),
        ("/a\ud800b", "The URL cannot be sent: invalid character"),
    ],
)
def test_a_url_that_cannot_be_sent_is_an_invalid_request(
    local: tuple[HttpSender, Receiver], path: str, expected: str
) -> None:
    sender, receiver = local
    result = _send(sender, receiver.url(path))
    assert (result.error_kind, result.internal_error) == (FailureKind.INVALID_REQUEST, expected)
    assert not [request for request in receiver.requests if request.path.startswith(path[:8])]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:99999/",
        "ftp://127.0.0.1/",
        "http:///nohost",
        "http://[::1/",
        "http://a..b/",
        "http://" + "a" * 64 + ".example/",  # a DNS label over 63 characters
    ],
)
def test_a_malformed_url_is_an_invalid_request(url: str) -> None:
    result = _send(HttpSender(Allowlist.parse("127.0.0.1")), url)
    assert result.error_kind is FailureKind.INVALID_REQUEST
    assert result.internal_error is not None and result.internal_error.startswith("The URL cannot be sent")


@pytest.mark.parametrize(
    "value",
    [f"{SECRET}\x01", f"{SECRET}\r\nX-Injected: 1", f" {SECRET}", f"{SECRET}\t", f"{SECRET}\x7f", f"{SECRET}é"],
)
def test_a_header_value_that_cannot_be_sent_names_the_header_never_the_value(
    local: tuple[HttpSender, Receiver], value: str
) -> None:
    sender, receiver = local
    result = _send(sender, receiver.url("/h"), {"X-Gitlab-Token": value})
    assert result.error_kind is FailureKind.INVALID_REQUEST
    assert result.internal_error == "A header value cannot be sent: invalid character in X-Gitlab-Token"
    assert_no_secret(SECRET, result.internal_error)
    assert receiver.to("/h") == []


def test_an_illegal_header_name_is_an_invalid_request(local: tuple[HttpSender, Receiver]) -> None:
    sender, receiver = local
    result = _send(sender, receiver.url("/h"), {f"X-{SECRET}\x01": "v"})
    assert receiver.to("/h") == []
    assert result.internal_error == "A header cannot be sent: invalid header name"
    assert_no_secret(SECRET, result.internal_error)


def test_an_ordinary_request_still_goes(local: tuple[HttpSender, Receiver]) -> None:
    sender, receiver = local
    result = _send(sender, receiver.url("/fine?a=1"), {"X-Gitlab-Token": SECRET, "X-Custom": "a b\tc"})
    assert result.status_code == 200 and result.error_kind is None
    assert receiver.to("/fine?a=1")[0].headers["x-gitlab-token"] == SECRET


@pytest.mark.parametrize(
    "error", [RuntimeError(SECRET), KeyError(SECRET), UnicodeEncodeError("ascii", SECRET, 0, 1, SECRET), MemoryError()]
)
def test_an_unforeseen_error_is_an_internal_failure_without_its_text(error: Exception) -> None:
    async def failing(host: str, port: int) -> list[IPAddress]:
        raise error

    result = _send(HttpSender(Allowlist(), resolver=failing), "https://hooks.example.invalid/x")
    assert result.error_kind is not None and result.internal_error is not None
    assert_no_secret(SECRET, result.internal_error)


def test_cancellation_is_not_swallowed() -> None:
    async def cancelled(host: str, port: int) -> list[IPAddress]:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        _send(HttpSender(Allowlist(), resolver=cancelled), "https://hooks.example.invalid/x")


def test_the_timeout_bounds_the_lookup_too() -> None:
    async def slow(host: str, port: int) -> list[IPAddress]:
        await asyncio.Event().wait()  # never answers
        return [ipaddress.ip_address("127.0.0.1")]

    result = _send(HttpSender(Allowlist.parse("127.0.0.1"), resolver=slow, timeout_s=0.05), "http://hooks.invalid/")
    assert (result.error_kind, result.internal_error) == (FailureKind.TIMEOUT, "Request timed out")


def test_a_blocked_send_names_the_address_not_the_host() -> None:
    async def private(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("10.0.0.1")]

    result = _send(HttpSender(Allowlist(), resolver=private), f"https://{SECRET.lower()}.example.invalid/")
    assert result.error_kind is FailureKind.BLOCKED
    assert result.internal_error == "URL is blocked: the host resolves to a private or reserved address (10.0.0.1)"


def test_one_bad_request_leaves_the_others_of_a_batch_their_answers(local: tuple[HttpSender, Receiver]) -> None:
    sender, receiver = local
    requests = [
        OutboundRequest(receiver.url("/before"), {}, b"{}"),
        OutboundRequest(receiver.url("/bad\x01"), {}, b"{}"),
        OutboundRequest(receiver.url("/h"), {"X-Gitlab-Token": "bad\x00"}, b"{}"),
        OutboundRequest(receiver.url("/after"), {}, b"{}"),
    ]
    results = asyncio.run(sender.send_all(requests))
    assert [result.status_code for result in results] == [200, None, None, 200]


def _size(headers: dict[str, str]) -> int:
    return sum(len(name.encode()) + len(value.encode()) for name, value in headers.items())


@pytest.mark.parametrize(
    "raw",
    [
        [(f"X-{index}".encode(), b"v" * 2000) for index in range(5000)],  # thousands, each over the value cap
        [(b"X-Wide", "é".encode() * 4000)],  # two bytes a character: the cap counts bytes
        [(b"X-Bad", b"\xff" * 4000)],  # each invalid byte becomes a three-byte replacement character
        [(b"N" * 100_000, b"v")],  # one huge name
        [(b"Set-Cookie", b"c" * 900)] * 100,  # repeats are joined, then capped
    ],
)
def test_response_headers_are_bounded_in_bytes_in_the_log(raw: list[tuple[bytes, bytes]]) -> None:
    received = received_headers(raw)
    assert 1 <= len(received) <= RESPONSE_HEADERS_LIMIT  # the client keeps 50 names, whole (100 KB read at most)
    headers = for_log(DeliveryResult(0.1, 200, received)).response_headers
    assert 1 <= len(headers) <= RESPONSE_HEADERS_LIMIT
    assert all(len(name.encode()) <= RESPONSE_HEADER_NAME_LIMIT for name in headers)
    assert all(len(value.encode()) <= RESPONSE_HEADER_VALUE_LIMIT for value in headers.values())
    assert _size(headers) <= RESPONSE_HEADERS_BYTES_LIMIT


def test_header_names_show_as_the_receiver_sent_them_with_repeats_joined() -> None:
    raw = [(b"retry-after", b"120"), (b"Set-Cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"X-Request-ID", b"r")]
    assert received_headers(raw) == {"retry-after": "120", "Set-Cookie": "a=1, b=2", "X-Request-ID": "r"}


# --- bodies: decoded, bounded --------------------------------------------------------------------------------------

TEXT = b'{"received": true, "note": "' + b"n" * 20_000 + b'"}'
BOMB = b"0" * (64 * 1024 * 1024)
#: Made once each: compressing 64 MB takes a moment.
GZIP_BOMB = gzip.compress(BOMB, 9)
BROTLI_BOMB = brotli.compress(BOMB, quality=5, lgwin=24)


@pytest.mark.parametrize(
    ("raw", "encodings", "body", "cut"),
    [
        (b"plain", [], b"plain", False),
        (b"plain", ["identity"], b"plain", False),
        (gzip.compress(b'{"a":1}'), ["gzip"], b'{"a":1}', False),
        (gzip.compress(b'{"a":1}'), ["x-gzip"], b'{"a":1}', False),
        (zlib.compress(b'{"a":1}'), ["deflate"], b'{"a":1}', False),
        (brotli.compress(b'{"a":1}'), ["br"], b'{"a":1}', False),
        (gzip.compress(TEXT), ["gzip"], TEXT[:READ_LIMIT], True),  # decoded past the cap: cut
        (brotli.compress(TEXT), ["br"], TEXT[:READ_LIMIT], True),
        (gzip.compress(b"x" * 100)[:-8], ["gzip"], b"x" * 100, False),  # no trailer: what it decodes to
        (b"not gzip at all", ["gzip"], b"not gzip at all", False),  # a lying encoding: kept as received
        (b"not brotli", ["br"], b"not brotli", False),
        (b"\x1f\x8b\x08garbage", ["gzip"], b"\x1f\x8b\x08garbage", False),
        (b"zstd?", ["zstd"], b"zstd?", False),  # an encoding Hookline does not decode: as received
        (b"bogus", ["x-bogus"], b"bogus", False),
        (gzip.compress(gzip.compress(b"{}")), ["gzip", "gzip"], gzip.compress(gzip.compress(b"{}")), False),  # stacked
    ],
)
def test_bodies_are_decoded_once_and_bounded(raw: bytes, encodings: list[str], body: bytes, cut: bool) -> None:
    assert decoded_body(raw, encodings, more=False) == (body, cut)


@pytest.mark.parametrize(("bomb", "encoding"), [(GZIP_BOMB, "gzip"), (BROTLI_BOMB, "br")])
def test_a_decompression_bomb_inflates_no_further_than_the_cap(bomb: bytes, encoding: str) -> None:
    tracemalloc.start()
    try:
        body, cut = decoded_body(bomb[:65536], [encoding], more=len(bomb) > 65536)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (body, cut) == (b"0" * READ_LIMIT, True)
    assert peak < 4 * READ_LIMIT + 2 * len(bomb[:65536])  # never the 64 MB it would inflate to


def test_a_receiver_compressing_its_answer_is_logged_decoded(local: tuple[HttpSender, Receiver]) -> None:
    sender, receiver = local
    for encoding, compress in (("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)):
        receiver.replies[f"/{encoding}"] = (
            [("Content-Encoding", encoding)],
            compress(b'{"compressed": "' + encoding.encode() + b'"}'),
        )
        result = _send(sender, receiver.url(f"/{encoding}"))
        assert result.response_body == f'{{"compressed": "{encoding}"}}', encoding
        assert result.response_headers["Content-Encoding"] == encoding
    assert "br" in receiver.to("/br")[0].headers["accept-encoding"]
