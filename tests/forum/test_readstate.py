"""Read tracking: unread threads and boards, jump to new, mark read, the cut-off."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum import readstate, services
from forum.models import (
    Board,
    BoardPermission,
    BoardRead,
    MemberPreferences,
    Post,
    Thread,
    ThreadRead,
)
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_pages(settings):
    # Five posts a page: several pages without writing many posts.
    settings.FORUM_POSTS_PER_PAGE = 5


def read_writes(client, url: str) -> list[str]:
    """The statements a GET of ``url`` sends that write read state."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in ctx.captured_queries
        if "forum_threadread" in q["sql"]
        and q["sql"].lstrip().upper().startswith("INSERT")
    ]


def unread_on_board(client, board) -> set[int]:
    html = client.get(board.get_absolute_url()).content.decode()
    return {
        t.pk
        for t in Thread.objects.filter(board=board)
        if f'href="{reverse("forum:thread_unread", args=[t.pk])}"' in html
    }


def age(thread: Thread, days: int) -> None:
    """Move a thread and its posts ``days`` into the past."""
    then = timezone.now() - timedelta(days=days)
    Post.objects.filter(thread=thread).update(created_at=then)
    Thread.objects.filter(pk=thread.pk).update(created_at=then, last_post_at=then)


def test_a_thread_view_records_progress_once_and_only_forward(
    client, member, other_member, board
):
    thread = make_thread(board=board, author=other_member)
    make_posts(thread, 11, authors=[other_member])  # 12 posts: pages of 5, 5, 2
    client.force_login(member)
    url = thread.get_absolute_url()
    assert len(read_writes(client, f"{url}?page=2")) == 1
    assert ThreadRead.objects.get(user=member, thread=thread).last_position == 10
    # Nothing moved: the page's read state already shows it, so no statement at all.
    assert read_writes(client, f"{url}?page=2") == []
    # An earlier page never moves it back, and costs no write either.
    assert read_writes(client, url) == []
    assert ThreadRead.objects.get(user=member, thread=thread).last_position == 10
    assert len(read_writes(client, f"{url}?page=3")) == 1
    assert ThreadRead.objects.get(user=member, thread=thread).last_position == 12


def test_the_upsert_never_moves_back_even_from_a_stale_page(member, thread):
    # Two tabs: the one that loaded first writes last. The WHERE keeps the row.
    fresh = readstate.with_read_state(Thread.objects.filter(pk=thread.pk), member)
    stale = readstate.with_read_state(Thread.objects.filter(pk=thread.pk), member)
    make_posts(thread, 9, authors=[member])
    far, near = fresh.get(), stale.get()
    far.last_position = near.last_position = 10
    assert readstate.record_progress(user=member, thread=far, position=10)
    assert readstate.record_progress(user=member, thread=near, position=5)
    assert ThreadRead.objects.get(user=member, thread=thread).last_position == 10


def test_guests_never_write_read_state(client, thread, other_member):
    make_posts(thread, 6, authors=[other_member])
    assert read_writes(client, thread.get_absolute_url()) == []
    assert read_writes(client, thread.page_url(2)) == []
    assert not ThreadRead.objects.exists()


def test_a_new_reply_makes_a_read_thread_unread_until_read(
    client, member, other_member, board
):
    thread = make_thread(board=board, author=other_member)
    quiet = make_thread(board=board, author=other_member, title="Quiet one")
    client.force_login(member)
    assert unread_on_board(client, board) == {thread.pk, quiet.pk}
    client.get(thread.get_absolute_url())
    client.get(quiet.get_absolute_url())
    assert unread_on_board(client, board) == set()
    services.post_reply(thread=thread, author=other_member, body="News.")
    html = client.get(board.get_absolute_url()).content.decode()
    assert unread_on_board(client, board) == {thread.pk}
    assert 'class="list-group-item thread-row is-unread"' in html
    client.get(thread.get_absolute_url())
    assert unread_on_board(client, board) == set()


def test_reading_only_the_first_page_leaves_the_thread_unread(
    client, member, other_member, board
):
    thread = make_thread(board=board, author=other_member)
    make_posts(thread, 7, authors=[other_member])
    client.force_login(member)
    client.get(thread.get_absolute_url())
    assert unread_on_board(client, board) == {thread.pk}


def test_threads_older_than_the_cutoff_count_as_read(
    client, member, other_member, board, settings
):
    settings.FORUM_READ_CUTOFF_DAYS = 30
    old = make_thread(board=board, author=other_member, title="Old news")
    fresh = make_thread(board=board, author=other_member, title="Fresh news")
    age(old, days=31)
    age(fresh, days=29)
    client.force_login(member)
    assert unread_on_board(client, board) == {fresh.pk}
    # Reading a thread read by the cut-off writes nothing: no row is needed.
    assert read_writes(client, old.get_absolute_url()) == []


