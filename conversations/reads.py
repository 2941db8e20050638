"""Reads for the conversation pages, each a constant number of queries.

Every read starts from the reader's own ``Participant`` row: a conversation the
reader is not in (never was, or left) is simply not found.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from conversations.models import Message, Participant


def membership(user: User, conversation_id: int) -> Participant | None:
    """The reader's place in the conversation, with the conversation (one query)."""
    if not user.is_authenticated:
        return None
    return (
        Participant.objects.select_related("conversation")
        .filter(conversation_id=conversation_id, user=user, left_at__isnull=True)
        .first()
    )


def message_of(user: User, message_id: int) -> tuple[Message, Participant] | None:
    """A message with the reader's place in its conversation, or None."""
    message = (
        Message.objects.select_related("author", "conversation")
        .filter(
            pk=message_id,
            conversation__participants__user=user,
            conversation__participants__left_at__isnull=True,
        )
        .first()
    )
    if message is None:
        return None
    participant = Participant.objects.get(
        conversation_id=message.conversation_id, user=user
    )
    participant.conversation = message.conversation
    return message, participant


def inbox(user: User) -> QuerySet[Participant]:
    """The conversations the member is in, latest activity first, each with its
    last message's author and the members in it (two queries a page)."""
    members_in = Prefetch(
        "conversation__participants",
        queryset=Participant.objects.filter(left_at__isnull=True)
        .select_related("user")
        .only("conversation_id", "user__username", "user_id")
        .order_by("joined_at", "pk"),
        to_attr="members_in",
    )
    return (
        Participant.objects.filter(user=user, left_at__isnull=True)
        .select_related("conversation__last_message__author")
        .defer(
            "conversation__last_message__body", "conversation__last_message__body_html"
        )
        .prefetch_related(members_in)
        .order_by("-conversation__last_message_at", "-conversation_id")
    )


def message_page(conversation_id: int, page: int) -> QuerySet[Message]:
    """One page of messages by position (a seek: the last page costs what the first
    does), with their authors' cards."""
    per_page = settings.FORUM_CONVERSATION_MESSAGES_PER_PAGE
    first = (page - 1) * per_page + 1
    return (
        Message.objects.filter(
            conversation_id=conversation_id,
            position__gte=first,
            position__lt=first + per_page,
        )
        .select_related("author__tier", "author__pinned_tier")
        .order_by("position")
    )


def members_in(conversation_id: int) -> QuerySet[Participant]:
    return (
        Participant.objects.filter(
            conversation_id=conversation_id, left_at__isnull=True
        )
        .select_related("user")
        .order_by("joined_at", "pk")
    )


def quoted_messages(conversation_id: int, ids: list[int]) -> list[Message]:
    """The messages of this conversation among ``ids``, in the order asked."""
    if not ids:
        return []
    found = Message.objects.filter(
        conversation_id=conversation_id, pk__in=ids
    ).select_related("author")
    by_id = {m.pk: m for m in found}
    return [by_id[pk] for pk in ids if pk in by_id]
