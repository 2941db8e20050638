"""Atom feeds of the newest threads: the whole forum's and each board's.

Built for a guest whoever fetches them (``forum.discovery``): a feed URL is shared
and polled without a session. Each is one query for the threads (author and the
opening post's text included) after the guest's board permissions; a board's feed
reads the board first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from forum import discovery
from forum.models import Board, Thread

FEED_ITEMS = 20


@dataclass(frozen=True)
class Source:
    """What one request's feed is about. A Feed instance serves every request, so
    per-request state travels here, never on ``self``."""

    visitor: AnonymousUser
    board: Board | None = None


class LatestThreadsFeed(Feed):
    """The newest threads of every board a guest may read."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args, **kwargs) -> Source:
        return Source(discovery.guest())

    def title(self, obj: Source) -> str:
        return f"{settings.FORUM_SITE_NAME}: latest threads"

    def link(self, obj: Source) -> str:
        return reverse("forum:index")

    def subtitle(self, obj: Source) -> str:
        return f"New threads on {settings.FORUM_SITE_NAME}."

    def items(self, obj: Source) -> list[Thread]:
        threads = discovery.public_threads(obj.visitor)
        if obj.board is not None:
            threads = threads.filter(board=obj.board)
        threads = discovery.with_opening(
            threads.select_related("author").only(
                *("pk", "slug", "title", "created_at", "last_post_at"),
                "author__username",
            )
        )
        # Ids grow with creation: the newest threads are the highest ids, which the
        # primary key finds without sorting the table.
        return list(threads.order_by("-pk")[:FEED_ITEMS])

    def item_title(self, item: Thread) -> str:
        # Atom titles are text: the generator escapes them, once.
        return item.title

    def item_description(self, item: Thread) -> str:
        # An Atom summary is HTML: the plain text is escaped for it.
        return escape(discovery.plain_text(item.opening_html))

    def item_link(self, item: Thread) -> str:
        return item.get_absolute_url()

    def item_author_name(self, item: Thread) -> str:
        return item.author.username

    def item_pubdate(self, item: Thread) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Thread) -> datetime:
        return item.last_post_at or item.created_at


class BoardThreadsFeed(LatestThreadsFeed):
    """The newest threads of one board, if guests may see it (else 404)."""

    def get_object(self, request: HttpRequest, slug: str) -> Source:
        visitor = discovery.guest()
        board = get_object_or_404(
            discovery.public_boards(visitor).only("pk", "name", "slug", "description"),
            slug=slug,
        )
        return Source(visitor, board)

    def title(self, obj: Source) -> str:
        return f"{obj.board.name}: latest threads · {settings.FORUM_SITE_NAME}"

    def link(self, obj: Source) -> str:
        return obj.board.get_absolute_url()

    def subtitle(self, obj: Source) -> str:
        return obj.board.description or f"New threads in {obj.board.name}."
