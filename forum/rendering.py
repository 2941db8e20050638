"""Rows a page repeats: shared blocks from the cache, inside per-viewer controls.

A thread page shows each post's shared block (``forum/_post.html``, rendered from the
post alone and cached under its rows' fingerprint, see ``forum/cache.py``) inside the
controls of the member looking at it (``forum/_post_list.html``, rendered with the
request on every view). Both are Jinja2 templates: see ``config/jinja2.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models.base import ModelState
from django.http import HttpRequest
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from accounts import links
from accounts.http import lazy_csrf, viewer
from accounts.http import page_csrf_input as page_csrf
from accounts.models import User
from forum import cache, permissions, reactions
from forum.models import Post, Reaction, Thread
from forum.querysets import PostPage

# What the per-viewer controls read from each post, besides its pk.
CONTROL_FIELDS = (
    *("author_id", "is_deleted", "created_at", "edited_at", "position"),
    "is_approved",
)


def _template(name: str):
    """The Jinja2 template itself: Django's wrapper, made anew on each lookup, adds
    only the request's context, which ``_render`` adds itself."""
    return engines["jinja2"].env.get_template(name)


def _render(name: str, context: dict, request: HttpRequest | None = None) -> SafeString:
    if request is not None:
        # No context processors: these partials get what they show.
        context = {**context, "request": request, **lazy_csrf(request)}
    return mark_safe(_template(name).render(context))  # noqa: S308 (escaped by the template)


# Author cards by everything a card shows (``_card_key``), so a member who changed
# in any way gets a new card and none is ever stale; no viewer is in it. Each is
# about a kilobyte: 2,048 hold the authors of a hundred full pages, several times
# what a worker shows between two of a busy author's posts (a post is a new card:
# the post count), for about 3 MB. Full, it starts again empty: simpler than
# tracking use, and safe between threads.
AUTHOR_CARDS = 2048
_cards: dict[tuple, SafeString] = {}


def _card_key(author: User) -> tuple:
    """What ``accounts/_author_card.html`` shows of ``author``, as values."""
    if author.erased_at:
        return ("erased",)
    tier = author.shown_tier
    return (
        author.get_absolute_url(),
        author.username,
        author.avatar.url if author.avatar else "",
        author.title,
        tier.style if tier else "",
        author.date_joined,
        author.post_count,
        author.reaction_score,
    )


def author_card(author: User) -> SafeString:
    """The card beside an author's posts, rendered once per version of the member."""
    return cache.kept(
        _cards,
        AUTHOR_CARDS,
        _card_key(author),
        lambda: _render("accounts/_author_card.html", {"author": author}),
    )


def reaction_counts(post: Post) -> list[tuple[int, str, str, int]]:
    """(id, emoji, name, count) of each reaction the post has, in the catalogue's
    order (``for_blocks`` reads both): what ``_reaction_counts.html`` lists."""
    counts = post.reaction_counts
    if not counts:
        return []
    return [
        (pk, emoji, name, counts[str(pk)])
        for pk, emoji, name in post.reaction_catalogue
        if counts.get(str(pk))
    ]


def post_block(post: Post) -> SafeString:
    """A post as every reader sees it; rendered without the request on purpose."""
    context = {
        "post": post,
        "card": author_card(post.author),
        "reaction_counts": reaction_counts(post),
    }
    return _render("forum/_post.html", context)


# Stands for a post's id in a reaction bar drawn once for several posts, and for
# the bar in a post's controls drawn likewise: no text from the database holds a
# NUL (PostgreSQL's text cannot), nor does a link or a CSRF token. The links are
# cut around a number no post id reaches, the controls' ids are that number.
_POST_ID = "\x00"
_STAND_IN = 2_146_000_000
# The same for the thread's id and the page's CSRF field in controls kept drawn
# (put in before the post's id: its NULs hold no other stand-in).
_THREAD_STAND_IN = 2_145_000_000
_CSRF = "\x00csrf\x00"


