"""Thread view counts: buffered per process, flushed outside requests, never lost."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from forum import viewcounts
from forum.models import Thread
from tests.factories import make_thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_buffer():
    viewcounts.flush()
    yield
    viewcounts.wait_for_background_flush()
    viewcounts.flush()


def test_a_due_flush_runs_outside_the_request(client, settings):
    thread = make_thread()
    settings.FORUM_VIEW_FLUSH_SECONDS = 0
    with CaptureQueriesContext(connection) as queries:
        client.get(thread.get_absolute_url())
    assert not any("view_count + " in q["sql"] for q in queries.captured_queries)
    viewcounts.wait_for_background_flush()
    assert Thread.objects.get(pk=thread.pk).view_count == 1


def test_counts_for_a_locked_thread_stay_buffered_until_the_next_flush():
    busy, idle = make_thread(), make_thread()
    viewcounts.record_view(busy.pk)
    viewcounts.record_view(idle.pk)
    locked, release = threading.Event(), threading.Event()

    def hold_row_lock():
        with transaction.atomic():
            Thread.objects.select_for_update().get(pk=busy.pk)
            locked.set()
            release.wait(5)
        connection.close()

    holder = threading.Thread(target=hold_row_lock)
    holder.start()
    locked.wait(5)
    try:
        assert viewcounts.flush() == 1  # the idle thread; the busy one is skipped
    finally:
        release.set()
        holder.join()
    assert Thread.objects.get(pk=idle.pk).view_count == 1
    assert Thread.objects.get(pk=busy.pk).view_count == 0
    assert viewcounts.flush() == 1
    assert Thread.objects.get(pk=busy.pk).view_count == 1


def test_a_failed_flush_keeps_the_counts(monkeypatch):
    thread = make_thread()
    viewcounts.record_view(thread.pk)
    viewcounts.record_view(thread.pk)
    monkeypatch.setattr(
        viewcounts, "_FLUSH_SQL", "SELECT %s, %s, no_such_column FROM forum_thread"
    )
    with pytest.raises(Exception, match="no_such_column"):
        viewcounts.flush()
    monkeypatch.undo()
    assert viewcounts.flush() == 1
    assert Thread.objects.get(pk=thread.pk).view_count == 2
