"""Where a webhook may be delivered: public HTTPS endpoints only, checked at every delivery.

A subscriber chooses the URL, so the URL must never reach what only the
worker can reach: loopback, private networks (RFC 1918), link-local (and the
cloud metadata service on it), CGNAT (100.64/10), IPv6 ULA (fc00::/7), or any
other address that is not globally routable. The host is resolved at every
delivery and every address it resolves to must be allowed; the request then
goes to the checked address itself (the hostname stays in the Host header and
the TLS server name), so a DNS answer that changes between the check and the
connection (rebinding) cannot redirect it. ``LOYALTY_WEBHOOK_ALLOW_PRIVATE_TARGETS``
lets development reach local receivers (over plain HTTP too); the metadata
addresses stay refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from loyalty.errors import ValidationError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "::1/128",
        "::/128",
        "fc00::/7",
        "fe80::/10",
    )
)


class TargetRefused(ValidationError):
    """The endpoint is not somewhere a webhook may go (names the reason)."""


@dataclass(frozen=True)
class Target:
    """A checked endpoint: send to ``address``, present ``host`` as Host and TLS server name."""

    url: str
    host: str
    address: str

    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        ip = ipaddress.ip_address(self.address)
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        return parts._replace(netloc=netloc).geturl()

    @property
    def host_header(self) -> str:
        port = urlsplit(self.url).port
        return f"{self.host}:{port}" if port else self.host


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver); [] when it does not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # no such name, or not a name at all (IDNA refuses it)
        return []
    return sorted({str(info[4][0]) for info in infos})


def check_target(url: str, *, resolve: Resolver, allow_private: bool) -> Target:
    """Check ``url`` and the addresses its host resolves to right now.

    Raises:
        TargetRefused: bad URL, plain HTTP, an address that is not allowed, or no address.
    """
    parts = _parts(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise TargetRefused("webhook endpoints must use https")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _literal(host):
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    else:
        addresses = [ipaddress.ip_address(a) for a in resolve(host, port)]
    if not addresses:
        raise TargetRefused(f"{host} does not resolve")
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason:
            raise TargetRefused(f"{host} resolves to {address}, {reason}")
    return Target(url=url, host=host, address=str(addresses[0]))


def refusal(address: Address, *, allow_private: bool) -> str | None:
    """Why ``address`` may not receive webhooks; None when it may."""
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    address = mapped or address
    if address in METADATA:
        return "a cloud metadata address"
    if allow_private:
        return None
    if any(address in network for network in BLOCKED if network.version == address.version):
        return "a loopback, private, link-local, CGNAT or ULA address"
    if not address.is_global or address.is_multicast:
        return "not a public address"
    return None


def _parts(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as error:
        raise TargetRefused(f"not a valid URL: {error}") from None
    if not parts.hostname or parts.username or parts.password:
        raise TargetRefused("the URL needs a host and no credentials")
    return parts


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
