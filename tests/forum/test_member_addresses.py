"""Addresses a member posted from, and who else posted from them: moderators only."""

import pytest
from django.urls import reverse

from forum import services
from tests.conftest import count_queries
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def post_from(thread, author, address):
    return services.post_reply(
        thread=thread, author=author, body="Hello.", ip_address=address
    )


def addresses_url(member) -> str:
    return reverse("forum:member_addresses", args=[member.pk])


def test_moderators_see_addresses_and_members_sharing_them(
    client, thread, member, other_member, moderator
):
    post_from(thread, member, "203.0.113.7")
    post_from(thread, member, "2001:db8::1")
    post_from(thread, other_member, "203.0.113.7")
    post_from(thread, make_member("carol"), "198.51.100.1")
    client.force_login(moderator)
    response = client.get(addresses_url(member))
    assert response.status_code == 200
    rows = {a["ip_address"]: a for a in response.context["addresses"]}
    assert set(rows) == {"203.0.113.7", "2001:db8::1"}
    assert [o["author__username"] for o in rows["203.0.113.7"]["others"]] == ["bob"]
    assert rows["2001:db8::1"]["others"] == []
    page = response.content.decode()
    assert "bob" in page and "carol" not in page and "198.51.100.1" not in page


def test_addresses_are_hidden_from_members_and_board_moderators(
    client, thread, member, other_member
):
    post_from(thread, member, "203.0.113.7")
    client.force_login(other_member)
    assert client.get(addresses_url(member)).status_code == 404
    profile = client.get(member.get_absolute_url()).content.decode()
    assert addresses_url(member) not in profile
    assert "203.0.113.7" not in profile
    client.logout()
    assert client.get(addresses_url(member)).status_code == 302


def test_the_profile_links_moderator_tools_for_moderators(client, member, moderator):
    client.force_login(moderator)
    profile = client.get(member.get_absolute_url()).content.decode()
    assert addresses_url(member) in profile
    assert reverse("forum:member_delete_spammer", args=[member.pk]) in profile
    assert reverse("forum:report_member", args=[member.pk]) in profile


def test_the_page_costs_the_same_for_many_addresses(client, thread, member, moderator):
    client.force_login(moderator)
    post_from(thread, member, "10.0.0.1")
    few = count_queries(client, addresses_url(member))
    for n in range(2, 12):
        post_from(thread, member, f"10.0.0.{n}")
        post_from(thread, make_member(), f"10.0.0.{n}")
    assert count_queries(client, addresses_url(member)) == few


def test_unknown_members_are_not_found(client, moderator):
    client.force_login(moderator)
    assert client.get("/members/999999/addresses/").status_code == 404
    assert client.get("/members/١٢/addresses/").status_code == 404


def test_admin_member_list_links_addresses(staff_client, member):
    page = staff_client.get("/admin/accounts/user/").content.decode()
    assert addresses_url(member) in page
