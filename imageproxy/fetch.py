"""One picture from an outside host: vetted hops, bounded time and size, sniffed type.

Redirects are followed here, not by a library, so each hop's host is resolved and
checked like the first; the bytes are accepted only when Pillow reads them as one
of the allowed formats, whatever the host said the type was.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
import warnings
from dataclasses import dataclass
from urllib.parse import urljoin

from PIL import Image

from imageproxy.addresses import Network, Refused, Target, vet

MAX_REDIRECTS = 3
MAX_PIXELS = 40_000_000
CHUNK = 64 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Pillow's format name to the type the proxy serves; nothing else is accepted.
TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
USER_AGENT = "Colloquy image proxy"


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    connect_timeout: float
    read_timeout: float
    exceptions: tuple[Network, ...] = ()


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str


def fetch(url: str, limits: Limits) -> Picture:
    """The picture at ``url``, or ``Refused`` saying why not."""
    # Once the first connection is made, the whole answer (every hop of it) must
    # arrive within the read timeout: a host dribbling a byte a second never ties
    # up a worker.
    deadline: list[float] = []
    for _hop in range(MAX_REDIRECTS + 1):
        target = vet(url, limits.exceptions)
        location, data = _get(target, limits, deadline)
        if location is None:
            return Picture(data=data, content_type=sniff(data))
        url = urljoin(url, location)
    raise Refused("The image host redirected too many times.")


def sniff(data: bytes) -> str:
    """The type Pillow finds in ``data``, if it is an allowed format and sound."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(TYPES)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise Refused("The picture has too many pixels.")
                kind = image.format
                image.verify()
    except Refused:
        raise
    except Exception:
        # Pillow raises many kinds of error on hostile bytes; all mean "no".
        raise Refused("The file is not a PNG, JPEG, GIF or WebP picture.") from None
    return TYPES[kind]


class _VettedHTTPConnection(http.client.HTTPConnection):
    """Dials the vetted address, sends the URL's host name in the Host header."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._create_connection = _dialer(target.address)


class _VettedHTTPSConnection(http.client.HTTPSConnection):
    """As above; the certificate is checked against the host name (SNI too)."""

    def __init__(self, target: Target, timeout: float) -> None:
        context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._create_connection = _dialer(target.address)


def _dialer(address: str):
    def create_connection(host_port, timeout=None, source_address=None):
        # http.client would look the host name up again; connect to the address
        # that was checked instead.
        return socket.create_connection(
            (address, host_port[1]), timeout, source_address
        )

    return create_connection


def _get(
    target: Target, limits: Limits, deadline: list[float]
) -> tuple[str | None, bytes]:
    """One GET: the redirect's Location, or the body of a 200 within the limits."""
    kind = _VettedHTTPSConnection if target.scheme == "https" else _VettedHTTPConnection
    connection = kind(target, timeout=limits.connect_timeout)
    try:
        connection.connect()
        sock = connection.sock
        if not deadline:
            deadline.append(time.monotonic() + limits.read_timeout)
        sock.settimeout(_remaining(deadline[0]))
        connection.request(
            "GET",
            target.path,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": ", ".join(TYPES.values()),
                "Accept-Encoding": "identity",
            },
        )
        response = connection.getresponse()
        if response.status in REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise Refused("The image host redirected nowhere.")
            return location, b""
        if response.status != 200:
            raise Refused(f"The image host answered {response.status}.")
        return None, _read(response, sock, limits.max_bytes, deadline[0])
    except TimeoutError:
        raise Refused("The image host took too long to answer.") from None
    except (OSError, http.client.HTTPException, ValueError):
        raise Refused("The image host could not be reached.") from None
    finally:
        connection.close()


def _read(
    response: http.client.HTTPResponse,
    sock: socket.socket,
    max_bytes: int,
    deadline: float,
) -> bytes:
    length = response.getheader("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise Refused("The picture is larger than the proxy accepts.")
    body = bytearray()
    while chunk := response.read1(CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise Refused("The picture is larger than the proxy accepts.")
        sock.settimeout(_remaining(deadline))
    return bytes(body)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left
