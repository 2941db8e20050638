import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.models import User
from forum import services
from forum.models import Board, Post, Thread
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


def test_start_thread_creates_first_post_and_moves_counters(board, member):
    thread = services.start_thread(
        board=board, author=member, title="Hi there", body="Body"
    )
    board.refresh_from_db()
    member.refresh_from_db()
    first = thread.posts.get()
    assert first.position == 1
    assert thread.last_position == 1
    assert thread.reply_count == 0
    assert thread.last_post == first
    assert thread.slug == "hi-there"
    assert (board.thread_count, board.post_count, board.last_post) == (1, 1, first)
    assert member.post_count == 1


def test_post_reply_numbers_posts_and_moves_every_counter(thread, other_member):
    reply = services.post_reply(thread=thread, author=other_member, body="Second")
    thread.refresh_from_db()
    thread.board.refresh_from_db()
    other_member.refresh_from_db()
    assert reply.position == 2
    assert (thread.reply_count, thread.last_position, thread.last_post) == (1, 2, reply)
    assert (thread.board.post_count, thread.board.thread_count) == (2, 1)
    assert thread.board.last_post == reply
    assert other_member.post_count == 1


def test_reply_to_locked_thread_is_refused(thread, other_member, moderator):
    services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    with pytest.raises(PermissionDenied):
        services.post_reply(thread=thread, author=other_member, body="Let me in")
    assert thread.posts.count() == 1


def test_moderator_may_reply_to_locked_thread(thread, moderator):
    services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    assert (
        services.post_reply(
            thread=thread, author=moderator, body="Closing note"
        ).position
        == 2
    )


def test_member_cannot_lock_a_thread(thread, other_member):
    with pytest.raises(PermissionDenied):
        services.set_thread_locked(thread=thread, moderator=other_member, locked=True)
    thread.refresh_from_db()
    assert not thread.is_locked


def test_banned_member_cannot_post(thread):
    banned = make_member(is_banned=True, ban_reason="Spam")
    with pytest.raises(PermissionDenied):
        services.post_reply(thread=thread, author=banned, body="spam")
    with pytest.raises(PermissionDenied):
        services.start_thread(
            board=thread.board, author=banned, title="Spam", body="spam"
        )
    assert not Post.objects.filter(author=banned).exists()


def test_same_submission_token_posts_once(thread, other_member):
    token = uuid.uuid4()
    first = services.post_reply(
        thread=thread, author=other_member, body="Once", submission_token=token
    )
    again = services.post_reply(
        thread=thread, author=other_member, body="Once", submission_token=token
    )
    thread.refresh_from_db()
    assert again == first
    assert thread.reply_count == 1
    other_member.refresh_from_db()
    assert other_member.post_count == 1


def test_same_submission_token_starts_one_thread(board, member):
    token = uuid.uuid4()
    one = services.start_thread(
        board=board, author=member, title="Only once", body="x", submission_token=token
    )
    two = services.start_thread(
        board=board, author=member, title="Only once", body="x", submission_token=token
    )
    assert one == two
    assert Thread.objects.filter(board=board).count() == 1


def test_thread_slug_falls_back_when_title_has_no_letters(board, member):
    thread = services.start_thread(
        board=board, author=member, title="!!! ???", body="x"
    )
    assert thread.slug == "thread"


def test_post_html_is_rendered_once_and_stored(thread, other_member):
    post = services.post_reply(thread=thread, author=other_member, body="<b>hi</b>")
    assert Post.objects.get(pk=post.pk).body_html == "<p>&lt;b&gt;hi&lt;/b&gt;</p>"


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_get_distinct_positions_and_both_counts():
    thread = make_thread()
    authors = [make_member(), make_member()]
    barrier = threading.Barrier(2)
    errors = []

    def reply(author):
        try:
            barrier.wait(timeout=5)
            services.post_reply(
                thread=thread, author=author, body=f"by {author.username}"
            )
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=reply, args=(a,)) for a in authors]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    thread.refresh_from_db()
    positions = sorted(thread.posts.values_list("position", flat=True))
    assert positions == [1, 2, 3]
    assert (thread.reply_count, thread.last_position) == (2, 3)
    board = Board.objects.get(pk=thread.board_id)
    assert board.post_count == 3
    assert sorted(
        User.objects.filter(pk__in=[a.pk for a in authors]).values_list(
            "post_count", flat=True
        )
    ) == [1, 1]


def test_nobody_replies_to_a_deleted_thread_and_counters_stay_right(thread, moderator):
    services.delete_thread(thread=thread, moderator=moderator)
    with pytest.raises(PermissionDenied):
        services.post_reply(thread=thread, author=moderator, body="Into the void")
    board = Board.objects.get(pk=thread.board_id)
    assert (board.thread_count, board.post_count, board.last_post) == (0, 0, None)
    services.restore_thread(thread=thread, moderator=moderator)
    board.refresh_from_db()
    assert (board.thread_count, board.post_count) == (1, 1)


def test_a_banned_moderator_loses_moderator_powers(thread, other_member):
    rogue = make_member(is_moderator=True, is_banned=True, ban_reason="Rogue")
    reply = services.post_reply(thread=thread, author=other_member, body="Mine")
    with pytest.raises(PermissionDenied):
        services.edit_post(post=reply, editor=rogue, body="vandalised")
    with pytest.raises(PermissionDenied):
        services.delete_post(post=reply, actor=rogue)
    with pytest.raises(PermissionDenied):
        services.set_thread_locked(thread=thread, moderator=rogue, locked=True)
    reply.refresh_from_db()
    assert (reply.body, reply.is_deleted) == ("Mine", False)


@pytest.mark.django_db(transaction=True)
def test_thread_start_and_moderator_delete_do_not_deadlock():
    """start_thread and delete_thread take board and member locks in one order."""
    board = make_board()
    author = make_member()
    moderator = make_member(is_moderator=True)
    victim = make_thread(board=board, author=author)
    make_posts(victim, 3, authors=[author])
    barrier = threading.Barrier(2)
    errors = []

    def run(work):
        try:
            barrier.wait(timeout=5)
            work()
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)
        finally:
            connection.close()

    jobs = [
        lambda: services.delete_thread(thread=victim, moderator=moderator),
        lambda: services.start_thread(
            board=board, author=author, title="New", body="x"
        ),
    ]
    for _ in range(5):
        workers = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        services.restore_thread(thread=victim, moderator=moderator)
    assert errors == []
    board.refresh_from_db()
    author.refresh_from_db()
    assert board.thread_count == Thread.objects.filter(board=board).count() == 6
    assert author.post_count == Post.objects.filter(author=author).count()


def test_moderate_thread_refuses_unknown_actions(thread, moderator):
    with pytest.raises(ValueError, match="Unknown moderation action"):
        services.moderate_thread(thread=thread, moderator=moderator, action="explode")
