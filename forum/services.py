"""Writes across rows: one transaction per service, moving every counter it touches."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, F, Q, Value, When
from django.db.models.expressions import Combinable
from django.utils import timezone

import markup
from accounts import ratelimit
from accounts.mentions import members_in_database
from accounts.models import User
from accounts.services import move_post_count
from forum import alert_tasks, alerts, drafts, permissions, reactions, watching
from forum.models import (
    Board,
    ModerationAction,
    Post,
    PostRevision,
    Thread,
    make_slug,
)


def _existing_submission(author: User, token: uuid.UUID | None) -> Post | None:
    if token is None:
        return None
    return Post.objects.filter(author=author, submission_token=token).first()


POST_INTERVAL = ratelimit.Interval(
    "post", "FORUM_POST_INTERVAL_SECONDS", "You are posting too quickly."
)
THREAD_INTERVAL = ratelimit.Interval(
    "thread", "FORUM_THREAD_INTERVAL_SECONDS", "You started a thread a moment ago."
)


def _hold_back_flood(author: User, *intervals: ratelimit.Interval) -> None:
    """Members wait between posts (raises RateLimited); moderators never do."""
    # After the repeat check, so a form sent twice still lands on its post. The
    # claim is made before the write commits: a write that then fails costs the
    # member one interval, and two posts sent at once cannot both pass.
    if not permissions.is_moderator(author):
        ratelimit.claim(*intervals, subject=author.pk)


# A web address, bare or in BBCode, in what a member typed.
_LINK = re.compile(r"https?://|www\.|\[url", re.IGNORECASE)


def hold_reason(author: User, board_id: int, text: str) -> str:
    """Why a post waits for a moderator ("": it does not): a spam phrase, a member
    with fewer approved posts than the setting, or a newcomer's link. Moderators of
    the board are never held."""
    if permissions.moderates(author, board_id):
        return ""
    folded = text.casefold()
    for phrase in settings.FORUM_SPAM_PHRASES:
        if phrase.casefold() in folded:
            return f"Contains a spam phrase: {phrase}"[:255]
    # post_count counts the member's approved, live posts.
    if author.post_count < settings.FORUM_APPROVAL_POSTS:
        return "New member"
    if author.post_count < settings.FORUM_APPROVAL_LINK_POSTS and _LINK.search(text):
        return "Link from a new member"
    return ""


def _older_last_post_than(post: Post) -> Q:
    """Rows whose last post comes before ``post`` in the order listings sort by."""
    # Listings sort by last_post_at, and ids only break ties: a post's time is taken
    # before its insert draws an id, so two posts written at once can get their ids
    # in the other order.
    return (
        Q(last_post__isnull=True)
        | Q(last_post_at__isnull=True)
        | Q(last_post_at__lt=post.created_at)
        | Q(last_post_at=post.created_at, last_post_id__lt=post.pk)
    )


def _count_board_post(board_id: int, post: Post, **counters: Combinable) -> None:
    """Move a board's counters and point it at ``post`` unless it shows a newer one."""
    # Posts in different threads of a board commit in any order. PostgreSQL
    # evaluates the CASE on the row as the last writer committed it (after waiting
    # for its lock), so whichever commits last, the board keeps the newest post.
    older = _older_last_post_than(post)
    Board.objects.filter(pk=board_id).update(
        **counters,
        last_post_id=Case(
            When(older, then=Value(post.pk)),
            default=F("last_post_id"),
            output_field=BigIntegerField(),
        ),
        last_post_at=Case(
            When(older, then=Value(post.created_at)), default=F("last_post_at")
        ),
    )


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
    # Rendered before any lock: rendering may take a while.
    body_html = markup.render(body, known_members=members_in_database)
    # Every service locks in one order, thread -> board -> member, so none deadlocks
    # another. The author's lock makes the same form submitted twice at once a
    # repeat instead of a second thread.
    Board.objects.select_for_update().filter(pk=board.pk).first()
    author = User.objects.select_for_update().get(pk=author.pk)
    if not permissions.can_start_thread(author, board):
        raise PermissionDenied("You may not start threads.")
    if existing := _existing_submission(author, submission_token):
        return existing.thread
    _hold_back_flood(author, THREAD_INTERVAL, POST_INTERVAL)
    held = hold_reason(author, board.pk, f"{title}\n{body}")
    # A held thread is invisible as a whole, so its first post takes position 1 at
    # once; it has no last post and counts nowhere until approve_post.
    thread = Thread.objects.create(
        board=board,
        author=author,
        title=title,
        slug=make_slug(title),
        last_position=1,
        is_approved=not held,
    )
    post = Post.objects.create(
        thread=thread,
        author=author,
        position=1,
        body=body,
        body_html=body_html,
        ip_address=ip_address,
        submission_token=submission_token,
        is_approved=not held,
        held_reason=held,
    )
    if not held:
        _count_new_thread(thread, post)
        alert_tasks.queue_fan_out(post)
    watching.auto_watch(user=author, thread=thread)
    drafts.discard_draft(user=author, board=board)
    thread.refresh_from_db()
    return thread


