"""Full-text search over posts and thread titles, on PostgreSQL alone.

The vectors are generated columns (migration 0010): a post's own words weigh B and
what it quotes D, a thread's title A. Queries go through ``websearch_to_tsquery``
("a phrase", OR, -word) and every read starts from ``Post.objects.visible_to`` (or
``Thread.objects.visible_to``), so a private board, a deleted or a held post never
shows up in a result, a count or a snippet.

What a page costs does not depend on how many posts match. The planner's estimate
(EXPLAIN, planning only) picks one of two reads:

- *Few matches* (at most ``EXACT_ROWS``): all of them come from the GIN index
  and are sorted by date.
- *Many* (a common word: on the bench forum one matches a third of a million
  posts, and the GIN bitmap plus the heap recheck of that many rows takes
  seconds): only the newest ``WINDOW`` posts in the date range (of the thread,
  of the member) are looked through,
  along the (created_at, id) index. By date, a page that the window could not fill
  offers to go on past it; by relevance, the page says only newer posts were ranked.

By date, the next page seeks past the last result (``before=``), so page 500 costs
what page 1 does. By relevance the newest ``CANDIDATES`` matches are ranked with
``ts_rank_cd`` (a first post's rank includes its thread's title) and pages stop at
``MAX_RELEVANCE_PAGES``: ranking every match of a common word would read every
matching row. Threads are grouped from the same candidates, with the threads whose
title matches.

A snippet is ``ts_headline`` over the body's plain text, marked with two control
characters that the text itself can never contain (``forum_search_text`` drops
them); the snippet is escaped first and only then are the markers turned into
``<mark>``, so nothing a member wrote can become markup.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connections, router
from django.db.models import (
    DateTimeField,
    F,
    Func,
    QuerySet,
    TextField,
    Value,
)
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from forum.models import Post, Thread

if TYPE_CHECKING:
    from accounts.models import User

CONFIG = "english"
PER_PAGE = 20
# Relevance ranks this many of the newest matches: about 5 ms of ranking, whatever
# the word. 50 pages of 20; past that, sorting by date goes on.
CANDIDATES = 200
MAX_RELEVANCE_PAGES = CANDIDATES // PER_PAGE
# A query the planner expects to match at most this many posts reads them all from
# the GIN index; one expected to match more looks through the newest WINDOW posts
# (in the date range, past the cursor) along the date index instead.
EXACT_ROWS = 5_000
WINDOW = 2_000
# A snippet is cut from the first characters of a post: ts_headline parses the
# whole text it is given, on each of the page's results.
SNIPPET_SOURCE_CHARS = 20_000
START, STOP = "\x02", "\x03"
_MARKED = re.compile(f"{START}([^{START}{STOP}]*){STOP}")
_MARKERS = re.compile(f"[{START}{STOP}]")
# What a person typed, as words for the thread page's highlighter.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class Criteria:
    """What to look for: cleaned by ``forum.forms.SearchForm``."""

    text: str = ""
    board_ids: tuple[int, ...] = ()
    author_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    titles_only: bool = False
    thread_id: int | None = None
    by_date: bool = False
    as_threads: bool = False
    page: int = 1
    before: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class Hit:
    """One result: a post (with its thread, board and author) and its snippet."""

    post: Post
    snippet: SafeString
    terms: tuple[str, ...]

    @property
    def url(self) -> str:
        """The post in its thread, with the matched words for the highlighter."""
        url = self.post.thread.page_url(self.post.page)
        if self.terms:
            joiner = "&" if "?" in url else "?"
            url += joiner + urlencode({"highlight": " ".join(self.terms)})
        return f"{url}#{self.post.anchor}"


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    # The next page: a relevance page number, or a date cursor ``before``.
    next_page: int | None = None
    next_before: str | None = None
    # Relevance (or threads) stopped at the candidate cap.
    capped: bool = False


def terms_typed(text: str) -> tuple[str, ...]:
    """The words of a query that a match contains: not -excluded, not OR."""
    kept: list[str] = []
    for token in re.findall(r'-?"[^"]*"|\S+', text):
        if token.startswith("-") or token.lower() == "or":
            continue
        kept.extend(_WORD.findall(token))
    return tuple(dict.fromkeys(kept))[:10]


def format_cursor(post: Post) -> str:
    """A date cursor: microseconds since the epoch and the id, digits only."""
    stamp = int(post.created_at.timestamp() * 1_000_000)
    return f"{stamp}-{post.pk}"


def search(user: User, criteria: Criteria) -> Results:
    """One page of results the visitor may see, in a fixed number of queries."""
    query = SearchQuery(criteria.text, search_type="websearch", config=CONFIG)
    if criteria.titles_only or criteria.as_threads or not criteria.by_date:
        return _ranked(user, criteria, query)
    return _by_date(user, criteria, query)


def _matching_posts(
    user: User, criteria: Criteria, query: SearchQuery
) -> tuple[QuerySet, Post | None]:
    """The visible posts that match, and the oldest post looked through when only
    the newest WINDOW posts (in the date range, before the cursor) are."""
    posts = _filtered(Post.objects.visible_to(user), criteria)
    if criteria.before is not None:
        at, pk = criteria.before
        # created_at <= at is the index condition; the tie on the instant is
        # broken by id, as the order is.
        posts = posts.filter(created_at__lte=at).exclude(created_at=at, pk__gte=pk)
    if not criteria.text:
        return posts, None
    matched = posts.filter(search_vector=query)
    # Judged on the words alone: with a common word the GIN leg of any plan (even
    # ANDed with one member's posts) reads a third of the forum's entries.
    if _estimate(Post.objects.filter(search_vector=query)) <= EXACT_ROWS:
        return matched.alias(newest=NEWEST_FROM_GIN), None
    # Common words: the GIN index would hand over (and the heap recheck) a third of
    # the forum. Look through the newest WINDOW posts instead, along the date index:
    # the window's oldest post is read first, so the planner sees a literal bound.
    edge = _window_edge(criteria)
    if edge is None:  # the range holds fewer posts than a window: all of them
        return matched, None
    in_window = matched.filter(created_at__gte=edge.created_at).exclude(
        created_at=edge.created_at, pk__lt=edge.pk
    )
    return in_window, edge


# Few matches: read them all from the GIN index and sort them. Ordered by the date
# index, the planner would walk back through every post hoping to meet its 21
# rows soon, which for a word it has no statistics for takes the whole table.
# Sorting on an expression no index has rules that plan out.
NEWEST_FROM_GIN = Func(
    F("created_at"),
    template="(%(expressions)s + interval '0 seconds')",
    output_field=DateTimeField(),
)


def _newest_first(posts: QuerySet) -> tuple:
    if "newest" in posts.query.annotations:
        return (F("newest").desc(), "-pk")
    return ("-created_at", "-pk")


def _estimate(posts: QuerySet) -> float:
    """The planner's guess of how many rows ``posts`` has: EXPLAIN, nothing run."""
    plan = json.loads(posts.values("pk").explain(format="json"))
    return plan[0]["Plan"]["Plan Rows"]


