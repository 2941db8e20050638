"""Drafts: what a member has typed in a reply box or a new-thread form, kept on the
server as they type, so it comes back on any device until they post it.

One row per member and thread (a reply) or member and board (a new thread). Pages
read it inside the thread's or board's own query (``with_draft``), so restoring a
draft costs no query; the editor's script saves it (``save_draft``) a couple of
seconds after the typing stops, and posting removes it (``discard_draft``, called
by the posting services in their transaction).
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from forum import permissions
from forum.models import Board, Draft, Post, Thread

# How long after a post a save of the same text is taken for a late one.
JUST_POSTED = timedelta(minutes=10)


def with_draft(queryset: QuerySet, user: User, *, place: str) -> QuerySet:
    """Annotate ``draft_title`` and ``draft_body`` (None without a draft) on a
    thread (``place="thread"``) or board (``place="board"``) queryset."""
    if not user.is_authenticated:
        return queryset
    drafts = Draft.objects.filter(user=user, **{place: OuterRef("pk")})
    if place == "board":
        drafts = drafts.filter(thread__isnull=True)
    return queryset.annotate(
        draft_title=Subquery(drafts.values("title")[:1]),
        draft_body=Subquery(drafts.values("body")[:1]),
    )


def _place(thread: Thread | None, board: Board | None) -> dict:
    if (thread is None) == (board is None):
        raise ValueError("A draft is for a thread or for a board, not both.")
    return (
        {"thread": thread} if thread is not None else {"board": board, "thread": None}
    )


@transaction.atomic
def save_draft(
    *,
    user: User,
    body: str,
    title: str = "",
    thread: Thread | None = None,
    board: Board | None = None,
) -> Draft | None:
    """Keep what a member typed where they may post; an empty draft is removed."""
    if thread is not None and not permissions.can_reply(user, thread):
        raise PermissionDenied("You may not reply to this thread.")
    if board is not None and not permissions.can_start_thread(user, board):
        raise PermissionDenied("You may not start threads on this board.")
    place = _place(thread, board)
    if (not body.strip() and not title.strip()) or _just_posted(user, body, **place):
        Draft.objects.filter(user=user, **place).delete()
        return None
    # Two saves from two tabs at once: the unique constraint makes the second an
    # update of the first, never a second row.
    draft, _ = Draft.objects.update_or_create(
        user=user,
        **place,
        defaults={"title": title, "body": body},
    )
    return draft


def _just_posted(
    user: User, body: str, thread: Thread | None = None, board: Board | None = None
) -> bool:
    # A save sent as the member pressed "Post" can arrive after the post: it must
    # not bring back the draft the post removed.
    posts = Post.objects.filter(
        author=user, body=body, created_at__gte=timezone.now() - JUST_POSTED
    )
    if thread is not None:
        return posts.filter(thread=thread).exists()
    return posts.filter(thread__board=board, position=1).exists()


def discard_draft(
    *, user: User, thread: Thread | None = None, board: Board | None = None
) -> None:
    """Remove the member's draft for this place: it was posted."""
    Draft.objects.filter(user=user, **_place(thread, board)).delete()
