"""Outbound HTTP: async httpx clients reused across invocations, the URL policy applied before each request.

Bulkhead rules of :meth:`HttpSender.send`: it never raises (only cancellation and other BaseExceptions pass); every
failure is that delivery's result, with a :class:`FailureKind` and a message Hookline words itself, never a library's
text (which can echo the URL or a header value); one attempt, from the first DNS lookup to the last body byte of the
last redirect, ends at the sender's timeout; what is kept of the answer is bounded in bytes:

- the first ``RESPONSE_HEADERS_LIMIT`` (50) header names, whole: httpcore reads a header block of at most 100 KB
  (past it the answer is a PROTOCOL failure, "Response headers too large"); the log caps them once scrubbed;
- the body: at most ``RAW_READ_LIMIT`` (64 KB) is read off the wire (``READ_LIMIT`` of an uncompressed one), then
  decoded (gzip, deflate, br) in one synchronous pass that makes at most ``READ_LIMIT`` bytes, so a decompression
  bomb inflates no further and only one decoder's window exists at a time per thread.
"""

from __future__ import annotations

import asyncio
import errno
import http.cookiejar
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import brotli
import h11
import httpx

from hookline.adapters.tls import ClientCertificate, ssl_context
from hookline.domain.delivery import (
    CROSS_ORIGIN_HEADERS,
    REQUEST_TIMEOUT_SECONDS,
    RESPONSE_BODY_LIMIT,
    RESPONSE_HEADERS_LIMIT,
    SCRUB_MARGIN,
    DeliveryResult,
    FailureKind,
    Redirect,
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

#: Decoded body bytes kept for the log (which cuts at 8 KB once scrubbed), and raw bytes read at most.
READ_LIMIT = RESPONSE_BODY_LIMIT + SCRUB_MARGIN
RAW_READ_LIMIT = 64 * 1024
#: What the client asks for: the encodings it decodes.
ACCEPT_ENCODING = "gzip, deflate, br"
#: HTTParty's limit, which GitLab's webhooks keep: a chain makes at most 5 requests, so a 5th redirect answer ends the
#: delivery as an internal error.
MAX_REQUESTS_PER_CHAIN = 5
TOO_MANY_REDIRECTS = f"Too many redirects: a delivery follows at most {MAX_REQUESTS_PER_CHAIN - 1} redirects"
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


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Refuses every cookie: a client is shared by every hook whose URL names its host, so a kept cookie would be
    state one tenant's receiver plants in another tenant's deliveries (GitLab keeps none between deliveries)."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


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

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.reason = reason


class Refused(Exception):
    """The outbound policy or the redirect rules end the delivery; the message is Hookline's and names no value."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class HttpSender:
    """Sends deliveries concurrently, following redirects as GitLab's client (HTTParty) does; see :meth:`_send`.

    ``timeout_s`` bounds each attempt as a whole (every lookup, connect, send, headers and body read of the chain).
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
                headers={"Accept-Encoding": ACCEPT_ENCODING},
                event_hooks={"response": [_take_locations]},
                trust_env=False,
                cookies=http.cookiejar.CookieJar(policy=_NoCookies()),
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
        redirects: list[Redirect] = []
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._send(request, started, redirects)
        except Exception as error:  # whatever it is, it is this delivery's failure, not the batch's
            kind, message = describe_failure(error)
            return DeliveryResult(
                time.perf_counter() - started, internal_error=message, error_kind=kind, redirects=tuple(redirects)
            )

    async def _send(self, request: OutboundRequest, started: float, redirects: list[Redirect]) -> DeliveryResult:
        """POST, then follow redirects as GitLab's HTTParty does: any 3xx but 304 that has a Location, resolved
        against the URL asked; 307 and 308 repeat the POST with its body, the others (301, 302, 303 ...) become a GET
        without a body; at most ``MAX_REQUESTS_PER_CHAIN`` requests. Each hop passes the outbound policy again
        (scheme, resolved addresses, allow-list) and goes to the address checked. Unlike GitLab, which keeps its
        headers on any host, credentials stay with the hook URL's origin: once the chain leaves it (another scheme,
        host or port; an http to https upgrade of the same host stays), Basic auth, X-Gitlab-Token, the signature and
        the custom headers are no longer sent, only ``CROSS_ORIGIN_HEADERS``. The Location's own userinfo is never
        used. The last answer is the result, with the redirects it went through."""
        credentials, parts, host = _checked_url(request.url)
        headers = _checked_headers(request.headers)
        origin: Origin | None = _origin(parts)
        method, body = "POST", request.body
        for _ in range(MAX_REQUESTS_PER_CHAIN):
            same_origin = origin is not None and _same_origin(origin, _origin(parts))
            if not same_origin:
                origin, credentials = None, None  # left once, left for good
                headers = {name: value for name, value in headers.items() if name.lower() in CROSS_ORIGIN_HEADERS}
            address = await self._checked_destination(parts, host, first=not redirects)
            pinned, pinned_headers, extensions = _pinned(parts, host, address, headers)
            client = self._client(request.verify_tls, host)
            async with client.stream(
                method,
                pinned,
                content=body if method == "POST" else None,
                headers=pinned_headers,
                auth=credentials,
                extensions=extensions,
            ) as response:
                location = _redirect_location(response)
                if location is None:
                    text, cut = await _read_body(response)
                    return DeliveryResult(
                        duration_s=time.perf_counter() - started,
                        status_code=response.status_code,
                        response_headers=received_headers(response.headers.raw),
                        response_body=text,
                        redirects=tuple(redirects),
                        body_cut=cut,
                    )
            redirects.append(Redirect(response.status_code, location))
            if len(redirects) >= MAX_REQUESTS_PER_CHAIN:
                raise Refused(FailureKind.PROTOCOL, TOO_MANY_REDIRECTS)
            parts, host = _redirect_target(urlunsplit(parts), location)
            if response.status_code not in (307, 308):
                method, body = "GET", b""
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _checked_destination(self, parts: SplitResult, host: str, *, first: bool) -> IPAddress:
        """The address to connect to: the host's first, after every address it resolves to passed the policy."""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await self.resolver(host, port)
        whose = "the host" if first else "the redirect's host"
        if not addresses:
            raise Refused(FailureKind.BLOCKED, f"URL is blocked: {whose} resolves to no address")
        blocked = blocked_address(host, addresses, self.allowlist)
        if blocked is not None:
            message = f"URL is blocked: {whose} resolves to a private or reserved address ({blocked})"
            raise Refused(FailureKind.BLOCKED, message)
        return addresses[0]


Origin = tuple[str, str, int]


def _origin(parts: SplitResult) -> Origin:
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def _same_origin(first: Origin, other: Origin) -> bool:
    """The same scheme, host and port; or an upgrade of the same host from http on 80 to https on 443."""
    upgrade = (first[0], first[2], other[0], other[2]) == ("http", 80, "https", 443)
    return first == other or (upgrade and first[1] == other[1])


_LOCATIONS = "hookline.locations"


def _is_redirect(status: int) -> bool:
    return 300 <= status < 400 and status != 304


async def _take_locations(response: httpx.Response) -> None:
    """A response hook: httpx would build its own redirect request from a Location (failing on one it cannot parse,
    before the answer is seen); Hookline follows redirects its own way, so a redirect's Locations move from its
    headers to its extensions."""
    if _is_redirect(response.status_code) and "location" in response.headers:
        response.extensions[_LOCATIONS] = response.headers.get_list("location")
        del response.headers["location"]


def _redirect_location(response: httpx.Response) -> str | None:
    """The Location to follow (a 3xx but 304 that has one), or None when this answer is the last. More than one
    Location is a protocol error, as in HTTParty."""
    if not _is_redirect(response.status_code):
        return None
    locations: list[str] = response.extensions.get(_LOCATIONS, [])
    if len(locations) > 1:
        raise Refused(FailureKind.PROTOCOL, "Redirect not followed: the answer has more than one Location")
    return locations[0] if locations else None


def _redirect_target(current: str, location: str) -> tuple[SplitResult, str]:
    """The URL a Location leads to, resolved against the URL asked, without userinfo; Refused when it cannot go."""
    try:
        target = urljoin(current, location.strip())
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        raise Refused(FailureKind.PROTOCOL, "Redirect not followed: the Location is not a valid URL") from None
    if scheme not in ("http", "https"):
        raise Refused(FailureKind.BLOCKED, "URL is blocked: Only allowed schemes are http, https")  # GitLab's words
    try:
        _, parts, host = _checked_url(target)
    except Unsendable as error:
        message = f"Redirect not followed: the Location is not a valid URL ({error.reason})"
        raise Refused(FailureKind.PROTOCOL, message) from None
    return parts, host


def _checked_url(raw: str) -> tuple[tuple[bytes, bytes] | None, SplitResult, str]:
    """The credentials of the URL, its parts without them and its host in ASCII (IDNA); Unsendable if it cannot go."""
    if len(raw) > URL_MAX_LENGTH:
        raise Unsendable("The URL cannot be sent", "it is too long")
    if _URL_FORBIDDEN.search(raw) or (not raw.isascii() and not _utf8_encodable(raw)):
        raise Unsendable("The URL cannot be sent", "invalid character")
    try:
        url, credentials = split_userinfo(raw)
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise Unsendable("The URL cannot be sent", "invalid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise Unsendable("The URL cannot be sent", "invalid URL")
    return credentials, parts, host


def _checked_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers, when each can go on the wire as is (no control or non-ASCII character, no edge whitespace)."""
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise Unsendable("A header cannot be sent", "invalid header name")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            raise Unsendable("A header value cannot be sent", f"invalid character in {name}")
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


def received_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The answer's headers with their names as the receiver sent them (the first spelling of a repeated name), repeats
    joined with ", ", the first 50 names. Values are whole (httpcore read at most 100 KB of them): the log caps them
    once the secrets are scrubbed, so no secret is cut in two."""
    names: dict[str, str] = {}
    joined: dict[str, list[str]] = {}
    for raw_name, raw_value in raw:
        sent = raw_name.decode("latin-1")
        key = sent.lower()
        if key not in joined and len(joined) >= RESPONSE_HEADERS_LIMIT:
            continue
        names.setdefault(key, sent)
        joined.setdefault(key, []).append(raw_value.decode("utf-8", "replace"))
    return {names[key]: ", ".join(values) for key, values in joined.items()}


async def _read_body(response: httpx.Response) -> tuple[str, bool]:
    """The body, decoded, as text of at most ``READ_LIMIT`` bytes, and whether there was more."""
    # content codings are case-insensitive (RFC 9110)
    encodings = [coding.lower() for coding in response.headers.get_list("content-encoding", split_commas=True)]
    limit = READ_LIMIT if encodings in ([], ["identity"]) else RAW_READ_LIMIT
    raw = bytearray()
    more = False
    async for chunk in response.aiter_raw():
        raw.extend(chunk[: limit + 1 - len(raw)])
        if len(raw) > limit:
            more = True
            break
    body, cut = decoded_body(bytes(raw[:limit]), encodings, more)
    text = body.decode("utf-8", "replace")
    encoded = text.encode()
    if len(encoded) > READ_LIMIT:  # each invalid byte became three
        return encoded[:READ_LIMIT].decode("utf-8", "ignore"), True
    return text, cut


def decoded_body(raw: bytes, encodings: list[str], more: bool) -> tuple[bytes, bool]:
    """``raw`` decoded as its Content-Encoding says (one of gzip, deflate, br; identity), at most ``READ_LIMIT``
    bytes of it, and whether there was more (``more``: ``raw`` is only the first part). A body in another or in
    several encodings, or one that does not decode (its encoding lies), is kept as received."""
    encoding = encodings[0] if len(encodings) == 1 else ("identity" if not encodings else "")
    try:
        if encoding in ("gzip", "x-gzip", "deflate"):
            inflater = zlib.decompressobj(32 + zlib.MAX_WBITS)  # a gzip or a zlib header, as Net::HTTP reads them
            out = inflater.decompress(raw, READ_LIMIT + 1)
            return out[:READ_LIMIT], len(out) > READ_LIMIT or (more and not inflater.eof)
        if encoding == "br":
            decompressor = brotli.Decompressor()
            out = decompressor.process(raw, output_buffer_limit=READ_LIMIT + 1)
            return out[:READ_LIMIT], len(out) > READ_LIMIT or (more and not decompressor.is_finished())
    except Exception:  # a lying or broken encoding: the body as received
        pass
    return raw[:READ_LIMIT], more or len(raw) > READ_LIMIT


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
    if isinstance(error, Refused):
        return error.kind, str(error)
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
