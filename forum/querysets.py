"""Reusable reads. Each page's queryset fetches everything its template shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from accounts.models import User
    from forum.models import Thread

AUTHOR_CARD = ("author__tier", "author__pinned_tier")


def sees_deleted(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user.is_moderator))


class BoardQuerySet(models.QuerySet):
    def for_index(self) -> BoardQuerySet:
        """Boards with their category and last post (thread and author) in one query."""
        return self.select_related(
            "category", "last_post__thread", "last_post__author"
        ).order_by("category__position", "category_id", "position", "id")


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ThreadQuerySet:
        if sees_deleted(user):
            return self
        return self.filter(is_deleted=False)

    def by_activity(self) -> ThreadQuerySet:
        """Sticky threads first, then by latest activity (the board page index)."""
        return self.order_by("-is_sticky", "-last_post_at", "-id")

    def for_listing(self) -> ThreadQuerySet:
        return self.select_related("author", "last_post__author")


class PostQuerySet(models.QuerySet):
    def with_author_cards(self) -> PostQuerySet:
        return self.select_related(*AUTHOR_CARD, "edited_by", "deleted_by")

    def page_of(self, thread: Thread, page: int, per_page: int) -> PostQuerySet:
        """One page of a thread, found by position so any page costs the same."""
        first = (page - 1) * per_page + 1
        return (
            # Through the related manager, so each post knows its thread without a
            # query: permission filters in the template read post.thread.
            thread.posts.filter(position__gte=first, position__lt=first + per_page)
            .with_author_cards()
            .order_by("position")
        )
