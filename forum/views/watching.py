"""Watch and unwatch buttons (htmx or plain POST) and the watched page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest, redirect_back
from forum import permissions, watching
from forum.alert_forms import WatchForm
from forum.models import Board, BoardWatch, Thread


def _form(request: AuthedRequest) -> WatchForm | None:
    form = WatchForm(request.POST)
    return form if form.is_valid() else None


def _bad() -> HttpResponse:
    return HttpResponse(
        "Send action=watch or action=unwatch.", status=400, content_type="text/plain"
    )


@login_required
@require_POST
def thread_watch(request: AuthedRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.visible_to(request.user), pk=thread_id)
    if not permissions.can_view_thread(request.user, thread):
        raise Http404("No such thread.")
    form = _form(request)
    if form is None:
        return _bad()
    if form.cleaned_data["action"] == "watch":
        watching.watch_thread(
            user=request.user, thread=thread, email=form.cleaned_data["email"]
        )
        thread.watched, thread.watch_email = True, form.cleaned_data["email"]
        text = "You are watching this thread."
    else:
        watching.unwatch_thread(user=request.user, thread=thread)
        thread.watched = thread.watch_email = False
        text = "You no longer watch this thread."
    if request.htmx:
        return render(
            request,
            "forum/_watch_thread.html",
            {"thread": thread, "next": request.POST.get("next", "")},
        )
    messages.success(request, text)
    return redirect_back(request, thread.get_absolute_url())


@login_required
@require_POST
def board_watch(request: AuthedRequest, slug: str) -> HttpResponse:
    board = get_object_or_404(Board.objects.visible_to(request.user), slug=slug)
    form = _form(request)
    if form is None:
        return _bad()
    watch = None
    if form.cleaned_data["action"] == "watch":
        watch = watching.watch_board(
            user=request.user,
            board=board,
            notify=form.cleaned_data["notify"] or BoardWatch.Notify.THREADS,
            email=form.cleaned_data["email"],
        )
        text = "You are watching this board."
    else:
        watching.unwatch_board(user=request.user, board=board)
        text = "You no longer watch this board."
    if request.htmx:
        return render(
            request,
            "forum/_watch_board.html",
            {
                "board": board,
                "watch_notify": watch.notify if watch else None,
                "watch_email": watch.email if watch else False,
                "next": request.POST.get("next", ""),
            },
        )
    messages.success(request, text)
    return redirect_back(request, board.get_absolute_url())


@login_required
def watched(request: AuthedRequest) -> HttpResponse:
    """Watched threads, unread first, and watched boards; unwatch from here."""
    threads = list(
        watching.watched_threads(request.user)[: watching.WATCHED_PAGE_SIZE + 1]
    )
    return render(
        request,
        "forum/watched.html",
        {
            "threads": threads[: watching.WATCHED_PAGE_SIZE],
            "more": len(threads) > watching.WATCHED_PAGE_SIZE,
            "boards": list(watching.watched_boards(request.user)),
        },
    )