def _count_new_thread(thread: Thread, post: Post) -> None:
    """Move every counter and pointer a new thread moves; the thread's row is locked."""
    Thread.objects.filter(pk=thread.pk).update(
        last_post=post, last_post_at=post.created_at
    )
    if thread.is_deleted:
        return
    _count_board_post(
        thread.board_id,
        post,
        thread_count=F("thread_count") + 1,
        post_count=F("post_count") + 1,
    )
    move_post_count(user_id=post.author_id, delta=1)


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
    # Rendered before the lock, which holds back other replies.
    body_html = markup.render(body, known_members=members_in_database)
    # Lock the thread row: two replies landing at once must get distinct positions.
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not permissions.can_reply(author, thread):
        raise PermissionDenied("This thread does not accept replies.")
    if existing := _existing_submission(author, submission_token):
        return existing
    _hold_back_flood(author, POST_INTERVAL)
    held = hold_reason(author, thread.board_id, body)
    post = Post.objects.create(
        thread=thread,
        author=author,
        # A held reply has no position until approved (see approve_post).
        position=None if held else thread.last_position + 1,
        body=body,
        body_html=body_html,
        ip_address=ip_address,
        submission_token=submission_token,
        is_approved=not held,
        held_reason=held,
    )
    if not held:
        _count_reply(thread, post)
        # Watchers, quotes and mentions are alerted by the worker after commit: a
        # thread watched by thousands costs this request one queued row.
        alert_tasks.queue_fan_out(post)
    watching.auto_watch(user=author, thread=thread)
    drafts.discard_draft(user=author, thread=thread)
    return post


def _count_reply(thread: Thread, post: Post) -> None:
    """Move every counter and pointer a new reply moves; the thread's row is locked."""
    # Plain writes are safe here: every writer of a thread's position and last post
    # holds the thread's row lock, so this reply is the thread's newest until commit.
    Thread.objects.filter(pk=thread.pk).update(
        reply_count=F("reply_count") + 1,
        last_position=post.position,
        last_post=post,
        last_post_at=post.created_at,
    )
    if thread.is_deleted:
        return
    _count_board_post(thread.board_id, post, post_count=F("post_count") + 1)
    move_post_count(user_id=post.author_id, delta=1)


@transaction.atomic
def edit_post(*, post: Post, editor: User, body: str, title: str | None = None) -> Post:
    """Replace a post's text, keeping the old source as a revision; a new ``title``
    renames the thread in the same transaction."""
    body_html = markup.render(body, known_members=members_in_database)
    thread, post = _locked_post(post)
    if not permissions.can_edit_post(editor, post):
        raise PermissionDenied("You may not edit this post.")
    if title is not None:
        _rename(thread, editor, title)
    if body == post.body:
        return post
    PostRevision.objects.create(post=post, editor=editor, body=post.body)
    post.body = body
    post.body_html = body_html
    post.edited_at = timezone.now()
    post.edited_by = editor
    post.save(update_fields=["body", "body_html", "edited_at", "edited_by"])
    if permissions.moderates(editor, thread.board_id):
        alerts.moderation(editor, "edit_post", thread=thread, post=post)
    return post


