"""Writes across rows: one transaction per service, moving every counter it touches."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F

from accounts.models import User
from accounts.services import move_post_count
from forum import markup, permissions
from forum.models import Board, ModerationAction, Post, Thread, make_slug


def _existing_submission(author: User, token: uuid.UUID | None) -> Post | None:
    if token is None:
        return None
    return Post.objects.filter(author=author, submission_token=token).first()


@transaction.atomic
def start_thread(
    *,
    board: Board,
    author: User,
    title: str,
    body: str,
    ip_address: str | None = None,
    submission_token: uuid.UUID | None = None,
) -> Thread:
    """Open a thread with its first post and move the board's and author's counters."""
    # Lock the author's row (its post count changes below anyway): the same form
    # submitted twice at once is then seen as a repeat instead of a second thread.
    author = User.objects.select_for_update().get(pk=author.pk)
    if not permissions.can_start_thread(author, board):
        raise PermissionDenied("You may not start threads.")
    if existing := _existing_submission(author, submission_token):
        return existing.thread
    thread = Thread.objects.create(
        board=board, author=author, title=title, slug=make_slug(title), last_position=1
    )
    post = Post.objects.create(
        thread=thread,
        author=author,
        position=1,
        body=body,
        body_html=markup.render(body),
        ip_address=ip_address,
        submission_token=submission_token,
    )
    Thread.objects.filter(pk=thread.pk).update(
        last_post=post, last_post_at=post.created_at
    )
    Board.objects.filter(pk=board.pk).update(
        thread_count=F("thread_count") + 1,
        post_count=F("post_count") + 1,
        last_post=post,
        last_post_at=post.created_at,
    )
    move_post_count(user_id=author.pk, delta=1)
    thread.refresh_from_db()
    return thread


@transaction.atomic
def post_reply(
    *,
    thread: Thread,
    author: User,
    body: str,
    ip_address: str | None = None,
    submission_token: uuid.UUID | None = None,
) -> Post:
    """Add a reply to a thread and move every counter that shows it."""
    # Lock the thread row: two replies landing at once must get distinct positions.
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not permissions.can_reply(author, thread):
        raise PermissionDenied("This thread does not accept replies.")
    if existing := _existing_submission(author, submission_token):
        return existing
    post = Post.objects.create(
        thread=thread,
        author=author,
        position=thread.last_position + 1,
        body=body,
        body_html=markup.render(body),
        ip_address=ip_address,
        submission_token=submission_token,
    )
    Thread.objects.filter(pk=thread.pk).update(
        reply_count=F("reply_count") + 1,
        last_position=post.position,
        last_post=post,
        last_post_at=post.created_at,
    )
    Board.objects.filter(pk=thread.board_id).update(
        post_count=F("post_count") + 1, last_post=post, last_post_at=post.created_at
    )
    move_post_count(user_id=author.pk, delta=1)
    return post


def _record(actor: User, action: str, *, thread: Thread, reason: str = "") -> None:
    ModerationAction.objects.create(
        actor=actor, action=action, thread=thread, reason=reason
    )


@transaction.atomic
def set_thread_locked(*, thread: Thread, moderator: User, locked: bool) -> Thread:
    """Lock or unlock a thread; only moderators may."""
    if not permissions.can_moderate(moderator, thread):
        raise PermissionDenied("Only moderators may lock threads.")
    Thread.objects.filter(pk=thread.pk).update(is_locked=locked)
    _record(moderator, "lock" if locked else "unlock", thread=thread)
    thread.is_locked = locked
    return thread


@transaction.atomic
def set_thread_sticky(*, thread: Thread, moderator: User, sticky: bool) -> Thread:
    """Stick a thread to the top of its board, or unstick it; only moderators may."""
    if not permissions.can_moderate(moderator, thread):
        raise PermissionDenied("Only moderators may stick threads.")
    Thread.objects.filter(pk=thread.pk).update(is_sticky=sticky)
    _record(moderator, "stick" if sticky else "unstick", thread=thread)
    thread.is_sticky = sticky
    return thread
