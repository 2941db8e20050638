"""Thread view counts buffered in Redis, as on several nodes: one node flushes at a
time, and a node dying anywhere in a flush neither loses nor doubles a count.

The dying is done by failing the flush at the step where a node could die; the
kill -9 of a whole node is in tests/ops/test_two_nodes.py."""

import contextlib
import threading

import pytest
from django.db import connection, transaction

from forum import viewcounts
from forum.models import Thread
from tests.factories import make_thread
from tests.redis_server import redis_url

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_DB = 14


class NodeDied(Exception):
    pass


@pytest.fixture
def buffer(settings):
    viewcounts.flush()  # the process buffer, from tests before
    settings.REDIS_URL = redis_url(REDIS_DB)
    client = viewcounts.shared_buffer()
    yield client
    client.flushdb()


def views_of(thread) -> int:
    return Thread.objects.get(pk=thread.pk).view_count


def record(thread, times: int) -> None:
    for _ in range(times):
        viewcounts.record_view(thread.pk)


def test_views_wait_in_redis_and_are_written_once(buffer):
    first, second = make_thread(), make_thread()
    record(first, 3)
    record(second, 1)
    assert viewcounts._pending == {}  # nothing in the process
    assert buffer.hgetall(viewcounts.PENDING_KEY) == {
        str(first.pk).encode(): b"3",
        str(second.pk).encode(): b"1",
    }
    assert viewcounts.flush() == 2
    assert viewcounts.flush() == 0
    assert (views_of(first), views_of(second)) == (3, 1)
    assert buffer.keys("colloquy:views:*") == []  # no batch left behind


def test_a_node_dying_before_its_write_leaves_the_batch_for_the_next(
    buffer, monkeypatch
):
    thread = make_thread()
    record(thread, 2)
    monkeypatch.setattr(
        viewcounts, "_FLUSH_SQL", "SELECT %s, %s, no_such_column FROM forum_thread"
    )
    with pytest.raises(Exception, match="no_such_column"):
        viewcounts.flush()
    monkeypatch.undo()
    assert buffer.scard(viewcounts.BATCHES_KEY) == 1  # moved aside, not written
    record(thread, 1)  # a view after the failure: a second batch joins it
    assert viewcounts.flush() == 1
    assert views_of(thread) == 3
    assert buffer.keys("colloquy:views:*") == []


def test_a_node_dying_after_naming_its_transaction_but_before_commit(
    buffer, monkeypatch
):
    thread = make_thread()
    record(thread, 4)
    real_pipeline = buffer.pipeline

    def pipeline_then_die(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute():
            names_transaction = any(a[0] == "HSET" for a, _ in pipe.command_stack)
            result = real_execute()
            if names_transaction:
                raise NodeDied  # inside the write's transaction: it rolls back
            return result

        pipe.execute = execute
        return pipe

    monkeypatch.setattr(buffer, "pipeline", pipeline_then_die)
    with pytest.raises(NodeDied):
        viewcounts.flush()
    monkeypatch.undo()
    assert views_of(thread) == 0
    (name,) = buffer.smembers(viewcounts.BATCHES_KEY)
    assert buffer.hget(name, viewcounts.XID_FIELD)  # names an aborted transaction
    assert viewcounts.flush() == 1
    assert views_of(thread) == 4
    assert viewcounts.flush() == 0
    assert views_of(thread) == 4


def test_a_node_dying_after_commit_but_before_cleanup_is_not_counted_twice(
    buffer, monkeypatch
):
    thread = make_thread()
    record(thread, 5)
    monkeypatch.setattr(viewcounts, "_forget", lambda client, names: None)
    assert viewcounts.flush() == 1
    monkeypatch.undo()
    assert views_of(thread) == 5
    assert buffer.scard(viewcounts.BATCHES_KEY) == 1  # written, still listed
    record(thread, 1)
    assert viewcounts.flush() == 1  # only the new view
    assert views_of(thread) == 6
    assert buffer.keys("colloquy:views:*") == []


@contextlib.contextmanager
def held_by_another_connection(take_lock):
    """Run ``take_lock()`` in a transaction of another thread; hold it for the block."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            take_lock()
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_one_node_flushes_at_a_time(buffer):
    thread = make_thread()
    record(thread, 2)

    def flush_lock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [viewcounts._FLUSH_LOCK])

    with held_by_another_connection(flush_lock):  # another node is flushing
        assert viewcounts.flush() == 0  # does not wait, does not write
    assert views_of(thread) == 0
    assert buffer.hget(viewcounts.PENDING_KEY, str(thread.pk)) == b"2"
    assert viewcounts.flush() == 1
    assert views_of(thread) == 2


def test_a_locked_thread_row_keeps_its_views_in_redis(buffer):
    busy, idle = make_thread(), make_thread()
    record(busy, 2)
    record(idle, 1)

    def reply_being_written():
        Thread.objects.select_for_update().get(pk=busy.pk)

    with held_by_another_connection(reply_being_written):
        assert viewcounts.flush() == 1
    assert (views_of(busy), views_of(idle)) == (0, 1)
    assert buffer.hget(viewcounts.PENDING_KEY, str(busy.pk)) == b"2"
    assert viewcounts.flush() == 1
    assert (views_of(busy), views_of(idle)) == (2, 1)


def test_without_an_answering_redis_views_stay_in_the_process(settings):
    thread = make_thread()
    viewcounts.flush()
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # the discard port: refused
    record(thread, 2)
    assert viewcounts._pending[thread.pk] == 2
    settings.REDIS_URL = ""
    assert viewcounts.flush() == 1
    assert views_of(thread) == 2
