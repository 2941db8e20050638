from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Tier, User
from forum import services
from forum.models import Board, Post, Thread
from tests.factories import make_posts, make_thread

pytestmark = pytest.mark.django_db


def recount() -> str:
    out = StringIO()
    call_command("recount", stdout=out)
    return out.getvalue()


def test_recount_of_a_correct_forum_changes_nothing(thread):
    make_posts(thread, count=3)
    assert "Repaired 0 threads, 0 boards, 0 member post counts and 0 member tiers" in (
        recount()
    )


def test_recount_repairs_drifted_thread_board_and_member_counters(thread, member):
    replies = make_posts(thread, count=3)
    Thread.objects.update(reply_count=99, last_position=1, last_post=None)
    Board.objects.update(thread_count=0, post_count=7, last_post=None)
    User.objects.update(post_count=5000)

    assert "Repaired 1 threads, 1 boards, 4 member post counts" in recount()

    thread.refresh_from_db()
    board = thread.board
    board.refresh_from_db()
    assert (thread.reply_count, thread.last_position) == (3, 4)
    assert (thread.last_post, thread.last_post_at) == (
        replies[-1],
        replies[-1].created_at,
    )
    assert (board.thread_count, board.post_count, board.last_post) == (
        1,
        4,
        replies[-1],
    )
    member.refresh_from_db()
    assert member.post_count == 1
    assert member.tier == Tier.objects.get(name="New Member")


def test_recount_picks_the_latest_thread_for_the_board(board, member):
    older = make_thread(board=board, author=member, title="Older thread")
    newer = make_thread(board=board, author=member, title="Newer thread")
    (latest,) = make_posts(older, count=1)
    Board.objects.update(last_post=newer.last_post, last_post_at=newer.last_post_at)
    recount()
    board.refresh_from_db()
    assert board.last_post == latest


def test_recount_leaves_deleted_posts_out_of_counts_but_keeps_their_positions(
    thread, member
):
    replies = make_posts(thread, count=2)
    Post.objects.filter(pk=replies[-1].pk).update(is_deleted=True)
    recount()
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert thread.last_position == 3  # a new reply must not reuse position 3
    assert thread.last_post == replies[0]
    assert thread.board.__class__.objects.get().post_count == 2


def test_recount_derives_tiers_from_repaired_counts(thread, member):
    Tier.objects.create(name="Chatterbox", min_posts=3, order=9)
    make_posts(thread, count=2, authors=[member])
    User.objects.filter(pk=member.pk).update(post_count=0, tier=None)
    recount()
    member.refresh_from_db()
    assert member.post_count == 3
    assert member.tier.name == "Chatterbox"


def check() -> str:
    out = StringIO()
    call_command("recount", "--check", stdout=out)
    return out.getvalue()


def test_check_names_each_drifted_counter_and_pointer_and_repairs_none(thread, member):
    first = thread.last_post
    replies = make_posts(thread, count=2)
    latest = replies[-1]
    Thread.objects.update(reply_count=99)
    Board.objects.update(last_post=first, last_post_at=first.created_at)
    User.objects.filter(pk=member.pk).update(post_count=7, tier=None)

    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("recount", "--check", stdout=out)

    assert raised.value.returncode == 1
    assert "5 counters or pointers differ" in str(raised.value)
    board = thread.board
    was, now = first.created_at.isoformat(), latest.created_at.isoformat()
    assert sorted(out.getvalue().splitlines()) == sorted(
        [
            f'thread {thread.pk} "Hello world": reply count is 99, should be 2',
            f'board {board.pk} "General chat": last post is post {first.pk}, '
            f"should be post {latest.pk}",
            f'board {board.pk} "General chat": last post at is {was}, should be {now}',
            f'member {member.pk} "alice": post count is 7, should be 1',
            f'member {member.pk} "alice": tier is none, should be New Member',
        ]
    )
    assert Thread.objects.get().reply_count == 99
    assert Board.objects.get().last_post == first
    assert User.objects.values_list("post_count", "tier").get(pk=member.pk) == (
        7,
        None,
    )


def test_check_passes_once_recount_repaired_the_drift(thread):
    make_posts(thread, count=2)
    assert "Every counter and last-post pointer is exact." in check()
    Thread.objects.update(last_position=1, last_post=None)
    Board.objects.update(thread_count=3)
    with pytest.raises(CommandError):
        check()
    assert "Repaired 1 threads, 1 boards, 0 member post counts" in recount()
    assert "Every counter and last-post pointer is exact." in check()


def test_check_and_repair_agree_on_a_deleted_latest_post(thread, moderator):
    replies = make_posts(thread, count=2)
    services.delete_post(post=replies[-1], actor=moderator)
    assert "Every counter and last-post pointer is exact." in check()
    assert "Repaired 0 threads, 0 boards, 0 member post counts" in recount()
