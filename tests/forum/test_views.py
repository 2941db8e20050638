import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Tier, User
from forum import services, viewcounts
from forum.models import Post, Thread
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


def reply_url(thread):
    return reverse("forum:reply", args=[thread.pk])


def test_forum_list_shows_boards_counts_and_last_post(client, thread, other_member):
    services.post_reply(thread=thread, author=other_member, body="Latest words")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "General chat" in html
    assert "Hello world" in html  # last post's thread title
    assert "bob" in html  # last poster
    assert "Posts: <strong>2</strong>" in html


def test_board_page_lists_sticky_threads_first(client, board, member):
    old = make_thread(board=board, author=member, title="Old sticky one")
    newer = make_thread(board=board, author=member, title="Newest plain one")
    services.set_thread_sticky(
        thread=old, moderator=make_member(is_staff=True), sticky=True
    )
    html = client.get(board.get_absolute_url()).content.decode()
    assert html.index("Old sticky one") < html.index(newer.title)
    assert "Sticky" in html


def test_thread_page_shows_posts_in_order_with_author_cards(
    client, thread, other_member
):
    services.post_reply(thread=thread, author=other_member, body="Second post here")
    response = client.get(thread.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("First post.") < html.index("Second post here")
    assert "Forum list" in html and "General chat" in html
    assert f'href="/members/{other_member.pk}/"' in html
    assert "New Member" in html
    assert "Joined" in html
    first = thread.posts.get(position=1)
    assert f'id="post-{first.pk}"' in html


def test_author_card_shows_a_pinned_tier_over_the_earned_one(client, member, thread):
    card = 'class="member-title tier-{}"><bdi>{}</bdi>'
    html = client.get(thread.get_absolute_url()).content.decode()
    assert card.format("plain", "New Member") in html
    platinum = Tier.objects.get(name="Platinum Member")
    User.objects.filter(pk=member.pk).update(pinned_tier=platinum)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert card.format("platinum", "Platinum Member") in html
    assert "New Member" not in html


def test_guest_sees_log_in_or_register_instead_of_reply_box(client, thread):
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Log in or register to reply." in html
    assert 'name="body"' not in html


def test_member_sees_reply_box(client, thread, other_member):
    client.force_login(other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert 'name="body"' in html
    assert 'name="submission_token"' in html


def test_wrong_slug_redirects_permanently_to_canonical_url(client, thread):
    response = client.get(f"/threads/{thread.pk}-wrong-slug/")
    assert response.status_code == 301
    assert response["Location"] == thread.get_absolute_url()
    bare = client.get(f"/threads/{thread.pk}/")
    assert bare.status_code == 301 and bare["Location"] == thread.get_absolute_url()


def test_wrong_slug_keeps_page(client, thread):
    make_posts(thread, 25)
    response = client.get(f"/threads/{thread.pk}-x/?page=2")
    assert response["Location"] == f"{thread.get_absolute_url()}?page=2"


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5", "", "1"])
def test_bad_thread_page_numbers_redirect_to_first_page(client, thread, raw):
    response = client.get(thread.get_absolute_url(), {"page": raw})
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()


def test_page_past_the_end_redirects_to_last_page(client, thread):
    make_posts(thread, 25)  # 26 posts: two pages
    response = client.get(thread.get_absolute_url(), {"page": "99"})
    assert response["Location"] == f"{thread.get_absolute_url()}?page=2"


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "9999"])
def test_bad_board_page_numbers_redirect(client, board, raw):
    response = client.get(board.get_absolute_url(), {"page": raw})
    assert response.status_code == 302
    assert response["Location"] == board.get_absolute_url()


def test_thread_pages_are_found_by_position(client, thread):
    make_posts(thread, 45)  # positions 1..46: three pages of 20
    page3 = client.get(thread.get_absolute_url(), {"page": 3}).content.decode()
    assert page3.count('class="card post ') == 6
    assert "Reply number 44." in page3 and "Reply number 38." not in page3


