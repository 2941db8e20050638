"""The conversation pages through the client: who reaches what, and what they see."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from conversations import services
from conversations.models import Conversation, Message, MessageReport, Participant
from forum.models import ModerationAction
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(db):
    return make_member("ann")


@pytest.fixture
def ben(db):
    return make_member("ben")


@pytest.fixture
def outsider(db):
    return make_member("olga")


@pytest.fixture
def talk(ann, ben):
    conversation = services.start_conversation(
        starter=ann,
        recipients=[ben],
        title="Secret plans",
        body="The [b]secret[/b] is here.",
    )
    services.post_message(conversation=conversation, author=ben, body="Ben replies")
    return conversation


def urls_of(conversation: Conversation) -> list[tuple[str, str]]:
    """Every URL of a conversation, with the methods it answers."""
    message = conversation.messages.get(position=1)
    c, m = conversation.pk, message.pk
    names = [
        ("conversation_detail", c, "get"),
        ("conversation_unread", c, "get"),
        ("conversation_reply", c, "get"),
        ("conversation_reply", c, "post"),
        ("conversation_invite", c, "get"),
        ("conversation_invite", c, "post"),
        ("conversation_leave", c, "get"),
        ("conversation_leave", c, "post"),
        ("conversation_moderate", c, "get"),
        ("conversation_moderate", c, "post"),
        ("message_detail", m, "get"),
        ("message_edit", m, "get"),
        ("message_edit", m, "post"),
        ("message_history", m, "get"),
        ("message_report", m, "get"),
        ("message_report", m, "post"),
    ]
    return [
        (reverse(f"conversations:{n}", args=[pk]), method) for n, pk, method in names
    ]


POST_DATA = {"body": "Let me in", "members": "olga", "reason": "Curious"}


def test_guests_are_sent_to_log_in_from_every_url(client, talk):
    for url, method in [(reverse("conversations:conversation_list"), "get")] + urls_of(
        talk
    ):
        response = getattr(client, method)(url, POST_DATA)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_a_member_outside_gets_404_on_every_url_and_changes_nothing(
    client, talk, outsider
):
    client.force_login(outsider)
    for url, method in urls_of(talk):
        response = getattr(client, method)(url, POST_DATA)
        assert response.status_code == 404, (url, method)
        assert b"Secret plans" not in response.content
    assert talk.messages.count() == 2
    assert talk.participants.count() == 2
    assert not MessageReport.objects.exists()
    assert not ModerationAction.objects.filter(action="view_conversation").exists()


def test_a_member_who_left_gets_404_too(client, talk, ben):
    services.leave_conversation(conversation=talk, member=ben)
    client.force_login(ben)
    for url, method in urls_of(talk):
        if "moderate" in url:
            continue
        assert getattr(client, method)(url, POST_DATA).status_code == 404, url
    assert b"Secret plans" not in client.get("/conversations/").content


def test_unknown_and_absurd_ids_are_404(client, ann):
    client.force_login(ann)
    assert client.get("/conversations/999999/").status_code == 404
    assert client.get("/conversations/messages/999999/edit/").status_code == 404
    assert client.get("/conversations/" + "9" * 30 + "/").status_code == 404
    assert client.get("/conversations/١٢/").status_code == 404


def test_the_list_marks_unread_ones_and_the_header_counts_them(client, talk, ann):
    client.force_login(ann)
    html = client.get("/conversations/").content.decode()
    assert "Secret plans" in html and "With <bdi>ben</bdi>" in html
    assert "is-unread" in html
    assert re.search(r'class="badge[^"]*conversations-unread"[^>]*>1<', html)
    client.get(talk.get_absolute_url())
    html = client.get("/conversations/").content.decode()
    assert "is-unread" not in html and "conversations-unread" not in html


def test_reading_the_last_page_marks_it_read_and_shows_what_is_new(
    client, talk, ann, settings
):
    client.force_login(ann)
    html = client.get(talk.get_absolute_url()).content.decode()
    # Ben's reply is new for ann; her own first message is not.
    assert html.count("message-new") == 1
    assert "<b>secret</b>" in html and "Ben replies" in html
    # The header already shows the count after this page's read.
    assert "conversations-unread" not in html
    assert User.objects.get(pk=ann.pk).conversations_unread == 0
    assert (
        client.get(talk.get_absolute_url()).content.decode().count("message-new") == 0
    )


def test_an_early_page_does_not_mark_a_long_conversation_read(
    client, ann, ben, settings
):
    settings.FORUM_CONVERSATION_MESSAGES_PER_PAGE = 2
    conversation = services.start_conversation(
        starter=ann, recipients=[ben], title="Long one", body="1"
    )
    for n in range(4):
        services.post_message(conversation=conversation, author=ann, body=f"m{n}")
    client.force_login(ben)
    assert client.get(conversation.get_absolute_url()).status_code == 200
    assert User.objects.get(pk=ben.pk).conversations_unread == 1
    first_new = client.get(
        reverse("conversations:conversation_unread", args=[conversation.pk])
    )
    message = conversation.messages.get(position=1)
    assert (
        first_new["Location"]
        == f"{conversation.get_absolute_url()}#message-{message.pk}"
    )
    last = client.get(f"{conversation.get_absolute_url()}?page=3")
    assert last.status_code == 200
    assert User.objects.get(pk=ben.pk).conversations_unread == 0
    # Out of range and malformed pages go to the nearest real one.
    assert client.get(f"{conversation.get_absolute_url()}?page=9")["Location"].endswith(
        "?page=3"
    )
    assert client.get(f"{conversation.get_absolute_url()}?page=x").status_code == 302


def test_starting_from_the_form_with_a_preview_first(client, ann, ben):
    client.force_login(ann)
    form = client.get("/conversations/new/?to=ben").content.decode()
    assert 'value="ben"' in form
    data = {"recipients": "ben", "title": "Lunch", "body": "[i]Noon?[/i]"}
    preview = client.post("/conversations/new/", {**data, "preview": "1"})
    assert "<i>Noon?</i>" in preview.content.decode()
    assert not Conversation.objects.exists()
    response = client.post("/conversations/new/", data)
    conversation = Conversation.objects.get()
    assert response["Location"] == conversation.get_absolute_url()
    assert conversation.participants.count() == 2


@pytest.mark.parametrize(
    ("recipients", "error"),
    [
        ("nobody_here", "No member is called nobody_here."),
        ("", "This field is required."),
        (",,,", "Name at least one member."),
        ("ann", "Name at least one member to talk to."),
        ("x" * 2001, "at most 2000 characters"),
        ("a\x00b", "Null characters are not allowed."),
    ],
)
def test_bad_recipients_keep_what_was_typed(client, ann, recipients, error):
    client.force_login(ann)
    response = client.post(
        "/conversations/new/",
        {"recipients": recipients, "title": "Kept title", "body": "Kept body"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert error in html
    assert "Kept title" in html and "Kept body" in html
    assert not Conversation.objects.exists()


def test_refused_by_privacy_is_403_with_the_text_kept(client, ann, ben):
    User.objects.filter(pk=ben.pk).update(conversation_privacy="nobody")
    client.force_login(ann)
    response = client.post(
        "/conversations/new/",
        {"recipients": "ben", "title": "Hello there", "body": "Kept body"},
    )
    assert response.status_code == 403
    assert "ben does not accept conversations." in response.content.decode()
    assert "Kept body" in response.content.decode()


def test_flood_control_is_429_with_the_text_kept(client, talk, ann, settings):
    settings.FORUM_POST_INTERVAL_SECONDS = 60
    client.force_login(ann)
    url = reverse("conversations:conversation_reply", args=[talk.pk])
    assert client.post(url, {"body": "First"}).status_code == 302
    response = client.post(url, {"body": "Too soon"})
    assert response.status_code == 429
    assert "Too soon" in response.content.decode()


def test_a_banned_member_reads_but_cannot_reply(client, talk, ben):
    User.objects.filter(pk=ben.pk).update(is_banned=True)
    client.force_login(ben)
    page = client.get(talk.get_absolute_url())
    assert page.status_code == 200 and "reply-box" not in page.content.decode()
    url = reverse("conversations:conversation_reply", args=[talk.pk])
    response = client.post(url, {"body": "Let me"})
    assert response.status_code == 403
    assert "banned" in response.content.decode()
    assert client.get("/conversations/new/").status_code == 403
    assert talk.messages.count() == 2


def test_reply_with_a_quote_names_the_author(client, talk, ann, ben):
    first = talk.messages.get(position=1)
    client.force_login(ben)
    url = reverse("conversations:conversation_reply", args=[talk.pk])
    form = client.get(f"{url}?quote={first.pk}").content.decode()
    assert "[QUOTE=&quot;ann&quot;]\nThe [b]secret[/b] is here.\n[/QUOTE]" in form
    # A message of another conversation is not quoted, whatever the id.
    other = services.start_conversation(
        starter=ann, recipients=[make_member("zed")], title="Other", body="Hidden"
    )
    hidden = other.messages.get()
    assert "Hidden" not in client.get(f"{url}?quote={hidden.pk}").content.decode()
    client.post(url, {"body": '[QUOTE="ann"]\nThe secret\n[/QUOTE]\nAgreed'})
    html = client.get(talk.get_absolute_url()).content.decode()
    assert "<bdi>ann</bdi> said:" in html and "Agreed" in html


def test_editing_a_message_keeps_its_history_for_participants(client, talk, ann, ben):
    first = talk.messages.get(position=1)
    edit = reverse("conversations:message_edit", args=[first.pk])
    client.force_login(ben)
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"body": "Hijack"}).status_code == 403
    client.force_login(ann)
    assert client.post(edit, {"body": "Revised"}).status_code == 302
    client.force_login(ben)
    history = client.get(reverse("conversations:message_history", args=[first.pk]))
    html = history.content.decode()
    assert "Revised" in html and "The [b]secret[/b] is here." in html


def test_invite_leave_and_delete_through_the_pages(client, talk, ann, ben):
    dora = make_member("dora")
    client.force_login(ben)
    invite = reverse("conversations:conversation_invite", args=[talk.pk])
    assert client.get(invite).status_code == 403  # only the starter invites
    client.force_login(ann)
    response = client.post(invite, {"members": "dora, nobody"})
    assert "No member is called nobody." in response.content.decode()
    assert client.post(invite, {"members": "dora"}).status_code == 302
    client.force_login(dora)
    html = client.get(talk.get_absolute_url()).content.decode()
    assert "The <b>secret</b> is here." in html  # the whole history
    for member in (ann, ben, dora):
        client.force_login(member)
        leave = reverse("conversations:conversation_leave", args=[talk.pk])
        assert client.get(leave).status_code == 200
        assert client.post(leave)["Location"] == "/conversations/"
    assert not Conversation.objects.exists()


def test_reporting_a_message_shows_moderators_that_message_alone(client, talk, ben):
    first = talk.messages.get(position=1)
    report_url = reverse("conversations:message_report", args=[first.pk])
    client.force_login(ben)
    assert client.post(report_url, {"reason": ""}).status_code == 200
    assert client.post(report_url, {"reason": "Threatening"}).status_code == 302
    again = client.post(report_url, {"reason": "Again"})
    assert "already" in again.content.decode()
    report = MessageReport.objects.get()
    # Members without the queue learn nothing of it.
    assert client.get("/conversations/reports/").status_code == 404
    assert client.get(report.get_absolute_url()).status_code == 404
    moderator = make_member("modder", is_moderator=True)
    client.force_login(moderator)
    queue = client.get(reverse("forum:report_list")).content.decode()
    assert "Reported messages" in queue
    listing = client.get("/conversations/reports/").content.decode()
    assert "Threatening" in listing and "Secret plans" not in listing
    detail = client.get(report.get_absolute_url()).content.decode()
    assert "The <b>secret</b> is here." in detail
    assert "Ben replies" not in detail and "Secret plans" not in detail
    # Moderators are not participants: the conversation itself stays closed.
    assert client.get(talk.get_absolute_url()).status_code == 404
    response = client.post(
        report.get_absolute_url(), {"action": "resolved", "comment": "Warned"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "resolved" and report.handled_by == moderator


def test_view_as_moderator_asks_why_and_records_each_look(client, talk):
    moderator = make_member("modder", is_moderator=True)
    client.force_login(moderator)
    url = reverse("conversations:conversation_moderate", args=[talk.pk])
    ask = client.get(url).content.decode()
    assert "Secret plans" not in ask and "Ben replies" not in ask
    assert "Secret plans" not in client.post(url, {"reason": ""}).content.decode()
    assert not ModerationAction.objects.filter(action="view_conversation").exists()
    shown = client.post(url, {"reason": "Report #1"}).content.decode()
    assert "Secret plans" in shown and "Ben replies" in shown
    assert "message_report" not in shown and "Reply</a>" not in shown
    look = ModerationAction.objects.get(action="view_conversation")
    assert look.actor == moderator and "Report #1" in look.reason
    client.post(url, {"reason": "Report #1", "page": "2"})
    assert ModerationAction.objects.filter(action="view_conversation").count() == 2
    assert (
        client.get(
            reverse("conversations:conversation_moderate", args=[999999])
        ).status_code
        == 404
    )


def test_the_admin_lists_conversations_without_their_text(client, talk, staff):
    client.force_login(staff)
    html = client.get("/admin/conversations/conversation/").content.decode()
    assert f"Conversation #{talk.pk}" in html
    assert "View as moderator (audited)" in html
    assert "Secret plans" not in html and "secret" not in html.lower().replace(
        "secret_key", ""
    )
    change = client.get(f"/admin/conversations/conversation/{talk.pk}/change/")
    assert "Secret plans" not in change.content.decode()
    assert client.get("/admin/conversations/message/").status_code == 404


def test_double_submitted_reply_posts_once(client, talk, ben):
    client.force_login(ben)
    url = reverse("conversations:conversation_reply", args=[talk.pk])
    data = {
        "body": "Once only",
        "submission_token": "9b2f8e38-2c54-4c1f-9e0b-1f6c1e5a7d11",
    }
    first = client.post(url, data)
    second = client.post(url, data)
    assert first["Location"] == second["Location"]
    assert Message.objects.filter(body="Once only").count() == 1


def test_every_action_needs_csrf(talk, ann):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ann)
    url = reverse("conversations:conversation_reply", args=[talk.pk])
    assert strict.post(url, {"body": "No token"}).status_code == 403
    leave = reverse("conversations:conversation_leave", args=[talk.pk])
    assert strict.post(leave).status_code == 403
    assert Participant.objects.filter(conversation=talk, left_at=None).count() == 2


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("body", "x" * 50_001, "the limit is 50000"),
        ("body", "", "Please write a message before posting."),
        ("title", "ab", "at least 3 characters"),
        ("title", "Evil\u202etitle", "invisible character"),
        ("title", "t" * 151, "under 150 characters"),
    ],
)
def test_hostile_titles_and_bodies_are_refused_with_the_rest_kept(
    client, ann, ben, field, value, error
):
    client.force_login(ann)
    data = {"recipients": "ben", "title": "Fine title", "body": "Fine body"}
    response = client.post("/conversations/new/", {**data, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert "ben" in html
    assert not Conversation.objects.exists()


def test_an_oversized_reply_or_edit_is_refused_and_kept(client, talk, ann):
    client.force_login(ann)
    huge = "y" * 50_001
    reply = reverse("conversations:conversation_reply", args=[talk.pk])
    response = client.post(reply, {"body": huge})
    assert response.status_code == 200 and huge in response.content.decode()
    first = talk.messages.get(position=1)
    edit = reverse("conversations:message_edit", args=[first.pk])
    response = client.post(edit, {"body": huge})
    assert response.status_code == 200 and "the limit is 50000" in (
        response.content.decode()
    )
    assert talk.messages.count() == 2
    first.refresh_from_db()
    assert first.body == "The [b]secret[/b] is here."


def test_only_get_and_post_are_answered(client, talk, ann):
    client.force_login(ann)
    url = reverse("conversations:conversation_reply", args=[talk.pk])
    assert client.put(url).status_code == 405
    assert client.delete(talk.get_absolute_url()).status_code == 405
