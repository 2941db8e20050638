"""Reactions under concurrent writers, with the interleaving forced (see
test_concurrency.py for the Writer and Holder helpers): counts and scores stay what
the rows say, whichever order the writers commit in."""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from forum import reactions, services
from forum.models import Post, PostReaction, Reaction
from tests.factories import make_member, make_posts, make_thread
from tests.forum.test_concurrency import HANG, Holder, Writer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def like():
    # Transactional tests flush the migration's rows: make sure of the reaction.
    reaction, _ = Reaction.objects.get_or_create(
        name="Like", defaults={"emoji": "+", "score": 1}
    )
    return reaction


def react(user: User, post: Post, reaction: Reaction) -> Writer:
    return Writer(lambda: reactions.react(user=user, post=post, reaction=reaction))


def hold_post(post: Post) -> Holder:
    return Holder(lambda: Post.objects.select_for_update().get(pk=post.pk))


def hold_member(user: User) -> Holder:
    return Holder(lambda: User.objects.select_for_update().get(pk=user.pk))


def wait_until_blocked(writer: Writer, *pids: int) -> None:
    """Return once ``writer`` waits on a lock one of ``pids`` holds (a second waiter
    on a row queues behind the first, which PostgreSQL may report instead)."""
    deadline = time.monotonic() + HANG
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_blocking_pids(%s)", [writer.pid])
            if set(cursor.fetchone()[0]) & set(pids):
                return
        assert not writer.done, f"the writer ended unblocked: {writer.error!r}"
        assert time.monotonic() < deadline, "the writer never reached the lock"
        time.sleep(0.01)


def assert_exact() -> None:
    call_command("recount", "--check", stdout=StringIO())  # raises on drift


def test_two_members_reacting_at_once_both_count(like):
    author = make_member()
    post = make_thread(author=author).posts.get()
    fans = [make_member(), make_member()]
    lock = hold_post(post)
    writers = [react(fan, post, like) for fan in fans]
    for writer in writers:
        wait_until_blocked(writer, lock.pid, *(w.pid for w in writers))
    lock.release()
    for writer in writers:
        writer.finish()
    assert Post.objects.get(pk=post.pk).reaction_counts == {str(like.pk): 2}
    assert User.objects.get(pk=author.pk).reaction_score == 2
    assert_exact()


def test_a_double_submit_racing_itself_gives_one_row(like):
    author, fan = make_member(), make_member()
    post = make_thread(author=author).posts.get()
    lock = hold_post(post)
    writers = [react(fan, post, like) for _ in range(2)]
    for writer in writers:
        wait_until_blocked(writer, lock.pid, *(w.pid for w in writers))
    lock.release()
    rows = {writer.finish().pk for writer in writers}
    assert len(rows) == 1 and PostReaction.objects.count() == 1
    assert User.objects.get(pk=author.pk).reaction_score == 1
    assert_exact()


@pytest.mark.parametrize("first", ["reaction", "delete"])
def test_a_reaction_and_a_delete_of_the_authors_other_post_stay_exact(like, first):
    author, fan, moderator = make_member(), make_member(), make_member()
    User.objects.filter(pk=moderator.pk).update(is_moderator=True)
    moderator.refresh_from_db()
    # Two threads, so the writers do not meet on a thread lock, only at the
    # author's row: one moving the score by a delta, the other recomputing it.
    target = make_thread(author=author).posts.get()
    (other,) = make_posts(make_thread(), count=1, authors=[author])
    reactions.react(user=fan, post=other, reaction=like)
    assert User.objects.get(pk=author.pk).reaction_score == 1
    lock = hold_member(author)
    start = {
        "reaction": lambda: react(make_member(), target, like),
        "delete": lambda: Writer(
            lambda: services.delete_post(post=other, actor=moderator)
        ),
    }
    then = "delete" if first == "reaction" else "reaction"
    writers = {first: start[first]()}
    writers[first].wait_until_blocked_by(lock.pid)
    # Started once the first waits: it queues behind it (and may be reported so).
    writers[then] = start[then]()
    wait_until_blocked(writers[then], lock.pid, writers[first].pid)
    lock.release()
    for writer in writers.values():
        writer.finish()
    # The deleted post's Like no longer counts; the new one does.
    assert User.objects.get(pk=author.pk).reaction_score == 1
    assert_exact()