def test_huge_ids_are_not_found_rather_than_errors(client):
    assert client.get("/threads/99999999999999999999999999-x/").status_code == 404
    assert client.get("/posts/99999999999999999999999/").status_code == 404
    assert client.get("/members/99999999999999999999999/").status_code == 404
    assert client.get("/threads/123456-x/").status_code == 404


def test_post_permalink_redirects_to_its_page_and_anchor(client, thread):
    posts = make_posts(thread, 30)
    target = posts[-1]  # position 31: page 2
    response = client.get(f"/posts/{target.pk}/")
    assert response.status_code == 302
    assert (
        response["Location"] == f"{thread.get_absolute_url()}?page=2#post-{target.pk}"
    )


def test_reply_lands_on_new_post_anchor(client, thread, other_member):
    client.force_login(other_member)
    response = client.post(reply_url(thread), {"body": "Nice thread"})
    post = Post.objects.get(thread=thread, position=2)
    assert response.status_code == 302
    assert response["Location"] == f"{thread.get_absolute_url()}#post-{post.pk}"
    assert post.author == other_member


def test_empty_reply_is_rejected_with_a_message(client, thread, other_member):
    client.force_login(other_member)
    response = client.post(reply_url(thread), {"body": "   "})
    assert response.status_code == 200
    assert "Please write a message before posting." in response.content.decode()
    assert thread.posts.count() == 1


def test_too_long_reply_gets_one_clear_error_and_keeps_the_text(
    client, thread, other_member
):
    client.force_login(other_member)
    body = "word " * 12_000  # 60,000 characters
    response = client.post(reply_url(thread), {"body": body})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("the limit is 50000") == 1
    assert "word word word" in html
    assert thread.posts.count() == 1


def test_double_submitted_reply_posts_once(client, thread, other_member):
    client.force_login(other_member)
    form = {
        "body": "Just once",
        "submission_token": "6f1c1f0e-3c1d-4f7e-9f51-0f2d5e0c1a11",
    }
    first = client.post(reply_url(thread), form)
    second = client.post(reply_url(thread), form)
    assert first["Location"] == second["Location"]
    assert thread.posts.filter(body="Just once").count() == 1


