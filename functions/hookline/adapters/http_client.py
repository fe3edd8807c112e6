"""Outbound HTTP: async httpx clients reused across invocations, the URL policy applied before each send."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from hookline.adapters.tls import ClientCertificate, ssl_context
from hookline.domain.delivery import (
    REQUEST_TIMEOUT_SECONDS,
    RESPONSE_BODY_LIMIT,
    DeliveryResult,
    capped_response_headers,
    split_userinfo,
)
from hookline.domain.url_policy import Allowlist, IPAddress, blocked_reason, canonical_address, ip_literal

T = TypeVar("T")
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal, in any spelling, resolves to itself)."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def destination_blocked(url: str, allowlist: Allowlist) -> str | None:
    """Why a hook URL may not be saved: its host is, or resolves to, a blocked address. A name that does not resolve
    now passes (it is checked again on every send)."""
    parts = urlsplit(split_userinfo(url)[0])
    host = parts.hostname or ""
    addresses: list[IPAddress]
    literal = ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
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


class HttpSender:
    """Sends deliveries concurrently. Redirects are not followed: a 3xx counts as success (Standard Webhooks)."""

    def __init__(
        self,
        allowlist: Allowlist,
        resolver: Resolver = resolve_host,
        client_certificate: ClientCertificate | None = None,
    ) -> None:
        self.allowlist = allowlist
        self.resolver = resolver
        self.client_certificate = client_certificate
        self._clients: dict[tuple[int, bool], httpx.AsyncClient] = {}

    def _client(self, verify: bool) -> httpx.AsyncClient:
        """One client per event loop and TLS setting: a client's pool belongs to the loop that made it."""
        key = (id(asyncio.get_running_loop()), verify)
        if key not in self._clients:
            self._clients[key] = httpx.AsyncClient(
                verify=ssl_context(verify, self.client_certificate),
                follow_redirects=False,
                timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
                trust_env=False,
            )
        return self._clients[key]

    async def send_all(self, requests: list[OutboundRequest]) -> list[DeliveryResult]:
        return list(await asyncio.gather(*(self.send(request) for request in requests)))

    async def send(self, request: OutboundRequest) -> DeliveryResult:
        started = time.perf_counter()
        url, credentials = split_userinfo(request.url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addresses = await self.resolver(host, port)
            reason = blocked_reason(host, addresses, self.allowlist) if addresses else f"URL is blocked: {host}"
            if reason:
                return DeliveryResult(duration_s=time.perf_counter() - started, internal_error=reason)
            pinned, headers, extensions = _pinned(parts, host, addresses[0], request.headers)
            async with self._client(request.verify_tls).stream(
                "POST", pinned, content=request.body, headers=headers, auth=credentials, extensions=extensions
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_raw():
                    body.extend(chunk)
                    if len(body) >= RESPONSE_BODY_LIMIT:
                        break
                return DeliveryResult(
                    duration_s=time.perf_counter() - started,
                    status_code=response.status_code,
                    response_headers=capped_response_headers(list(response.headers.items())),
                    response_body=bytes(body[:RESPONSE_BODY_LIMIT]).decode("utf-8", "replace"),
                )
        except (httpx.HTTPError, OSError, ValueError) as error:
            return DeliveryResult(duration_s=time.perf_counter() - started, internal_error=_describe(error))


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


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "Request timed out"
    if isinstance(error, socket.gaierror):
        return f"Host could not be resolved: {error.strerror}"
    if isinstance(error, httpx.ConnectError):
        return f"Connection failed: {error}" if str(error) else "Connection failed"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


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