def test_pruning_drops_only_rows_older_than_the_cutoff(member, board, other_member):
    old_thread = make_thread(board=board, author=other_member)
    new_thread = make_thread(board=board, author=other_member)
    long_ago = timezone.now() - timedelta(days=40)
    ThreadRead.objects.create(
        user=member, thread=old_thread, last_position=1, read_until=long_ago
    )
    ThreadRead.objects.create(
        user=member, thread=new_thread, last_position=1, read_until=timezone.now()
    )
    BoardRead.objects.create(user=member, board=board, read_until=long_ago)
    out = io.StringIO()
    call_command("prune_read_state", stdout=out)
    assert "Deleted 2 read-state rows" in out.getvalue()
    assert list(ThreadRead.objects.values_list("thread", flat=True)) == [new_thread.pk]
    assert not BoardRead.objects.exists()


def test_pruning_changes_no_unread_answer(member, other_member, board):
    thread = make_thread(board=board, author=other_member)
    age(thread, days=45)
    ThreadRead.objects.create(
        user=member,
        thread=thread,
        last_position=1,
        read_until=timezone.now() - timedelta(days=44),
    )
    services.post_reply(thread=thread, author=other_member, body="Back again.")
    listed = Thread.objects.filter(pk=thread.pk)
    before = readstate.unread_thread_ids(listed, member)
    readstate.prune_read_state()
    assert not ThreadRead.objects.exists()
    assert readstate.unread_thread_ids(listed, member) == before == {thread.pk}


def test_mark_board_read_then_a_new_reply_is_unread_again(
    client, member, other_member, board
):
    threads = [make_thread(board=board, author=other_member) for _ in range(3)]
    elsewhere = make_thread(author=other_member)
    client.force_login(member)
    response = client.post(
        reverse("forum:board_mark_read", args=[board.slug]),
        {"next": board.get_absolute_url()},
    )
    assert response.status_code == 302
    assert response["Location"] == board.get_absolute_url()
    assert unread_on_board(client, board) == set()
    assert unread_on_board(client, elsewhere.board) == {elsewhere.pk}
    services.post_reply(thread=threads[1], author=other_member, body="More.")
    assert unread_on_board(client, board) == {threads[1].pk}


def test_mark_all_read_covers_every_board_and_clears_rows(client, member, other_member):
    one = make_thread(author=other_member)
    two = make_thread(author=other_member)
    client.force_login(member)
    client.get(one.get_absolute_url())
    assert ThreadRead.objects.filter(user=member).exists()
    response = client.post(
        reverse("forum:mark_all_read"), {"next": "https://evil.example/"}
    )
    # A next pointing off the site is ignored.
    assert response["Location"] == reverse("forum:index")
    assert MemberPreferences.objects.get(user=member).all_read_at is not None
    assert not ThreadRead.objects.filter(user=member).exists()
    assert unread_on_board(client, one.board) == set()
    assert unread_on_board(client, two.board) == set()


def test_mark_read_needs_a_post_and_a_member(client, member, board):
    url = reverse("forum:board_mark_read", args=[board.slug])
    assert client.post(url).status_code == 302  # to the login page
    assert not BoardRead.objects.exists()
    client.force_login(member)
    assert client.get(url).status_code == 405
    assert client.get(reverse("forum:mark_all_read")).status_code == 405


def test_mark_read_is_csrf_protected(member, board):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    url = reverse("forum:board_mark_read", args=[board.slug])
    assert strict.post(url).status_code == 403
    assert not BoardRead.objects.exists()


def test_the_forum_list_marks_boards_with_unread_threads(client, member, other_member):
    busy = make_board("Busy board")
    calm = make_board("Calm board")
    thread = make_thread(board=busy, author=other_member)
    calm_thread = make_thread(board=calm, author=other_member)
    client.force_login(member)
    client.get(calm_thread.get_absolute_url())
    html = client.get("/").content.decode()
    assert f'is-unread" data-board-id="{busy.pk}"' in html
    assert f'board-row" data-board-id="{calm.pk}"' in html
    client.get(thread.get_absolute_url())
    html = client.get("/").content.decode()
    assert "is-unread" not in html


def test_threads_hidden_from_a_member_never_make_a_board_unread(
    client, member, other_member, moderator
):
    board = make_board("Open board")
    thread = make_thread(board=board, author=other_member)
    client.force_login(member)
    client.get(thread.get_absolute_url())
    # A new thread deleted by a moderator: only moderators see it.
    hidden = make_thread(board=board, author=other_member, title="Gone")
    services.delete_thread(thread=hidden, moderator=moderator, reason="spam")
    assert readstate.unread_board_ids(Board.objects.all(), member) == frozenset()


def test_a_private_board_is_never_marked_for_outsiders(client, member, other_member):
    private = make_board("Staff room")
    BoardPermission.objects.create(board=private, audience="members", view_board=False)
    make_thread(board=private, author=make_member(is_staff=True))
    assert readstate.unread_board_ids(Board.objects.all(), member) == frozenset()
    # Not even its name on the forum list, let alone a marker.
    client.force_login(member)
    assert "Staff room" not in client.get("/").content.decode()


