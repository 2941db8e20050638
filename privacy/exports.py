"""The data download: asked for on the site, built by the worker, mailed as a link.

A member asks (``request_data_export``); one request waits at a time. The worker
(``build_data_export``) writes the zip (privacy/archive.py) to Django's default
storage under a random name, so it lands in S3 when media does, and mails a link
signed with the site's key. The link expires after ``LINK_HOURS`` and opens the
archive only for the member it was made for, logged in. The daily upkeep
(``privacy_upkeep_daily``) deletes archives past their expiry, requests the worker
never finished, and erases the accounts whose grace period has passed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from accounts.models import User
from forum import daily
from privacy import erasure
from privacy.archive import write_archive
from privacy.models import DataExport

LINK_HOURS = 48
SALT = "privacy.data-export"
# Any number unique to this job: two workers starting at once queue one run.
_SCHEDULE_LOCK = 7_316_016


class ExportRefused(Exception):
    """A request the member cannot make now; the text says why."""


class BadLink(Exception):
    """A download link that is forged, expired or someone else's; the text says
    which, and ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@transaction.atomic
def request_data_export(*, member: User) -> DataExport:
    """Queue the building of ``member``'s archive, unless one is being built."""
    if member.erased_at is not None or not member.is_active:
        raise ExportRefused("This account is closed.")
    if DataExport.objects.filter(
        user=member, status=DataExport.Status.PENDING
    ).exists():
        raise ExportRefused(_PENDING)
    try:
        # A double submit races past the check above; the constraint stops it.
        with transaction.atomic():
            export = DataExport.objects.create(user=member)
    except IntegrityError as taken:
        raise ExportRefused(_PENDING) from taken
    # Queued in this transaction (the queue is a table): built only if this commits.
    build_data_export.enqueue(export_id=export.pk)
    return export


_PENDING = (
    "Your data is being prepared already: we will email you a link when it is "
    "ready. You can ask again after that."
)


def is_downloadable(export: DataExport) -> bool:
    """Built, and not past its expiry."""
    return (
        export.status == DataExport.Status.READY
        and export.expires_at is not None
        and export.expires_at > timezone.now()
    )


def make_token(export: DataExport) -> str:
    return signing.dumps({"export": export.pk, "member": export.user_id}, salt=SALT)


def download_url(export: DataExport) -> str:
    return reverse("privacy:data_export_download", args=[make_token(export)])


def read_token(token: str, *, member: User) -> DataExport:
    """The ready archive a link names, if it is ``member``'s and has not expired."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=timedelta(hours=LINK_HOURS))
    except signing.SignatureExpired as expired:
        raise BadLink(
            "This download link has expired. Ask for your data again.", 410
        ) from expired
    except signing.BadSignature as forged:
        raise BadLink(
            "This download link is not valid: check that it was copied whole.", 400
        ) from forged
    if not isinstance(payload, dict) or payload.get("member") != member.pk:
        raise BadLink("This download link was made for another account.", 403)
    export = DataExport.objects.filter(
        pk=payload.get("export"),
        user=member,
        status=DataExport.Status.READY,
        expires_at__gt=timezone.now(),
    ).first()
    if export is None:
        raise BadLink(
            "This archive has expired or was deleted. Ask for your data again.", 410
        )
    return export


@task()
def build_data_export(*, export_id: int) -> int:
    """Write the archive, store it, mail the link; returns its size in bytes."""
    export = (
        DataExport.objects.select_related("user")
        .filter(pk=export_id, status=DataExport.Status.PENDING)
        .first()
    )
    if export is None:
        return 0
    member = export.user
    try:
        data = write_archive(member)
        name = default_storage.save(
            f"data-exports/{secrets.token_urlsafe(24)}.zip", ContentFile(data)
        )
    except Exception:
        # The member may ask again; the error stays in the worker's log.
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.FAILED)
        raise
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.READY,
        ready_at=now,
        expires_at=now + timedelta(hours=LINK_HOURS),
        archive=name,
        size=len(data),
    )
    export.refresh_from_db()
    context = {
        "username": member.username,
        "site_name": settings.FORUM_SITE_NAME,
        "link": settings.FORUM_BASE_URL + download_url(export),
        "hours": LINK_HOURS,
    }
    send_mail(
        render_to_string("privacy/data_export_subject.txt", context).strip(),
        render_to_string("privacy/data_export_email.txt", context),
        None,
        [member.email],
    )
    return len(data)


def prune_data_exports(*, now: datetime | None = None) -> int:
    """Delete expired archives, and requests the worker never finished; how many."""
    now = now or timezone.now()
    stale = DataExport.objects.filter(
        Q(expires_at__lte=now)
        | Q(status=DataExport.Status.FAILED)
        | Q(
            status=DataExport.Status.PENDING,
            requested_at__lte=now - timedelta(hours=LINK_HOURS),
        )
    )
    removed = 0
    for export in stale.only("pk", "archive"):
        if export.archive:
            default_storage.delete(export.archive)
        removed += DataExport.objects.filter(pk=export.pk).delete()[0]
    return removed


@task()
def privacy_upkeep_daily() -> dict[str, int]:
    """Queue tomorrow's run first (a failure today must not end the chain), then
    delete expired archives and erase the accounts that are due."""
    schedule_privacy_upkeep(run_after=timezone.now() + daily.EVERY)
    return {
        "archives": prune_data_exports(),
        "erased": erasure.erase_due_accounts(),
    }


def schedule_privacy_upkeep(*, run_after: datetime | None = None) -> bool:
    """Queue a run unless one is waiting (``forum.daily.queue_once``)."""
    return daily.queue_once(
        privacy_upkeep_daily, lock=_SCHEDULE_LOCK, run_after=run_after
    )
