"""The accounts user admin: staff edits of profile texts, and filters by ban state."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def change_form_data(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "custom_title": user.custom_title,
        "pinned_tier": user.pinned_tier_id or "",
        "location": "",
        "website": "",
        "about": "",
        "signature": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_staff_edit_of_a_signature_reaches_the_posts(staff_client, member, thread):
    member.signature = "BAD WORDS"
    member.save()
    response = staff_client.post(
        f"/admin/accounts/user/{member.pk}/change/",
        change_form_data(member, signature="Tidy signature"),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.signature_html == "<p>Tidy signature</p>"
    html = staff_client.get(thread.get_absolute_url()).content.decode()
    assert "Tidy signature" in html and "BAD WORDS" not in html


def test_member_filters_by_ban_state(staff_client, member, other_member):
    User.objects.filter(pk=member.pk).update(is_banned=True, ban_reason="x")
    html = staff_client.get("/admin/accounts/user/?ban=current").content.decode()
    assert ">alice<" in html and ">bob<" not in html
