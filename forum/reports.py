"""Reports: members point moderators at a post or a member; moderators handle them.

A post's report goes to the moderators of the post's board (and forum-wide ones), a
member's report to forum-wide moderators only. Every write here leaves a
``ModerationAction`` row, the reporter's included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts import ratelimit
from accounts.models import User
from forum import access, permissions
from forum.models import ModerationAction, Post, Report, ReportComment

REASON_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 2000

REPORTS = ratelimit.Budget(
    "report-member",
    "FORUM_REPORTS_PER_HOUR",
    ratelimit.HOUR,
    "You have sent several reports already.",
)


def clean_text(text: str, *, what: str, max_length: int) -> str:
    """Strip ``text``; refuse it empty or longer than ``max_length``."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(f"Give a {what}.")
    if len(text) > max_length:
        raise ValidationError(
            f"Keep the {what} under {max_length} characters (it has {len(text)})."
        )
    return text


def _audit(actor: User, action: str, report: Report, reason: str = "") -> None:
    ModerationAction.objects.create(
        actor=actor,
        action=action,
        thread_id=report.post.thread_id if report.post_id else None,
        post_id=report.post_id,
        target_user_id=report.member_id,
        reason=reason[:255],
    )


def _file(reporter: User, action: str, **target) -> Report:
    # Counted once the report passed every check: a refused one costs nothing.
    REPORTS.spend(reporter.pk)
    try:
        # A savepoint: the unique constraint catches a second open report sent at
        # the same moment as the first, without breaking the caller's transaction.
        with transaction.atomic():
            report = Report.objects.create(reporter=reporter, **target)
    except IntegrityError:
        raise ValidationError(
            "You reported this already; moderators will look."
        ) from None
    _audit(reporter, action, report, target["reason"])
    return report


@transaction.atomic
def report_post(*, post: Post, reporter: User, reason: str) -> Report:
    """File a report of a post for its board's moderators."""
    if not permissions.can_report_post(reporter, post):
        raise PermissionDenied("You may not report this post.")
    reason = clean_text(reason, what="reason", max_length=REASON_MAX_LENGTH)
    if Report.objects.filter(
        reporter=reporter, post=post, status=Report.Status.OPEN
    ).exists():
        raise ValidationError("You reported this post already; moderators will look.")
    return _file(
        reporter,
        "report_post",
        post=post,
        member_id=post.author_id,
        board_id=post.thread.board_id,
        reason=reason,
    )


@transaction.atomic
def report_member(*, member: User, reporter: User, reason: str) -> Report:
    """File a report of a member for the forum-wide moderators."""
    if not permissions.can_report_member(reporter, member):
        raise PermissionDenied("You may not report this member.")
    reason = clean_text(reason, what="reason", max_length=REASON_MAX_LENGTH)
    if Report.objects.filter(
        reporter=reporter, member=member, post=None, status=Report.Status.OPEN
    ).exists():
        raise ValidationError("You reported this member already; moderators will look.")
    return _file(reporter, "report_member", member=member, reason=reason)


def _locked_report(report: Report, moderator: User) -> Report:
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("post__thread")
        .get(pk=report.pk)
    )
    if not permissions.can_handle_report(moderator, report):
        raise PermissionDenied("You do not moderate what this report is about.")
    return report


@transaction.atomic
def comment_on_report(*, report: Report, moderator: User, body: str) -> ReportComment:
    """Add a moderator's note to a report, open or closed."""
    report = _locked_report(report, moderator)
    body = clean_text(body, what="comment", max_length=COMMENT_MAX_LENGTH)
    comment = ReportComment.objects.create(report=report, author=moderator, body=body)
    _audit(moderator, "comment_report", report, body)
    return comment


def resolve_report(*, report: Report, moderator: User, comment: str = "") -> Report:
    """Close an open report as dealt with."""
    return _close(report, moderator, Report.Status.RESOLVED, comment)


def reject_report(*, report: Report, moderator: User, comment: str = "") -> Report:
    """Close an open report as needing nothing."""
    return _close(report, moderator, Report.Status.REJECTED, comment)


@transaction.atomic
def _close(report: Report, moderator: User, status: str, comment: str) -> Report:
    # Locked, so two moderators closing at once do not both record the close.
    report = _locked_report(report, moderator)
    if report.status != Report.Status.OPEN:
        raise ValidationError("This report was handled already.")
    comment = (comment or "").strip()
    if comment:
        comment = clean_text(comment, what="comment", max_length=COMMENT_MAX_LENGTH)
        ReportComment.objects.create(report=report, author=moderator, body=comment)
    report.status = status
    report.handled_by = moderator
    report.handled_at = timezone.now()
    report.save(update_fields=["status", "handled_by", "handled_at"])
    action = "resolve_report" if status == Report.Status.RESOLVED else "reject_report"
    _audit(moderator, action, report, comment)
    return report


# Reads for the queue.


def handled_by(user: User) -> QuerySet[Report]:
    """Reports ``user`` may handle: of posts in boards they moderate, and of members
    for forum-wide moderators."""
    if permissions.is_moderator(user):
        return Report.objects.all()
    if not is_report_moderator(user):
        return Report.objects.none()
    # By the board the post is in now: a thread moved away takes its reports along.
    mine = access.for_user(user).moderated_filter("post__thread__board_id")
    return Report.objects.filter(mine, post__isnull=False)


def is_report_moderator(user: User) -> bool:
    """Whether ``user`` has a queue at all (moderates some board), without a query
    beyond the request's board access."""
    if permissions.is_moderator(user):
        return True
    return (
        user.is_authenticated
        and permissions.can_post(user)
        and access.for_user(user).moderated_filter("board_id") is not None
    )


def for_queue(reports: QuerySet[Report]) -> QuerySet[Report]:
    """What a queue row shows: reporter, content, handler and comments."""
    return reports.select_related(
        "reporter", "member", "handled_by", "board", "post__thread"
    ).prefetch_related(
        Prefetch("comments", queryset=ReportComment.objects.select_related("author"))
    )


@dataclass(frozen=True)
class Queue:
    """What the header shows a moderator: how many reports wait for them."""

    open_count: int


def queue_for(user: User) -> Queue | None:
    """The header's count (one query), or None for those with no queue (none)."""
    if not is_report_moderator(user):
        return None
    return Queue(handled_by(user).filter(status=Report.Status.OPEN).count())


# Other apps' report queues (conversations registers its reported messages): the
# moderators' page lists them beside the forum's reports, and the forum, below
# those apps, never imports them.


@dataclass(frozen=True)
class QueueSection:
    """A link to another app's queue, with how many reports wait there."""

    title: str
    url: str
    open_count: int


_SECTIONS: list[Callable[[User], QueueSection | None]] = []


def register_queue_section(section_for: Callable[[User], QueueSection | None]) -> None:
    """Add another queue to the moderators' page (called from an app's ready())."""
    if section_for not in _SECTIONS:
        _SECTIONS.append(section_for)


def other_queues(user: User) -> list[QueueSection]:
    """The other queues ``user`` handles (each costs its app one query at most)."""
    return [s for f in _SECTIONS if (s := f(user)) is not None]
