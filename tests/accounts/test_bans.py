"""Bans: who may ban, what a banned member can still do, and the end of a ban."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import User
from forum import permissions
from forum import services as forum_services
from forum.models import ModerationAction
from tests.accounts.conftest import png_bytes
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_ban_records_reason_expiry_and_audit_row(member, moderator):
    until = timezone.now() + timedelta(days=3)
    banned = services.ban_member(
        member=member, moderator=moderator, reason="Spamming links", until=until
    )
    assert banned.is_currently_banned
    assert (banned.ban_reason, banned.banned_until) == ("Spamming links", until)
    audit = ModerationAction.objects.get(action="ban")
    assert (audit.actor, audit.target_user, audit.reason) == (
        moderator,
        member,
        "Spamming links",
    )


def test_banned_member_can_read_but_not_post(client, member, thread, moderator):
    services.ban_member(member=member, moderator=moderator, reason="Rude")
    member.refresh_from_db()
    assert not permissions.can_post(member)
    with pytest.raises(PermissionDenied):
        forum_services.post_reply(thread=thread, author=member, body="Let me")
    client.force_login(member)
    assert client.get(thread.get_absolute_url()).status_code == 200
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "Hi"})
    assert response.status_code == 403
    assert thread.posts.count() == 1


def test_banned_member_sees_why_and_until_when(client, member, moderator):
    until = timezone.now() + timedelta(days=2)
    services.ban_member(
        member=member, moderator=moderator, reason="Flooding", until=until
    )
    client.force_login(member)
    html = client.get("/").content.decode()
    assert "Your account is banned until" in html
    assert timezone.localtime(until).strftime("%b %-d, %Y") in html
    assert "Reason: Flooding" in html


def test_permanent_ban_notice_has_no_end_date(client, member, moderator):
    services.ban_member(member=member, moderator=moderator, reason="Gone")
    client.force_login(member)
    html = client.get("/").content.decode()
    assert "Your account is banned." in html


def test_others_do_not_see_a_ban_notice(client, member, other_member, moderator):
    services.ban_member(member=member, moderator=moderator, reason="Gone")
    client.force_login(other_member)
    assert "Your account is banned" not in client.get("/").content.decode()


def test_banned_member_cannot_edit_profile_or_email(client, member, moderator):
    services.ban_member(member=member, moderator=moderator, reason="Rude")
    client.force_login(member)
    assert client.get("/accounts/profile/").status_code == 403
    response = client.post(
        "/accounts/profile/",
        {"about": "sneaky", "location": "", "website": "", "signature": "x"},
    )
    assert response.status_code == 403
    assert "Your account is banned" in response.content.decode()
    email = client.post(
        "/accounts/email/", {"email": "n@example.com", "password": "correct horse 42"}
    )
    assert email.status_code == 403
    member.refresh_from_db()
    assert (member.about, member.signature, member.email) == (
        "",
        "",
        "alice@example.com",
    )


def test_profile_service_refuses_banned_members(member, moderator):
    services.ban_member(member=member, moderator=moderator, reason="Rude")
    member.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.update_profile(
            member=member, about="x", signature="", location="", website=""
        )


def test_ban_ends_by_itself_at_expiry(client, member, moderator, thread):
    services.ban_member(
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
    assert forum_services.post_reply(thread=thread, author=member, body="Back").pk
    client.force_login(member)
    assert "Your account is banned" not in client.get("/").content.decode()
    assert client.get("/accounts/profile/").status_code == 200


def test_unban_lifts_the_ban(member, moderator):
    services.ban_member(member=member, moderator=moderator, reason="Oops")
    member = services.unban_member(member=member, moderator=moderator)
    assert not member.is_currently_banned
    assert (member.ban_reason, member.banned_until) == ("", None)
    assert ModerationAction.objects.filter(action="unban", target_user=member)


def test_ban_in_the_past_is_refused(member, moderator):
    with pytest.raises(ValueError):
        services.ban_member(
            member=member,
            moderator=moderator,
            reason="x",
            until=timezone.now() - timedelta(minutes=1),
        )


@pytest.mark.parametrize(
    ("actor_fields", "target_fields"),
    [
        ({}, {}),  # a plain member
        ({"is_moderator": True}, {"is_staff": True}),  # a moderator banning staff
        ({"is_staff": True}, {"is_superuser": True}),
    ],
)
def test_ban_refusals(actor_fields, target_fields):
    actor = make_member(**actor_fields)
    target = make_member(**target_fields)
    with pytest.raises(PermissionDenied):
        services.ban_member(member=target, moderator=actor, reason="x")
    target.refresh_from_db()
    assert not target.is_banned


def test_nobody_bans_themselves(moderator):
    with pytest.raises(PermissionDenied):
        services.ban_member(member=moderator, moderator=moderator, reason="x")


def test_banned_member_avatar_upload_is_refused(client, member, moderator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.ban_member(member=member, moderator=moderator, reason="Rude")
    client.force_login(member)
    client.post(
        "/accounts/profile/",
        {"avatar": SimpleUploadedFile("a.png", png_bytes(), "image/png")},
    )
    member.refresh_from_db()
    assert not member.avatar
