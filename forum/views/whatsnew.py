"""What's new: posts and threads since the member's last visit (guests: latest)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.services import previous_visit_end
from forum import readstate, seek
from forum.models import Post, Thread

PER_PAGE = 25
TABS = ("posts", "threads")


def whats_new(request: HttpRequest) -> HttpResponse:
    """New posts or new threads, newest first, a page at a time by seeking."""
    tab = request.GET.get("tab")
    tab = tab if tab in TABS else "posts"
    cursor = seek.parse(request.GET.get("before"))
    user = request.user
    since = None
    if user.is_authenticated:
        # Older than the read cut-off counts as read: never further back than that
        # (and a member's first visit starts there).
        now = timezone.now()
        oldest = readstate.cutoff(now)
        since = max(previous_visit_end(user, now) or oldest, oldest)
    if tab == "posts":
        rows = (
            Post.objects.visible_to(user)
            .select_related("thread__board", "author")
            .only(
                *("position", "created_at", "author__username", "thread__title"),
                *("thread__slug", "thread__last_position", "thread__board__name"),
                "thread__board__slug",
            )
        )
    else:
        rows = (
            Thread.objects.visible_to(user)
            .select_related("board", "author")
            .only(
                *("title", "slug", "created_at", "reply_count", "author__username"),
                *("board__name", "board__slug", "is_deleted", "is_approved"),
            )
        )
    if since is not None:
        rows = rows.filter(created_at__gt=since).exclude(author=user)
    page = seek.page(rows, cursor, PER_PAGE)
    return render(
        request,
        "forum/whats_new.html",
        {"tab": tab, "page": page, "since": since, "first_page": cursor is None},
    )
