"""Terms and privacy: versioned documents members agree to, and who agreed when.

Staff write a ``LegalDocument`` in the admin and publish it; the latest published
version of each kind is the current one. Registration asks for agreement to the
current versions. Publishing a new version sets ``User.consent_due`` on every member
behind it, in batches by a background task, so that on an ordinary page view
``ConsentMiddleware`` decides from the user row the request loaded anyway: no
query, no cache to keep in step across processes. A member with the flag is sent
to the agree page on their next visit; agreeing records an ``Agreement`` row per
document and the versions on the user row. With nothing published, nothing is
asked.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

import markup
from accounts.models import Agreement, LegalDocument, User

FLAG_BATCH = 10_000
VERSION_FIELDS = {
    LegalDocument.Kind.TERMS: "agreed_terms_version",
    LegalDocument.Kind.PRIVACY: "agreed_privacy_version",
}


def current_documents() -> dict[str, LegalDocument]:
    """The latest published version of each kind, in one query."""
    latest = (
        LegalDocument.objects.filter(published_at__isnull=False)
        .order_by("kind", "-version")
        .distinct("kind")
    )
    return {document.kind: document for document in latest}


def documents_due(user: User, current: dict[str, LegalDocument]) -> list:
    """The current documents newer than what ``user`` agreed to."""
    return [
        document
        for kind, document in sorted(current.items())
        if getattr(user, VERSION_FIELDS[kind]) < document.version
    ]


def shown_versions(documents: list[LegalDocument]) -> str:
    """What a form carries of the documents it showed: "privacy:2,terms:3"."""
    return ",".join(f"{d.kind}:{d.version}" for d in sorted(documents, key=_kind))


def _kind(document: LegalDocument) -> str:
    return document.kind


@transaction.atomic
def save_draft(*, document: LegalDocument) -> LegalDocument:
    """Render a new or draft document and give a new one the next version number."""
    if document.published_at is not None:
        raise ValueError("A published version is never edited: add a new one.")
    document.body_html = markup.render(document.body)
    if document.pk is None:
        with connection.cursor() as cursor:
            # Two staff adding a version of one kind at once get distinct numbers.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"legal:{document.kind}"],
            )
        last = (
            LegalDocument.objects.filter(kind=document.kind)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        document.version = (last or 0) + 1
    document.save()
    return document


@transaction.atomic
def publish_document(*, document: LegalDocument) -> LegalDocument:
    """Make a draft the current version; members behind it are asked to agree."""
    document = LegalDocument.objects.select_for_update().get(pk=document.pk)
    if document.published_at is None:
        document.published_at = timezone.now()
        document.save(update_fields=["published_at"])
        transaction.on_commit(ask_members_to_agree.enqueue)
    return document


@task()
def ask_members_to_agree() -> int:
    """Flag every member behind a current version; return how many were flagged.

    In id ranges of FLAG_BATCH, each its own short transaction, so a million members
    never sit under one long lock. Running it again flags nobody twice.
    """
    current = current_documents()
    behind = Q()
    for kind, document in current.items():
        behind |= Q(**{f"{VERSION_FIELDS[kind]}__lt": document.version})
    if not current:
        return 0
    top = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    flagged = 0
    for start in range(0, top + 1, FLAG_BATCH):
        with transaction.atomic():
            flagged += User.objects.filter(
                behind, pk__gte=start, pk__lt=start + FLAG_BATCH, consent_due=False
            ).update(consent_due=True)
    return flagged


class ConsentChanged(Exception):
    """The documents changed between showing the form and sending it."""


@transaction.atomic
def record_agreement(*, user: User, versions: str) -> list[Agreement]:
    """Record that ``user`` agreed to the current documents the form showed.

    ``versions`` is what the form carried (``shown_versions``); if a document was
    published since, nothing is recorded and ``ConsentChanged`` asks to read again.
    """
    # The row lock orders this against the flagging task: whichever commits second
    # sees the other's write.
    User.objects.select_for_update().filter(pk=user.pk).first()
    current = current_documents()
    if versions != shown_versions(list(current.values())):
        raise ConsentChanged(
            "The terms or the privacy policy changed while you were reading: "
            "please read the current version and agree again."
        )
    agreements = [Agreement(user=user, document=d) for d in current.values()]
    Agreement.objects.bulk_create(agreements, ignore_conflicts=True)
    update = {VERSION_FIELDS[kind]: d.version for kind, d in current.items()}
    User.objects.filter(pk=user.pk).update(consent_due=False, **update)
    for name, value in {"consent_due": False, **update}.items():
        setattr(user, name, value)
    return agreements
