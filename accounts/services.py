"""Writes to member rows."""

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.expressions import Combinable

from accounts.models import Tier, User


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
def register_member(*, username: str, email: str, password: str) -> User:
    """Create a member on the first rung of the ladder."""
    user = User(username=username, email=email, tier=earned_tier(0))
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
