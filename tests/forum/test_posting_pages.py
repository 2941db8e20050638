"""The rough edges of the posting pages: banned members get the ban notice on every
writing URL, thread deletion asks for a reason, an empty quick reply stays on the
thread page, and profile snippets are the rendered words."""

import pytest
from django.urls import reverse

from accounts.models import User
from conversations import services as conversation_services
from forum import services
from forum.models import Alert, ModerationAction
from tests.factories import make_posts

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_banned_member_gets_the_ban_notice_instead_of_any_editor(
    client, member, other_member, thread
):
    (own,) = make_posts(thread, count=1, authors=[member])
    conversation = conversation_services.start_conversation(
        starter=other_member, recipients=[member], title="Hello", body="Hi there"
    )
    User.objects.filter(pk=member.pk).update(is_banned=True, ban_reason="Flooding")
    client.force_login(member)
    urls = [
        reverse("forum:reply", args=[thread.pk]),
        reverse("forum:thread_create", args=[thread.board.slug]),
        reverse("forum:post_edit", args=[own.pk]),
        reverse("conversations:conversation_create"),
        reverse("conversations:conversation_reply", args=[conversation.pk]),
    ]
    for url in urls:
        for response in (client.get(url), client.post(url, {"body": "Spam again"})):
            html = response.content.decode()
            assert response.status_code == 403, url
            assert "ban-notice" in html and "Reason: Flooding" in html, url
            assert "<textarea" not in html, url
    assert thread.posts.count() == 2


def test_a_locked_thread_reply_page_refuses_without_an_editor(
    client, member, moderator, thread
):
    services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    client.force_login(member)
    response = client.get(reverse("forum:reply", args=[thread.pk]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "locked" in html and "<textarea" not in html


def test_deleting_a_thread_asks_for_confirmation_and_a_reason(
    client, member, moderator, thread
):
    client.force_login(moderator)
    page = client.get(thread.get_absolute_url()).content.decode()
    url = reverse("forum:thread_delete", args=[thread.pk])
    assert f'href="{url}"' in page and 'value="delete"' not in page
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Delete the thread" in confirm.content.decode()
    thread.refresh_from_db()
    assert not thread.is_deleted  # asking deletes nothing

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400
    assert "Give a reason" in refused.content.decode()
    assert client.post(url, {"reason": "r" * 256}).status_code == 400
    thread.refresh_from_db()
    assert not thread.is_deleted

    response = client.post(url, {"reason": "Off <b>topic</b>"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.is_deleted
    action = ModerationAction.objects.get(thread=thread, action="delete_thread")
    assert action.reason == "Off <b>topic</b>"
    alert = Alert.objects.get(recipient=member, kind=Alert.Kind.MODERATION)
    assert "reason: Off <b>topic</b>" in alert.summary


def test_members_may_not_open_the_thread_deletion_page(client, member, thread):
    client.force_login(member)
    url = reverse("forum:thread_delete", args=[thread.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Mine"}).status_code == 403
    thread.refresh_from_db()
    assert not thread.is_deleted


def test_an_empty_quick_reply_comes_back_in_place_with_its_error(
    client, member, thread
):
    client.force_login(member)
    url = reverse("forum:reply", args=[thread.pk])
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'hx-post="{url}"' in page and 'name="quick"' in page

    # htmx: the editor alone, with the error, to swap in place of the box.
    response = client.post(url, {"quick": "1", "body": "   "}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Please write a message before posting." in html
    assert "<html" not in html and 'class="editor"' in html

    # Without JavaScript: the thread page again, the error and what was typed.
    typed = "[B]unclosed " + "x" * 70000
    response = client.post(url, {"quick": "1", "body": typed})
    assert response.status_code == 422
    html = response.content.decode()
    assert "<h1" in html and "First post." in html  # the thread page itself
    assert "the limit is" in html and "[B]unclosed xxx" in html
    assert thread.posts.count() == 1


def test_a_quick_reply_through_htmx_sends_the_page_to_the_new_post(
    client, member, thread
):
    client.force_login(member)
    url = reverse("forum:reply", args=[thread.pk])
    response = client.post(url, {"quick": "1", "body": "Posted in place"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == thread.posts.last().get_absolute_url()


def test_profile_snippets_are_the_rendered_words_without_quotes(
    client, member, other_member, thread
):
    body = (
        f'[QUOTE="{other_member.username}, post: 1"]Their words[/QUOTE]'
        "[B]Bold[/B] and <script>alert(1)</script> mine"
    )
    services.post_reply(thread=thread, author=member, body=body)
    html = client.get(member.get_absolute_url()).content.decode()
    snippets = html.split('class="small text-muted text-truncate post-snippet"')[1:]
    assert snippets
    newest = snippets[0].split("</div>", 1)[0]
    assert "Bold and &lt;script&gt;alert(1)&lt;/script&gt; mine" in newest
    assert "[QUOTE" not in newest and "[B]" not in newest
    assert "Their words" not in newest and "<b>" not in newest
