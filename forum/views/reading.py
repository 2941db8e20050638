"""Reading pages: forum list, board, thread, post permalink."""

import copy

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts import prebuilt
from accounts.http import viewer
from forum import (
    access,
    discovery,
    drafts,
    online,
    permissions,
    reactions,
    readstate,
    rendering,
    viewcounts,
    watching,
)
from forum import cache as fragment_cache
from forum.forms import ReplyForm
from forum.models import Board, Post, Thread
from forum.pagination import PageWindow, num_pages, resolve_page
from forum.querysets import BoardPage, ForumList, PostPage, viewer_shape


def index(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    # The boards' query is compiled once per kind of viewer (accounts/prebuilt.py).
    boards = ForumList(Board, user)
    # Member count, newest member, who's online and the record: one snapshot a
    # minute for every visitor (forum/online.py), no query between two.
    stats = online.snapshot(request)
    newest = stats.newest_member
    forum_fragment = fragment_cache.listing(
        boards.source(),
        stats.total_members,
        getattr(newest, "pk", None),
        getattr(newest, "username", None),
        ids=boards.ids(),
    )
    # Read, grouped and rendered only when the cached forum list is missing or
    # stale; the viewer's unread markers go around its rows (one query, members).
    forum = fragment_cache.rows(
        forum_fragment, "forum-list", lambda: _forum_list(list(boards))
    )
    unread = readstate.unread_board_ids(boards, user)
    categories = [
        {**entry, "rows": rendering.board_list(entry["rows"], unread=unread)}
        for entry in forum["categories"]
    ]
    return render(
        request,
        "forum/index.html",
        {
            "forum": {**forum, "categories": categories},
            "forum_fragment": forum_fragment,
            "stats": stats,
        },
    )


def _forum_list(boards: list[Board]) -> dict:
    categories: dict[int, dict] = {}
    children: dict[int, list[Board]] = {}
    for board in boards:
        if board.parent_id:
            children.setdefault(board.parent_id, []).append(board)
            continue
        entry = categories.setdefault(
            board.category_id, {"category": board.category, "boards": []}
        )
        entry["boards"].append(board)
    for board in boards:
        board.subboards = children.get(board.pk, [])
    for entry in categories.values():
        entry["rows"] = rendering.board_row_blocks(entry.pop("boards"))
    return {
        "categories": list(categories.values()),
        "threads": sum(b.thread_count for b in boards),
        "posts": sum(b.post_count for b in boards),
    }


def board_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = viewer(request)
    board = _board_for_page(slug, user)
    per_page = settings.FORUM_THREADS_PER_PAGE
    page, must_redirect = resolve_page(
        request.GET.get("page"), num_pages(board.thread_count, per_page)
    )
    if must_redirect:
        url = board.get_absolute_url()
        return redirect(url if page == 1 else f"{url}?page={page}")
    threads = BoardPage(board, user, (page - 1) * per_page, per_page)
    return render(
        request,
        "forum/board_detail.html",
        {
            "board": board,
            "subboards": board.has_children
            and rendering.board_rows(
                board.children.visible_to(user).select_related(
                    "last_post__thread", "last_post__author"
                )
            ),
            # The rows are read and rendered only when the cached list is missing
            # or stale; the viewer's unread markers go around them (one query).
            "thread_rows": rendering.thread_list(
                fragment_cache.rows(
                    fragment_cache.listing(threads.source(), ids=threads.ids()),
                    "board-threads",
                    lambda: rendering.thread_row_blocks(threads),
                ),
                unread=readstate.unread_thread_ids(threads, user),
                member=user.is_authenticated,
            ),
            "page": PageWindow(page, num_pages(board.thread_count, per_page)),
            "can_start_thread": permissions.can_start_thread(user, board),
        },
    )


def _board_for_page(slug: str, user) -> Board:
    """The board with its category, parent and the viewer's watch, in one query
    compiled once per kind of viewer (``accounts/prebuilt.py``)."""

    def build(slug: str, user_id: int):
        visitor = user
        if user.is_authenticated:
            visitor = copy.copy(user)
            visitor.pk = user_id
        boards = (
            Board.objects.visible_to(visitor)
            .select_related("category", "parent")
            # Most boards have no sub-boards: then their query is not run at all.
            .annotate(has_children=Exists(Board.objects.filter(parent=OuterRef("pk"))))
        )
        # The viewer's watch rides on the board's query (the watch button).
        # Not the boards' order: the SQL is not a get()'s, which would drop it.
        return watching.with_board_watch(boards, visitor).filter(slug=slug).order_by()

    key = ("board page board", *viewer_shape(user))
    found = prebuilt.fetch(key, build, slug, user.pk or 0)
    if not found:
        raise Http404("No such board.")
    return found[0]


def thread_detail(
    request: HttpRequest, thread_id: int, slug: str = "", *, reply_form=None
) -> HttpResponse:
    """``reply_form``: a quick reply sent back with its error (views/posting.py)."""
    raw_page = request.GET.get("page")
    # The page asked for, before the thread says how many there are: its posts'
    # positions go into the thread's query (the viewer's reactions among them).
    # A page that is not the one shown is redirected, so its figures go unused.
    asked, _ = resolve_page(raw_page, _PAGES_MAX)
    thread = _thread_for_page(thread_id, request.user, asked)
    if not permissions.can_view_thread(request.user, thread):
        raise Http404("No such thread.")
    page, must_redirect = resolve_page(raw_page, thread.page_count)
    if slug != thread.slug:
        return redirect(thread.page_url(page), permanent=True)
    if must_redirect:
        return redirect(thread.page_url(page))
    posts = PostPage(thread, page, settings.FORUM_POSTS_PER_PAGE)
    # Held replies have no position yet: they follow the last page's posts, for
    # their author and the board's moderators: one more query, only when there are.
    held = (
        Post.objects.held_in(thread, request.user)
        if thread.has_held and page == thread.page_count
        else ()
    )
    viewcounts.record_view(thread.pk)
    # At most one upsert, only when this page shows posts past what was read.
    readstate.record_progress(
        user=request.user,
        thread=thread,
        position=readstate.shown_position(thread, page),
    )
    can_reply = permissions.can_reply(request.user, thread)
    is_moderator = permissions.can_moderate(request.user, thread)
    return render(
        request,
        "forum/thread_detail.html",
        {
            "thread": thread,
            "board": thread.board,
            "posts": rendering.thread_posts(
                request,
                thread,
                posts,
                can_reply=can_reply,
                is_moderator=is_moderator,
                held=held,
            ),
            "page": PageWindow(page, thread.page_count),
            "can_reply": can_reply,
            "is_moderator": is_moderator,
            "form": reply_form or _reply_form(thread, can_reply),
        },
    )


# Past any thread's last page, and its positions still in the position column's
# 32-bit range at up to a thousand posts a page.
_PAGES_MAX = 2**31 // 1000 - 1


def _thread_for_page(thread_id: int, user, page: int) -> Thread:
    """The thread with what its page ``page`` needs about the viewer, in one query.

    The query's shape depends only on the kind of viewer (guest, member, moderator,
    the boards they moderate), so it is compiled once per kind
    (``accounts/prebuilt.py``) and run with the thread's and the viewer's ids.
    """
    if user.is_authenticated:
        moderated = access.for_user(user).moderated_filter("thread__board_id")
        kind = ("member", permissions.is_moderator(user), str(moderated))
    else:
        kind = ("guest",)
    key = ("thread page", *kind, settings.FORUM_READ_CUTOFF_DAYS)

    def build(thread_id: int, user_id: int, first: int, end: int):
        # The viewer with the stand-in id: same permissions, another pk to fill in.
        visitor = user
        if user.is_authenticated:
            visitor = copy.copy(user)
            visitor.pk = user_id
        # The viewer's draft reply rides on the thread's query (none for guests).
        threads = drafts.with_draft(Thread.objects.all(), visitor, place="thread")
        threads = threads.select_related(
            "board__category", "board__parent", "author"
        ).with_held_for(visitor)
        # The opening post's text, for the page's meta description; the viewer's
        # watch (the watch button), read position, floor and bookmarks.
        threads = discovery.with_opening(threads)
        threads = watching.with_watch_state(threads, visitor)
        # The viewer's reactions among the page's posts, with the catalogue.
        threads = reactions.with_page_picks(threads, visitor, thread_id, first, end)
        return readstate.with_read_state(threads, visitor).filter(pk=thread_id)

    per_page = settings.FORUM_POSTS_PER_PAGE
    first = (page - 1) * per_page + 1
    found = prebuilt.fetch(key, build, thread_id, user.pk or 0, first, first + per_page)
    if not found:
        raise Http404("No such thread.")
    return found[0]


def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.select_related("thread"), pk=post_id)
    if not permissions.can_view_post(request.user, post):
        raise Http404("No such post.")
    return redirect(post.get_thread_url())


def _reply_form(thread: Thread, can_reply: bool) -> ReplyForm | None:
    if not can_reply:
        return None
    draft = getattr(thread, "draft_body", None)
    return ReplyForm(initial={"body": draft}) if draft else ReplyForm()
