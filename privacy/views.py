from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthedRequest
from privacy import erasure, exports
from privacy.forms import AccountDeleteForm
from privacy.models import DataExport


@login_required
@require_http_methods(["GET", "POST"])
def data_export(request: AuthedRequest) -> HttpResponse:
    """Ask for an archive of one's data; the page says how the last request went."""
    if request.method == "POST":
        try:
            exports.request_data_export(member=request.user)
        except exports.ExportRefused as refusal:
            messages.info(request, str(refusal))
        else:
            messages.success(
                request,
                f"We are preparing your data and will email {request.user.email} "
                "a download link when it is ready.",
            )
        return redirect("privacy:data_export")
    latest = DataExport.objects.filter(user=request.user).first()
    ready = latest is not None and exports.is_downloadable(latest)
    return render(
        request,
        "privacy/data_export.html",
        {
            "latest": latest,
            "download_url": exports.download_url(latest) if ready else "",
            "hours": exports.LINK_HOURS,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def data_export_download(request: AuthedRequest, token: str) -> HttpResponse:
    """The archive a mailed link names, for the member it was made for only."""
    try:
        export = exports.read_token(token, member=request.user)
    except exports.BadLink as problem:
        return render(
            request,
            "registration/_message_page.html",
            {"heading": "Download your data", "message": str(problem)},
            status=problem.status,
        )
    try:
        archive = default_storage.open(export.archive, "rb")
    except OSError:
        return render(
            request,
            "registration/_message_page.html",
            {
                "heading": "Download your data",
                "message": "This archive is no longer stored. Ask for your data again.",
            },
            status=410,
        )
    response = FileResponse(
        archive,
        as_attachment=True,
        filename=f"{settings.FORUM_SITE_NAME}-data-{export.ready_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: AuthedRequest) -> HttpResponse:
    """Confirm with the password, choose what happens to one's posts, delete."""
    member = request.user
    form = AccountDeleteForm(
        request.POST if request.method == "POST" else None,
        request=request,
        member=member,
    )
    status = 200
    if form.is_valid():
        try:
            member = erasure.request_deletion(
                member=member, remove_posts=form.remove_posts
            )
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
            status = 403
        else:
            if member.erased_at is not None:
                logout(request)
                messages.success(request, "Your account is deleted. Goodbye!")
                return redirect("forum:index")
            messages.success(
                request,
                "Your account will be deleted on "
                f"{date_format(localtime(member.deletion_due_at))}. Until then "
                "you can change your mind on this page.",
            )
            return redirect("privacy:account_delete")
    elif form.is_bound:
        status = 400
    return render(
        request,
        "privacy/account_delete.html",
        {
            "form": form,
            "grace_days": settings.ACCOUNT_DELETION_GRACE_DAYS,
            "due": member.deletion_due_at,
        },
        status=status,
    )


@login_required
@require_POST
def account_delete_cancel(request: AuthedRequest) -> HttpResponse:
    """Keep the account (the banner's button)."""
    if request.user.deletion_due_at is not None:
        erasure.cancel_deletion(member=request.user)
        messages.success(request, "Your account stays: the deletion is cancelled.")
    return redirect("privacy:account_delete")
