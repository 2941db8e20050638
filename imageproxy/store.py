"""Each outside picture fetched once, kept in the default storage, served from there.

A picture is stored under the SHA-256 of its URL in FORUM_IMAGE_PROXY_FOLDER of
Django's default storage, so it works the same on a disk or in an S3 bucket and
every web node finds what another fetched. The stored bytes were checked by Pillow
before they were saved; their type is read back from their first bytes.

The Django cache remembers, per URL, that the picture is stored (saving a storage
lookup) or why it could not be had (for FAILURE_SECONDS, so a dead link is not
fetched again on every view), and holds the lock that lets one request fetch while
concurrent first requests are told to come back (503) rather than fetch too.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from imageproxy.addresses import Refused, networks
from imageproxy.fetch import MAX_REDIRECTS, Limits, fetch

logger = logging.getLogger(__name__)

FAILURE_SECONDS = 300
STORED_SECONDS = 24 * 60 * 60
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class Stored:
    file: IO[bytes]
    content_type: str


@dataclass(frozen=True)
class Failed:
    status: int
    reason: str


def picture(url: str) -> Stored | Failed:
    """The stored picture for ``url``, fetching it first if no one has yet."""
    try:
        return _picture(url)
    except Exception:
        # The storage (a disk, an S3 bucket) fails in ways of its own: the reader
        # gets the placeholder, the log gets the traceback; nothing is remembered.
        logger.exception("Image proxy storage failed for %s", url)
        return Failed(502, "The picture store is unavailable.")


def _picture(url: str) -> Stored | Failed:
    key = hashlib.sha256(url.encode()).hexdigest()
    name = f"{settings.FORUM_IMAGE_PROXY_FOLDER.strip('/')}/{key[:2]}/{key}"
    state_key, lock_key = f"imageproxy:{key}", f"imageproxy:{key}:lock"
    state = cache.get(state_key)
    if isinstance(state, Failed):
        return state
    if state == "stored" or default_storage.exists(name):
        opened = _open(name)
        if opened is not None:
            cache.set(state_key, "stored", STORED_SECONDS)
            return opened
    limits = Limits(
        max_bytes=settings.FORUM_IMAGE_PROXY_MAX_BYTES,
        connect_timeout=settings.FORUM_IMAGE_PROXY_CONNECT_TIMEOUT,
        read_timeout=settings.FORUM_IMAGE_PROXY_READ_TIMEOUT,
        exceptions=tuple(networks(settings.FORUM_IMAGE_PROXY_ALLOW_ADDRESSES)),
    )
    # Held at most as long as a fetch may take (a connection per hop, then the
    # read timeout for the whole answer), so a crashed fetcher frees it.
    hops = MAX_REDIRECTS + 1
    held_for = int(hops * limits.connect_timeout + limits.read_timeout) + 5
    if not cache.add(lock_key, 1, held_for):
        return Failed(503, "The picture is being fetched; try again shortly.")
    try:
        try:
            fetched = fetch(url, limits)
        except Refused as refused:
            failed = Failed(refused.status, refused.reason)
            cache.set(state_key, failed, FAILURE_SECONDS)
            return failed
        if not default_storage.exists(name):
            saved = default_storage.save(name, ContentFile(fetched.data))
            if saved != name:
                # Another node saved it first and the storage picked a new name.
                default_storage.delete(saved)
        cache.set(state_key, "stored", STORED_SECONDS)
    finally:
        cache.delete(lock_key)
    opened = _open(name)
    return opened or Failed(502, "The picture could not be stored.")


def _open(name: str) -> Stored | None:
    try:
        file = default_storage.open(name, "rb")
        head = file.read(16)
        file.seek(0)
    except OSError:
        return None
    content_type = stored_type(head)
    if content_type is None:
        file.close()
        return None
    return Stored(file=file, content_type=content_type)


def stored_type(head: bytes) -> str | None:
    """The type of a stored picture from its first bytes (Pillow checked them)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None
