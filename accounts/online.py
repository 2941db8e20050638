"""Who is online: members by last-seen, guests by per-minute counters in the cache.

Members need nothing new: ``last_seen_at`` is written at most every five minutes
(``accounts.services.record_last_seen``), well inside the 15-minute window, so the
members online are a query over the user rows (``forum.online`` runs it about once
a minute for the whole site).

Guests have no row. Each is known by a keyed hash of their address and browser
(never stored in clear) and counted in the minute bucket of their latest visit:

- ``guest:<hash>`` holds the minute the visitor was last counted in. A second page
  in the same minute reads that one key and writes nothing.
- In a new minute the visitor claims ``guest:<hash>:<minute>`` with ``add`` (only
  one of several parallel requests wins), then moves themselves from the old
  bucket's counter to the new one: at most three small writes per visitor per
  minute, whatever the number of pages they open.
- A visitor is in exactly one bucket, so the guests online are the sum of the last
  15 buckets' counters, one ``get_many``.

Counters live in the ``online`` cache (Redis with ``REDIS_URL``, so every process
shares them; without it each process counts the guests it served). They expire on
their own, so nothing needs cleaning up; a lost key (eviction, restart) only
undercounts until the visitors' next minute.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

from accounts.http import client_ip

ONLINE_WINDOW = timedelta(minutes=15)
_MINUTES = int(ONLINE_WINDOW.total_seconds() // 60)
# Buckets and visitor keys outlive the window a little, so the one being read is
# never the one expiring.
_KEY_SECONDS = int(ONLINE_WINDOW.total_seconds()) + 180
CACHE_ALIAS = "online"


def online_cache():
    return caches[CACHE_ALIAS]


def _minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


def visitor_hash(request: HttpRequest) -> str:
    """A visitor's key: address and browser, hashed with a key derived from
    SECRET_KEY, so the cache never holds an address and keys cannot be guessed."""
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    seed = f"{client_ip(request) or '-'}\n{agent}".encode("utf-8", "replace")
    key = hashlib.sha256(f"online-guests:{settings.SECRET_KEY}".encode()).digest()
    return hashlib.blake2b(seed, key=key[:32], digest_size=12).hexdigest()


def record_guest(request: HttpRequest, now: datetime) -> bool:
    """Count a guest in this minute's bucket; True when this request moved a count."""
    cache = online_cache()
    visitor = visitor_hash(request)
    minute = _minute(now)
    last = cache.get(f"guest:{visitor}")
    if last == minute:
        return False
    # Several pages of one visitor can arrive at once: one of them moves the count.
    if not cache.add(f"guest:{visitor}:{minute}", 1, 120):
        return False
    cache.set(f"guest:{visitor}", minute, _KEY_SECONDS)
    _move(cache, f"guests:{minute}", +1)
    if isinstance(last, int) and 0 < minute - last < _MINUTES:
        _move(cache, f"guests:{last}", -1)
    return True


def _move(cache, key: str, delta: int) -> None:
    cache.add(key, 0, _KEY_SECONDS)
    # The counter may expire between add and incr: the visitor is then counted
    # again in their next minute.
    with contextlib.suppress(ValueError):
        cache.incr(key, delta)


def guests_online(now: datetime) -> int:
    """Distinct guests seen in the last 15 minutes (one cache read)."""
    minute = _minute(now)
    keys = [f"guests:{minute - n}" for n in range(_MINUTES)]
    counts = online_cache().get_many(keys).values()
    return max(0, sum(c for c in counts if isinstance(c, int)))
