"""Who may do what: plain functions of user and object, no queries, no writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from forum.models import Board, Post, Thread


def is_moderator(user: User | AnonymousUser) -> bool:
    """Staff and members flagged as moderators moderate every board, unless banned."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_staff or user.is_moderator)
        and not user.is_currently_banned
    )


def can_ban(actor: User, member: User) -> bool:
    """Staff and moderators ban members; nobody bans themselves or a superuser,
    and only superusers ban staff."""
    if not (actor.is_active and (actor.is_staff or actor.is_moderator)):
        return False
    if actor.is_currently_banned:
        return False
    if member.pk == actor.pk or member.is_superuser:
        return False
    return not member.is_staff or actor.is_superuser


def can_post(user: User | AnonymousUser) -> bool:
    """Active members who are not banned may write."""
    return bool(
        user.is_authenticated and user.is_active and not user.is_currently_banned
    )


def can_start_thread(user: User | AnonymousUser, board: Board) -> bool:
    """Any member who may post can start a thread on any board."""
    return can_post(user)


def can_view_thread(user: User | AnonymousUser, thread: Thread) -> bool:
    """Deleted threads are visible to moderators only."""
    return not thread.is_deleted or is_moderator(user)


def can_reply(user: User | AnonymousUser, thread: Thread) -> bool:
    """Members reply to open threads, moderators to locked ones; none to deleted."""
    if not can_post(user) or thread.is_deleted:
        return False
    return not thread.is_locked or is_moderator(user)


def can_edit_post(user: User | AnonymousUser, post: Post) -> bool:
    """Authors edit their own live posts in open threads; moderators edit any post."""
    if is_moderator(user):
        return True
    return (
        can_post(user)
        and post.author_id == user.pk
        and not post.is_deleted
        and not post.thread.is_locked
    )


def can_rename_thread(user: User | AnonymousUser, thread: Thread) -> bool:
    """The thread's starter renames it while it is open; moderators always may."""
    if is_moderator(user):
        return True
    return can_post(user) and thread.author_id == user.pk and not thread.is_locked


def can_view_history(user: User | AnonymousUser, post: Post) -> bool:
    """Edit histories are for moderators."""
    return is_moderator(user)


def can_delete_post(user: User | AnonymousUser, post: Post) -> bool:
    """Authors delete their own posts; moderators delete any."""
    return can_edit_post(user, post)


def can_moderate(user: User | AnonymousUser, thread: Thread) -> bool:
    """Locking, sticking and moving are for moderators."""
    return is_moderator(user)


def can_restore_post(user: User | AnonymousUser, post: Post) -> bool:
    """Only moderators bring a deleted post back, even the author's own."""
    return is_moderator(user)


def can_delete_thread(user: User | AnonymousUser, thread: Thread) -> bool:
    """Only moderators delete or restore a whole thread, others' replies included."""
    return is_moderator(user)