def test_guests_see_no_unread_markers(client, board, other_member):
    make_thread(board=board, author=other_member)
    html = client.get(board.get_absolute_url()).content.decode()
    assert "is-unread" not in html and "thread-status" not in html
    assert "is-unread" not in client.get("/").content.decode()


def test_annotate_unread_orders_unread_first(member, other_member, board):
    read = make_thread(board=board, author=other_member, title="Read")
    unread = make_thread(board=board, author=other_member, title="Unread")
    ThreadRead.objects.create(
        user=member, thread=read, last_position=1, read_until=timezone.now()
    )
    listed = readstate.annotate_unread(Thread.objects.filter(board=board), member)
    assert [(t.pk, t.is_unread) for t in listed.order_by("-is_unread", "pk")] == [
        (unread.pk, True),
        (read.pk, False),
    ]
    guest = readstate.annotate_unread(Thread.objects.filter(board=board), _guest())
    assert {t.is_unread for t in guest} == {False}


def _guest():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


# Jump to new


def jump(client, thread) -> str:
    response = client.get(reverse("forum:thread_unread", args=[thread.pk]))
    assert response.status_code == 302
    return response["Location"]


def test_jump_to_new_lands_on_the_first_unread_post_on_its_page(
    client, member, other_member, board
):
    thread = make_thread(board=board, author=other_member)
    posts = make_posts(thread, 13, authors=[other_member])  # positions 2..14
    client.force_login(member)
    client.get(thread.get_absolute_url())  # read 1..5
    sixth = posts[4]
    assert sixth.position == 6
    assert jump(client, thread) == f"{thread.page_url(2)}#post-{sixth.pk}"
    client.get(thread.page_url(3))  # read to 14, the last
    assert jump(client, thread) == f"{thread.page_url(3)}#post-{posts[-1].pk}"


def test_jump_to_new_skips_deleted_and_held_posts(
    client, member, other_member, moderator, board, settings
):
    thread = make_thread(board=board, author=other_member)
    posts = make_posts(thread, 6, authors=[other_member])  # positions 2..7
    client.force_login(member)
    client.get(thread.get_absolute_url())  # read 1..5
    services.delete_post(post=posts[4], actor=moderator, reason="off topic")  # 6
    settings.FORUM_APPROVAL_POSTS = 10**6
    newcomer = make_member("newcomer")
    held = services.post_reply(thread=thread, author=newcomer, body="Held back.")
    assert held.position is None
    assert jump(client, thread) == f"{thread.page_url(2)}#post-{posts[5].pk}"
    # Everything visible read: the last post the member sees, never the held one.
    client.get(thread.page_url(2))
    assert jump(client, thread) == f"{thread.page_url(2)}#post-{posts[5].pk}"


def test_jump_to_new_without_a_row_counts_from_the_floor(
    client, member, other_member, board
):
    thread = make_thread(board=board, author=other_member)
    age(thread, days=60)
    make_posts(thread, 3, authors=[other_member])  # 2..4, fresh
    client.force_login(member)
    second = thread.posts.get(position=2)
    assert jump(client, thread) == f"{thread.get_absolute_url()}#post-{second.pk}"


def test_jump_to_new_for_guests_is_the_first_page(client, thread, other_member):
    make_posts(thread, 8, authors=[other_member])
    assert jump(client, thread) == thread.get_absolute_url()


def test_jump_to_new_hides_threads_the_visitor_cannot_see(client, member, other_member):
    private = make_board("Staff room")
    BoardPermission.objects.create(board=private, audience="members", view_board=False)
    thread = make_thread(board=private, author=make_member(is_staff=True))
    client.force_login(member)
    url = reverse("forum:thread_unread", args=[thread.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("forum:thread_unread", args=[10**17])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_daily_and_queues_the_next_day(
    database_queue, member, other_member
):
    from django_tasks_db.models import DBTaskResult

    from tests.conftest import run_worker

    thread = make_thread(author=other_member)
    ThreadRead.objects.create(
        user=member,
        thread=thread,
        last_position=1,
        read_until=timezone.now() - timedelta(days=40),
    )
    assert readstate.schedule_read_state_pruning() is True
    # A second worker starting up queues nothing more.
    call_command("prune_read_state", "--schedule", stdout=io.StringIO())
    queued = DBTaskResult.objects.filter(
        task_path=readstate.prune_read_state_daily.module_path
    )
    assert queued.count() == 1
    run_worker()
    assert not ThreadRead.objects.exists()
    assert queued.filter(status="SUCCESSFUL").count() == 1
    tomorrow = queued.get(status="READY")
    assert tomorrow.run_after > timezone.now() + timedelta(hours=23)


def test_with_a_queue_that_cannot_wait_nothing_is_scheduled():
    assert readstate.schedule_read_state_pruning() is False