@transaction.atomic
def rename_thread(*, thread: Thread, actor: User, title: str) -> Thread:
    """Give a thread a new title; its starter and moderators may."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    _rename(thread, actor, title)
    return thread


def _rename(thread: Thread, actor: User, title: str) -> None:
    # The caller holds the thread's row lock.
    if not permissions.can_rename_thread(actor, thread):
        raise PermissionDenied("You may not rename this thread.")
    if title == thread.title:
        return
    thread.title = title
    thread.slug = make_slug(title)
    thread.save(update_fields=["title", "slug"])
    if permissions.moderates(actor, thread.board_id) and actor.pk != thread.author_id:
        _record(actor, "rename", thread=thread)


def _record(actor: User, action: str, *, thread: Thread, reason: str = "") -> None:
    ModerationAction.objects.create(
        actor=actor, action=action, thread=thread, reason=reason
    )
    alerts.moderation(actor, action, thread=thread, reason=reason)


def set_thread_locked(*, thread: Thread, moderator: User, locked: bool) -> Thread:
    """Lock or unlock a thread; only moderators may."""
    return _switch_thread(thread, moderator, "is_locked", locked, ("lock", "unlock"))


def set_thread_sticky(*, thread: Thread, moderator: User, sticky: bool) -> Thread:
    """Stick a thread to the top of its board, or unstick it; only moderators may."""
    return _switch_thread(thread, moderator, "is_sticky", sticky, ("stick", "unstick"))


@transaction.atomic
def _switch_thread(
    thread: Thread, moderator: User, field: str, on: bool, actions: tuple[str, str]
) -> Thread:
    if not permissions.can_moderate(moderator, thread):
        raise PermissionDenied(f"Only moderators may {actions[0]} threads.")
    Thread.objects.filter(pk=thread.pk).update(**{field: on})
    _record(moderator, actions[0] if on else actions[1], thread=thread)
    setattr(thread, field, on)
    return thread


def moderate_thread(
    *, thread: Thread, moderator: User, action: str, reason: str = ""
) -> Thread:
    """Apply one of the thread switches moderators have: lock, unlock, stick,
    unstick, delete, restore."""
    match action:
        case "lock" | "unlock":
            return set_thread_locked(
                thread=thread, moderator=moderator, locked=action == "lock"
            )
        case "stick" | "unstick":
            return set_thread_sticky(
                thread=thread, moderator=moderator, sticky=action == "stick"
            )
        case "delete":
            return delete_thread(thread=thread, moderator=moderator, reason=reason)
        case "restore":
            return restore_thread(thread=thread, moderator=moderator)
    raise ValueError(f"Unknown moderation action: {action!r}")


# Soft deletes, restores and moves. A post is live when neither it nor its thread is
# deleted; board post counts, thread reply counts and member post counts count live
# posts only, and last-post pointers point at the latest live post.


def _refresh_thread_last_post(thread_id: int) -> None:
    # Callers hold the thread's row lock, as post_reply does before it numbers a
    # reply: no reply to this thread is half-written while this reads its posts.
    latest = (
        Post.objects.filter(thread_id=thread_id, is_deleted=False, is_approved=True)
        .order_by("-position")
        .values("pk", "created_at")
        .first()
    ) or {"pk": None, "created_at": None}
    Thread.objects.filter(pk=thread_id).update(
        last_post_id=latest["pk"], last_post_at=latest["created_at"]
    )


def _refresh_board_last_post(board_id: int) -> None:
    # Callers have already updated the board row, so they hold its lock, and this
    # query is a statement of its own, so it sees every post committed before the
    # lock was granted (one UPDATE with a subquery would not: its snapshot predates
    # the wait). A reply still uncommitted has not reached the board yet; it moves
    # the board after this commits, and only forward (_count_board_post). Thread
    # pointers never name a deleted post: they move in the transaction that
    # deletes it. Ties go to the higher post id, as in _older_last_post_than.
    latest = (
        Thread.objects.filter(
            board_id=board_id,
            is_deleted=False,
            is_approved=True,
            last_post_at__isnull=False,
        )
        .order_by("-last_post_at", "-last_post_id")
        .values("last_post", "last_post_at")
        .first()
    ) or {"last_post": None, "last_post_at": None}
    Board.objects.filter(pk=board_id).update(
        last_post_id=latest["last_post"], last_post_at=latest["last_post_at"]
    )


def _live_posts_by_author(thread: Thread) -> list[tuple[int, int]]:
    return list(
        Post.objects.filter(thread=thread, is_deleted=False, is_approved=True)
        .values_list("author")
        .annotate(n=Count("id"))
        .order_by("author")
    )


def _move_board_counts(board_id: int, *, threads: int, posts: int) -> None:
    Board.objects.filter(pk=board_id).update(
        thread_count=F("thread_count") + threads, post_count=F("post_count") + posts
    )
    _refresh_board_last_post(board_id)


def _count_thread_live_posts(thread: Thread, sign: int) -> None:
    """Add (+1) or remove (-1) a thread's live posts from its board and authors."""
    per_author = _live_posts_by_author(thread)
    _move_board_counts(
        thread.board_id, threads=sign, posts=sign * sum(n for _, n in per_author)
    )
    for author_id, n in per_author:
        move_post_count(user_id=author_id, delta=sign * n)
    # Reactions count for live posts only: the thread's go with them.
    reactions.rescore_members(author_id for author_id, _ in per_author)


