"""Who may do what in conversations: plain functions of loaded rows, no queries.

Reading is not a permission here: a conversation is found only through the
reader's own ``Participant`` row (``services.membership``), so anyone else gets a
404 by construction.
"""

from __future__ import annotations

from django.conf import settings

from accounts.models import User
from conversations.models import Conversation, Message
from forum import permissions as forum_permissions


def can_write(user: User) -> bool:
    """Members who may post (not banned, email confirmed where asked) may write."""
    return forum_permissions.can_post(user)


def is_staff_member(user: User) -> bool:
    """Staff and moderators reach every member, whatever their privacy choice."""
    return forum_permissions.is_moderator(user)


def refusal_to_write(sender: User, recipient: User, *, follows_sender: bool) -> str:
    """Why ``sender`` may not start a conversation with ``recipient`` (or invite
    them), "" if they may: the recipient's privacy choice and ignore list decide,
    except for staff. ``follows_sender``: the recipient follows the sender."""
    name = recipient.username
    if recipient.pk == sender.pk:
        return "You are in the conversation already."
    if not recipient.is_active:
        return f"{name}'s account is closed."
    if is_staff_member(sender):
        return ""
    if sender.pk in recipient.ignored_member_ids:
        return f"{name} does not accept conversations from you."
    match recipient.conversation_privacy:
        case User.ConversationPrivacy.NOBODY:
            return f"{name} does not accept conversations."
        case User.ConversationPrivacy.FOLLOWED if not follows_sender:
            return f"{name} accepts conversations only from members they follow."
    return ""


def can_invite(user: User, conversation: Conversation) -> bool:
    """The starter invites (every participant, with FORUM_CONVERSATION_OPEN_INVITES),
    while the conversation has room."""
    return (
        can_write(user)
        and (
            conversation.starter_id == user.pk
            or settings.FORUM_CONVERSATION_OPEN_INVITES
        )
        and conversation.participant_count
        < settings.FORUM_CONVERSATION_MAX_PARTICIPANTS
    )


def can_edit_message(user: User, message: Message) -> bool:
    """Authors edit their own messages while they may write."""
    return can_write(user) and message.author_id == user.pk


def can_report_message(user: User, message: Message) -> bool:
    """Participants report others' messages (they reached it through their row)."""
    return user.is_authenticated and message.author_id != user.pk


def can_handle_reports(user: User) -> bool:
    """Reported messages go to the forum-wide moderators and staff."""
    return forum_permissions.is_moderator(user)
