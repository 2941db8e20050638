"""Soft delete, restore and move: success, refusal and every counter they move."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import User
from forum import services
from forum.models import Board, ModerationAction, Post, Thread
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


def fresh(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects


@pytest.fixture
def busy_thread(thread, other_member):
    """A thread by alice with replies by bob (2) and alice (1); the last is bob's."""
    alice = thread.author
    services.post_reply(thread=thread, author=other_member, body="bob one")
    services.post_reply(thread=thread, author=alice, body="alice two")
    services.post_reply(thread=thread, author=other_member, body="bob three")
    return thread


def test_author_deletes_own_reply_and_counters_drop(busy_thread, other_member):
    latest = busy_thread.posts.get(position=4)
    before = busy_thread.posts.get(position=3)
    post = services.delete_post(post=latest, actor=other_member, reason="oops")
    thread, board, bob = fresh(busy_thread, busy_thread.board, other_member)
    assert post.is_deleted and post.deleted_by == other_member
    assert post.delete_reason == "oops" and post.deleted_at is not None
    assert thread.reply_count == 2
    assert (board.thread_count, board.post_count) == (1, 3)
    assert bob.post_count == 1
    # The latest live post is now alice's reply at position 3.
    assert (thread.last_post, thread.last_post_at) == (before, before.created_at)
    assert (board.last_post, board.last_post_at) == (before, before.created_at)
    assert ModerationAction.objects.filter(action="delete_post", post=post).exists()


def test_deleting_an_older_post_keeps_last_post_pointers(busy_thread, moderator):
    latest = busy_thread.posts.get(position=4)
    services.delete_post(post=busy_thread.posts.get(position=2), actor=moderator)
    thread, board = fresh(busy_thread, busy_thread.board)
    assert thread.last_post == latest and board.last_post == latest
    assert thread.reply_count == 2 and board.post_count == 3


def test_member_may_not_delete_someone_elses_post(busy_thread, member):
    bobs = busy_thread.posts.get(position=2)
    with pytest.raises(PermissionDenied):
        services.delete_post(post=bobs, actor=member)
    bobs.refresh_from_db()
    assert not bobs.is_deleted
    assert Thread.objects.get(pk=busy_thread.pk).reply_count == 3


def test_author_may_not_delete_post_in_locked_thread(
    busy_thread, other_member, moderator
):
    services.set_thread_locked(thread=busy_thread, moderator=moderator, locked=True)
    with pytest.raises(PermissionDenied):
        services.delete_post(post=busy_thread.posts.get(position=2), actor=other_member)


def test_author_may_not_delete_the_first_post(busy_thread, member):
    with pytest.raises(PermissionDenied, match="first post"):
        services.delete_post(post=busy_thread.posts.get(position=1), actor=member)
    busy_thread.refresh_from_db()
    assert not busy_thread.is_deleted


def test_moderator_deleting_the_first_post_deletes_the_thread(busy_thread, moderator):
    first = busy_thread.posts.get(position=1)
    post = services.delete_post(post=first, actor=moderator, reason="spam")
    assert post.thread.is_deleted
    first.refresh_from_db()
    assert not first.is_deleted  # the post stays live inside the deleted thread
    board = Board.objects.get(pk=busy_thread.board_id)
    assert (board.thread_count, board.post_count, board.last_post) == (0, 0, None)


def test_deleting_twice_moves_counters_once(busy_thread, moderator, other_member):
    post = busy_thread.posts.get(position=2)
    services.delete_post(post=post, actor=moderator)
    services.delete_post(post=post, actor=moderator)
    thread, bob = fresh(busy_thread, other_member)
    assert thread.reply_count == 2 and bob.post_count == 1


def test_banned_author_may_not_delete(busy_thread, other_member):
    User.objects.filter(pk=other_member.pk).update(is_banned=True)
    other_member.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.delete_post(post=busy_thread.posts.get(position=2), actor=other_member)


