"""Writes to conversations: one transaction each, every counter moved with its rows.

``User.conversations_unread`` (the header's count, read with the user row) counts a
member's ``Participant`` rows with ``is_unread``; every service here flips a flag
and moves the counter in the same transaction, and only when the flag really
changed, so the count stays exact.

Locks are taken in one order, so no two services deadlock: the conversation row,
then its participant rows, then member rows in ascending id. Starting a
conversation locks only member rows (its conversation does not exist yet).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

import markup
from accounts import ratelimit
from accounts.mentions import members_in_database
from accounts.models import Follow, User
from conversations import permissions, tasks
from conversations.models import (
    Conversation,
    Message,
    MessageReport,
    MessageRevision,
    Participant,
)
from forum import reports as forum_reports
from forum import services as forum_services
from forum.models import ModerationAction

# Messages are held back like posts, and a new conversation like a new thread:
# the same intervals, so a flood cannot move from threads to private messages.
MESSAGE_INTERVAL = forum_services.POST_INTERVAL
START_INTERVAL = forum_services.THREAD_INTERVAL


def _render(body: str) -> str:
    return markup.render(body, known_members=members_in_database)


def refuse_unless_writer(user: User) -> None:
    """Raise PermissionDenied, saying why, unless the member may write."""
    if permissions.can_write(user):
        return
    if user.is_currently_banned:
        raise PermissionDenied("Your account is banned from conversations.")
    if user.needs_email_verification:
        raise PermissionDenied(
            "Confirm your email address first: follow the link we mailed you."
        )
    raise PermissionDenied("You may not write messages.")


def _hold_back_flood(author: User, *intervals: ratelimit.Interval) -> None:
    # After the repeat check, so a form sent twice still lands on its message.
    if not permissions.is_staff_member(author):
        ratelimit.claim(*intervals, subject=author.pk)


def _existing_message(author: User, token: uuid.UUID | None) -> Message | None:
    if token is None:
        return None
    return (
        Message.objects.filter(author=author, submission_token=token)
        .select_related("conversation")
        .first()
    )


def _move_unread(user_ids: Iterable[int], delta: int) -> None:
    """Move the header count of members whose unread flag just flipped."""
    ids = sorted(set(user_ids))
    if ids:
        # One UPDATE locks the rows in the order PostgreSQL scans them; the ids come
        # sorted so that the primary-key scan takes them in ascending order.
        User.objects.filter(pk__in=ids).update(
            conversations_unread=F("conversations_unread") + delta
        )


def refusals(sender: User, recipients: list[User]) -> list[str]:
    """Why ``sender`` may not write to each of ``recipients`` (one query at most)."""
    strict = [
        r.pk
        for r in recipients
        if r.conversation_privacy == User.ConversationPrivacy.FOLLOWED
    ]
    following_sender: set[int] = set()
    if strict and not permissions.is_staff_member(sender):
        following_sender = set(
            Follow.objects.filter(follower_id__in=strict, followed=sender).values_list(
                "follower_id", flat=True
            )
        )
    found = (
        permissions.refusal_to_write(sender, r, follows_sender=r.pk in following_sender)
        for r in recipients
    )
    return [reason for reason in found if reason]


def _check_room(count: int) -> None:
    limit = settings.FORUM_CONVERSATION_MAX_PARTICIPANTS
    if count > limit:
        raise ValidationError(
            f"A conversation has at most {limit} members, you included."
        )


def _alert(
    conversation: Conversation, recipients: Iterable[int], actor: User, **what
) -> None:
    ids = sorted(set(recipients))
    if not ids:
        return
    # Alerts (and the mail some members asked for) are the worker's job.
    transaction.on_commit(
        lambda: tasks.alert_participants.enqueue(
            conversation_id=conversation.pk,
            recipient_ids=ids,
            actor_id=actor.pk,
            **what,
        )
    )


@transaction.atomic
def start_conversation(
    *,
    starter: User,
    recipients: list[User],
    title: str,
    body: str,
    ip_address: str | None = None,
    submission_token: uuid.UUID | None = None,
) -> Conversation:
    """Open a conversation between the starter and the members named, with a first
    message; each named member must accept conversations from the starter."""
    body_html = _render(body)
    recipients = list({r.pk: r for r in recipients if r.pk != starter.pk}.values())
    # Every member row involved, in ascending id: the starter's lock makes a form
    # sent twice at once a repeat, and the recipients' counters move below.
    locked = {
        u.pk: u
        for u in User.objects.select_for_update()
        .filter(pk__in=[starter.pk, *(r.pk for r in recipients)])
        .order_by("pk")
    }
    starter = locked[starter.pk]
    refuse_unless_writer(starter)
    if existing := _existing_message(starter, submission_token):
        return existing.conversation
    recipients = [locked[r.pk] for r in recipients if r.pk in locked]
    if not recipients:
        raise ValidationError("Name at least one member to talk to.")
    _check_room(len(recipients) + 1)
    if refused := refusals(starter, recipients):
        raise PermissionDenied(" ".join(refused))
    _hold_back_flood(starter, START_INTERVAL, MESSAGE_INTERVAL)
    conversation = Conversation.objects.create(
        title=title, starter=starter, participant_count=len(recipients) + 1
    )
    message = Message.objects.create(
        conversation=conversation,
        author=starter,
        position=1,
        body=body,
        body_html=body_html,
        ip_address=ip_address,
        submission_token=submission_token,
    )
    now = message.created_at
    Participant.objects.bulk_create(
        [Participant(conversation=conversation, user=starter, joined_at=now)]
        + [
            Participant(
                conversation=conversation,
                user=r,
                invited_by=starter,
                joined_at=now,
                is_unread=True,
            )
            for r in recipients
        ]
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_position=1, last_message=message, last_message_at=now
    )
    _move_unread((r.pk for r in recipients), +1)
    _alert(
        conversation,
        (r.pk for r in recipients),
        starter,
        message_id=message.pk,
        what="started",
    )
    conversation.refresh_from_db()
    return conversation


def _locked(
    conversation: Conversation, member: User
) -> tuple[Conversation, Participant]:
    """The conversation's row and ``member``'s own, locked; refused if they left."""
    conversation = Conversation.objects.select_for_update().filter(pk=conversation.pk)
    conversation = conversation.first()
    participant = (
        Participant.objects.select_for_update()
        .filter(conversation=conversation, user=member, left_at__isnull=True)
        .first()
        if conversation is not None
        else None
    )
    if participant is None:
        raise PermissionDenied("You are no longer in this conversation.")
    return conversation, participant


@transaction.atomic
def post_message(
    *,
    conversation: Conversation,
    author: User,
    body: str,
    ip_address: str | None = None,
    submission_token: uuid.UUID | None = None,
) -> Message:
    """Add a message; everyone else still in the conversation has it unread."""
    body_html = _render(body)
    # The conversation's lock numbers messages one after another.
    conversation, participant = _locked(conversation, author)
    refuse_unless_writer(author)
    if existing := _existing_message(author, submission_token):
        return existing
    _hold_back_flood(author, MESSAGE_INTERVAL)
    message = Message.objects.create(
        conversation=conversation,
        author=author,
        position=conversation.last_position + 1,
        body=body,
        body_html=body_html,
        ip_address=ip_address,
        submission_token=submission_token,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_position=message.position,
        last_message=message,
        last_message_at=message.created_at,
    )
    others = list(
        Participant.objects.select_for_update()
        .filter(conversation=conversation, left_at__isnull=True)
        .exclude(pk=participant.pk)
        .order_by("pk")
        .values_list("pk", "user_id", "is_unread")
    )
    newly_unread = [(pk, user_id) for pk, user_id, unread in others if not unread]
    Participant.objects.filter(pk__in=[pk for pk, _ in newly_unread]).update(
        is_unread=True
    )
    # Whoever writes has read what they answer.
    Participant.objects.filter(pk=participant.pk).update(
        is_unread=False, last_read_at=message.created_at
    )
    changes = {user_id: +1 for _, user_id in newly_unread}
    if participant.is_unread:
        changes[author.pk] = -1
    for delta in (+1, -1):
        _move_unread((u for u, d in changes.items() if d == delta), delta)
    _alert(
        conversation,
        (user_id for _, user_id, _ in others),
        author,
        message_id=message.pk,
        what="replied",
    )
    return message


@transaction.atomic
def edit_message(*, message: Message, editor: User, body: str) -> Message:
    """Replace a message's text, keeping the old source as a revision; its author
    edits it while still in the conversation."""
    body_html = _render(body)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if not permissions.can_edit_message(editor, message):
        raise PermissionDenied("You may not edit this message.")
    if not Participant.objects.filter(
        conversation_id=message.conversation_id, user=editor, left_at__isnull=True
    ).exists():
        raise PermissionDenied("You are no longer in this conversation.")
    if body == message.body:
        return message
    MessageRevision.objects.create(message=message, body=message.body)
    message.body = body
    message.body_html = body_html
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "body_html", "edited_at"])
    return message


@transaction.atomic
def invite_members(
    *, conversation: Conversation, inviter: User, members: list[User]
) -> list[User]:
    """Bring members into the conversation (back, for those who left); the whole
    history is theirs to read. Returns the members newly in."""
    conversation, _ = _locked(conversation, inviter)
    if not permissions.can_write(inviter) or not (
        conversation.starter_id == inviter.pk
        or settings.FORUM_CONVERSATION_OPEN_INVITES
    ):
        raise PermissionDenied("Only the conversation's starter may invite members.")
    rows = {
        p.user_id: p
        for p in Participant.objects.select_for_update().filter(
            conversation=conversation, user__in=[m.pk for m in members]
        )
    }
    newcomers = list(
        {
            m.pk: m
            for m in members
            if m.pk not in rows or rows[m.pk].left_at is not None
        }.values()
    )
    if not newcomers:
        raise ValidationError("Everyone you named is in the conversation already.")
    _check_room(conversation.participant_count + len(newcomers))
    if refused := refusals(inviter, newcomers):
        raise PermissionDenied(" ".join(refused))
    now = timezone.now()
    returning = [rows[m.pk].pk for m in newcomers if m.pk in rows]
    Participant.objects.filter(pk__in=returning).update(
        left_at=None, joined_at=now, invited_by=inviter, is_unread=True
    )
    Participant.objects.bulk_create(
        Participant(
            conversation=conversation,
            user=m,
            invited_by=inviter,
            joined_at=now,
            is_unread=True,
        )
        for m in newcomers
        if m.pk not in rows
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        participant_count=F("participant_count") + len(newcomers)
    )
    _move_unread((m.pk for m in newcomers), +1)
    _alert(conversation, (m.pk for m in newcomers), inviter, what="invited")
    return newcomers


@transaction.atomic
def leave_conversation(*, conversation: Conversation, member: User) -> bool:
    """Take the member out: no new message brings them back, only an invitation.
    The last one out deletes the conversation; returns whether it was deleted."""
    conversation, participant = _locked(conversation, member)
    Participant.objects.filter(pk=participant.pk).update(
        left_at=timezone.now(), is_unread=False
    )
    if participant.is_unread:
        _move_unread([member.pk], -1)
    if conversation.participant_count <= 1:
        # Nobody is left to read it. Reports keep their own copy of what was
        # reported, so deleting loses no evidence.
        conversation.delete()
        return True
    Conversation.objects.filter(pk=conversation.pk).update(
        participant_count=F("participant_count") - 1
    )
    return False


def mark_read(*, participant: Participant, seen_position: int) -> bool:
    """Note that the member read the conversation up to ``seen_position``; only a
    page showing its last message clears the unread mark. No write when clear."""
    if not participant.is_unread:
        return False
    # One statement clears the flag and moves the header count together, so the
    # page spends one query on it and needs no transaction block. Conditional: a
    # message posted since the page was read keeps it unread, and of two tabs
    # marking at once only the first moves the count.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH cleared AS (
                UPDATE conversations_participant AS p
                SET is_unread = false, last_read_at = now()
                FROM conversations_conversation AS c
                WHERE p.id = %s AND p.is_unread AND p.left_at IS NULL
                  AND c.id = p.conversation_id AND c.last_position <= %s
                RETURNING p.user_id
            )
            UPDATE accounts_user AS u
            SET conversations_unread = u.conversations_unread - 1
            FROM cleared WHERE u.id = cleared.user_id
            RETURNING u.id
            """,
            [participant.pk, seen_position],
        )
        cleared = cursor.fetchone() is not None
    participant.is_unread = not cleared
    return cleared


