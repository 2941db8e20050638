"""Member-to-member relations: following and ignoring.

Following is a row per pair (``Follow``), read when a member who accepts
conversations only from people they follow is written to. Ignoring is a list of
ids on the ignorer's own row (``User.ignored_member_ids``), because every thread
and conversation page folds an ignored author's posts away for its reader: the
list comes with the user row the request loads anyway, so that costs no query.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from accounts.models import Follow, User

# Enough for anyone; it bounds the row and the page that lists them.
MAX_IGNORED = 1000


def _is_staff_member(user: User) -> bool:
    return user.is_staff or user.is_moderator


def can_ignore(user: User, member: User) -> bool:
    """Members may ignore other members, never themselves nor staff or moderators
    (whose messages must always reach them)."""
    return (
        user.is_authenticated
        and user.pk != member.pk
        and member.is_active
        and not _is_staff_member(member)
    )


@transaction.atomic
def follow_member(*, follower: User, member: User) -> Follow:
    """Follow a member; following one already followed changes nothing."""
    if follower.pk == member.pk:
        raise PermissionDenied("You cannot follow yourself.")
    if not member.is_active:
        raise PermissionDenied("This member's account is closed.")
    follow, _ = Follow.objects.get_or_create(follower=follower, followed=member)
    return follow


@transaction.atomic
def unfollow_member(*, follower: User, member: User) -> None:
    """Stop following a member (nothing happens if one did not)."""
    Follow.objects.filter(follower=follower, followed=member).delete()


def follows(follower_id: int, member_id: int) -> bool:
    return Follow.objects.filter(
        follower_id=follower_id, followed_id=member_id
    ).exists()


@transaction.atomic
def ignore_member(*, user: User, member: User) -> User:
    """Add a member to ``user``'s ignore list."""
    if not can_ignore(user, member):
        raise PermissionDenied("You cannot ignore this member.")
    # Locked: two ignores sent at once must both land in the list.
    locked = User.objects.select_for_update().get(pk=user.pk)
    ids = list(locked.ignored_member_ids)
    if member.pk not in ids:
        if len(ids) >= MAX_IGNORED:
            raise ValidationError(
                f"You ignore {MAX_IGNORED} members already; stop ignoring some first."
            )
        ids.append(member.pk)
        User.objects.filter(pk=user.pk).update(ignored_member_ids=ids)
    user.ignored_member_ids = ids
    return user


@transaction.atomic
def unignore_member(*, user: User, member_id: int) -> User:
    """Take a member off ``user``'s ignore list."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    ids = [pk for pk in locked.ignored_member_ids if pk != member_id]
    if len(ids) != len(locked.ignored_member_ids):
        User.objects.filter(pk=user.pk).update(ignored_member_ids=ids)
    user.ignored_member_ids = ids
    return user


def ignored_members(user: User) -> QuerySet[User]:
    """The members ``user`` ignores, for the page that manages the list."""
    return User.objects.filter(pk__in=user.ignored_member_ids).order_by("username")


def set_conversation_privacy(*, member: User, choice: str) -> User:
    """Choose who may start conversations with ``member`` (staff always may)."""
    if choice not in User.ConversationPrivacy.values:
        raise ValidationError("Choose one of the offered settings.")
    User.objects.filter(pk=member.pk).update(conversation_privacy=choice)
    member.conversation_privacy = choice
    return member