def test_reply_to_locked_thread_is_refused_with_message_and_text_kept(
    client, thread, other_member, moderator
):
    services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    client.force_login(other_member)
    response = client.post(reply_url(thread), {"body": "My careful words"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "This thread is locked" in html
    assert "My careful words" in html
    assert thread.posts.count() == 1


def test_guest_reply_is_sent_to_login(client, thread):
    response = client.post(reply_url(thread), {"body": "anon"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert thread.posts.count() == 1


def test_reply_without_csrf_token_is_refused(thread, other_member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_member)
    response = client.post(reply_url(thread), {"body": "forged"})
    assert response.status_code == 403
    assert thread.posts.count() == 1


def test_markup_in_a_post_is_shown_as_text(client, thread, other_member):
    client.force_login(other_member)
    client.post(reply_url(thread), {"body": "<script>alert('x')</script>"})
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_start_thread_from_board(client, board, member):
    client.force_login(member)
    url = reverse("forum:thread_create", args=[board.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "My new thread", "body": "Opening words"})
    thread = Thread.objects.get(title="My new thread")
    assert response["Location"] == thread.get_absolute_url()
    assert thread.posts.get().body == "Opening words"


def test_start_thread_with_bad_title_keeps_body(client, board, member):
    client.force_login(member)
    url = reverse("forum:thread_create", args=[board.slug])
    response = client.post(url, {"title": "x", "body": "Precious text"})
    html = response.content.decode()
    assert "at least 3 characters" in html
    assert "Precious text" in html
    assert not Thread.objects.exists()


def test_null_bytes_are_rejected_cleanly(client, board, member):
    client.force_login(member)
    url = reverse("forum:thread_create", args=[board.slug])
    response = client.post(url, {"title": "Null\x00title", "body": "body\x00"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()


def test_banned_member_can_read_but_not_post(client, thread):
    # The services refuse a banned author too: test_services.py.
    banned = make_member(is_banned=True, ban_reason="Spamming")
    client.force_login(banned)
    page = client.get(thread.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "First post." in html
    assert "Your account is banned from posting: Spamming." in html
    assert 'name="body"' not in html
    reply = client.post(reply_url(thread), {"body": "Buy things"})
    assert reply.status_code == 403
    assert "Your account is banned from posting." in reply.content.decode()
    url = reverse("forum:thread_create", args=[thread.board.slug])
    start = client.post(url, {"title": "Buy things", "body": "spam"})
    assert start.status_code == 403
    assert "Your account is banned from posting." in start.content.decode()
    assert list(Post.objects.values_list("body", flat=True)) == ["First post."]
    assert list(Thread.objects.all()) == [thread]


def test_deleted_thread_is_hidden_from_members(client, thread, other_member):
    Thread.objects.filter(pk=thread.pk).update(is_deleted=True)
    client.force_login(other_member)
    assert client.get(thread.get_absolute_url()).status_code == 404


def test_thread_views_are_buffered_then_flushed(client, thread):
    viewcounts.flush()
    client.get(thread.get_absolute_url())
    client.get(thread.get_absolute_url())
    thread.refresh_from_db()
    assert thread.view_count == 0  # no write on a page view
    assert viewcounts.flush() == 1
    thread.refresh_from_db()
    assert thread.view_count == 2


def test_member_profile_by_id_and_username(client, thread, member):
    assert client.get(f"/members/{member.pk}/").status_code == 200
    response = client.get("/members/ALICE/")
    assert response.status_code == 200
    assert "Hello world" in response.content.decode()
    assert client.get("/members/nobody-here/").status_code == 404


def test_quick_reply_box_carries_a_working_csrf_token(thread, other_member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(
        reply_url(thread),
        {"body": "Through the real form", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert thread.posts.filter(body="Through the real form").exists()


def test_refusals_explain_themselves(client, thread, other_member):
    reply = services.post_reply(thread=thread, author=other_member, body="mine")
    client.force_login(make_member())
    response = client.get(reverse("forum:post_edit", args=[reply.pk]))
    assert response.status_code == 403
    assert "You may not edit this post." in response.content.decode()


def test_oversized_request_is_a_400_not_a_500(client, thread, other_member, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client.force_login(other_member)
    response = client.post(reply_url(thread), {"body": "x" * 5000})
    assert response.status_code == 400
    assert "too large" in response.content.decode()


def test_board_parents_cannot_loop_or_leave_their_category(board):
    from django.core.exceptions import ValidationError

    child = make_board("Child", category=board.category, parent=board)
    board.parent = child
    with pytest.raises(ValidationError, match="below itself"):
        board.full_clean()
    board.parent = board
    with pytest.raises(ValidationError, match="below itself"):
        board.full_clean()
    stray = make_board("Elsewhere")
    stray.parent = board
    with pytest.raises(ValidationError, match="parent's category"):
        stray.full_clean()


def test_a_board_lists_the_sub_boards_its_visitor_may_see(client, board):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from forum.models import BoardPermission

    url = board.get_absolute_url()
    client.get(url)  # the minute's figures and the thread list, read once
    with CaptureQueriesContext(connection) as alone:
        response = client.get(url)
    assert 'class="card mb-3"' not in response.content.decode()
    make_board("Open annex", category=board.category, parent=board)
    hidden = make_board("Back room", category=board.category, parent=board)
    BoardPermission.objects.create(board=hidden, audience="guests", view_board=False)
    with CaptureQueriesContext(connection) as with_children:
        html = client.get(url).content.decode()
    assert "Open annex" in html and "Back room" not in html
    # The sub-boards' own query runs only for a board that has some.
    assert len(with_children) == len(alone) + 1
