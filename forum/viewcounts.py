"""Thread view counts, buffered in the process and written in batches.

A page view must not write to the database, so views are counted in memory and
flushed with one UPDATE every ``FORUM_VIEW_FLUSH_SECONDS`` by a background thread,
and when a gunicorn worker exits (``config/gunicorn.py``). A count may lag by that
interval; it is not lost on a clean shutdown, nor when a flush fails or finds a
thread row locked by a writer: those counts stay buffered for the next flush.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections import Counter

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: Counter[int] = Counter()
_last_flush = time.monotonic()
_flusher: threading.Thread | None = None

# Rows are locked in id order and locked rows are skipped, so two workers flushing
# at once never deadlock and a flush never waits behind a reply being written.
_FLUSH_SQL = """
WITH batch AS (
    SELECT * FROM unnest(%s::bigint[], %s::int[]) AS b(id, n)
), claimed AS (
    SELECT t.id FROM forum_thread AS t JOIN batch USING (id)
    ORDER BY t.id FOR UPDATE OF t SKIP LOCKED
)
UPDATE forum_thread AS t SET view_count = t.view_count + batch.n
FROM batch JOIN claimed USING (id)
WHERE t.id = batch.id
RETURNING t.id
"""


def record_view(thread_id: int) -> None:
    global _last_flush, _flusher
    with _lock:
        _pending[thread_id] += 1
        due = time.monotonic() - _last_flush >= settings.FORUM_VIEW_FLUSH_SECONDS
        if not due or (_flusher is not None and _flusher.is_alive()):
            return
        _last_flush = time.monotonic()
        _flusher = threading.Thread(target=_flush_in_background, daemon=True)
        _flusher.start()


def _flush_in_background() -> None:
    try:
        flush()
    except Exception:
        logger.exception("Could not flush thread view counts; they stay buffered")
    finally:
        connection.close()  # this thread's own connection


def flush() -> int:
    """Write the buffered counts; return how many threads were updated."""
    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if not batch:
        return 0
    written: set[int] = set()
    try:
        with connection.cursor() as cursor:
            cursor.execute(_FLUSH_SQL, [list(batch), list(batch.values())])
            written = {row[0] for row in cursor.fetchall()}
    finally:
        with _lock:
            for thread_id, views in batch.items():
                if thread_id not in written:
                    _pending[thread_id] += views
    return len(written)


def wait_for_background_flush(timeout: float = 5.0) -> None:
    """Block until a running background flush ends (for tests and shutdown)."""
    if _flusher is not None:
        _flusher.join(timeout)


@atexit.register
def _flush_at_exit() -> None:
    # The database may already be gone when the interpreter exits.
    with contextlib.suppress(Exception):
        flush()