def _locked_post(post: Post) -> tuple[Thread, Post]:
    # Thread first, as post_reply does, so every writer takes the locks in one order.
    thread = Thread.objects.select_for_update().get(pk=post.thread_id)
    post = Post.objects.select_for_update().get(pk=post.pk)
    post.thread = thread
    return thread, post


@transaction.atomic
def delete_post(*, post: Post, actor: User, reason: str = "") -> Post:
    """Soft-delete a post; a first post goes only with its thread, by a moderator."""
    thread, post = _locked_post(post)
    if not permissions.can_delete_post(actor, post):
        raise PermissionDenied("You may not delete this post.")
    if post.position == 1:
        # The first post carries the thread's title and topic: removing it alone
        # would leave replies to nothing, so it takes the whole thread along.
        if not permissions.can_delete_thread(actor, thread):
            raise PermissionDenied(
                "The first post opens the thread; only a moderator can delete it, "
                "together with the whole thread."
            )
        delete_thread(thread=thread, moderator=actor, reason=reason)
        post.thread.refresh_from_db()
        return post
    if post.is_deleted:
        return post
    Post.objects.filter(pk=post.pk).update(
        is_deleted=True,
        deleted_at=timezone.now(),
        deleted_by=actor,
        delete_reason=reason,
    )
    # A held post was never counted: withdrawing or rejecting it moves nothing.
    if post.is_approved:
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") - 1)
        _refresh_thread_last_post(thread.pk)
    if post.is_approved and not thread.is_deleted:
        Board.objects.filter(pk=thread.board_id).update(post_count=F("post_count") - 1)
        _refresh_board_last_post(thread.board_id)
        move_post_count(user_id=post.author_id, delta=-1)
        # Its reactions stop counting towards the author's score.
        reactions.rescore_members([post.author_id])
    ModerationAction.objects.create(
        actor=actor,
        action="delete_post",
        thread=thread,
        post=post,
        target_user_id=post.author_id,
        reason=reason,
    )
    alerts.moderation(actor, "delete_post", thread=thread, post=post, reason=reason)
    post.refresh_from_db()
    return post


@transaction.atomic
def restore_post(*, post: Post, actor: User) -> Post:
    """Bring a deleted post back into every count; only moderators may."""
    thread, post = _locked_post(post)
    if not permissions.can_restore_post(actor, post):
        raise PermissionDenied("Only moderators may restore posts.")
    if not post.is_deleted:
        return post
    Post.objects.filter(pk=post.pk).update(
        is_deleted=False, deleted_at=None, deleted_by=None, delete_reason=""
    )
    # A held or rejected post goes back to the approval queue, counted nowhere.
    if post.is_approved:
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") + 1)
        _refresh_thread_last_post(thread.pk)
    if post.is_approved and not thread.is_deleted:
        Board.objects.filter(pk=thread.board_id).update(post_count=F("post_count") + 1)
        _refresh_board_last_post(thread.board_id)
        move_post_count(user_id=post.author_id, delta=1)
        reactions.rescore_members([post.author_id])
    ModerationAction.objects.create(
        actor=actor,
        action="restore_post",
        thread=thread,
        post=post,
        target_user_id=post.author_id,
    )
    post.refresh_from_db()
    alerts.moderation(actor, "restore_post", thread=thread, post=post)
    return post


@transaction.atomic
def delete_thread(*, thread: Thread, moderator: User, reason: str = "") -> Thread:
    """Soft-delete a thread and uncount its live posts; moderators only."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not permissions.can_delete_thread(moderator, thread):
        raise PermissionDenied("Only moderators may delete threads.")
    if not thread.is_deleted:
        Thread.objects.filter(pk=thread.pk).update(is_deleted=True)
        thread.is_deleted = True
        if thread.is_approved:
            _count_thread_live_posts(thread, -1)
        _record(moderator, "delete_thread", thread=thread, reason=reason)
    thread.refresh_from_db()
    return thread


@transaction.atomic
def restore_thread(*, thread: Thread, moderator: User) -> Thread:
    """Bring a deleted thread back with its live posts; moderators only."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not permissions.can_delete_thread(moderator, thread):
        raise PermissionDenied("Only moderators may restore threads.")
    if thread.is_deleted:
        Thread.objects.filter(pk=thread.pk).update(is_deleted=False)
        thread.is_deleted = False
        if thread.is_approved:
            _count_thread_live_posts(thread, 1)
        _record(moderator, "restore_thread", thread=thread)
    thread.refresh_from_db()
    return thread


