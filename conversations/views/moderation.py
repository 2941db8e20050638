"""The moderators' side: reported messages, and the audited look into a conversation.

A moderator reads a message only as it was reported (the copy on the report). A
whole conversation opens only through ``conversation_moderate``: a POST with a
reason, recorded as a ``ModerationAction`` for every page looked at. Anyone who
does not handle reports gets 404 here, so nobody learns the pages exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.http import AuthedRequest
from conversations import permissions, reads, rendering, services
from conversations.forms import ModeratorViewForm, ReportHandleForm
from conversations.models import Conversation, MessageReport
from forum.pagination import ASCII_NUMBER

REPORTS_PER_PAGE = 25
TABS = {s.value: s for s in MessageReport.Status}


def _moderator(request: AuthedRequest) -> None:
    if not permissions.can_handle_reports(request.user):
        raise Http404("No such page.")


@login_required
@require_safe
def report_list(request: AuthedRequest) -> HttpResponse:
    _moderator(request)
    tab = request.GET.get("status", "open")
    tab = tab if tab in TABS else "open"
    raw = request.GET.get("page")
    page = int(raw) if raw and ASCII_NUMBER.fullmatch(raw) else 1
    page = page if 0 < page <= 10_000 else 1
    start = (page - 1) * REPORTS_PER_PAGE
    rows = list(
        MessageReport.objects.filter(status=tab)
        .select_related("reporter", "author", "handled_by")
        .defer("body")[start : start + REPORTS_PER_PAGE + 1]
    )
    return render(
        request,
        "conversations/report_list.html",
        {
            "reports": rows[:REPORTS_PER_PAGE],
            "tab": tab,
            "tabs": list(TABS),
            "page": page,
            "has_next": len(rows) > REPORTS_PER_PAGE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: AuthedRequest, report_id: int) -> HttpResponse:
    _moderator(request)
    report = get_object_or_404(
        MessageReport.objects.select_related("reporter", "author", "handled_by"),
        pk=report_id,
    )
    form = ReportHandleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_report(
                report=report,
                moderator=request.user,
                status=form.cleaned_data["action"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as refused:
            form.add_error(None, refused.messages)
        else:
            messages.success(request, "The report is closed.")
            return redirect(report)
    exists = Conversation.objects.filter(pk=report.conversation_id_at_report).exists()
    return render(
        request,
        "conversations/report_detail.html",
        {
            "report": report,
            "form": form,
            "conversation_exists": exists,
            "look_form": ModeratorViewForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversation_moderate(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    """Ask why (GET); on POST record the look and show one page, read-only."""
    _moderator(request)
    conversation = get_object_or_404(Conversation, pk=conversation_id)
    form = ModeratorViewForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return render(
            request,
            "conversations/conversation_moderate.html",
            {"conversation": conversation, "form": form, "shown": None},
        )
    raw = request.POST.get("page", "1")
    page = int(raw) if ASCII_NUMBER.fullmatch(raw) else 1
    page = min(max(page, 1), conversation.page_count)
    services.view_as_moderator(
        conversation=conversation,
        moderator=request.user,
        reason=form.cleaned_data["reason"],
        page=page,
    )
    shown = rendering.message_list(
        request,
        list(reads.message_page(conversation.pk, page)),
        new_after=None,
        can_write=False,
        read_only=True,
    )
    return render(
        request,
        "conversations/conversation_moderate.html",
        {
            "conversation": conversation,
            "form": form,
            "shown": shown,
            "members": list(reads.members_in(conversation.pk)),
            "page": page,
        },
    )