@links.steady()  # twenty posts print a hundred links
def thread_posts(
    request: HttpRequest,
    thread: Thread,
    posts,
    *,
    can_reply: bool,
    is_moderator: bool,
    held=(),
) -> SafeString:
    """The posts of one page for this viewer: shared blocks inside their controls,
    then the ``held`` replies this viewer sees (read and rendered each time: they
    are few, and wait only until a moderator decides)."""
    if cache.enabled():
        # A PostPage brings its id query built (querysets.PostPage).
        ids, queryset = None, posts
        if isinstance(posts, PostPage):
            ids = posts.ids()
            queryset = posts.queryset if ids is None else posts.digest_source()
        rows = cache.digests(queryset, *CONTROL_FIELDS, ids=ids)
        html = cache.shared_blocks(
            rows,
            kind="post",
            fetch=lambda pks: Post.objects.for_blocks().filter(pk__in=pks),
            render=post_block,
        )
        items = [
            cache.Block(row=_light_post(row, thread), html=html[row["pk"]])
            for row in rows
        ]
    else:
        # Nothing to look up: read and render every post in one go.
        items = [cache.Block(row=post, html=post_block(post)) for post in posts]
    items += [cache.Block(row=post, html=post_block(post)) for post in held]
    user = viewer(request)  # each post's controls read it: not through the proxy
    # Worked out once for the page, then a few comparisons per post.
    rights = permissions.post_rights(user, thread)
    posts = [item.row for item in items]
    # The viewer's picks came with the thread (views/reading.py) for the page's
    # posts; held replies take no reactions until approved (PostRights.can_react).
    picks = getattr(thread, "page_reactions", None)
    bars = _reaction_bars(user, rights, posts, picks)
    # Masked once for the page's forms. A member's controls always hold one (the
    # bookmark form); a guest's hold none, and asking for a token would give a
    # guest's response a CSRF cookie.
    page_csrf_input = page_csrf(request) if user.is_authenticated else ""
    # Drawn with stand-ins for the thread's id and the CSRF field (``_drawing``).
    page = {
        "member": user.is_authenticated,
        "is_moderator": is_moderator,
        "can_reply": can_reply,
        "reply_url": links.url_with_id("forum:reply", _THREAD_STAND_IN)
        if can_reply
        else "",
        "csrf_input": mark_safe(_CSRF),  # noqa: S308 (NULs)
    }
    bookmarked = set(getattr(thread, "bookmarked_post_ids", None) or ())
    context = {
        "footers": _footers(
            posts,
            rights,
            bookmarked,
            _bar_blocks(bars, page_csrf_input),
            page,
            {str(_THREAD_STAND_IN): str(thread.pk), _CSRF: page_csrf_input},
        ),
        "items": items,
        "user": user,
        "is_moderator": is_moderator,
    }
    return _render("forum/_post_list.html", context)


@dataclass(frozen=True)
class _FooterShape:
    """What ``_post_footer.html`` reads of one post, its id a stand-in: posts of a
    page with the same shape have the same controls but for their ids."""

    is_approved: bool
    is_deleted: bool
    edited: bool
    bookmarked: bool
    can_report: bool
    can_delete: bool
    can_edit: bool
    has_bar: bool
    pk: int = _STAND_IN


