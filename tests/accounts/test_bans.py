"""What a banned member sees and may still do on the accounts pages.

Who may ban, and the audit rows, belong to the forum (see
tests/forum/test_member_moderation.py); here a ban is just the fields on the row.
"""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services
from accounts.models import User
from tests.accounts.conftest import png_bytes

pytestmark = pytest.mark.django_db


def ban(member: User, reason: str, until: datetime | None = None) -> User:
    User.objects.filter(pk=member.pk).update(
        is_banned=True, ban_reason=reason, banned_until=until
    )
    member.refresh_from_db()
    return member


def test_banned_member_sees_why_and_until_when(client, member):
    until = timezone.now() + timedelta(days=2)
    ban(member, "Flooding", until)
    client.force_login(member)
    html = client.get("/").content.decode()
    assert "Your account is banned until" in html
    assert timezone.localtime(until).strftime("%b %-d, %Y") in html
    assert "Reason: Flooding" in html


def test_permanent_ban_notice_has_no_end_date(client, member):
    ban(member, "Gone")
    client.force_login(member)
    html = client.get("/").content.decode()
    assert "Your account is banned." in html


def test_others_do_not_see_a_ban_notice(client, member, other_member):
    ban(member, "Gone")
    client.force_login(other_member)
    assert "Your account is banned" not in client.get("/").content.decode()


def test_banned_member_cannot_edit_profile_or_email(client, member):
    ban(member, "Rude")
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


def test_profile_service_refuses_banned_members(member):
    member = ban(member, "Rude")
    with pytest.raises(PermissionDenied):
        services.update_profile(
            member=member, about="x", signature="", location="", website=""
        )
    with pytest.raises(PermissionDenied):
        services.change_email(member=member, email="new@example.com")
    member.refresh_from_db()
    assert (member.about, member.email) == ("", "alice@example.com")


def test_banned_member_avatar_upload_is_refused(client, member):
    ban(member, "Rude")
    client.force_login(member)
    client.post(
        "/accounts/profile/",
        {"avatar": SimpleUploadedFile("a.png", png_bytes(), "image/png")},
    )
    member.refresh_from_db()
    assert not member.avatar
