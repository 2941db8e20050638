"""Conversation alerts, sent by the background worker (django-tasks).

A message to ten members is ten alerts, and some of those are mailed: the request
only queues one task with plain ids, and ``forum.alerts.notify`` applies every
rule (the member's settings for the "conversation" kind, email through the same
batched mail as every other alert).
"""

from __future__ import annotations

from django.urls import reverse
from django_tasks import task

from accounts.models import User
from forum import alerts

SUMMARIES = {
    "started": "a new conversation, “{title}”",
    "replied": "a new message in “{title}”",
    "invited": "an invitation to “{title}”",
}


@task()
def alert_participants(
    *,
    conversation_id: int,
    recipient_ids: list[int],
    actor_id: int,
    what: str,
    message_id: int | None = None,
) -> int:
    """Alert each recipient still in the conversation; returns how many were."""
    from conversations.models import Conversation, Participant

    conversation = Conversation.objects.filter(pk=conversation_id).first()
    actor = User.objects.filter(pk=actor_id).first()
    if conversation is None or actor is None:
        return 0
    # Whoever left since the write hears nothing of it.
    still_in = Participant.objects.filter(
        conversation=conversation, user_id__in=recipient_ids, left_at__isnull=True
    ).values_list("user_id", flat=True)
    url = (
        reverse("conversations:message_detail", args=[message_id])
        if message_id
        else conversation.get_absolute_url()
    )
    summary = SUMMARIES[what].format(title=conversation.title)
    sent = 0
    for recipient_id in sorted(still_in):
        if alerts.notify(
            recipient_id,
            alerts.Kind.CONVERSATION,
            actor=actor,
            url=url,
            summary=summary,
        ):
            sent += 1
    return sent
