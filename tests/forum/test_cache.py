"""Cached fragments are never stale: every write shows on the next page view."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Tier, User
from forum import cache as fragment_cache
from forum import services
from forum.models import Post
from tests.factories import make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def posts_block(html: str) -> str:
    return html[html.index('<div class="posts"') : html.rindex("</article>")]


def test_second_view_of_a_thread_page_does_not_read_its_posts(client, thread):
    make_posts(thread, count=3)
    page(client, thread.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        html = page(client, thread.get_absolute_url())
    assert not any('FROM "forum_post" INNER JOIN' in q["sql"] for q in queries)
    assert "Reply number 2." in html


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_reply_shows_at_once(client, thread, other_member, logged_in):
    if logged_in:
        client.force_login(make_member())
    page(client, thread.get_absolute_url())
    services.post_reply(thread=thread, author=other_member, body="Fresh reply")
    assert "Fresh reply" in page(client, thread.get_absolute_url())


def test_an_edit_shows_at_once(client, thread, member):
    first = thread.posts.get()
    page(client, thread.get_absolute_url())
    services.edit_post(post=first, editor=member, body="Edited words")
    html = page(client, thread.get_absolute_url())
    assert "Edited words" in html
    assert "First post." not in html


def test_a_deleted_post_disappears_at_once(client, thread, other_member, moderator):
    (reply,) = make_posts(thread, count=1, authors=[other_member])
    assert "Reply number 0." in page(client, thread.get_absolute_url())
    services.delete_post(post=reply, actor=moderator)
    assert "Reply number 0." not in page(client, thread.get_absolute_url())


def test_author_cards_follow_posts_made_elsewhere(client, thread, member, board):
    url = thread.get_absolute_url()
    assert re.search(r"Posts</dt> <dd[^>]*>1<", page(client, url))
    other = make_thread(board=board, author=make_member(), title="Elsewhere")
    services.post_reply(thread=other, author=member, body="Somewhere else")
    assert re.search(r"Posts</dt> <dd[^>]*>2<", page(client, url))


def test_a_renamed_tier_shows_at_once(client, thread, member):
    page(client, thread.get_absolute_url())
    Tier.objects.filter(pk=member.tier_id).update(name="Fresh Face")
    assert "Fresh Face" in page(client, thread.get_absolute_url())


def test_a_changed_member_row_shows_at_once(client, thread, member):
    page(client, thread.get_absolute_url())
    User.objects.filter(pk=member.pk).update(custom_title="Resident Sage")
    assert "Resident Sage" in page(client, thread.get_absolute_url())


def test_board_page_shows_a_new_thread_and_new_activity_at_once(
    client, board, thread, member
):
    page(client, board.get_absolute_url())
    newer = make_thread(board=board, author=member, title="Brand new topic")
    html = page(client, board.get_absolute_url())
    assert html.index("Brand new topic") < html.index("Hello world")
    services.post_reply(thread=thread, author=member, body="Bump")
    html = page(client, board.get_absolute_url())
    assert html.index("Hello world") < html.index(newer.title)


def test_forum_list_shows_the_latest_post_at_once(client, thread, other_member):
    page(client, "/")
    services.post_reply(thread=thread, author=other_member, body="Latest")
    html = page(client, "/")
    assert "bob" in html
    assert "Posts: <strong>2</strong>" in html


def test_a_member_sees_edit_links_on_their_own_posts_only(
    client, thread, member, other_member
):
    (mine,) = make_posts(thread, count=1, authors=[member])
    (theirs,) = make_posts(thread, count=1, authors=[other_member])
    reader = make_member("reader")
    client.force_login(reader)
    # A reader's cached page must not give the author's links to the author, and
    # the author's must not leak to the reader.
    assert "/edit/" not in posts_block(page(client, thread.get_absolute_url()))
    client.force_login(member)
    html = posts_block(page(client, thread.get_absolute_url()))
    assert f"/posts/{mine.pk}/edit/" in html
    assert f"/posts/{theirs.pk}/edit/" not in html
    client.force_login(reader)
    assert "/edit/" not in posts_block(page(client, thread.get_absolute_url()))


def test_cached_posts_carry_no_csrf_token(client, thread, other_member):
    make_posts(thread, count=2, authors=[other_member])
    client.force_login(make_member())
    html = page(client, thread.get_absolute_url())
    # Everything stored for members is shared between them: a token inside it would
    # be another member's.
    assert "csrfmiddlewaretoken" not in posts_block(html)


def test_moderator_fragments_are_never_stored(client, thread, moderator):
    client.force_login(moderator)
    page(client, thread.get_absolute_url())
    posts = Post.objects.page_of(thread, 1, 20)
    fragment = fragment_cache.thread_posts(posts, moderator, can_reply=True)
    assert fragment.seconds == 0


def test_fingerprint_changes_with_any_column_of_any_joined_row(thread, member):
    posts = Post.objects.page_of(thread, 1, 20)
    before, owns = fragment_cache.fingerprint(
        posts, owner="author_id", viewer=member.pk
    )
    assert owns
    User.objects.filter(pk=member.pk).update(location="Lisbon")
    after, _ = fragment_cache.fingerprint(posts)
    assert after != before
    assert fragment_cache.fingerprint(Post.objects.none())[0] == "none"
