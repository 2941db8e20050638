"""Saving drafts: the editor's script posts the reply box or new-thread form here a
couple of seconds after the typing stops (htmx); without JavaScript its "Save
draft" button does, and comes back to the form with the draft in it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import AuthedRequest
from forum import drafts, permissions
from forum.forms import DraftForm
from forum.models import Board, Thread


@login_required
@require_POST
def thread_draft(request: AuthedRequest, thread_id: int) -> HttpResponse:
    thread = get_object_or_404(Thread.objects.select_related("board"), pk=thread_id)
    if not permissions.can_view_thread(request.user, thread):
        raise Http404("No such thread.")
    back = thread.page_url(thread.page_count) + "#reply"
    return _save(request, back, thread=thread)


@login_required
@require_POST
def board_draft(request: AuthedRequest, slug: str) -> HttpResponse:
    board = get_object_or_404(Board.objects.visible_to(request.user), slug=slug)
    back = reverse("forum:thread_create", args=[board.slug])
    return _save(request, back, board=board)


def _save(request: AuthedRequest, back: str, **place) -> HttpResponse:
    form = DraftForm(request.POST)
    status, problem, draft = 200, "", None
    if not form.is_valid():
        status = 400
        problem = " ".join(error for errors in form.errors.values() for error in errors)
    else:
        try:
            draft = drafts.save_draft(user=request.user, **form.cleaned_data, **place)
        except PermissionDenied as refusal:
            status, problem = 403, str(refusal)
    if request.htmx:
        context = {"problem": problem, "saved": draft is not None}
        return render(request, "forum/_draft_status.html", context, status=status)
    if status == 403:
        raise PermissionDenied(problem)
    if status != 200:
        context = {"back": back, "problem": problem}
        return render(request, "forum/draft_refused.html", context, status=status)
    messages.success(
        request,
        "Your draft is saved: it is here when you come back, on any device."
        if draft is not None
        else "The empty draft was removed.",
    )
    return redirect(back)
