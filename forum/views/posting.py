"""Writing pages: start a thread, reply, quote, preview, edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.http import AuthedRequest
from accounts.models import User
from forum import permissions, services
from forum.forms import ReplyForm, ThreadForm
from forum.models import Board, Thread


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@login_required
@require_http_methods(["GET", "POST"])
def thread_create(request: AuthedRequest, slug: str) -> HttpResponse:
    board = get_object_or_404(Board.objects.select_related("category"), slug=slug)
    form = ThreadForm(request.POST if request.method == "POST" else None)
    allowed = permissions.can_start_thread(request.user, board)
    if not allowed:
        messages.error(request, _refusal_reason(request.user))
    elif form.is_valid():
        try:
            thread = services.start_thread(
                board=board,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                ip_address=_client_ip(request),
                submission_token=form.cleaned_data["submission_token"],
            )
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
        else:
            return redirect(thread)
    return render(
        request,
        "forum/thread_form.html",
        {"board": board, "form": form},
        status=200 if allowed else 403,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reply(request: AuthedRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(
        Thread.objects.select_related("board__category", "board__parent"), pk=thread_id
    )
    if not permissions.can_view_thread(request.user, thread):
        raise Http404("No such thread.")
    form = ReplyForm(request.POST if request.method == "POST" else None)
    allowed = permissions.can_reply(request.user, thread)
    if not allowed:
        messages.error(request, _refusal_reason(request.user, thread))
    elif form.is_valid():
        try:
            post = services.post_reply(
                thread=thread,
                author=request.user,
                body=form.cleaned_data["body"],
                ip_address=_client_ip(request),
                submission_token=form.cleaned_data["submission_token"],
            )
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
            allowed = False
        else:
            return redirect(f"{post.thread.page_url(post.page)}#{post.anchor}")
    return render(
        request,
        "forum/reply_form.html",
        {"thread": thread, "board": thread.board, "form": form},
        status=200 if allowed else 403,
    )


def _refusal_reason(user: User, thread: Thread | None = None) -> str:
    if user.is_currently_banned:
        return "Your account is banned from posting."
    if thread is not None and thread.is_locked:
        return "This thread is locked; it no longer accepts replies."
    return "You may not post here."