@transaction.atomic
def move_thread(*, thread: Thread, moderator: User, board: Board) -> Thread:
    """Move a thread to another board, carrying its counts; moderators only."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not permissions.can_moderate(moderator, thread):
        raise PermissionDenied("Only moderators may move threads.")
    if not permissions.moderates(moderator, board.pk):
        raise PermissionDenied("You may only move threads to boards you moderate.")
    if thread.board_id == board.pk:
        return thread
    source_id = thread.board_id
    # Both boards' counters change: lock them in one order so two opposite moves
    # cannot deadlock.
    boards = {
        b.pk: b
        for b in Board.objects.select_for_update()
        .filter(pk__in=[source_id, board.pk])
        .order_by("pk")
    }
    Thread.objects.filter(pk=thread.pk).update(board_id=board.pk)
    thread.board_id = board.pk
    if thread.is_approved and not thread.is_deleted:
        live = sum(n for _, n in _live_posts_by_author(thread))
        _move_board_counts(source_id, threads=-1, posts=-live)
        _move_board_counts(board.pk, threads=1, posts=live)
    _record(
        moderator,
        "move_thread",
        thread=thread,
        reason=f"From {boards[source_id].name} to {boards[board.pk].name}"[:255],
    )
    thread.refresh_from_db()
    return thread


# The approval queue. A held reply has no position: it takes the next one when it
# is approved, so others never see a gap, seek pagination never skips a number, and
# the held reply (shown to its author and the board's moderators after the last
# page's posts) lands where it was shown. It is dated when approved, as a reply
# posted then: positions and times keep one order, so the forward-only pointers and
# `recount` agree on which post is a thread's or a board's latest.


@transaction.atomic
def approve_post(*, post: Post, moderator: User) -> Post:
    """Let a held post (and the thread it opens) in, moving every counter and pointer
    a new post moves; moderators of its board only. A decided post stays as it is."""
    thread, post = _locked_post(post)
    if not permissions.can_approve_post(moderator, post):
        raise PermissionDenied("Only moderators of this board approve its posts.")
    if post.is_approved or post.is_deleted:
        return post
    now = timezone.now()
    if not thread.is_approved:
        # Only a thread's first post opens a held thread: replies to it are refused.
        Thread.objects.filter(pk=thread.pk).update(is_approved=True)
        thread.is_approved = True
        Post.objects.filter(pk=post.pk).update(is_approved=True, created_at=now)
        post.refresh_from_db()
        _count_new_thread(thread, post)
        action = "approve_thread"
    else:
        Post.objects.filter(pk=post.pk).update(
            is_approved=True, position=thread.last_position + 1, created_at=now
        )
        post.refresh_from_db()
        _count_reply(thread, post)
        action = "approve_post"
    _record_post(moderator, action, thread, post)
    post.thread.refresh_from_db()
    # Now in, the post alerts its watchers as a new one would.
    alert_tasks.queue_fan_out(post)
    return post


@transaction.atomic
def reject_post(*, post: Post, moderator: User, reason: str = "") -> Post:
    """Turn a held post (and the thread it opens) away: soft-deleted with the reason,
    counted nowhere; moderators of its board only. A decided post stays as it is."""
    thread, post = _locked_post(post)
    if not permissions.can_approve_post(moderator, post):
        raise PermissionDenied("Only moderators of this board reject its posts.")
    if post.is_approved or post.is_deleted:
        return post
    reason = reason[:255]
    Post.objects.filter(pk=post.pk).update(
        is_deleted=True,
        deleted_at=timezone.now(),
        deleted_by=moderator,
        delete_reason=reason,
    )
    action = "reject_post"
    if not thread.is_approved:
        Thread.objects.filter(pk=thread.pk).update(is_deleted=True)
        action = "reject_thread"
    _record_post(moderator, action, thread, post, reason=reason)
    post.refresh_from_db()
    post.thread.refresh_from_db()
    return post


def _record_post(
    actor: User, action: str, thread: Thread, post: Post, reason: str = ""
) -> None:
    ModerationAction.objects.create(
        actor=actor,
        action=action,
        thread=thread,
        post=post,
        target_user_id=post.author_id,
        reason=reason,
    )
    alerts.moderation(actor, action, thread=thread, post=post, reason=reason)