def test_restore_post_brings_back_counters_and_pointers(
    busy_thread, moderator, other_member
):
    latest = busy_thread.posts.get(position=4)
    services.delete_post(post=latest, actor=moderator, reason="heated")
    post = services.restore_post(post=latest, actor=moderator)
    thread, board, bob = fresh(busy_thread, busy_thread.board, other_member)
    assert not post.is_deleted and post.deleted_by is None and post.delete_reason == ""
    assert thread.reply_count == 3 and board.post_count == 4 and bob.post_count == 2
    assert thread.last_post == latest and board.last_post == latest
    assert thread.last_post_at == latest.created_at
    assert ModerationAction.objects.filter(action="restore_post", post=latest).exists()


def test_author_may_not_restore_own_deleted_post(busy_thread, other_member):
    post = busy_thread.posts.get(position=2)
    services.delete_post(post=post, actor=other_member)
    with pytest.raises(PermissionDenied):
        services.restore_post(post=post, actor=other_member)
    post.refresh_from_db()
    assert post.is_deleted


def test_restoring_a_live_post_changes_nothing(busy_thread, moderator):
    services.restore_post(post=busy_thread.posts.get(position=2), actor=moderator)
    thread = Thread.objects.get(pk=busy_thread.pk)
    assert thread.reply_count == 3
    assert not ModerationAction.objects.filter(action="restore_post").exists()


def test_delete_thread_takes_live_posts_out_of_every_count(
    busy_thread, moderator, member, other_member
):
    board = busy_thread.board
    other = make_thread(board=board, author=member, title="Older but alive")
    # Make the busy thread the board's latest; its deletion must hand the board's
    # last post back to the other thread.
    services.post_reply(thread=busy_thread, author=member, body="freshest")
    services.delete_post(post=busy_thread.posts.get(position=2), actor=moderator)
    thread = services.delete_thread(thread=busy_thread, moderator=moderator, reason="x")
    board, alice, bob = fresh(board, member, other_member)
    assert thread.is_deleted
    assert (board.thread_count, board.post_count) == (1, 1)
    assert board.last_post == other.last_post
    assert alice.post_count == 1  # only the first post of the other thread
    assert bob.post_count == 0
    assert thread.reply_count == 3  # its own live replies, kept for a restore
    assert ModerationAction.objects.filter(action="delete_thread", thread=thread)


def test_restore_thread_counts_everything_again(
    busy_thread, moderator, member, other_member
):
    services.delete_post(post=busy_thread.posts.get(position=2), actor=moderator)
    services.delete_thread(thread=busy_thread, moderator=moderator)
    thread = services.restore_thread(thread=busy_thread, moderator=moderator)
    board, alice, bob = fresh(busy_thread.board, member, other_member)
    assert not thread.is_deleted
    assert (board.thread_count, board.post_count) == (1, 3)
    assert (alice.post_count, bob.post_count) == (2, 1)
    assert board.last_post == thread.last_post == thread.posts.get(position=4)


def test_members_may_not_delete_or_restore_threads(thread, member, moderator):
    with pytest.raises(PermissionDenied):
        services.delete_thread(thread=thread, moderator=member)
    services.delete_thread(thread=thread, moderator=moderator)
    with pytest.raises(PermissionDenied):
        services.restore_thread(thread=thread, moderator=member)
    assert Thread.objects.get(pk=thread.pk).is_deleted


def test_post_deleted_inside_deleted_thread_is_not_uncounted_twice(
    busy_thread, moderator, other_member
):
    services.delete_thread(thread=busy_thread, moderator=moderator)
    services.delete_post(post=busy_thread.posts.get(position=2), actor=moderator)
    services.restore_thread(thread=busy_thread, moderator=moderator)
    board, bob = fresh(busy_thread.board, other_member)
    assert board.post_count == 3 and bob.post_count == 1


