"""Thread view counts, buffered in the process and written in batches.

A page view must not write to the database, so views are counted in memory and
flushed with one UPDATE every ``FORUM_VIEW_FLUSH_SECONDS`` and when the process exits
cleanly. A count may lag by that interval; it is not lost on a clean shutdown.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import connection

_lock = threading.Lock()
_pending: Counter[int] = Counter()
_last_flush = time.monotonic()


def record_view(thread_id: int) -> None:
    with _lock:
        _pending[thread_id] += 1
        due = time.monotonic() - _last_flush >= settings.FORUM_VIEW_FLUSH_SECONDS
    if due:
        flush()


def flush() -> int:
    """Write the buffered counts in one statement; return how many threads moved."""
    global _last_flush
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.monotonic()
    if not batch:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE forum_thread AS t SET view_count = t.view_count + v.n "
            "FROM unnest(%s::bigint[], %s::int[]) AS v(id, n) WHERE t.id = v.id",
            [list(batch), list(batch.values())],
        )
    return len(batch)


def pending(thread_id: int) -> int:
    with _lock:
        return _pending[thread_id]


@atexit.register
def _flush_at_exit() -> None:
    # The database may already be gone when the interpreter exits.
    with contextlib.suppress(Exception):
        flush()