def _matching_titles(user: User, criteria: Criteria, query: SearchQuery) -> QuerySet:
    """First posts of the threads whose title matches."""
    posts = _filtered(Post.objects.visible_to(user), criteria).filter(position=1)
    return posts.filter(thread__search_vector=query)


def _filtered(posts: QuerySet, criteria: Criteria) -> QuerySet:
    if criteria.board_ids:
        posts = posts.filter(thread__board_id__in=criteria.board_ids)
    if criteria.thread_id is not None:
        posts = posts.filter(thread_id=criteria.thread_id)
    if criteria.author_id is not None:
        posts = posts.filter(author_id=criteria.author_id)
    if criteria.since is not None:
        posts = posts.filter(created_at__gte=criteria.since)
    if criteria.until is not None:
        posts = posts.filter(created_at__lt=criteria.until)
    return posts


def _by_date(user: User, criteria: Criteria, query: SearchQuery) -> Results:
    posts, edge = _matching_posts(user, criteria, query)
    # The page's ids first, then its rows with their snippets: in one query the
    # planner may cut a snippet for every match before it sorts and keeps 21.
    ids = list(
        posts.order_by(*_newest_first(posts)).values_list("pk", flat=True)[
            : PER_PAGE + 1
        ]
    )
    more = len(ids) > PER_PAGE
    found = {
        post.pk: post
        for post in _for_results(
            Post.objects.filter(pk__in=ids[:PER_PAGE]), criteria, query
        )
    }
    rows = [found[pk] for pk in ids[:PER_PAGE] if pk in found]
    hits = [_hit(post, criteria) for post in rows]
    if more:
        return Results(hits=hits, next_before=format_cursor(rows[-1]))
    if edge is not None:
        # The window ran out before the page filled: go on past its oldest post.
        return Results(hits=hits, next_before=format_cursor(edge), capped=True)
    return Results(hits=hits)


def _window_edge(criteria: Criteria) -> Post | None:
    """The oldest post of the window just looked through (None: it reached the
    first post)."""
    # In one thread or of one member, the window is that thread's or member's newest.
    window = Post.objects.all()
    if criteria.thread_id is not None:
        window = window.filter(thread_id=criteria.thread_id)
    if criteria.author_id is not None:
        window = window.filter(author_id=criteria.author_id)
    if criteria.since is not None:
        window = window.filter(created_at__gte=criteria.since)
    if criteria.until is not None:
        window = window.filter(created_at__lt=criteria.until)
    if criteria.before is not None:
        at, pk = criteria.before
        window = window.filter(created_at__lte=at).exclude(created_at=at, pk__gte=pk)
    edge = window.order_by("-created_at", "-pk").only("created_at")
    return next(iter(edge[WINDOW - 1 : WINDOW]), None)


