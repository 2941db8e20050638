"""Thread view counts, buffered outside the database and written in batches.

A page view must not write to the database, so views are buffered and flushed
with one UPDATE every ``FORUM_VIEW_FLUSH_SECONDS`` by a background thread, and
when a gunicorn worker exits (``config/gunicorn.py``). A count may lag by that
interval. Where the buffer lives depends on ``REDIS_URL``:

- Without it, in the process: a counter that a clean shutdown, a failed flush or
  a thread row locked by a writer never loses (those counts stay for the next
  flush). One machine needs nothing more.
- With it, in a Redis hash every node shares, one ``HINCRBY`` per view, so a node
  that dies takes no counts with it. A flush moves the hash aside as a *batch*
  (one atomic script), writes it under a PostgreSQL advisory lock, so one node
  flushes at a time, and stores its transaction's id in the batch just before
  committing. A node that dies mid-flush leaves its batch in Redis; the next
  flush asks PostgreSQL whether that transaction committed (``pg_xact_status``)
  and writes the batch again only if it did not: never lost, never twice.

If Redis does not answer, a view falls back to the process's own counter.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import uuid
from collections import Counter

import redis
from django.conf import settings
from django.db import connection, transaction

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

# The shared buffer's keys. A batch hash maps thread ids to views, plus the
# writing transaction's id under XID_FIELD once it is about to commit.
PENDING_KEY = "colloquy:views:pending"
BATCHES_KEY = "colloquy:views:batches"
BATCH_PREFIX = "colloquy:views:batch:"
XID_FIELD = b"xid"
# pg_advisory_xact_lock's key for "a node is flushing view counts" ("views").
_FLUSH_LOCK = 0x76696577

# Renames the pending hash to a new batch and lists the batch, in one step: a node
# dying between the two would otherwise leave a batch nobody knows of.
_DETACH_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('RENAME', KEYS[1], KEYS[2])
    redis.call('SADD', KEYS[3], KEYS[2])
    return 1
end
return 0
"""

_clients: dict[str, redis.Redis] = {}


def shared_buffer() -> redis.Redis | None:
    """The Redis client holding the shared buffer, or None without REDIS_URL."""
    url = settings.REDIS_URL
    if not url:
        return None
    if url not in _clients:
        # Short timeouts: a view count never holds up a page for long.
        _clients[url] = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2
        )
    return _clients[url]


def record_view(thread_id: int) -> None:
    global _last_flush, _flusher
    client = shared_buffer()
    shared = False
    if client is not None:
        try:
            client.hincrby(PENDING_KEY, str(thread_id), 1)
            shared = True
        except redis.RedisError:
            logger.warning("Redis did not take a view count; kept in the process")
    with _lock:
        if not shared:
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
    """Write the buffered counts; return how many thread rows were updated."""
    written = _flush_process_buffer()
    client = shared_buffer()
    if client is not None:
        written += _flush_shared_buffer(client)
    return written


def _flush_process_buffer() -> int:
    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if not batch:
        return 0
    written: set[int] = set()
    try:
        written = _write(batch)
    finally:
        with _lock:
            for thread_id, views in batch.items():
                if thread_id not in written:
                    _pending[thread_id] += views
    return len(written)


def _write(counts: dict[int, int]) -> set[int]:
    """Add the counts to their thread rows; return the ids of the rows written."""
    with connection.cursor() as cursor:
        cursor.execute(_FLUSH_SQL, [list(counts), list(counts.values())])
        return {row[0] for row in cursor.fetchall()}


def _flush_shared_buffer(client: redis.Redis) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_FLUSH_LOCK])
        if not cursor.fetchone()[0]:
            return 0  # another node is flushing; these counts wait for the next
        new_batch = f"{BATCH_PREFIX}{uuid.uuid4().hex}"
        client.eval(_DETACH_SCRIPT, 3, PENDING_KEY, new_batch, BATCHES_KEY)
        batches = _unwritten_batches(client, cursor)
        if not batches:
            return 0
        totals: Counter[int] = Counter()
        for counts in batches.values():
            totals.update(counts)
        written = _write(totals) if totals else set()
        cursor.execute("SELECT pg_current_xact_id()::text")
        (xid,) = cursor.fetchone()
        # In one Redis transaction, before PostgreSQL commits: skipped rows' counts
        # go back to the pending hash, and each batch learns who writes it.
        pipe = client.pipeline(transaction=True)
        for name, counts in batches.items():
            for thread_id in counts.keys() - written:
                pipe.hincrby(PENDING_KEY, str(thread_id), counts[thread_id])
                pipe.hdel(name, str(thread_id))
            pipe.hset(name, XID_FIELD, xid)
        pipe.execute()
    _forget(client, list(batches))
    return len(written)


def _unwritten_batches(client: redis.Redis, cursor) -> dict[str, dict[int, int]]:
    """The listed batches no committed transaction wrote, by name.

    Batches a committed flush wrote but did not get to remove are removed here.
    """
    found: dict[str, dict[int, int]] = {}
    written: list[str] = []
    for raw_name in client.smembers(BATCHES_KEY):
        name = raw_name.decode()
        fields = client.hgetall(name)
        xid = fields.pop(XID_FIELD, None)
        if xid is not None:
            cursor.execute("SELECT pg_xact_status(%s::text::xid8)", [xid.decode()])
            (status,) = cursor.fetchone()
            if status in ("committed", None):  # None: too old to know; written then
                written.append(name)
                continue
            if status == "in progress":  # cannot be while the lock is held; wait
                continue
        found[name] = {int(k): int(v) for k, v in fields.items()}
    _forget(client, written)
    return found


def _forget(client: redis.Redis, names: list[str]) -> None:
    if names:
        pipe = client.pipeline(transaction=True)
        pipe.delete(*names)
        pipe.srem(BATCHES_KEY, *names)
        pipe.execute()


def wait_for_background_flush(timeout: float = 5.0) -> None:
    """Block until a running background flush ends (for tests and shutdown)."""
    if _flusher is not None:
        _flusher.join(timeout)


@atexit.register
def _flush_at_exit() -> None:
    # The database may already be gone when the interpreter exits.
    with contextlib.suppress(Exception):
        flush()
