"""Drafts of replies and new threads: saved as members type, restored on the
thread page, the reply page and the new-thread form, gone once posted; refused
where the member may not post."""

import pytest
from django.urls import reverse

import markup
from accounts.models import User
from forum import services
from forum.models import BoardPermission, Draft, Thread
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_thread

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def draft_url(thread: Thread) -> str:
    return reverse("forum:thread_draft", args=[thread.pk])


def test_a_typed_reply_is_kept_and_comes_back_in_every_reply_box(
    client, member, thread
):
    client.force_login(member)
    page = thread.get_absolute_url()
    count_queries(client, page)  # warms the shared blocks
    without = count_queries(client, page)
    response = client.post(draft_url(thread), {"body": "Half a <b>thought"}, **HTMX)
    assert response.status_code == 200
    assert "Draft saved at" in response.content.decode()
    assert Draft.objects.get(user=member, thread=thread).body == "Half a <b>thought"
    html = client.get(page).content.decode()
    assert "Half a &lt;b&gt;thought</textarea>" in html
    # The draft rides on the thread's own query.
    assert count_queries(client, page) == without
    reply = client.get(reverse("forum:reply", args=[thread.pk])).content.decode()
    assert "Half a &lt;b&gt;thought</textarea>" in reply

    # Saved again: still one row, with the new text; emptied: removed.
    client.post(draft_url(thread), {"body": "A whole thought."}, **HTMX)
    assert Draft.objects.get(user=member, thread=thread).body == "A whole thought."
    response = client.post(draft_url(thread), {"body": "  \n"}, **HTMX)
    assert "Draft removed." in response.content.decode()
    assert not Draft.objects.filter(user=member).exists()


def test_posting_the_reply_removes_its_draft_and_a_late_save_brings_nothing_back(
    client, member, thread
):
    client.force_login(member)
    client.post(draft_url(thread), {"body": "Ready to go."}, **HTMX)
    services.post_reply(thread=thread, author=member, body="Ready to go.")
    assert not Draft.objects.filter(user=member).exists()
    # A save that left the browser as the member pressed "Post reply".
    client.post(draft_url(thread), {"body": "Ready to go."}, **HTMX)
    assert not Draft.objects.filter(user=member).exists()


def test_without_javascript_save_draft_returns_to_the_thread_with_it(
    client, member, thread
):
    client.force_login(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert 'name="save_draft"' in html and f'formaction="{draft_url(thread)}"' in html
    response = client.post(draft_url(thread), {"body": "Typed offline"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("#reply")
    html = response.content.decode()
    assert "Your draft is saved" in html and "Typed offline</textarea>" in html


def test_a_new_thread_draft_keeps_title_and_body_until_the_thread_is_posted(
    client, member, board
):
    client.force_login(member)
    url = reverse("forum:board_draft", args=[board.slug])
    form = reverse("forum:thread_create", args=[board.slug])
    client.post(url, {"title": "Winter beans", "body": "Broad beans sown now"}, **HTMX)
    html = client.get(form).content.decode()
    assert 'value="Winter beans"' in html and "Broad beans sown now</textarea>" in html
    assert count_queries(client, form) == 3  # the draft rides on the board's query
    services.start_thread(board=board, author=member, title="Winter beans", body="B")
    assert not Draft.objects.filter(user=member).exists()


def test_members_see_only_their_own_drafts(client, member, other_member, thread):
    client.force_login(member)
    client.post(draft_url(thread), {"body": "Alice's secret plan"}, **HTMX)
    client.force_login(other_member)
    assert "secret plan" not in client.get(thread.get_absolute_url()).content.decode()
    client.post(draft_url(thread), {"body": "Bob's own"}, **HTMX)
    assert Draft.objects.get(user=member).body == "Alice's secret plan"
    assert Draft.objects.get(user=other_member).body == "Bob's own"


def test_drafts_are_refused_where_the_member_may_not_post(
    client, member, moderator, thread
):
    client.force_login(member)
    private = make_board("Staff room")
    for audience in (BoardPermission.Audience.GUESTS, BoardPermission.Audience.MEMBERS):
        BoardPermission.objects.create(
            board=private, audience=audience, view_board=False
        )
    hidden = make_thread(board=private, author=moderator)
    assert client.post(draft_url(hidden), {"body": "x"}, **HTMX).status_code == 404
    board_url = reverse("forum:board_draft", args=[private.slug])
    assert client.post(board_url, {"body": "x"}).status_code == 404

    services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    response = client.post(draft_url(thread), {"body": "x"}, **HTMX)
    assert response.status_code == 403
    assert "may not reply" in response.content.decode()
    assert client.post(draft_url(thread), {"body": "x"}).status_code == 403

    services.set_thread_locked(thread=thread, moderator=moderator, locked=False)
    User.objects.filter(pk=member.pk).update(is_banned=True)
    assert client.post(draft_url(thread), {"body": "x"}, **HTMX).status_code == 403
    assert not Draft.objects.exists()


def test_huge_or_malformed_drafts_are_refused_with_a_message(client, member, thread):
    client.force_login(member)
    huge = "x" * (markup.MAX_BODY_LENGTH + 1)
    response = client.post(draft_url(thread), {"body": huge}, **HTMX)
    assert response.status_code == 400
    assert "a post may have" in response.content.decode()
    response = client.post(draft_url(thread), {"body": "nul\x00byte"})
    assert response.status_code == 400
    assert "Your draft was not saved" in response.content.decode()
    board_url = reverse("forum:board_draft", args=[thread.board.slug])
    assert client.post(board_url, {"title": "t" * 151}, **HTMX).status_code == 400
    assert not Draft.objects.exists()


def test_drafts_need_a_login_a_post_and_the_csrf_token(member, thread):
    from django.test import Client

    guest = Client()
    response = guest.post(draft_url(thread), {"body": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(draft_url(thread), {"body": "x"}).status_code == 403
    assert strict.get(draft_url(thread)).status_code == 405
    assert not Draft.objects.exists()


def test_another_members_thread_draft_is_not_a_board_draft(client, member, board):
    # A reply draft (thread set) and a new-thread draft (thread empty) on the same
    # board are two rows; the new-thread form shows only the latter.
    thread = make_thread(board=board, author=make_member())
    client.force_login(member)
    client.post(draft_url(thread), {"body": "Reply text"}, **HTMX)
    form = client.get(reverse("forum:thread_create", args=[board.slug]))
    assert "Reply text" not in form.content.decode()
