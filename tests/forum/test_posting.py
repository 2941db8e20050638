"""Reply-with-quote, preview, editing, deleting and the on-site moderator tools."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from forum import services
from forum.models import ModerationAction, Post, PostRevision, Thread
from forum.quoting import parse_ids, strip_quotes
from tests.factories import make_board, make_member, make_posts

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(thread, other_member):
    return services.post_reply(
        thread=thread, author=other_member, body="Bob writes here"
    )


def test_strip_quotes_drops_nested_quote_blocks():
    source = 'Top [QUOTE="a, post: 1"]x [quote]y[/quote] z[/QUOTE] end [/quote]'
    assert strip_quotes(source) == "Top  end [/quote]"


def test_strip_quotes_drops_an_unclosed_quote_to_the_end():
    assert strip_quotes("keep [QUOTE]never closed") == "keep"


def test_parse_ids_ignores_garbage_and_duplicates():
    assert parse_ids(["3", "x", "3,4", "-1", "9" * 30]) == [3, 4]


def test_reply_page_prefills_a_quote_with_attribution(client, thread, reply, member):
    client.force_login(member)
    response = client.get(reverse("forum:reply", args=[thread.pk]), {"quote": reply.pk})
    html = response.content.decode()
    expected = f"[QUOTE=&quot;bob, post: {reply.pk}, member: {reply.author_id}&quot;]"
    assert expected in html
    assert "Bob writes here" in html


def test_reply_page_quotes_several_posts_in_the_order_asked(
    client, thread, reply, member
):
    first = thread.posts.get(position=1)
    client.force_login(member)
    url = reverse("forum:quotes", args=[thread.pk])
    text = client.get(f"{url}?quote={reply.pk}&quote={first.pk}").content.decode()
    assert text.index("Bob writes here") < text.index("First post.")


def test_quotes_only_come_from_this_thread_and_live_posts(
    client, thread, reply, member
):
    elsewhere = make_posts(
        services.start_thread(
            board=thread.board, author=member, title="Other thread", body="Secret"
        ),
        1,
    )[0]
    services.delete_post(post=reply, actor=make_member(is_moderator=True))
    client.force_login(member)
    url = reverse("forum:quotes", args=[thread.pk])
    text = client.get(f"{url}?quote={reply.pk}&quote={elsewhere.pk}").content.decode()
    assert text == ""


def test_guests_cannot_fetch_quotes(client, thread, reply):
    response = client.get(
        reverse("forum:quotes", args=[thread.pk]), {"quote": reply.pk}
    )
    assert response.status_code == 302


def test_preview_endpoint_renders_without_saving(client, thread, member):
    client.force_login(member)
    response = client.post(reverse("forum:preview"), {"body": "Hello <there>"})
    assert response.status_code == 200
    assert "Hello &lt;there&gt;" in response.content.decode()
    assert Post.objects.count() == 1


def test_threads_replies_edits_and_previews_link_mentions_of_members(
    client, board, member, other_member
):
    link = '<a href="/members/bob/" class="bbmention"'
    thread = services.start_thread(
        board=board, author=member, title="Hi", body="@bob and @nobody"
    )
    first = thread.posts.get()
    assert link in first.body_html and "/members/nobody/" not in first.body_html
    reply = services.post_reply(thread=thread, author=member, body="@BOB again")
    assert link in reply.body_html
    edited = services.edit_post(post=reply, editor=member, body="still @bob")
    assert link in edited.body_html
    client.force_login(member)
    preview = client.post(reverse("forum:preview"), {"body": "@bob"})
    assert link in preview.content.decode()


def test_preview_without_javascript_keeps_the_form_and_posts_nothing(
    client, thread, other_member
):
    client.force_login(other_member)
    response = client.post(
        reverse("forum:reply", args=[thread.pk]),
        {"body": "Draft words", "preview": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="card preview"' in html
    assert html.count("Draft words") == 2  # in the preview and still in the textarea
    assert thread.posts.count() == 1


def test_author_edits_own_post_and_a_revision_is_kept(
    client, thread, reply, other_member
):
    client.force_login(other_member)
    url = reverse("forum:post_edit", args=[reply.pk])
    response = client.post(url, {"body": "Bob writes better"})
    reply.refresh_from_db()
    assert response.status_code == 302
    assert reply.body == "Bob writes better"
    assert "better" in reply.body_html
    assert reply.edited_by == other_member and reply.edited_at is not None
    revision = PostRevision.objects.get(post=reply)
    assert (revision.body, revision.editor) == ("Bob writes here", other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Last edited by <bdi>bob</bdi>" in html


def test_members_cannot_edit_other_peoples_posts(client, thread, reply, member):
    client.force_login(member)
    url = reverse("forum:post_edit", args=[reply.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "Hijacked"}).status_code == 403
    reply.refresh_from_db()
    assert reply.body == "Bob writes here"


def test_moderator_edits_any_post(client, reply, moderator):
    client.force_login(moderator)
    client.post(reverse("forum:post_edit", args=[reply.pk]), {"body": "Tidied"})
    reply.refresh_from_db()
    assert (reply.body, reply.edited_by) == ("Tidied", moderator)


def test_invalid_edit_keeps_the_text(client, reply, other_member):
    client.force_login(other_member)
    body = "x" * 50_001
    response = client.post(reverse("forum:post_edit", args=[reply.pk]), {"body": body})
    assert response.status_code == 200
    assert body in response.content.decode()
    reply.refresh_from_db()
    assert reply.body == "Bob writes here"


def test_thread_starter_renames_thread_from_first_post(client, thread, member):
    client.force_login(member)
    first = thread.posts.get(position=1)
    url = reverse("forum:post_edit", args=[first.pk])
    assert 'name="title"' in client.get(url).content.decode()
    client.post(url, {"title": "Hello again, world", "body": "First post."})
    thread.refresh_from_db()
    assert (thread.title, thread.slug) == ("Hello again, world", "hello-again-world")
    assert not PostRevision.objects.exists()  # the body did not change


def test_reply_edit_form_has_no_title(client, reply, other_member):
    client.force_login(other_member)
    html = client.get(reverse("forum:post_edit", args=[reply.pk])).content.decode()
    assert 'name="title"' not in html


def test_edit_history_is_for_moderators(client, reply, other_member, moderator):
    services.edit_post(post=reply, editor=other_member, body="Second version")
    url = reverse("forum:post_history", args=[reply.pk])
    client.force_login(other_member)
    assert client.get(url).status_code == 403
    client.force_login(moderator)
    html = client.get(url).content.decode()
    assert "Bob writes here" in html and "Second version" in html


def test_author_deletes_own_reply_and_members_see_a_placeholder(
    client, thread, reply, other_member, member
):
    client.force_login(other_member)
    response = client.post(
        reverse("forum:post_delete", args=[reply.pk]), {"reason": ""}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.is_deleted
    assert thread.reply_count == 0
    client.force_login(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "This post was deleted." in html
    assert "Bob writes here" not in html


def test_moderator_sees_deleted_post_dimmed_and_restores_it(
    client, thread, reply, moderator
):
    services.delete_post(post=reply, actor=moderator, reason="Off topic")
    client.force_login(moderator)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "is-deleted" in html and "Off topic" in html and "Bob writes here" in html
    response = client.post(reverse("forum:post_restore", args=[reply.pk]))
    assert response.status_code == 302
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert not reply.is_deleted
    assert thread.reply_count == 1


def test_members_cannot_delete_others_posts(client, reply, member):
    client.force_login(member)
    assert client.post(reverse("forum:post_delete", args=[reply.pk])).status_code == 403
    reply.refresh_from_db()
    assert not reply.is_deleted


def test_members_cannot_restore_a_deleted_post(client, reply, member, moderator):
    services.delete_post(post=reply, actor=moderator, reason="Spam")
    client.force_login(member)
    response = client.post(reverse("forum:post_restore", args=[reply.pk]))
    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.is_deleted
    assert not ModerationAction.objects.filter(action="restore_post").exists()


def test_guests_are_sent_to_log_in_for_edit_history(client, reply):
    response = client.get(reverse("forum:post_history", args=[reply.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_renaming_and_editing_happen_together_or_not_at_all(thread, member):
    first = thread.posts.get(position=1)
    services.edit_post(post=first, editor=member, body="New body", title="New title")
    thread.refresh_from_db()
    first.refresh_from_db()
    assert (thread.title, first.body) == ("New title", "New body")
    stranger = make_member()
    with pytest.raises(PermissionDenied):
        services.edit_post(post=first, editor=stranger, body="x", title="Hijacked")
    thread.refresh_from_db()
    assert thread.title == "New title"


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("lock", "is_locked", True),
        ("stick", "is_sticky", True),
        ("delete", "is_deleted", True),
    ],
)
def test_moderator_tools_on_the_thread_page(
    client, thread, moderator, action, field, value
):
    client.force_login(moderator)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "Moderator tools" in html
    response = client.post(
        reverse("forum:thread_moderate", args=[thread.pk]), {"action": action}
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert getattr(thread, field) is value
    assert ModerationAction.objects.filter(thread=thread).exists()


def test_members_get_no_moderator_tools_and_are_refused(client, thread, other_member):
    client.force_login(other_member)
    assert (
        "Moderator tools" not in client.get(thread.get_absolute_url()).content.decode()
    )
    url = reverse("forum:thread_moderate", args=[thread.pk])
    assert client.post(url, {"action": "lock"}).status_code == 403
    assert (
        client.post(reverse("forum:thread_move", args=[thread.pk])).status_code == 403
    )
    thread.refresh_from_db()
    assert not thread.is_locked


def test_unknown_moderation_action_is_a_message_not_an_error(client, thread, moderator):
    client.force_login(moderator)
    response = client.post(
        reverse("forum:thread_moderate", args=[thread.pk]),
        {"action": "explode"},
        follow=True,
    )
    assert "Unknown moderation action." in response.content.decode()


def test_moderator_moves_a_thread_and_board_counters_follow(client, thread, moderator):
    target = make_board("Elsewhere")
    client.force_login(moderator)
    url = reverse("forum:thread_move", args=[thread.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"board": target.pk})
    assert response.status_code == 302
    thread.refresh_from_db()
    target.refresh_from_db()
    assert thread.board == target
    assert (target.thread_count, target.post_count) == (1, 1)


def test_move_to_a_missing_board_is_a_form_error(client, thread, moderator):
    client.force_login(moderator)
    response = client.post(
        reverse("forum:thread_move", args=[thread.pk]), {"board": 999999}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).board_id == thread.board_id


def test_reply_breaking_markup_limits_is_refused_with_text_kept(
    client, thread, other_member
):
    client.force_login(other_member)
    body = "[QUOTE]" * 40 + "deep" + "[/QUOTE]" * 40
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": body})
    html = response.content.decode()
    assert response.status_code == 200
    assert "nested 40 levels deep" in html
    assert "[QUOTE][QUOTE]" in html
    assert thread.posts.count() == 1


def test_preview_refuses_bodies_over_the_limits(client, thread, member):
    client.force_login(member)
    response = client.post(reverse("forum:preview"), {"body": "<" * 60_000})
    html = response.content.decode()
    assert "the limit is 50000" in html
    assert 'class="card preview"' not in html


def test_preview_without_javascript_checks_limits_and_keeps_text(
    client, thread, other_member
):
    client.force_login(other_member)
    body = "[IMG]https://example.com/a.png[/IMG]" * 25
    response = client.post(
        reverse("forum:reply", args=[thread.pk]), {"body": body, "preview": "1"}
    )
    html = response.content.decode()
    assert "the limit is 20" in html
    assert 'class="card preview"' not in html
    assert "[IMG]https://example.com/a.png[/IMG][IMG]" in html
    assert thread.posts.count() == 1
