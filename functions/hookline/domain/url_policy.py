"""Which URLs a hook may have and which addresses Hookline may send to (deny private networks by default)."""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names literally, in any spelling a resolver accepts: ``127.1``, ``2130706433``,
    ``0x7f000001`` and ``0177.0.0.1`` are all 127.0.0.1. None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


#: The longest URL a hook may have (httpx refuses longer ones; browsers and proxies much shorter).
URL_MAX_LENGTH = 65536
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidUrl(ValueError):
    """The URL can never be a hook's URL."""


def validate_url_syntax(url: str) -> None:
    """http or https, one line without control characters, at most ``URL_MAX_LENGTH`` characters, with a host."""
    if len(url) > URL_MAX_LENGTH or _CONTROL.search(url) or url != url.strip():
        raise InvalidUrl("Invalid url given")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError:
        raise InvalidUrl("Invalid url given") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrl("Invalid url given")


@dataclass(frozen=True)
class Allowlist:
    """Hosts and networks an operator has opened explicitly (``HOOKLINE_OUTBOUND_ALLOWLIST``)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Allowlist:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for item in (text or "").split(","):
            entry = item.strip().strip("[]").lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        return host.lower() in self.hosts or any(address in network for network in self.networks)


def canonical_address(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address is checked as the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_blocked(address: IPAddress) -> bool:
    address = canonical_address(address)
    return any(address in network for network in _BLOCKED_NETWORKS if network.version == address.version)


def blocked_address(host: str, addresses: list[IPAddress], allowlist: Allowlist) -> IPAddress | None:
    """The first of ``addresses`` that a send to ``host`` may not reach, or None when it may go."""
    for address in addresses:
        if is_blocked(address) and not allowlist.allows(host, canonical_address(address)):
            return address
    return None


def blocked_reason(host: str, addresses: list[IPAddress], allowlist: Allowlist) -> str | None:
    """Why a send to ``host`` resolving to ``addresses`` is refused, or None when it may go."""
    address = blocked_address(host, addresses, allowlist)
    if address is None:
        return None
    return f"URL is blocked: {host} resolves to a private or reserved address ({address})"
