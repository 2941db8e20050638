"""Writes to member rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, F, OuterRef, Q, Subquery, When
from django.db.models.expressions import Combinable
from django.urls import reverse

import markup
from accounts import confirmation, tasks
from accounts.mentions import members_in_database
from accounts.models import Tier, User

# Last seen is shown to the minute at best; writing it more often than this would
# turn every page view into an UPDATE.
LAST_SEEN_INTERVAL = timedelta(minutes=5)
# A gap longer than this between two requests ends a visit: "what's new" counts from
# the end of the previous one.
VISIT_GAP = timedelta(minutes=30)


def earned_tier_subquery(post_count: Combinable) -> Subquery:
    """The highest tier a post count reaches, usable inside an UPDATE."""
    return Subquery(
        Tier.objects.filter(min_posts__lte=post_count)
        .order_by("-min_posts")
        .values("pk")[:1]
    )


def earned_tier(post_count: int) -> Tier | None:
    return Tier.objects.filter(min_posts__lte=post_count).order_by("-min_posts").first()


@transaction.atomic
def register_member(
    *,
    username: str,
    email: str,
    password: str,
    email_verified: bool = False,
    time_zone: str = "",
) -> User:
    """Create a member on the first rung of the ladder."""
    user = User(
        username=username,
        email=email,
        email_verified=email_verified,
        tier=earned_tier(0),
        time_zone=time_zone,
    )
    user.set_password(password)
    user.save()
    return user


def move_post_count(*, user_id: int, delta: int) -> None:
    """Move a member's post count by ``delta`` and re-derive the earned tier."""
    # Both SET expressions read the row as it was, so the tier is computed from the
    # new count without a second statement.
    User.objects.filter(pk=user_id).update(
        post_count=F("post_count") + delta,
        tier=earned_tier_subquery(OuterRef("post_count") + delta),
    )


def recompute_tiers() -> int:
    """Re-derive every member's earned tier in one UPDATE, after the ladder changed."""
    return User.objects.update(tier=earned_tier_subquery(OuterRef("post_count")))


def record_last_seen(*, user: User, now: datetime) -> bool:
    """Write a member's last visit, at most once per LAST_SEEN_INTERVAL."""
    if user.last_seen is not None and now - user.last_seen < LAST_SEEN_INTERVAL:
        return False
    # One guarded UPDATE: parallel requests of the same member write at most once.
    stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - LAST_SEEN_INTERVAL)
    # A new visit keeps where the previous one ended, in the same UPDATE.
    new_visit = Q(last_seen_at__lt=now - VISIT_GAP)
    User.objects.filter(stale, pk=user.pk).update(
        last_seen_at=now,
        previous_visit_at=Case(
            When(new_visit, then=F("last_seen_at")), default=F("previous_visit_at")
        ),
    )
    if user.last_seen_at is not None and user.last_seen_at < now - VISIT_GAP:
        user.previous_visit_at = user.last_seen_at
    user.last_seen_at = now
    return True


def previous_visit_end(user: User, now: datetime) -> datetime | None:
    """When the member's previous visit ended, as "what's new" counts from it.

    Read from the loaded row: ``last_seen_at`` is written at most every few minutes
    (and not at all just after a login), so a stored time older than a visit gap
    is itself the end of the previous visit.
    """
    if user.last_seen_at is not None and user.last_seen_at < now - VISIT_GAP:
        return user.last_seen_at
    return user.previous_visit_at


def _render(source: str) -> str:
    # Members' texts go through the same renderer as posts, @mentions included.
    if not source.strip():
        return ""
    return markup.render(source, known_members=members_in_database)


def _refuse_banned(member: User) -> None:
    if member.is_currently_banned:
        raise PermissionDenied("Banned members cannot change their profile.")


@transaction.atomic
def update_profile(
    *,
    member: User,
    about: str,
    signature: str,
    location: str,
    website: str,
    avatar: ContentFile | None = None,
    remove_avatar: bool = False,
    time_zone: str | None = None,
) -> User:
    """Save a member's own profile, texts rendered once; banned members may not."""
    _refuse_banned(member)
    member = User.objects.select_for_update().get(pk=member.pk)
    old_avatar = member.avatar.name or ""
    if avatar is not None:
        # The storage picks a free name, so a new avatar never reuses a cached URL.
        member.avatar.save(f"{member.pk}.png", avatar, save=False)
    elif remove_avatar:
        member.avatar = ""
    User.objects.filter(pk=member.pk).update(
        about=about,
        about_html=_render(about),
        signature=signature,
        signature_html=_render(signature),
        location=location,
        website=website,
        avatar=member.avatar.name or "",
        # None leaves it: callers that do not show the choice keep the zone.
        **({} if time_zone is None else {"time_zone": time_zone}),
    )
    if old_avatar and old_avatar != (member.avatar.name or ""):
        storage = member.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    member.refresh_from_db()
    return member


def send_email_confirmation(*, member: User, email: str, site_root: str) -> None:
    """Queue a mail to ``email`` with a signed link confirming it for ``member``."""
    token = confirmation.make_token(member, email)
    link = site_root + reverse("accounts:email_confirm", args=[token])
    tasks.send_confirmation_mail.enqueue(
        email=email, username=member.username, link=link
    )


@transaction.atomic
def change_email(*, member: User, email: str) -> User:
    """Make a confirmed address the member's (password resets go there); banned
    members may not."""
    _refuse_banned(member)
    User.objects.filter(pk=member.pk).update(email=email, email_verified=True)
    member.email = email
    member.email_verified = True
    return member


def refresh_profile_html(*, member: User) -> User:
    """Render a member's about and signature again, after staff edited the source."""
    member.about_html = _render(member.about)
    member.signature_html = _render(member.signature)
    User.objects.filter(pk=member.pk).update(
        about_html=member.about_html, signature_html=member.signature_html
    )
    return member