# Reports and the moderators' look.


@transaction.atomic
def report_message(*, message: Message, reporter: User, reason: str) -> MessageReport:
    """File a report of a message for the forum-wide moderators, with a copy of
    the message as it reads now."""
    if not permissions.can_report_message(reporter, message):
        raise PermissionDenied("You may not report this message.")
    reason = forum_reports.clean_text(
        reason, what="reason", max_length=forum_reports.REASON_MAX_LENGTH
    )
    if MessageReport.objects.filter(
        reporter=reporter, message=message, status=MessageReport.Status.OPEN
    ).exists():
        raise ValidationError(
            "You reported this message already; moderators will look."
        )
    forum_reports.REPORTS.spend(reporter.pk)
    try:
        with transaction.atomic():
            report = MessageReport.objects.create(
                message=message,
                conversation_id_at_report=message.conversation_id,
                reporter=reporter,
                author_id=message.author_id,
                body=message.body,
                body_html=message.body_html,
                reason=reason,
            )
    except IntegrityError:
        raise ValidationError(
            "You reported this message already; moderators will look."
        ) from None
    _audit(reporter, "report_message", report, reason)
    return report


def _audit(actor: User, action: str, report: MessageReport, reason: str = "") -> None:
    # The audit row names the message's author; the text stays on the report.
    ModerationAction.objects.create(
        actor=actor,
        action=action,
        target_user_id=report.author_id,
        reason=f"Message report #{report.pk}: {reason}"[:255],
    )


