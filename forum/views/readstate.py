"""Read tracking pages: jump to the first new post, mark a board or everything read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest, redirect_back
from forum import permissions, readstate
from forum.models import Board, Thread


def thread_unread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Redirect to the first post the member has not read (guests: the first page)."""
    thread = get_object_or_404(Thread.objects.select_related("board"), pk=thread_id)
    if not permissions.can_view_thread(request.user, thread):
        raise Http404("No such thread.")
    if not request.user.is_authenticated:
        return redirect(thread.get_absolute_url())
    post = readstate.first_unread_post(thread, request.user)
    if post is None:
        return redirect(thread.get_absolute_url())
    return redirect(post.get_thread_url())


@require_POST
@login_required
def board_mark_read(request: AuthedRequest, slug: str) -> HttpResponse:
    board = get_object_or_404(Board.objects.visible_to(request.user), slug=slug)
    readstate.mark_board_read(user=request.user, board=board)
    messages.success(request, f"Every thread in {board.name} is marked read.")
    return redirect_back(request, board.get_absolute_url())


@require_POST
@login_required
def mark_all_read(request: AuthedRequest) -> HttpResponse:
    readstate.mark_all_read(user=request.user)
    messages.success(request, "Every thread is marked read.")
    return redirect_back(request, "forum:index")
