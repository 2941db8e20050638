"""sitemap.xml: the boards and threads a guest may read, in pages crawlers fetch.

Django's sitemap pages its items with a Paginator: a COUNT(*) over every thread
for the index, then OFFSET for page n, which reads and drops every earlier row. A
million-post forum's threads are paged here by ranges of ids instead: page n lists
the readable threads with ids in ``((n-1)·size, n·size]``, read through the
primary key. A page may hold fewer than ``size`` threads (deleted, private and
held ones leave gaps) but never more, and every page costs the same few queries:
the guest's board permissions, the highest readable id (for the page count) and
the page's rows. Threads are listed by their first page only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Max

from forum import discovery
from forum.models import Board, Thread
from forum.pagination import ASCII_NUMBER

THREADS_PER_SITEMAP = 5000


class BoardSitemap(Sitemap):
    """Every board a guest sees: few enough for one page."""

    def __init__(self, visitor: AnonymousUser) -> None:
        self.visitor = visitor
        self._boards: list[Board] | None = None

    def items(self) -> list[Board]:
        if self._boards is None:
            self._boards = list(
                discovery.public_boards(self.visitor)
                .only("pk", "slug", "last_post_at")
                .order_by("pk")
            )
        return self._boards

    def lastmod(self, board: Board):
        return board.last_post_at


@dataclass(frozen=True)
class _Page:
    object_list: list[Thread]


class _IdRanges:
    """What Sitemap needs of a Paginator, over ranges of thread ids."""

    def __init__(self, sitemap: ThreadSitemap) -> None:
        self.sitemap = sitemap
        self._num_pages: int | None = None

    @property
    def num_pages(self) -> int:
        if self._num_pages is None:
            highest = self.sitemap.threads().aggregate(top=Max("pk"))["top"] or 0
            self._num_pages = max(1, -(-highest // self.sitemap.limit))
        return self._num_pages

    def page(self, number: object) -> _Page:
        raw = str(number)
        if not ASCII_NUMBER.fullmatch(raw):
            raise PageNotAnInteger("That page number is not an integer.")
        page = int(raw)
        if page < 1 or page > self.num_pages:
            raise EmptyPage("That page contains no results.")
        size = self.sitemap.limit
        rows = (
            self.sitemap.threads()
            .filter(pk__gt=(page - 1) * size, pk__lte=page * size)
            .only("pk", "slug", "last_post_at", "created_at")
            .order_by("pk")
        )
        return _Page(list(rows))


class ThreadSitemap(Sitemap):
    """Every thread a guest may read, by ranges of ids."""

    limit = THREADS_PER_SITEMAP

    def __init__(self, visitor: AnonymousUser) -> None:
        self.visitor = visitor
        self._pages = _IdRanges(self)

    @property
    def paginator(self) -> _IdRanges:
        return self._pages

    def threads(self):
        return discovery.public_threads(self.visitor)

    def items(self):
        # Only Sitemap's defaults would call this; pages come from the paginator.
        return self.threads().none()

    def lastmod(self, thread: Thread):
        return thread.last_post_at or thread.created_at

    def get_latest_lastmod(self):
        # The boards' latest posts bound their threads' and are a small table.
        return discovery.public_boards(self.visitor).aggregate(
            latest=Max("last_post_at")
        )["latest"]


def for_request() -> dict[str, Sitemap]:
    """Fresh sitemaps for one request, sharing one guest (one permissions query)."""
    visitor = discovery.guest()
    return {"boards": BoardSitemap(visitor), "threads": ThreadSitemap(visitor)}
