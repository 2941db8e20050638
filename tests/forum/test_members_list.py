"""The member list at /members/: orders, the name filter, keyset pages, bad input."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from forum import directory
from tests.conftest import count_queries
from tests.factories import make_member

pytestmark = pytest.mark.django_db

URL = "/members/"


def names(response) -> list[str]:
    html = response.content.decode()
    rows = re.findall(r'<tr class="member-row">.*?<bdi>([^<]*)</bdi>', html, re.S)
    return rows


def test_the_list_is_at_members_and_not_taken_for_a_profile(client, member):
    assert reverse("forum:member_list") == URL
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["alice"]


def test_members_sort_by_name_posts_reactions_and_join_date(client):
    make_member("Carol", post_count=5, reaction_score=1)
    make_member("alan", post_count=9, reaction_score=-2)
    make_member("Bea", post_count=5, reaction_score=7)
    assert names(client.get(URL)) == ["alan", "Bea", "Carol"]
    # Ties (Carol and Bea with 5 posts) keep join order.
    assert names(client.get(URL, {"sort": "posts"})) == ["alan", "Carol", "Bea"]
    assert names(client.get(URL, {"sort": "reactions"})) == ["Bea", "Carol", "alan"]
    assert names(client.get(URL, {"sort": "joined"})) == ["Bea", "alan", "Carol"]


def test_the_name_filter_is_a_prefix_in_any_case(client):
    for name in ("Anna", "annette", "Bob", "xanna"):
        make_member(name)
    assert names(client.get(URL, {"name": "ANN"})) == ["Anna", "annette"]
    assert names(client.get(URL, {"name": "  ann "})) == ["Anna", "annette"]


@pytest.mark.parametrize("prefix", ["%", "_", "a_", "\\", "a%", "%%", "a\\"])
def test_wildcards_in_the_filter_match_only_themselves(client, prefix):
    make_member("a_b")
    make_member("axb")
    response = client.get(URL, {"name": prefix})
    assert response.status_code == 200
    expected = ["a_b"] if prefix == "a_" else []
    assert names(response) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"name": "a\x00b"},
        {"name": "a" * 151},
        {"name": "x" * 100_000},
        {"sort": "password"},
        {"sort": "\x00"},
        {"after": "1~"},
        {"after": "abc"},
        {"after": "1" * 19},
        {"after": "x~5", "sort": "posts"},
        {"after": "7~5", "sort": "joined"},
        {"after": "~5"},
        {"before": "9" * 300},
        {"after": "a\x00~1"},
    ],
)
def test_hostile_query_strings_are_a_400_with_the_form(client, member, params):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert b'<form method="get"' in response.content
    assert names(response) == []


def test_keyset_pages_walk_forward_and_back_without_gaps(client):
    for n in range(7):
        make_member(f"m{n}", post_count=n % 3)
    everyone = [
        u.username for u in User.objects.order_by("-post_count", "pk").only("username")
    ]
    seen, after, cursors = [], "", []
    while True:
        page = directory.member_page("", "posts", after=after, per_page=3)
        seen += [m.username for m in page.members]
        cursors.append(page)
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == everyone
    # Back from the last page lands on the page before it.
    last = cursors[-1]
    back = directory.member_page("", "posts", before=last.previous_cursor, per_page=3)
    assert [m.username for m in back.members] == everyone[3:6]
    first = directory.member_page("", "posts", before=back.previous_cursor, per_page=3)
    assert [m.username for m in first.members] == everyone[:3]
    assert first.previous_cursor is None


@pytest.mark.parametrize("sort", list(directory.SORTS))
def test_every_order_pages_through_everyone_once(sort):
    for n in range(8):
        make_member(f"u{n}", post_count=n % 2, reaction_score=-(n % 3))
    seen, after = [], ""
    while True:
        page = directory.member_page("", sort, after=after, per_page=3)
        seen += [m.pk for m in page.members]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert sorted(seen) == sorted(User.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))


def test_page_links_carry_the_filter_and_the_cursor(client):
    for n in range(directory.MEMBERS_PER_PAGE + 2):
        make_member(f"z{n:02d}")
    response = client.get(URL, {"name": "z", "sort": "name"})
    html = response.content.decode()
    assert len(names(response)) == directory.MEMBERS_PER_PAGE
    link = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "name=z" in link and "after=" in link
    second = client.get(URL + link)
    assert names(second) == ["z30", "z31"]
    assert 'rel="prev"' in second.content.decode()
    assert 'rel="next"' not in second.content.decode()


def test_inactive_members_are_left_out_and_banned_ones_marked(client):
    make_member("gone", is_active=False)
    make_member("banned", is_banned=True)
    make_member("served", is_banned=True, banned_until=timezone.now())
    response = client.get(URL)
    assert names(response) == ["banned", "served"]
    html = response.content.decode()
    assert html.count('text-bg-danger">Banned') == 1


@pytest.mark.parametrize("sort", list(directory.SORTS))
def test_the_list_costs_the_same_with_5_or_50_members(client, sort):
    for n in range(5):
        make_member(f"a{n}")
    few = count_queries(client, f"{URL}?sort={sort}")
    for n in range(45):
        make_member(f"b{n}")
    assert count_queries(client, f"{URL}?sort={sort}") == few == 1


def test_a_members_list_costs_the_same_with_5_or_50_members(client, member):
    for n in range(4):
        make_member(f"c{n}")
    client.force_login(member)
    few = count_queries(client, URL)
    for n in range(45):
        make_member(f"d{n}")
    # Their session and row (and whatever the header reads), then the one page.
    assert count_queries(client, URL) == few <= 8


@pytest.mark.parametrize("logged_in", [False, True])
def test_every_page_links_to_the_list_from_the_header(client, member, logged_in):
    if logged_in:
        client.force_login(member)
    nav = client.get(reverse("forum:whats_new")).content.decode()
    nav = nav[nav.index("<nav") : nav.index("</nav>")]
    assert f'href="{reverse("forum:member_list")}">Members</a>' in nav
