"""Watching threads and boards: writes, and the reads the watched pages need.

A watch is a row per member and thread (or board), with or without email; the
alerts themselves come from ``forum.alert_tasks.fan_out_post``. Only what a member
can see can be watched, checked with the pages' own permission rules.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery

from accounts.models import User
from forum import permissions, readstate
from forum.models import Board, BoardWatch, MemberPreferences, Thread, ThreadWatch

# The watched page lists this many threads; members who watch more see the most
# recently active ones (unwatching old threads brings the rest in).
WATCHED_PAGE_SIZE = 200


def watch_thread(*, user: User, thread: Thread, email: bool = False) -> ThreadWatch:
    """Watch a thread the member can read (again: switches email on or off)."""
    if not user.is_authenticated or not permissions.can_view_thread(user, thread):
        raise PermissionDenied("You cannot watch this thread.")
    with transaction.atomic():
        watch, _ = ThreadWatch.objects.update_or_create(
            user=user, thread=thread, defaults={"email": email}
        )
    return watch


def unwatch_thread(*, user: User, thread: Thread) -> bool:
    """Stop watching; True if there was a watch."""
    deleted, _ = ThreadWatch.objects.filter(user=user, thread=thread).delete()
    return bool(deleted)


def watch_board(
    *,
    user: User,
    board: Board,
    notify: str = BoardWatch.Notify.THREADS,
    email: bool = False,
) -> BoardWatch:
    """Watch a board the member can see: its new threads, or every new post."""
    if not user.is_authenticated or not permissions.can_view_board(user, board):
        raise PermissionDenied("You cannot watch this board.")
    if notify not in BoardWatch.Notify.values:
        raise ValueError(f"Unknown board watch: {notify!r}")
    with transaction.atomic():
        watch, _ = BoardWatch.objects.update_or_create(
            user=user, board=board, defaults={"notify": notify, "email": email}
        )
    return watch


def unwatch_board(*, user: User, board: Board) -> bool:
    deleted, _ = BoardWatch.objects.filter(user=user, board=board).delete()
    return bool(deleted)


def auto_watch(*, user: User, thread: Thread) -> None:
    """Watch a thread the member started or replied to, if their setting says so.

    Called inside the posting transaction: one read of the member's settings (none
    when the row is cached) and one insert that leaves an existing watch alone, so
    a member who switched email off for this thread keeps it off.
    """
    try:
        setting = user.forum_preferences.auto_watch
    except MemberPreferences.DoesNotExist:
        setting = MemberPreferences.AutoWatch.SITE
    if setting == MemberPreferences.AutoWatch.OFF:
        return
    ThreadWatch.objects.bulk_create(
        [
            ThreadWatch(
                user=user,
                thread=thread,
                email=setting == MemberPreferences.AutoWatch.EMAIL,
            )
        ],
        ignore_conflicts=True,
    )


def with_watch_state(threads, user: User):
    """Annotate ``watched`` (and ``watch_email``) on a thread queryset, inside its
    own query: the thread page pays no extra query for its watch button."""
    if not user.is_authenticated:
        return threads
    mine = ThreadWatch.objects.filter(thread=OuterRef("pk"), user=user)
    return threads.annotate(
        watched=Exists(mine), watch_email=Exists(mine.filter(email=True))
    )


def with_board_watch(boards, user: User):
    """Annotate ``watch_notify`` and ``watch_email`` (None: not watched) on a board
    queryset, inside its own query."""
    if not user.is_authenticated:
        return boards
    mine = BoardWatch.objects.filter(board=OuterRef("pk"), user=user)
    return boards.annotate(
        watch_notify=Subquery(mine.values("notify")[:1]),
        watch_email=Subquery(mine.values("email")[:1]),
    )


def watched_threads(user: User):
    """The member's watched threads they still see: unread first (``is_unread``),
    then by latest activity."""
    watched = (
        Thread.objects.visible_to(user)
        .filter(watches__user=user)
        .annotate(
            watch_email=Exists(
                ThreadWatch.objects.filter(thread=OuterRef("pk"), user=user, email=True)
            )
        )
        .select_related("board", "author", "last_post__author")
        .defer("last_post__body", "last_post__body_html")
    )
    return readstate.annotate_unread(watched, user).order_by(
        "-is_unread", "-last_post_at", "-id"
    )


def watched_boards(user: User):
    return (
        BoardWatch.objects.filter(user=user, board__in=Board.objects.visible_to(user))
        .select_related("board")
        .order_by("board__name")
    )