@transaction.atomic
def close_report(
    *, report: MessageReport, moderator: User, status: str, comment: str = ""
) -> MessageReport:
    """Resolve or reject an open message report; forum-wide moderators only."""
    if not permissions.can_handle_reports(moderator):
        raise PermissionDenied("Only moderators handle reported messages.")
    if status not in (MessageReport.Status.RESOLVED, MessageReport.Status.REJECTED):
        raise ValidationError("Resolve or reject the report.")
    report = MessageReport.objects.select_for_update().get(pk=report.pk)
    if report.status != MessageReport.Status.OPEN:
        raise ValidationError("This report was handled already.")
    comment = (comment or "").strip()[: forum_reports.COMMENT_MAX_LENGTH]
    report.status = status
    report.handled_by = moderator
    report.handled_at = timezone.now()
    report.comment = comment
    report.save(update_fields=["status", "handled_by", "handled_at", "comment"])
    action = (
        "resolve_message_report"
        if status == MessageReport.Status.RESOLVED
        else "reject_message_report"
    )
    _audit(moderator, action, report, comment)
    return report


@transaction.atomic
def view_as_moderator(
    *, conversation: Conversation, moderator: User, reason: str, page: int = 1
) -> Conversation:
    """Let a forum-wide moderator read a whole conversation once, recording who
    looked, when and why; every look is its own audit row."""
    if not permissions.can_handle_reports(moderator):
        raise PermissionDenied("Only moderators may look into conversations.")
    reason = forum_reports.clean_text(reason, what="reason", max_length=200)
    ModerationAction.objects.create(
        actor=moderator,
        action="view_conversation",
        target_user_id=conversation.starter_id,
        reason=f"Conversation #{conversation.pk}, page {page}: {reason}"[:255],
    )
    return conversation
