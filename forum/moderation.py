"""Moderation of members: bans, titles and moderator rights, each with its audit row.

These write accounts' user rows but belong to the forum: the forum decides who
moderates whom, and every change lands in its ``ModerationAction`` log.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Tier, User
from forum import permissions, services
from forum.models import ModerationAction, Post, Thread


def _audit(actor: User, action: str, member: User, reason: str = "") -> None:
    ModerationAction.objects.create(
        actor=actor, action=action, target_user=member, reason=reason[:255]
    )


@transaction.atomic
def ban_member(
    *, member: User, moderator: User, reason: str, until: datetime | None = None
) -> User:
    """Stop a member from posting and editing until ``until`` (None: for good)."""
    if not permissions.can_ban(moderator, member):
        raise PermissionDenied("You may not ban this member.")
    if until is not None and until <= timezone.now():
        raise ValueError("A ban must end in the future.")
    User.objects.filter(pk=member.pk).update(
        is_banned=True, banned_until=until, ban_reason=reason
    )
    _audit(moderator, "ban", member, reason)
    member.refresh_from_db()
    return member


@transaction.atomic
def unban_member(*, member: User, moderator: User) -> User:
    """Lift a member's ban before it ends by itself."""
    if not permissions.can_ban(moderator, member):
        raise PermissionDenied("You may not unban this member.")
    User.objects.filter(pk=member.pk).update(
        is_banned=False, banned_until=None, ban_reason=""
    )
    _audit(moderator, "unban", member)
    member.refresh_from_db()
    return member


@transaction.atomic
def set_member_title(
    *, member: User, moderator: User, custom_title: str, pinned_tier: Tier | None
) -> User:
    """Give a member a custom title and/or a pinned tier; staff only."""
    if not (moderator.is_active and moderator.is_staff):
        raise PermissionDenied("Only staff set member titles.")
    User.objects.filter(pk=member.pk).update(
        custom_title=custom_title, pinned_tier=pinned_tier
    )
    shown = custom_title or (pinned_tier.name if pinned_tier else "earned tier")
    _audit(moderator, "set_title", member, f"Title: {shown}")
    member.refresh_from_db()
    return member


@transaction.atomic
def set_member_moderator(*, member: User, moderator: User, is_moderator: bool) -> User:
    """Grant or take away on-site moderation; staff only."""
    if not (moderator.is_active and moderator.is_staff):
        raise PermissionDenied("Only staff appoint moderators.")
    User.objects.filter(pk=member.pk).update(is_moderator=is_moderator)
    _audit(
        moderator, "appoint_moderator" if is_moderator else "dismiss_moderator", member
    )
    member.refresh_from_db()
    return member


@transaction.atomic
def delete_spammer(*, member: User, moderator: User, reason: str) -> User:
    """Ban a member for good and soft-delete every thread and post of theirs."""
    if not permissions.can_ban(moderator, member):
        raise PermissionDenied("You may not remove this member.")
    reason = reason.strip()[:255] or "Spam"
    # Every thread touched, locked up front in id order: the deletions below then
    # take board and member locks after all thread locks, the order every posting
    # service takes them in, so none of them deadlocks with a reply landing now.
    own_threads = Q(author=member, is_deleted=False)
    with_posts = Q(posts__author=member, posts__is_deleted=False)
    threads = list(
        Thread.objects.select_for_update()
        .filter(pk__in=Thread.objects.filter(own_threads | with_posts).values("pk"))
        .order_by("pk")
    )
    for thread in threads:
        if thread.author_id == member.pk and not thread.is_deleted:
            services.delete_thread(thread=thread, moderator=moderator, reason=reason)
    # Their replies everywhere, those inside their own (now deleted) threads too,
    # so restoring a thread never brings the spam back. First posts stay with
    # their thread, which is deleted already.
    replies = Post.objects.filter(
        author=member, is_deleted=False, position__gt=1, thread__in=threads
    ).order_by("pk")
    for post in replies:
        services.delete_post(post=post, actor=moderator, reason=reason)
    # Last, after the thread locks (see above). A reply whose checks passed before
    # this commits may still land; running this again removes it.
    member = ban_member(member=member, moderator=moderator, reason=reason)
    _audit(moderator, "delete_spammer", member, reason)
    return member
