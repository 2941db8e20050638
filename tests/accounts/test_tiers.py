"""Titles and tiers: what an author card shows, and how the earned tier follows."""

import pytest

from accounts.models import Tier, User
from accounts.services import move_post_count, recompute_tiers
from forum import services
from tests.factories import make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


def tier(name: str) -> Tier:
    return Tier.objects.get(name=name)


def test_default_ladder_exists_in_order():
    names = list(Tier.objects.values_list("name", flat=True))
    assert names == [
        "New Member",
        "Member",
        "Senior Member",
        "Gold Member",
        "Platinum Member",
    ]


def test_title_is_earned_tier_when_nothing_is_set(member):
    assert member.title == "New Member"
    assert member.shown_tier == tier("New Member")


def test_pinned_tier_wins_over_earned_tier(member):
    member.pinned_tier = tier("Platinum Member")
    assert member.title == "Platinum Member"
    assert member.shown_tier.style == "platinum"


def test_custom_title_wins_over_pinned_tier(member):
    member.pinned_tier = tier("Platinum Member")
    member.custom_title = "Keeper of the Lore"
    assert member.title == "Keeper of the Lore"


def test_no_tier_at_all_gives_an_empty_title(member):
    member.tier = None
    assert member.title == ""


def test_earned_tier_rises_with_posts(member, thread):
    Tier.objects.filter(name="Member").update(min_posts=3)
    make_posts(thread, 2, authors=[member])
    member.refresh_from_db()
    assert (member.post_count, member.tier.name) == (3, "Member")


def test_earned_tier_falls_and_rises_with_delete_and_restore(member, thread, moderator):
    Tier.objects.filter(name="Member").update(min_posts=3)
    replies = make_posts(thread, 2, authors=[member])
    services.delete_post(post=replies[-1], actor=member)
    member.refresh_from_db()
    assert (member.post_count, member.tier.name) == (2, "New Member")
    services.restore_post(post=replies[-1], actor=moderator)
    member.refresh_from_db()
    assert (member.post_count, member.tier.name) == (3, "Member")


def test_earned_tier_falls_when_a_whole_thread_is_deleted(member, board, moderator):
    Tier.objects.filter(name="Member").update(min_posts=2)
    thread = make_thread(board=board, author=member)
    make_posts(thread, 1, authors=[member])
    member.refresh_from_db()
    assert member.tier.name == "Member"
    services.delete_thread(thread=thread, moderator=moderator)
    member.refresh_from_db()
    assert (member.post_count, member.tier.name) == (0, "New Member")


def test_move_post_count_moves_tier_both_ways(member):
    move_post_count(user_id=member.pk, delta=500)
    member.refresh_from_db()
    assert member.tier.name == "Gold Member"
    move_post_count(user_id=member.pk, delta=-450)
    member.refresh_from_db()
    assert member.tier.name == "Member"


def test_recompute_tiers_follows_a_changed_ladder(member, other_member):
    User.objects.filter(pk=member.pk).update(post_count=50)
    recompute_tiers()
    member.refresh_from_db()
    assert member.tier.name == "Member"
    Tier.objects.filter(name="Senior Member").update(min_posts=40)
    assert recompute_tiers() == User.objects.count()
    member.refresh_from_db()
    other_member.refresh_from_db()
    assert member.tier.name == "Senior Member"
    assert other_member.tier.name == "New Member"


def test_admin_changing_min_posts_recomputes_every_member(client, member):
    staff = make_member("boss", is_staff=True, is_superuser=True)
    User.objects.filter(pk=member.pk).update(post_count=50)
    recompute_tiers()
    senior = tier("Senior Member")
    client.force_login(staff)
    response = client.post(
        f"/admin/accounts/tier/{senior.pk}/change/",
        {"name": senior.name, "min_posts": 25, "style": senior.style, "order": 2},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.tier == senior


def test_admin_deleting_a_tier_recomputes_members(client, member):
    staff = make_member("boss", is_staff=True, is_superuser=True)
    User.objects.filter(pk=member.pk).update(post_count=50)
    recompute_tiers()
    client.force_login(staff)
    gone = tier("Member")
    response = client.post(f"/admin/accounts/tier/{gone.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.tier.name == "New Member"
