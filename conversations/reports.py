"""Reported messages in the moderators' queue, through the forum's registry."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from conversations import permissions
from conversations.models import MessageReport
from forum.reports import QueueSection


def queue_section(user: User) -> QueueSection | None:
    """The forum-wide moderators' link to reported messages, with the open count."""
    if not permissions.can_handle_reports(user):
        return None
    return QueueSection(
        title="Reported messages",
        url=reverse("conversations:report_list"),
        open_count=MessageReport.objects.filter(
            status=MessageReport.Status.OPEN
        ).count(),
    )