def _footers(
    posts: list[Post],
    rights: permissions.PostRights,
    bookmarked: set[int],
    bars: dict[int, SafeString],
    page: dict,
    put_in: dict[str, str],
) -> dict[int, SafeString]:
    """Each post's controls (``_post_footer.html``), drawn once per shape with the
    stand-in ids and CSRF field (``_drawing``), then ``put_in``'s values for those
    stand-ins, the post's id and its reaction bar: drawn one by one, twenty posts'
    controls cost as much as the rest of a member's page."""
    flags = (page["member"], page["is_moderator"], page["can_reply"])
    filled: dict[_FooterShape, str] = {}
    html = {}
    for post in posts:
        shape = _FooterShape(
            is_approved=post.is_approved,
            is_deleted=post.is_deleted,
            edited=post.edited_at is not None,
            bookmarked=post.pk in bookmarked,
            can_report=rights.can_report(post),
            can_delete=rights.can_delete(post),
            can_edit=rights.can_edit(post),
            has_bar=post.pk in bars,
        )
        text = filled.get(shape)
        if text is None:
            context = {**page, "post": shape, "bar_slot": mark_safe(_POST_ID)}  # noqa: S308 (a NUL)
            text = _drawing(
                ("footer", shape, flags), "forum/_post_footer.html", context
            )
            for stand_in, value in put_in.items():
                text = text.replace(stand_in, value)
            filled[shape] = text
        # The stand-in number is no CSRF token's and no link's but its own; the
        # bar goes in after, as it holds the post's id already.
        text = text.replace(str(_STAND_IN), str(post.pk))
        if shape.has_bar:
            text = text.replace(_POST_ID, bars[post.pk])
        html[post.pk] = mark_safe(text)  # noqa: S308 (our template's, with a number and a bar put in)
    return html


def _reaction_bars(
    user, rights: permissions.PostRights, posts: list[Post], picks=None
) -> dict[int, reactions.Bar]:
    """``picks``: ``reactions.with_page_picks``'s rows for these posts, if read."""
    # Guests, and members who may react to nothing here, get none and cost
    # nothing; a member's cost one query for the page, or none with ``picks``.
    if not rights.may_react:
        return {}
    if picks is not None:
        choices, given = reactions.page_picks(picks)
    else:
        choices, given = reactions.for_viewer(user, [post.pk for post in posts])
    bars = (reactions.bar(post, rights, choices, given) for post in posts)
    return {bar.post_id: bar for bar in bars if bar is not None}


@dataclass(frozen=True)
class _BarShape:
    """What ``_reaction_bar.html`` reads of a Bar, with the post's id left open."""

    choices: Sequence[Reaction]
    mine: int | None
    post_id: str = _POST_ID

    @property
    def react_url(self) -> str:
        return _open_link("forum:post_react")

    @property
    def unreact_url(self) -> str:
        return _open_link("forum:post_unreact")


def _open_link(name: str) -> str:
    return links.url_with_id(name, _STAND_IN).replace(str(_STAND_IN), _POST_ID)


def _bar_blocks(bars: dict[int, reactions.Bar], csrf: str) -> dict[int, SafeString]:
    """Each post's reaction bar. Bars with the same choices and the same pick of
    the viewer's differ only in their post's id and the page's CSRF field: each is
    drawn once for the process (``_drawing``), those put in after (twenty posts'
    bars cost a third of a member's page, drawn one by one)."""
    html = {}
    for post_id, bar in bars.items():
        shape = (tuple((r.pk, r.name, r.emoji) for r in bar.choices), bar.mine)
        context = {
            "bar": _BarShape(choices=bar.choices, mine=bar.mine),
            "page_csrf_input": mark_safe(_CSRF),  # noqa: S308 (NULs)
        }
        text = _drawing(("bar", shape), "forum/_reaction_bar.html", context)
        text = text.replace(_CSRF, csrf).replace(_POST_ID, str(post_id))
        html[post_id] = mark_safe(text)  # noqa: S308 (our template's, with a number and the page's CSRF field put in)
    return html


# Controls drawn for a shape of post or bar with stand-ins for the post's id, the
# thread's and the page's CSRF field, kept for the process: the same few shapes
# make every page of every thread. Each is a kilobyte or two; full, it starts
# again empty, like the author cards (``cache.kept``).
DRAWN_CONTROLS = 512
_drawn: dict[tuple, str] = {}


