"""@mentions answered from the member table: one query, any case, members only."""

import pytest

from accounts.mentions import members_in_database
from accounts.services import update_profile
from markup import render
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_mentions_are_looked_up_in_one_case_insensitive_query(
    django_assert_num_queries,
):
    make_member("Alice")
    make_member("bob")
    make_member("Carol")
    # The renderer asks for lower-cased names and gets each member's own spelling,
    # for the names it asked about only (not Carol).
    with django_assert_num_queries(1):
        found = members_in_database(["alice", "bob", "nobody"])
    assert found == {"alice": "Alice", "bob": "bob"}
    with django_assert_num_queries(1):
        html = render("@alice @BOB @nobody @alice", known_members=members_in_database)
    assert '<a href="/members/Alice/" class="bbmention"' in html
    assert '<a href="/members/bob/" class="bbmention"' in html
    assert "@nobody" in html and "/members/nobody/" not in html


def test_profile_texts_link_mentions_of_members(member, other_member):
    member = update_profile(
        member=member, about="ask @BOB", signature="@nobody", location="", website=""
    )
    assert '<a href="/members/bob/" class="bbmention"' in member.about_html
    assert member.signature_html == "<p>@nobody</p>"
