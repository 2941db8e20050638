"""Member moderation: bans, titles and moderator rights, who may, and the audit rows."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Tier, User
from forum import moderation, permissions
from forum.models import ModerationAction
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_ban_records_reason_expiry_and_audit_row(member, moderator):
    until = timezone.now() + timedelta(days=3)
    moderation.ban_member(
        member=member, moderator=moderator, reason="Spamming links", until=until
    )
    # What a ban stops: test_views.py::test_banned_member_can_read_but_not_post
    # and test_services.py::test_banned_member_cannot_post.
    banned = User.objects.get(pk=member.pk)
    assert banned.is_currently_banned
    assert (banned.ban_reason, banned.banned_until) == ("Spamming links", until)
    audit = ModerationAction.objects.get(action="ban")
    assert (audit.actor, audit.target_user, audit.reason) == (
        moderator,
        member,
        "Spamming links",
    )


def test_ban_ends_by_itself_at_expiry(client, member, moderator, thread):
    moderation.ban_member(
        member=member,
        moderator=moderator,
        reason="Cool off",
        until=timezone.now() + timedelta(hours=1),
    )
    member.refresh_from_db()
    assert member.is_currently_banned
    # An hour passes: the stored end is now in the past, nobody lifts the ban.
    User.objects.filter(pk=member.pk).update(
        banned_until=timezone.now() - timedelta(seconds=1)
    )
    member.refresh_from_db()
    assert member.is_banned and not member.is_currently_banned
    client.force_login(member)
    assert "Your account is banned" not in client.get("/").content.decode()
    assert client.get("/accounts/profile/").status_code == 200
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "Back"})
    assert response.status_code == 302
    thread.refresh_from_db()
    member.refresh_from_db()
    assert (thread.reply_count, member.post_count) == (1, 2)
    html = client.get(response["Location"]).content.decode()
    assert "<p>Back</p>" in html


def test_unban_lifts_the_ban(member, moderator):
    moderation.ban_member(member=member, moderator=moderator, reason="Oops")
    member = moderation.unban_member(member=member, moderator=moderator)
    assert not member.is_currently_banned
    assert (member.ban_reason, member.banned_until) == ("", None)
    assert ModerationAction.objects.filter(action="unban", target_user=member)


def test_members_may_not_unban(member, other_member, moderator):
    moderation.ban_member(member=member, moderator=moderator, reason="Oops")
    with pytest.raises(PermissionDenied):
        moderation.unban_member(member=member, moderator=other_member)
    member.refresh_from_db()
    assert member.is_currently_banned


def test_ban_in_the_past_is_refused(member, moderator):
    with pytest.raises(ValueError):
        moderation.ban_member(
            member=member,
            moderator=moderator,
            reason="x",
            until=timezone.now() - timedelta(minutes=1),
        )
    member.refresh_from_db()
    assert not member.is_banned
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize(
    ("actor_fields", "target_fields"),
    [
        ({}, {}),  # a plain member
        ({"is_moderator": True}, {"is_staff": True}),  # a moderator banning staff
        ({"is_staff": True}, {"is_superuser": True}),
        ({"is_moderator": True, "is_banned": True}, {}),  # a banned moderator
    ],
)
def test_ban_refusals(actor_fields, target_fields):
    actor = make_member(**actor_fields)
    target = make_member(**target_fields)
    assert not permissions.can_ban(actor, target)
    with pytest.raises(PermissionDenied):
        moderation.ban_member(member=target, moderator=actor, reason="x")
    target.refresh_from_db()
    assert not target.is_banned


def test_nobody_bans_themselves(moderator):
    with pytest.raises(PermissionDenied):
        moderation.ban_member(member=moderator, moderator=moderator, reason="x")


def test_only_superusers_ban_staff():
    staff = make_member(is_staff=True)
    assert not permissions.can_ban(make_member(is_staff=True), staff)
    assert permissions.can_ban(make_member(is_staff=True, is_superuser=True), staff)


def test_staff_set_a_title_and_pin_a_tier_with_an_audit_row(member):
    staff = make_member(is_staff=True)
    gold = Tier.objects.get(name="Gold Member")
    member = moderation.set_member_title(
        member=member, moderator=staff, custom_title="", pinned_tier=gold
    )
    assert member.title == "Gold Member"
    member = moderation.set_member_title(
        member=member, moderator=staff, custom_title="Sage", pinned_tier=gold
    )
    assert member.title == "Sage"
    reasons = ModerationAction.objects.filter(
        action="set_title", actor=staff, target_user=member
    ).values_list("reason", flat=True)
    assert sorted(reasons) == ["Title: Gold Member", "Title: Sage"]


def test_moderators_who_are_not_staff_may_not_set_titles(member, moderator):
    with pytest.raises(PermissionDenied):
        moderation.set_member_title(
            member=member, moderator=moderator, custom_title="Boss", pinned_tier=None
        )
    member.refresh_from_db()
    assert member.custom_title == ""


def test_staff_appoint_and_dismiss_moderators(member):
    staff = make_member(is_staff=True)
    member = moderation.set_member_moderator(
        member=member, moderator=staff, is_moderator=True
    )
    assert member.is_moderator and permissions.is_moderator(member)
    member = moderation.set_member_moderator(
        member=member, moderator=staff, is_moderator=False
    )
    assert not member.is_moderator
    actions = ModerationAction.objects.filter(target_user=member).values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["appoint_moderator", "dismiss_moderator"]


def test_moderators_may_not_appoint_moderators(member, moderator):
    with pytest.raises(PermissionDenied):
        moderation.set_member_moderator(
            member=member, moderator=moderator, is_moderator=True
        )
    member.refresh_from_db()
    assert not member.is_moderator
