"""The member profile page: card facts, texts, and the member's posts and threads.

Posts growing on the page are counted in test_queries.py; here the threads grow.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from forum import services
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_thread

pytestmark = pytest.mark.django_db


def test_profile_shows_card_facts_texts_and_website(client, member):
    User.objects.filter(pk=member.pk).update(
        location="Lisbon",
        website="https://alice.example.org/",
        about_html="<p>About alice</p>",
        signature_html="<p>Sig of alice</p>",
        last_seen_at=timezone.now() - timedelta(hours=1),
    )
    html = client.get(member.get_absolute_url()).content.decode()
    assert "<h1" in html and "alice" in html
    assert "New Member" in html
    assert re.search(
        r'Joined</dt><dd><time datetime="[^"]+Z" title="[^"]+ UTC">'
        rf"{member.date_joined:%b} ",
        html,
    )
    assert "Last seen" in html and "hour ago" in html
    assert "Lisbon" in html
    assert '<a href="https://alice.example.org/" rel="nofollow ugc noopener">' in html
    assert "<p>About alice</p>" in html and "<p>Sig of alice</p>" in html


def test_profile_lists_posts_and_threads_paginated(client, member, board):
    threads = [
        make_thread(board=board, author=member, title=f"Topic {i:02}")
        for i in range(12)
    ]
    html = client.get(member.get_absolute_url()).content.decode()
    assert "Topic 11" in html and "Topic 02" in html and "Topic 01" not in html
    assert "posts_page=2" in html and "threads_page=2" in html
    page2 = client.get(member.get_absolute_url(), {"threads_page": 2}).content
    assert "Topic 01" in page2.decode() and "Topic 00" in page2.decode()
    services.delete_thread(thread=threads[11], moderator=make_member(is_moderator=True))
    again = client.get(member.get_absolute_url()).content.decode()
    assert "Topic 11" not in again


def test_profile_queries_do_not_grow_with_threads(client, member, board):
    client.force_login(member)
    make_thread(board=board, author=member)
    few = count_queries(client, member.get_absolute_url())
    for _ in range(11):
        make_thread(board=make_board(), author=member)
    assert count_queries(client, member.get_absolute_url()) == few


@pytest.mark.parametrize("key", ["a%00b", "x" * 151])
def test_odd_member_keys_are_not_found(client, key):
    assert client.get(f"/members/{key}/").status_code == 404


def test_profile_is_found_by_id_or_any_case_of_the_name(client, member):
    for key in (str(member.pk), member.username, member.username.upper()):
        html = client.get(f"/members/{key}/").content.decode()
        assert f"<bdi>{member.username}</bdi></h1>" in html, key
    # Past any id a member can have: not found, not an error.
    assert client.get(f"/members/{'9' * 30}/").status_code == 404
    assert client.get(f"/members/{member.username}x/").status_code == 404


def test_profile_snippet_follows_an_edit(client, member, board):
    thread = make_thread(board=board, author=member, body="The first wording.")
    assert (
        "The first wording." in client.get(member.get_absolute_url()).content.decode()
    )
    services.edit_post(post=thread.posts.get(), editor=member, body="A second wording.")
    html = client.get(member.get_absolute_url()).content.decode()
    assert "A second wording." in html and "The first wording." not in html