def _drawing(key: tuple, template: str, context: dict) -> str:
    """``template`` drawn with ``context`` once for the process, under ``key``."""
    return cache.kept(
        _drawn, DRAWN_CONTROLS, key, lambda: str(_render(template, context))
    )


@links.steady()
def reaction_update(request: HttpRequest, post: Post) -> SafeString:
    """After an htmx reaction: the viewer's new bar, and the post's counts out of
    band. ``post`` comes from ``for_blocks`` (counts and the reaction catalogue)."""
    rights = permissions.post_rights(request.user, post.thread)
    bars = _reaction_bars(request.user, rights, [post])
    context = {"post": post, "reaction_counts": reaction_counts(post), "oob": True}
    counts = _render("forum/_reaction_counts.html", context)
    if post.pk not in bars:
        return counts
    context = {"bar": bars[post.pk], "page_csrf_input": page_csrf(request)}
    bar = _render("forum/_reaction_bar.html", context, request)
    return mark_safe(bar + counts)  # noqa: S308 (both rendered by our templates)


@dataclass(frozen=True)
class Row:
    """A listed thread's or board's shared HTML, cached whole with its list; the
    viewer's state (unread) goes on the ``<li>`` around it (``_thread_list.html``)."""

    pk: int
    html: SafeString
    classes: str = ""


# Ends each row of a list rendered in one go (``_thread_row.html``): no row's HTML
# can hold it, as PostgreSQL's text holds no NUL and our templates print none.
_ROW_END = "\x00"


@links.steady()  # a page of rows prints two links a row
def _row_blocks(name: str, context: dict) -> list[str]:
    """The rows of one render of ``name``, each ended by ``end`` in the template:
    one render for the list costs a fraction of one per row."""
    return _render(name, {**context, "end": _ROW_END}).split(_ROW_END)[:-1]


def thread_row_blocks(threads) -> list[Row]:
    """A board page's threads as every viewer who sees those rows sees them."""
    threads = list(threads)
    html = _row_blocks("forum/_thread_row.html", {"threads": threads})
    return [
        Row(
            pk=thread.pk,
            html=mark_safe(text),  # noqa: S308 (rendered by our template)
            classes=" is-deleted" if thread.is_deleted else "",
        )
        for thread, text in zip(threads, html, strict=True)
    ]


@links.steady()
def thread_list(rows: list[Row], *, unread: frozenset[int], member: bool) -> SafeString:
    """A board page's thread rows inside this viewer's unread markers."""
    context = {"rows": rows, "unread": unread, "member": member}
    return _render("forum/_thread_list.html", context)


def board_row_blocks(boards) -> list[Row]:
    """Rows of boards (a category on the forum list, a board's sub-boards)."""
    boards = list(boards)
    html = _row_blocks("forum/_board_row.html", {"boards": boards})
    return [
        Row(pk=board.pk, html=mark_safe(text))  # noqa: S308 (rendered by our template)
        for board, text in zip(boards, html, strict=True)
    ]


def board_list(rows: list[Row], *, unread: frozenset[int]) -> SafeString:
    """Board rows inside this viewer's unread markers."""
    return _render("forum/_board_list.html", {"rows": rows, "unread": unread})


def board_rows(boards) -> SafeString:
    """Rows of boards with no viewer state (a board's sub-boards)."""
    return board_list(board_row_blocks(boards), unread=frozenset())


def _light_post(row: dict, thread: Thread) -> Post:
    """A post with only what the controls read: these columns and its thread.

    Made without ``Post.__init__``, which sets every field's default and cost more
    than the rest of the controls; any other field would be loaded on access (a
    query the page's query-count tests would catch).
    """
    post = Post.__new__(Post)
    post._state = ModelState()
    post._state.adding, post._state.db = False, thread._state.db
    post.__dict__.update({f: row[f] for f in CONTROL_FIELDS})
    post.id, post.thread_id = row["pk"], thread.pk
    post._state.fields_cache["thread"] = thread
    return post