def test_move_thread_carries_counts_and_last_posts(busy_thread, moderator, member):
    source = busy_thread.board
    target = make_board("Elsewhere")
    stay = make_thread(board=source, author=member, title="Stays behind")
    older_in_target = make_thread(board=target, author=member, title="Old target")
    # busy_thread gets the newest post of all.
    newest = services.post_reply(thread=busy_thread, author=member, body="newest")
    thread = services.move_thread(thread=busy_thread, moderator=moderator, board=target)
    source, target = fresh(source, target)
    assert thread.board == target
    assert (source.thread_count, source.post_count) == (1, 1)
    assert (target.thread_count, target.post_count) == (2, 6)
    assert source.last_post == stay.last_post
    assert target.last_post == newest and older_in_target.board == target
    action = ModerationAction.objects.get(action="move_thread", thread=thread)
    assert "Elsewhere" in action.reason


def test_move_thread_with_a_deleted_post_moves_live_posts_only(busy_thread, moderator):
    services.delete_post(post=busy_thread.posts.get(position=4), actor=moderator)
    target = make_board("Elsewhere")
    services.move_thread(thread=busy_thread, moderator=moderator, board=target)
    source, target = fresh(busy_thread.board, target)
    assert (source.post_count, target.post_count) == (0, 3)
    assert source.last_post is None
    assert target.last_post == busy_thread.posts.get(position=3)


def test_moving_a_deleted_thread_moves_no_counts(thread, moderator):
    services.delete_thread(thread=thread, moderator=moderator)
    target = make_board("Elsewhere")
    services.move_thread(thread=thread, moderator=moderator, board=target)
    source, target = fresh(thread.board, target)
    assert (source.thread_count, target.thread_count) == (0, 0)
    services.restore_thread(thread=thread, moderator=moderator)
    target.refresh_from_db()
    assert (target.thread_count, target.post_count) == (1, 1)


def test_member_may_not_move_threads(thread, member):
    target = make_board("Elsewhere")
    with pytest.raises(PermissionDenied):
        services.move_thread(thread=thread, moderator=member, board=target)
    assert Thread.objects.get(pk=thread.pk).board_id == thread.board_id
    assert Board.objects.get(pk=target.pk).thread_count == 0


def test_moving_to_the_same_board_changes_nothing(thread, moderator):
    services.move_thread(thread=thread, moderator=moderator, board=thread.board)
    assert Board.objects.get(pk=thread.board_id).thread_count == 1
    assert not ModerationAction.objects.filter(action="move_thread").exists()


def test_is_moderator_flag_grants_moderation(thread):
    helper = make_member("helper")
    with pytest.raises(PermissionDenied):
        services.set_thread_locked(thread=thread, moderator=helper, locked=True)
    helper.is_moderator = True
    services.set_thread_locked(thread=thread, moderator=helper, locked=True)
    assert Thread.objects.get(pk=thread.pk).is_locked


def test_counters_match_a_full_recount_after_a_mixed_history(moderator, member):
    board_a, board_b = make_board("A"), make_board("B")
    threads = [make_thread(board=board_a, author=member) for _ in range(3)]
    for thread in threads:
        make_posts(thread, 3)
    services.delete_post(post=threads[0].posts.get(position=3), actor=moderator)
    services.delete_thread(thread=threads[1], moderator=moderator)
    services.move_thread(thread=threads[2], moderator=moderator, board=board_b)
    services.restore_thread(thread=threads[1], moderator=moderator)
    for board in (board_a, board_b):
        board.refresh_from_db()
        live = Post.objects.filter(
            thread__board=board, is_deleted=False, thread__is_deleted=False
        )
        assert board.post_count == live.count()
        assert board.thread_count == board.threads.filter(is_deleted=False).count()
        assert board.last_post == live.order_by("-created_at", "-id").first()
    for user in User.objects.all():
        assert (
            user.post_count
            == Post.objects.filter(
                author=user, is_deleted=False, thread__is_deleted=False
            ).count()
        )
