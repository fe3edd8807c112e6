"""Outbound HTTP: async httpx clients reused across invocations, the URL policy applied before each send.

Bulkhead rules of :meth:`HttpSender.send`: it never raises (only cancellation and other BaseExceptions pass); every
failure is that delivery's result, with a :class:`FailureKind` and a message Hookline words itself, never a library's
text (which can echo the URL or a header value); one attempt, from the DNS lookup to the last body byte, ends at the
sender's timeout; what is kept of the answer is bounded in bytes:

- at most ``RESPONSE_HEADERS_LIMIT`` (50) headers, each name at most ``RESPONSE_HEADER_NAME_LIMIT`` (256) bytes and
  each value at most ``RESPONSE_HEADER_VALUE_LIMIT`` (1 KB) of UTF-8, all together at most
  ``RESPONSE_HEADERS_BYTES_LIMIT`` (16 KB). httpcore reads a header block of at most 100 KB: past it the answer is a
  PROTOCOL failure, "Response headers too large";
- the body: at most ``RESPONSE_BODY_LIMIT`` (8 KB) is read, raw (never decompressed), and at most 8 KB of UTF-8 kept.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

import h11
import httpx

from hookline.adapters.tls import ClientCertificate, ssl_context
from hookline.domain.delivery import (
    REQUEST_TIMEOUT_SECONDS,
    RESPONSE_BODY_LIMIT,
    RESPONSE_HEADER_VALUE_LIMIT,
    RESPONSE_HEADERS_LIMIT,
    DeliveryResult,
    FailureKind,
    split_userinfo,
)
from hookline.domain.url_policy import (
    URL_MAX_LENGTH,
    Allowlist,
    IPAddress,
    blocked_address,
    blocked_reason,
    canonical_address,
    ip_literal,
)

T = TypeVar("T")
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

RESPONSE_HEADER_NAME_LIMIT = 256
RESPONSE_HEADERS_BYTES_LIMIT = 16 * 1024
TIMED_OUT = "Request timed out"
_URL_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_NAME = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[ \t\x21-\x7e]*[\x21-\x7e])?)?")  # printable ASCII, trimmed
_OPENSSL_REASON = re.compile(r"[A-Z0-9_]{1,80}")
#: OpenSSL's verification codes in Hookline's words (OpenSSL's own text can name the host).
_VERIFY_REASONS = {
    2: "unable to get issuer certificate",
    9: "certificate is not yet valid",
    10: "certificate has expired",
    18: "self-signed certificate",
    19: "self-signed certificate in certificate chain",
    20: "unable to get local issuer certificate",
    21: "unable to verify the first certificate",
    62: "hostname mismatch",
    64: "IP address mismatch",
}
_CONNECTION_ERRNOS = {
    errno.ECONNREFUSED: "Connection refused",
    errno.ECONNRESET: "Connection reset",
    errno.ECONNABORTED: "Connection reset",
    errno.EPIPE: "Connection closed before a response",
    errno.EHOSTUNREACH: "Host unreachable",
    errno.ENETUNREACH: "Network unreachable",
}


#: Whose lookup runs now (its hook's project or group), for the DNS bulkhead; set by HttpSender.send.
_TENANT: ContextVar[str] = ContextVar("tenant", default="")
#: Clients kept (one per loop, TLS setting and host name), least recently used closed first.
MAX_CLIENTS = 256
DNS_THREADS = 64
DNS_LOOKUPS_PER_TENANT = 8


class LookupsSaturated(socket.gaierror):
    """A tenant has DNS_LOOKUPS_PER_TENANT lookups in flight already (its names answer slowly, or never)."""


class DnsPool:
    """getaddrinfo in threads of its own, at most DNS_LOOKUPS_PER_TENANT per tenant at once. A lookup that hangs keeps
    its thread after the attempt's timeout, so a tenant's count drops when the thread returns, not when the attempt
    gives up: one tenant's names that never answer hold a few threads, never all of them."""

    def __init__(self, threads: int = DNS_THREADS, per_tenant: int = DNS_LOOKUPS_PER_TENANT) -> None:
        self.per_tenant = per_tenant
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="dns")
        self._in_flight: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    async def lookup(self, host: str, port: int, tenant: str) -> list[Any]:
        with self._lock:
            if self._in_flight[tenant] >= self.per_tenant:
                raise LookupsSaturated(socket.EAI_AGAIN, "too many lookups in flight")
            self._in_flight[tenant] += 1
        future = self._pool.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        future.add_done_callback(lambda _: self._release(tenant))
        return await asyncio.wrap_future(future)

    def _release(self, tenant: str) -> None:
        with self._lock:
            self._in_flight[tenant] -= 1
            if not self._in_flight[tenant]:
                del self._in_flight[tenant]


