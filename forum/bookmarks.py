"""Bookmarks: posts a member keeps for later, each with an optional note to self.

A bookmark is private to its member. It points at a post, and the post's visibility
still rules: a bookmark of a post its member can no longer see (deleted, moved to a
board they cannot read) is kept but listed nowhere, and shows again if the post does.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from forum.models import Bookmark, Post


@transaction.atomic
def bookmark_post(*, user: User, post: Post, note: str | None = None) -> Bookmark:
    """Keep ``post`` for the member; a second bookmark of it only changes the note."""
    bookmark, created = Bookmark.objects.get_or_create(
        user=user, post=post, defaults={"note": note or ""}
    )
    if not created and note is not None and bookmark.note != note:
        bookmark.note = note
        bookmark.save(update_fields=["note"])
    return bookmark


@transaction.atomic
def edit_bookmark_note(*, bookmark: Bookmark, note: str) -> Bookmark:
    """Replace a bookmark's note."""
    bookmark.note = note
    bookmark.save(update_fields=["note"])
    return bookmark


@transaction.atomic
def remove_bookmark(*, user: User, post_id: int) -> bool:
    """Forget the member's bookmark of a post; whether there was one."""
    deleted, _ = Bookmark.objects.filter(user=user, post_id=post_id).delete()
    return bool(deleted)


def bookmarks_of(user: User) -> QuerySet[Bookmark]:
    """The member's bookmarks of posts they may still see, with what the list shows."""
    return (
        Bookmark.objects.filter(
            user=user, post__in=Post.objects.visible_to(user).values("pk")
        )
        .select_related("post__thread", "post__author")
        .only(
            *("note", "created_at", "post__position", "post__created_at"),
            *("post__author__username", "post__thread__title"),
            *("post__thread__slug", "post__thread__last_position"),
        )
    )
