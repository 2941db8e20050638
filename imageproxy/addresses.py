"""Which URLs the proxy may fetch, and at which address it connects.

The host of an image URL is resolved once, every address it resolves to is checked,
and the fetch connects to the checked address itself: a second lookup could answer
differently (DNS rebinding) and reach the forum's own network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (well-known
# and local-use prefixes) and the deprecated IPv4-compatible form.
_EMBEDDED_IPV4 = [
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
]

# Special-purpose ranges that some Python versions still call global.
_NOT_PUBLIC = [
    ipaddress.IPv4Network("192.0.0.0/24"),
    ipaddress.IPv4Network("198.18.0.0/15"),
    ipaddress.IPv6Network("2001::/23"),
    ipaddress.IPv6Network("fc00::/7"),
]


class Refused(Exception):
    """The picture cannot be had; ``status`` is the HTTP status the proxy answers."""

    def __init__(self, reason: str, status: int = 502) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Target:
    """Where one request goes: the URL's parts and the vetted address to dial."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def is_public(address: Address) -> bool:
    """Whether ``address`` is on the public internet: not private, loopback,
    link-local, multicast, reserved, unspecified, nor one of those wrapped in IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            # ::ffff:a.b.c.d is an IPv4 address in disguise; public hosts publish
            # A records for those, so the disguise is refused whatever it hides.
            return False
        embedded = [address.sixtofour, *(address.teredo or ())]
        embedded += [
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
            for network in _EMBEDDED_IPV4
            if address in network
        ]
        if any(inner is not None and not is_public(inner) for inner in embedded):
            return False
    if any(
        address in network
        for network in _NOT_PUBLIC
        if network.version == address.version
    ):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def allowed(address: Address, exceptions: Iterable[Network] = ()) -> bool:
    """Public, or inside a network the settings let through (tests use one)."""
    return is_public(address) or any(
        address.version == network.version and address in network
        for network in exceptions
    )


def vet(url: str, exceptions: Iterable[Network] = ()) -> Target:
    """Parse ``url``, resolve its host and pick an allowed address, or refuse."""
    if len(url) > MAX_URL_LENGTH:
        raise Refused("The image address is too long.", 403)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("The image address is malformed.", 403) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused("Only http and https images are fetched.", 403)
    if parts.username is not None or parts.password is not None:
        raise Refused("Image addresses with a user name are refused.", 403)
    host = parts.hostname
    if not host or any(ord(c) <= 32 or c in "%\\" for c in host):
        raise Refused("The image address has no valid host.", 403)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused("The image address has no valid host.", 403) from None
    port = port or DEFAULT_PORTS[scheme]
    exceptions = list(exceptions)
    address = resolve(host, port, exceptions)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, path=path, address=address)


def resolve(host: str, port: int, exceptions: list[Network]) -> str:
    """The first address of ``host``, once every one of them is allowed."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused("The image's host name does not resolve.") from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in answers:
        text = str(sockaddr[0]).split("%", 1)[0]
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise Refused("The image's host resolved to a strange address.") from None
        # One private answer among public ones is refused too: which one a
        # connection would use is not ours to pick safely.
        if not allowed(address, exceptions):
            raise Refused("Images on private or local addresses are refused.", 403)
        addresses.append(text)
    if not addresses:
        raise Refused("The image's host name does not resolve.")
    return addresses[0]


def networks(values: Iterable[str]) -> list[Network]:
    """The allow-list setting as networks (``127.0.0.2`` or ``10.1.0.0/16``)."""
    return [ipaddress.ip_network(value, strict=False) for value in values]
