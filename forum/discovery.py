"""What feeds, the sitemap and search engines are shown: the forum as a guest sees it.

A feed or a sitemap is fetched by a reader or a crawler with no session, and a link
to one is shared, so they are always built for a guest, whoever asks: a private
board never appears in them, even when a member who may read it fetches the URL.
The rules are the usual ones (``visible_to`` and ``forum.access``), asked for a
guest.

A thread's description (feeds, the page's meta description and OpenGraph tags) is
the plain text of its opening post without quotes of other posts, read as one
column of the thread's own query (``with_opening``).
"""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser

from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils.text import Truncator

from forum import access, cache
from forum.models import Board, Post, Thread

# Enough of an opening post's HTML for a description, whatever its markup weighs.
OPENING_HTML_CHARS = 4000
DESCRIPTION_CHARS = 200
# Texts already worked out, by a digest of their HTML and the limit: a profile
# shows ten posts' snippets and a thread page its opening post's on every request,
# and parsing the HTML costs more than the rest of a snippet's row. A changed post
# has another digest, so nothing is stale. Bounded (about 1 MB), emptied when full.
PLAIN_TEXTS = 4096
_plain_texts: dict[tuple[bytes, int], str] = {}


def guest() -> AnonymousUser:
    """A fresh guest: its board permissions are read once, on first use."""
    return AnonymousUser()


def public_boards(visitor: AnonymousUser) -> QuerySet[Board]:
    """Boards a guest sees."""
    return Board.objects.visible_to(visitor)


def public_threads(visitor: AnonymousUser) -> QuerySet[Thread]:
    """Threads a guest may read: live and approved, in boards where guests see
    the board and read its threads."""
    readable = access.for_user(visitor).board_filter(permission="read_threads")
    return Thread.objects.visible_to(visitor).filter(readable)


def with_opening(threads: QuerySet[Thread]) -> QuerySet[Thread]:
    """Annotate ``opening_html``: the start of the opening post's HTML, or None
    when it is deleted or held (then nothing of it may be shown)."""
    opening = Post.objects.filter(
        thread=OuterRef("pk"), position=1, is_deleted=False, is_approved=True
    ).annotate(head=Substr("body_html", 1, OPENING_HTML_CHARS))
    return threads.annotate(opening_html=Subquery(opening.values("head")[:1]))


_BLOCKS = {
    *("p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "pre", "hr", "details"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "summary", "table"),
}


class _Text(HTMLParser):
    """Text of sanitised post HTML: words between blocks spaced, quotes left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.quote_depth:
            self.parts.append(data)


def plain_text(html: str | None, limit: int = DESCRIPTION_CHARS) -> str:
    """The words of a post's HTML, quotes of others left out, cut at ``limit``."""
    if not html:
        return ""
    key = (hashlib.md5(html.encode(), usedforsecurity=False).digest(), limit)
    return cache.kept(_plain_texts, PLAIN_TEXTS, key, lambda: _plain_text(html, limit))


def _plain_text(html: str, limit: int) -> str:
    # A column cut short may end inside a tag: drop the unfinished tag.
    cut = html.rfind("<")
    if cut > html.rfind(">"):
        html = html[:cut]
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    return Truncator(text).chars(limit)