def _ranked(user: User, criteria: Criteria, query: SearchQuery) -> Results:
    """Rank the newest CANDIDATES matches, group them by thread if asked, and read
    the page: one query for the page's ids, one for its rows."""
    sources = []
    edge = None
    if not criteria.titles_only:
        matched, edge = _matching_posts(user, criteria, query)
        sources.append(matched)
    if criteria.text and (criteria.titles_only or criteria.as_threads):
        sources.append(_matching_titles(user, criteria, query))
    parts, params = [], []
    for source in sources:
        sql, source_params = (
            source.order_by(*_newest_first(source))
            .values("pk")[:CANDIDATES]
            .query.sql_with_params()
        )
        parts.append(f"({sql})")
        params.extend(source_params)
    # A first post also carries its thread's title (weight A) in its rank.
    rank = (
        "ts_rank_cd(CASE WHEN p.position = 1 THEN t.search_vector || p.search_vector"
        " ELSE p.search_vector END, websearch_to_tsquery(%s::regconfig, %s))"
        if criteria.text
        else "0"
    )
    rank_params = [CONFIG, criteria.text] if criteria.text else []
    order = (
        "p.created_at DESC, p.id DESC" if criteria.by_date else "rank DESC, p.id DESC"
    )
    ranked = (
        f"SELECT p.id, p.thread_id, p.created_at, {rank} AS rank"
        f" FROM {Post._meta.db_table} p JOIN {Thread._meta.db_table} t"
        " ON t.id = p.thread_id"
        f" WHERE p.id IN (SELECT * FROM candidates)"
    )
    if criteria.as_threads or criteria.titles_only:
        # Each thread once, by its best (or newest) matching post.
        ranked = (
            f"SELECT DISTINCT ON (p.thread_id) * FROM ({ranked}) p"
            f" ORDER BY p.thread_id, {order}"
        )
    offset = (criteria.page - 1) * PER_PAGE
    sql = (
        f"WITH candidates AS MATERIALIZED ({' UNION '.join(parts)})"
        f" SELECT p.id, (SELECT count(*) FROM candidates) FROM ({ranked}) p"
        f" ORDER BY {order} LIMIT %s OFFSET %s"
    )
    # Through the router: a read replica, when there is one, answers searches.
    with connections[router.db_for_read(Post)].cursor() as cursor:
        cursor.execute(sql, [*params, *rank_params, PER_PAGE + 1, offset])
        rows = cursor.fetchall()
    ids = [row[0] for row in rows[:PER_PAGE]]
    more = len(rows) > PER_PAGE
    # The newest CANDIDATES matches were all taken: older ones may match too.
    full = bool(rows) and rows[0][1] >= CANDIDATES
    found = {
        post.pk: post
        for post in _for_results(Post.objects.filter(pk__in=ids), criteria, query)
    }
    hits = [_hit(found[pk], criteria) for pk in ids if pk in found]
    if more and criteria.page < MAX_RELEVANCE_PAGES:
        return Results(hits=hits, next_page=criteria.page + 1)
    return Results(hits=hits, capped=more or full or edge is not None)


def _for_results(posts: QuerySet, criteria: Criteria, query: SearchQuery) -> QuerySet:
    """What a result shows: thread, board, author and the snippet, nothing more."""
    plain = Func(F("body"), function="forum_search_text", output_field=TextField())
    # The markers are taken out of the text first, so only ts_headline's remain.
    unmarked = Func(
        plain,
        Value(START + STOP),
        Value(""),
        function="translate",
        output_field=TextField(),
    )
    text = Func(
        unmarked, SNIPPET_SOURCE_CHARS, function="left", output_field=TextField()
    )
    posts = posts.select_related("thread__board", "author").only(
        *("thread", "author", "position", "created_at"),
        *("thread__title", "thread__slug", "thread__last_position"),
        *("thread__board__name", "thread__board__slug", "author__username"),
    )
    if not criteria.text:
        return posts.annotate(
            headline=Func(text, 300, function="left", output_field=TextField())
        )
    return posts.annotate(
        headline=SearchHeadline(
            text,
            query,
            config=CONFIG,
            start_sel=START,
            stop_sel=STOP,
            max_words=35,
            min_words=15,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
    )


def _hit(post: Post, criteria: Criteria) -> Hit:
    raw = post.headline or ""
    marked = tuple(dict.fromkeys(m.strip().lower() for m in _MARKED.findall(raw)))
    # Escape first: only the markers ts_headline put in become markup.
    html = _MARKED.sub(r"<mark>\1</mark>", escape(raw))
    html = _MARKERS.sub("", html)
    terms = marked[:10] or terms_typed(criteria.text)
    return Hit(post=post, snippet=mark_safe(html), terms=terms)  # noqa: S308 (escaped above)