DNS = DnsPool()


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal, in any spelling, resolves to itself)."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    infos = await DNS.lookup(host, port, _TENANT.get())
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def destination_blocked(url: str, allowlist: Allowlist) -> str | None:
    """Why a hook URL may not be saved: its host is, or resolves to, a blocked address. A name that does not resolve
    now passes (it is checked again on every send)."""
    try:
        parts = urlsplit(split_userinfo(url)[0])
        host = parts.hostname or ""
        port = parts.port or 443
    except ValueError:  # not a URL at all: its syntax check answers
        return None
    addresses: list[IPAddress]
    literal = ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, ValueError):
            return None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    reason = blocked_reason(host, addresses, allowlist)
    return reason.removeprefix("URL ") if reason else None


@dataclass(frozen=True)
class OutboundRequest:
    url: str
    headers: dict[str, str]
    body: bytes
    verify_tls: bool = True
    tenant: str = ""  # whose request it is (its hook's project or group): DNS lookups are bounded per tenant


class Unsendable(Exception):
    """The request cannot be put on the wire; the message is Hookline's and names no value."""


class HttpSender:
    """Sends deliveries concurrently. Redirects are not followed: a 3xx counts as success (Standard Webhooks).

    ``timeout_s`` bounds each attempt as a whole (lookup, connect, send, headers and body read).
    """

    def __init__(
        self,
        allowlist: Allowlist,
        resolver: Resolver = resolve_host,
        client_certificate: ClientCertificate | None = None,
        timeout_s: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.allowlist = allowlist
        self.resolver = resolver
        self.client_certificate = client_certificate
        self.timeout_s = timeout_s
        self._clients: OrderedDict[tuple[int, bool, str], httpx.AsyncClient] = OrderedDict()
        self._closing: set[asyncio.Task[None]] = set()

    def _client(self, verify: bool, host: str) -> httpx.AsyncClient:
        """One client per event loop, TLS setting and host name: a client's pool belongs to the loop that made it, and
        pools connections by the address a request is pinned to. Keyed by name, a connection whose certificate was
        verified for one name never carries a request for another name on the same address (a shared front routing
        by SNI would hand it, token and all, to whoever owns the first name). The least recently used go past
        MAX_CLIENTS."""
        loop = asyncio.get_running_loop()
        key = (id(loop), verify, host)
        client = self._clients.pop(key, None)
        if client is None:
            client = httpx.AsyncClient(
                verify=ssl_context(verify, self.client_certificate),
                follow_redirects=False,
                timeout=httpx.Timeout(self.timeout_s),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
                trust_env=False,
            )
        self._clients[key] = client  # most recently used last
        while len(self._clients) > MAX_CLIENTS:
            _, oldest = self._clients.popitem(last=False)
            self._closing.add(loop.create_task(oldest.aclose()))
            self._closing = {task for task in self._closing if not task.done()}
        return client

    async def send_all(self, requests: list[OutboundRequest]) -> list[DeliveryResult]:
        return list(await asyncio.gather(*(self.send(request) for request in requests)))

    async def send(self, request: OutboundRequest) -> DeliveryResult:
        """The receiver's answer, bounded, or the internal error of this one delivery. Never raises."""
        started = time.perf_counter()
        _TENANT.set(request.tenant)  # this task's own context: gather runs each send in a task
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._send(request, started)
        except Exception as error:  # whatever it is, it is this delivery's failure, not the batch's
            kind, message = describe_failure(error)
            return DeliveryResult(time.perf_counter() - started, internal_error=message, error_kind=kind)

    async def _send(self, request: OutboundRequest, started: float) -> DeliveryResult:
        credentials, parts, host = _checked_url(request.url)
        headers = _checked_headers(request.headers)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await self.resolver(host, port)
        blocked = blocked_address(host, addresses, self.allowlist) if addresses else None
        if not addresses or blocked is not None:
            message = (
                f"URL is blocked: the host resolves to a private or reserved address ({blocked})"
                if blocked is not None
                else "URL is blocked: the host resolves to no address"
            )
            return DeliveryResult(time.perf_counter() - started, internal_error=message, error_kind=FailureKind.BLOCKED)
        pinned, headers, extensions = _pinned(parts, host, addresses[0], headers)
        async with self._client(request.verify_tls, host).stream(
            "POST", pinned, content=request.body, headers=headers, auth=credentials, extensions=extensions
        ) as response:
            body = bytearray()
            async for chunk in response.aiter_raw():
                body.extend(chunk[: RESPONSE_BODY_LIMIT - len(body)])
                if len(body) >= RESPONSE_BODY_LIMIT:
                    break
            return DeliveryResult(
                duration_s=time.perf_counter() - started,
                status_code=response.status_code,
                response_headers=bounded_headers(response.headers.raw),
                response_body=_utf8_prefix(bytes(body).decode("utf-8", "replace"), RESPONSE_BODY_LIMIT),
            )


def _checked_url(raw: str) -> tuple[tuple[str, str] | None, SplitResult, str]:
    """The credentials of the URL, its parts without them and its host in ASCII (IDNA); Unsendable if it cannot go."""
    if len(raw) > URL_MAX_LENGTH:
        raise Unsendable("The URL cannot be sent: it is too long")
    if _URL_FORBIDDEN.search(raw) or (not raw.isascii() and not _utf8_encodable(raw)):
        raise Unsendable("The URL cannot be sent: invalid character")
    try:
        url, credentials = split_userinfo(raw)
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise Unsendable("The URL cannot be sent: invalid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise Unsendable("The URL cannot be sent: invalid URL")
    return credentials, parts, host


def _checked_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers, when each can go on the wire as is (no control or non-ASCII character, no edge whitespace)."""
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise Unsendable("A header cannot be sent: invalid header name")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            raise Unsendable(f"A header value cannot be sent: invalid character in {name}")
    return headers


def _pinned(
    parts: SplitResult, host: str, address: IPAddress, headers: dict[str, str]
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """Connect to the address that was checked (no second lookup to rebind), keeping Host and TLS SNI as the name."""
    address = canonical_address(address)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit(parts._replace(netloc=netloc))
    host_header = f"[{host}]" if ":" in host else host
    if parts.port:
        host_header = f"{host_header}:{parts.port}"
    extensions = {"sni_hostname": host} if ip_literal(host) is None else {}
    return pinned, {**headers, "Host": host_header}, extensions


def _utf8_encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _utf8_prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 is at most ``limit`` bytes (a cut character is dropped)."""
    encoded = text.encode("utf-8", "replace")
    return text if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore")


def bounded_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Response headers as logged: names lower-cased, repeats joined with ", " (as httpx does), at most 50 names,
    each name and value capped in bytes of UTF-8, and the first ones kept within the total cap."""
    joined: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = _utf8_prefix(raw_name.decode("latin-1").lower(), RESPONSE_HEADER_NAME_LIMIT)
        if name not in joined and len(joined) >= RESPONSE_HEADERS_LIMIT:
            continue
        text = raw_value.decode("utf-8", "replace")
        previous = joined.get(name)
        joined[name] = _utf8_prefix(text if previous is None else f"{previous}, {text}", RESPONSE_HEADER_VALUE_LIMIT)
    kept: dict[str, str] = {}
    total = 0
    for name, value in joined.items():
        room = RESPONSE_HEADERS_BYTES_LIMIT - total - len(name.encode())
        if room < 0:
            break
        kept[name] = _utf8_prefix(value, room)
        total += len(name.encode()) + len(kept[name].encode())
    return kept


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and its causes (httpx wraps httpcore's, which wraps h11's, ssl's or the socket's)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_failure(error: Exception) -> tuple[FailureKind, str]:
    """The kind and a message of Hookline's own for a failed attempt: no library text, so nothing of the request."""
    chain = list(_chain(error))
    if isinstance(error, Unsendable):
        return FailureKind.INVALID_REQUEST, str(error)
    if any(isinstance(link, TimeoutError | httpx.TimeoutException) for link in chain):
        return FailureKind.TIMEOUT, TIMED_OUT
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            reason = _VERIFY_REASONS.get(link.verify_code or 0)
            suffix = f" ({reason})" if reason else ""
            return FailureKind.TLS, f"TLS handshake failed: certificate verify failed{suffix}"
    for link in chain:
        if isinstance(link, ssl.SSLError):
            reason = link.reason if isinstance(link.reason, str) and _OPENSSL_REASON.fullmatch(link.reason) else None
            words = "TLS handshake failed" if isinstance(error, httpx.ConnectError) else "TLS error"
            return FailureKind.TLS, f"{words}: {reason}" if reason else words
    if any(isinstance(link, LookupsSaturated) for link in chain):
        return FailureKind.CONNECTION, "Host could not be resolved: too many slow lookups of this namespace"
    if any(isinstance(link, socket.gaierror) for link in chain):
        return FailureKind.CONNECTION, "Host could not be resolved"
    for link in chain:
        if isinstance(link, h11.RemoteProtocolError) and link.error_status_hint == 431:
            return FailureKind.PROTOCOL, "Response headers too large"
    if isinstance(error, httpx.RemoteProtocolError):
        text = str(error)
        if text.startswith("Server disconnected"):
            return FailureKind.CONNECTION, "Connection closed before a response"
        if text.startswith("peer closed connection"):
            return FailureKind.CONNECTION, "Connection closed before the response was complete"
        return FailureKind.PROTOCOL, "Invalid HTTP response"
    for link in chain:
        if isinstance(link, OSError) and link.errno in _CONNECTION_ERRNOS:
            return FailureKind.CONNECTION, _CONNECTION_ERRNOS[link.errno]
    if isinstance(error, httpx.ConnectError):
        return FailureKind.CONNECTION, "Connection failed"
    if isinstance(error, httpx.ReadError | httpx.WriteError | httpx.CloseError | OSError):
        return FailureKind.CONNECTION, "Connection lost"
    if isinstance(error, httpx.LocalProtocolError | h11.LocalProtocolError):
        return FailureKind.INVALID_REQUEST, "The request cannot be sent: invalid request"
    if isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FailureKind.INVALID_REQUEST, "The URL cannot be sent: invalid URL"
    if isinstance(error, UnicodeError):
        return FailureKind.INVALID_REQUEST, "The request cannot be sent: invalid character"
    return FailureKind.INTERNAL, f"Internal error while sending ({type(error).__name__})"


class LoopRunner:
    """One event loop per thread, kept across invocations so pooled connections survive between batches."""

    _local = threading.local()

    @classmethod
    def run(cls, coroutine: Awaitable[T]) -> T:
        loop = getattr(cls._local, "loop", None)
        if loop is None:
            loop = asyncio.new_event_loop()
            cls._local.loop = loop
        return loop.run_until_complete(coroutine)
