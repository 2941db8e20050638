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
    block = html[html.index('<div class="posts"') : html.rindex("</article>")]
    # Per-viewer forms (reactions, bookmarks) carry a CSRF token masked anew on
    # every response: the same token, never the same text.
    block = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1…", block)
    # "now" and "a second ago" are the same instant read a second apart.
    return re.sub(r"(<time [^>]*>)[^<]*(</time>)", r"\1…\2", block)


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


def controls(html: str) -> list[str]:
    """The per-viewer footer of each post on a page, in order."""
    return re.findall(r'<footer class="post-actions.*?</footer>', html, re.S)


def test_each_viewer_sees_only_their_own_controls(
    client, thread, member, other_member, moderator
):
    (mine,) = make_posts(thread, count=1, authors=[member])
    (theirs,) = make_posts(thread, count=1, authors=[other_member])
    services.edit_post(post=theirs, editor=other_member, body="Second thoughts")
    url = thread.get_absolute_url()
    # Every view below after the first is served from warm shared blocks.
    guest = page(client, url)
    client.force_login(member)
    alice = page(client, url)
    client.force_login(other_member)
    bob = page(client, url)
    client.force_login(moderator)
    mod = page(client, url)
    client.logout()
    guest_again = page(client, url)

    assert guest_again == guest
    assert "/edit/" not in guest and "js-reply" not in guest
    assert "Log in or register to reply." in guest
    assert f"/posts/{mine.pk}/edit/" in alice
    assert f"/posts/{theirs.pk}/edit/" not in alice
    assert f"/posts/{theirs.pk}/edit/" in bob
    assert f"/posts/{mine.pk}/edit/" not in bob
    assert all("js-reply" in footer for footer in controls(alice) + controls(bob))
    assert f"/posts/{mine.pk}/edit/" in mod and f"/posts/{theirs.pk}/edit/" in mod
    assert f"/posts/{theirs.pk}/history/" in mod
    assert "/history/" not in alice + bob + guest


def test_a_deleted_post_shows_moderators_its_restore_form_only(
    client, thread, member, moderator
):
    (reply,) = make_posts(thread, count=1, authors=[member])
    services.delete_post(post=reply, actor=moderator, reason="Off topic")
    url = thread.get_absolute_url()
    client.force_login(moderator)
    mod = page(client, url)
    client.force_login(member)
    alice = page(client, url)
    assert f"/posts/{reply.pk}/restore/" in mod and "Off topic" in mod
    assert "csrfmiddlewaretoken" in controls(mod)[-1]
    assert "This post was deleted." in alice
    assert "/restore/" not in alice and "Off topic" not in alice


def test_shared_blocks_hold_nothing_of_the_viewer(client, thread, member, moderator):
    (reply,) = make_posts(thread, count=2, authors=[member])[:1]
    services.delete_post(post=reply, actor=moderator)
    reader = make_member("carol_reader")
    for viewer in (reader, moderator):
        client.force_login(viewer)
        page(client, thread.get_absolute_url())
    rows = fragment_cache.digests(Post.objects.page_of(thread, 1, 20))
    blocks = [cache.get(f"post:{row['digest']}") for row in rows]
    assert len(blocks) == 3 and all(blocks)
    for block in blocks:
        assert "csrfmiddlewaretoken" not in block
        assert "carol_reader" not in block and "/edit/" not in block


def test_a_viewer_element_added_to_the_shared_post_template_cannot_leak(
    client, thread, member, other_member, settings, tmp_path
):
    """The shared block is rendered without the request: a careless edit that tries
    to show something of the viewer inside it gets nothing, so it cannot be cached
    into another member's page."""
    shared = settings.BASE_DIR / "templates" / "jinja2" / "forum" / "_post.html"
    probe = (
        '<i class="probe">{{ user.username if user is defined else "nobody" }}'
        "|{{ request is defined }}|{{ csrf_input is defined }}</i>"
    )
    (tmp_path / "forum").mkdir()
    (tmp_path / "forum" / "_post.html").write_text(shared.read_text() + probe)
    jinja = next(e for e in settings.TEMPLATES if e.get("NAME") == "jinja2")
    settings.TEMPLATES = [
        e if e is not jinja else {**jinja, "DIRS": [tmp_path, *jinja["DIRS"]]}
        for e in settings.TEMPLATES
    ]
    seen = []
    for viewer in (None, member, other_member):
        if viewer:
            client.force_login(viewer)
        seen += re.findall(
            r'<i class="probe">(.*?)</i>', page(client, thread.get_absolute_url())
        )
    assert seen == ["nobody|False|False"] * 3


def test_digests_change_with_any_column_of_any_joined_row(thread, member):
    posts = Post.objects.page_of(thread, 1, 20)
    (before,) = fragment_cache.digests(posts, "author_id")
    assert before["author_id"] == member.pk
    User.objects.filter(pk=member.pk).update(location="Lisbon")
    (after,) = fragment_cache.digests(posts)
    assert after["digest"] != before["digest"]
    assert fragment_cache.digests(Post.objects.none()) == []


def test_digests_change_with_every_write_even_in_one_transaction(thread, member):
    """Each test runs in one transaction, as a request that writes twice does: the
    versions still differ, and going back to an earlier value is a new version too."""
    posts = Post.objects.page_of(thread, 1, 20)
    seen = [fragment_cache.digests(posts)[0]["digest"]]
    for place in ("Lisbon", "Porto", ""):
        User.objects.filter(pk=member.pk).update(location=place)
        seen.append(fragment_cache.digests(posts)[0]["digest"])
    Post.objects.filter(thread=thread).update(body="Reworded")
    seen.append(fragment_cache.digests(posts)[0]["digest"])
    assert len(set(seen)) == len(seen) == 5


def test_with_the_cache_off_a_page_shows_what_it_shows_cached(
    client, thread, member, other_member, settings
):
    make_posts(thread, count=3, authors=[member, other_member])
    services.edit_post(post=thread.posts.last(), editor=member, body="Changed")
    client.force_login(member)
    cached = posts_block(page(client, thread.get_absolute_url()))
    settings.FORUM_FRAGMENT_SECONDS = 0
    cache.clear()
    assert posts_block(page(client, thread.get_absolute_url())) == cached
    assert "Changed" in cached and "/edit/" in cached


@pytest.mark.parametrize("where", ["board", "forum list"])
def test_with_the_cache_off_lists_read_no_fingerprint(
    client, thread, other_member, settings, where
):
    services.post_reply(thread=thread, author=other_member, body="A reply")
    url = thread.board.get_absolute_url() if where == "board" else "/"
    page(client, url)  # the minute's member figures, read once
    with CaptureQueriesContext(connection) as on:
        cached = page(client, url)
    settings.FORUM_FRAGMENT_SECONDS = 0
    with CaptureQueriesContext(connection) as off:
        uncached = page(client, url)
    assert thread.title in uncached
    assert uncached == cached
    fingerprints = [q for q in on.captured_queries if "md5(string_agg" in q["sql"]]
    assert len(fingerprints) == 1
    assert not [q for q in off.captured_queries if "md5(" in q["sql"]]
