"""Reports: members file them from a form; moderators work through the queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts import ratelimit
from accounts.http import AuthedRequest
from accounts.models import User
from forum import permissions, reports
from forum.forms import ReportForm, ReportHandleForm
from forum.models import Post, Report
from forum.pagination import ASCII_NUMBER

REPORTS_PER_PAGE = 25
TABS = {
    "open": Report.Status.OPEN,
    "resolved": Report.Status.RESOLVED,
    "rejected": Report.Status.REJECTED,
}


def _file_report(
    request: AuthedRequest, form: ReportForm, file, context: dict
) -> HttpResponse | None:
    """Call ``file(reason)`` with the form's reason; None when the form must show."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        file(form.cleaned_data["reason"])
    except ValidationError as refusal:
        form.add_error("reason", refusal.messages)
    except ratelimit.RateLimited as refusal:
        form.add_error(None, str(refusal))
        context["status"] = 429
        return None
    else:
        messages.success(request, "Thank you: moderators will look at your report.")
        return redirect(context["back"])
    return None


def _report_page(request: AuthedRequest, form: ReportForm, context: dict):
    status = context.pop("status", 200)
    return render(
        request, "forum/report_form.html", {**context, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_post(request: AuthedRequest, post_id: int) -> HttpResponse:
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related(
            "thread__board__category", "author"
        ),
        pk=post_id,
    )
    if not permissions.can_report_post(request.user, post):
        raise PermissionDenied("You may not report this post.")
    form = ReportForm(request.POST if request.method == "POST" else None)
    context = {"post": post, "target": post.author, "back": post.get_absolute_url()}
    done = _file_report(
        request,
        form,
        lambda reason: reports.report_post(
            post=post, reporter=request.user, reason=reason
        ),
        context,
    )
    return done or _report_page(request, form, context)


@login_required
@require_http_methods(["GET", "POST"])
def report_member(request: AuthedRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=member_id, is_active=True)
    if not permissions.can_report_member(request.user, member):
        raise PermissionDenied("You may not report this member.")
    form = ReportForm(request.POST if request.method == "POST" else None)
    context = {"post": None, "target": member, "back": member.get_absolute_url()}
    done = _file_report(
        request,
        form,
        lambda reason: reports.report_member(
            member=member, reporter=request.user, reason=reason
        ),
        context,
    )
    return done or _report_page(request, form, context)


def _queue(request: AuthedRequest):
    # Nobody without a queue learns there is one.
    if not reports.is_report_moderator(request.user):
        raise Http404("No such page.")
    return reports.handled_by(request.user)


@login_required
def report_list(request: AuthedRequest) -> HttpResponse:
    queue = _queue(request)
    tab = request.GET.get("status", "open")
    if tab not in TABS:
        tab = "open"
    raw_page = request.GET.get("page")
    page = int(raw_page) if raw_page and ASCII_NUMBER.fullmatch(raw_page) else 1
    page = page if 0 < page <= 10_000 else 1
    start = (page - 1) * REPORTS_PER_PAGE
    rows = list(
        reports.for_queue(queue.filter(status=TABS[tab]))[
            start : start + REPORTS_PER_PAGE + 1
        ]
    )
    return render(
        request,
        "forum/report_list.html",
        {
            "reports": rows[:REPORTS_PER_PAGE],
            "tab": tab,
            "tabs": list(TABS),
            "page": page,
            "has_next": len(rows) > REPORTS_PER_PAGE,
            "other_queues": reports.other_queues(request.user),
        },
    )


DONE = {
    "comment": "Your comment was added.",
    "resolve": "The report is resolved.",
    "reject": "The report is rejected.",
}


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request: AuthedRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(reports.for_queue(_queue(request)), pk=report_id)
    form = ReportHandleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
        try:
            if action == "comment":
                reports.comment_on_report(
                    report=report, moderator=request.user, body=comment
                )
            elif action == "resolve":
                reports.resolve_report(
                    report=report, moderator=request.user, comment=comment
                )
            else:
                reports.reject_report(
                    report=report, moderator=request.user, comment=comment
                )
        except ValidationError as refusal:
            form.add_error("comment", refusal.messages)
        else:
            messages.success(request, DONE[action])
            return redirect(report)
    return render(request, "forum/report_detail.html", {"report": report, "form": form})
