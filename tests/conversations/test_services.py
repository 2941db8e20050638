"""The conversation services: every rule and every counter they move."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import ratelimit, relations
from accounts.models import User
from conversations import services
from conversations.models import (
    Conversation,
    Message,
    MessageReport,
    MessageRevision,
    Participant,
)
from forum.models import ModerationAction
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def start(starter, *recipients, title="Plans", body="Hello all.", **kwargs):
    return services.start_conversation(
        starter=starter, recipients=list(recipients), title=title, body=body, **kwargs
    )


def unread(*members) -> list[int]:
    return [User.objects.get(pk=m.pk).conversations_unread for m in members]


def flags(conversation) -> dict[str, bool]:
    return {
        p.user.username: p.is_unread
        for p in conversation.participants.select_related("user")
    }


@pytest.fixture
def trio(db):
    return make_member("ann"), make_member("ben"), make_member("cat")


def test_starting_puts_everyone_in_and_marks_it_unread_for_the_others(trio):
    ann, ben, cat = trio
    conversation = start(ann, ben, cat, body="[b]Hi[/b] both")
    assert conversation.participant_count == 3
    assert conversation.last_position == 1
    message = conversation.messages.get()
    assert message.body_html == "<p><b>Hi</b> both</p>"
    assert conversation.last_message == message
    assert flags(conversation) == {"ann": False, "ben": True, "cat": True}
    assert unread(ann, ben, cat) == [0, 1, 1]


def test_a_reply_marks_it_unread_once_per_member_and_read_for_the_author(trio):
    ann, ben, cat = trio
    conversation = start(ann, ben, cat)
    services.post_message(conversation=conversation, author=ann, body="Again")
    # Still one unread conversation each, however many messages came.
    assert unread(ann, ben, cat) == [0, 1, 1]
    reply = services.post_message(conversation=conversation, author=ben, body="Yes")
    assert reply.position == 3
    assert flags(conversation) == {"ann": True, "ben": False, "cat": True}
    assert unread(ann, ben, cat) == [1, 0, 1]
    conversation.refresh_from_db()
    assert conversation.last_position == 3 and conversation.last_message == reply


def test_mark_read_clears_once_and_only_up_to_the_last_message(trio):
    ann, ben, _ = trio
    conversation = start(ann, ben)
    row = Participant.objects.get(conversation=conversation, user=ben)
    # A page that did not reach the last message leaves it unread.
    assert services.mark_read(participant=row, seen_position=0) is False
    assert unread(ben) == [1]
    assert services.mark_read(participant=row, seen_position=1) is True
    assert unread(ben) == [0]
    stale = Participant.objects.get(pk=row.pk)
    stale.is_unread = True  # a second tab with the old state
    assert services.mark_read(participant=stale, seen_position=1) is False
    assert unread(ben) == [0]


def test_a_form_sent_twice_is_one_conversation_and_one_message(trio):
    ann, ben, _ = trio
    token = uuid.uuid4()
    first = start(ann, ben, submission_token=token)
    assert start(ann, ben, submission_token=token) == first
    reply_token = uuid.uuid4()
    reply = services.post_message(
        conversation=first, author=ben, body="Once", submission_token=reply_token
    )
    again = services.post_message(
        conversation=first, author=ben, body="Once", submission_token=reply_token
    )
    assert again == reply
    assert Conversation.objects.count() == 1 and Message.objects.count() == 2
    assert unread(ann, ben) == [1, 0]


def test_starting_needs_someone_else_and_respects_the_limit(trio, settings):
    ann, ben, cat = trio
    with pytest.raises(ValidationError):
        start(ann, ann)
    settings.FORUM_CONVERSATION_MAX_PARTICIPANTS = 2
    with pytest.raises(ValidationError, match="at most 2"):
        start(ann, ben, cat)
    assert Conversation.objects.count() == 0
    start(ann, ben)


@pytest.mark.parametrize("field", ["is_banned", "email_unverified"])
def test_banned_or_unconfirmed_members_cannot_start_or_reply(trio, settings, field):
    ann, ben, _ = trio
    conversation = start(ann, ben)
    if field == "is_banned":
        User.objects.filter(pk=ben.pk).update(is_banned=True)
    else:
        settings.ACCOUNTS_REQUIRE_VERIFIED_EMAIL = True
        User.objects.filter(pk=ben.pk).update(email_verified=False)
    ben.refresh_from_db()
    with pytest.raises(PermissionDenied):
        start(ben, ann)
    with pytest.raises(PermissionDenied):
        services.post_message(conversation=conversation, author=ben, body="Hi")
    assert Message.objects.count() == 1


def test_a_ban_that_ended_does_not_stop_anyone(trio):
    ann, ben, _ = trio
    User.objects.filter(pk=ben.pk).update(
        is_banned=True, banned_until=timezone.now() - timedelta(minutes=1)
    )
    ben.refresh_from_db()
    start(ben, ann)


def test_messages_are_held_back_like_posts_but_not_for_moderators(trio, settings):
    ann, ben, _ = trio
    settings.FORUM_POST_INTERVAL_SECONDS = 30
    settings.FORUM_THREAD_INTERVAL_SECONDS = 60
    conversation = start(ann, ben)
    with pytest.raises(ratelimit.RateLimited):
        services.post_message(conversation=conversation, author=ann, body="Quick")
    with pytest.raises(ratelimit.RateLimited):
        start(ann, ben, title="Another")
    services.post_message(conversation=conversation, author=ben, body="Fine")
    moderator = make_member("modder", is_moderator=True)
    for n in range(3):
        start(moderator, ann, title=f"Note {n}")
    assert Conversation.objects.count() == 4


@pytest.mark.parametrize(
    ("privacy", "follows", "allowed"),
    [
        ("members", False, True),
        ("followed", False, False),
        ("followed", True, True),
        ("nobody", True, False),
    ],
)
def test_recipients_choose_who_may_start_a_conversation(
    trio, privacy, follows, allowed
):
    ann, ben, _ = trio
    relations.set_conversation_privacy(member=ben, choice=privacy)
    if follows:
        relations.follow_member(follower=ben, member=ann)
    if allowed:
        start(ann, ben)
    else:
        with pytest.raises(PermissionDenied, match="ben"):
            start(ann, ben)
        assert unread(ben) == [0]
    # Staff and moderators may always write.
    start(make_member("boss", is_staff=True), ben)


def test_an_ignored_member_cannot_start_a_conversation_or_invite(trio):
    ann, ben, cat = trio
    relations.ignore_member(user=ben, member=ann)
    with pytest.raises(PermissionDenied, match="does not accept conversations"):
        start(ann, ben, cat)
    assert Conversation.objects.count() == 0
    conversation = start(ann, cat)
    with pytest.raises(PermissionDenied):
        services.invite_members(conversation=conversation, inviter=ann, members=[ben])
    assert conversation.participants.count() == 2


def test_only_the_starter_invites_unless_invites_are_open(trio, settings):
    ann, ben, cat = trio
    conversation = start(ann, ben)
    with pytest.raises(PermissionDenied):
        services.invite_members(conversation=conversation, inviter=ben, members=[cat])
    settings.FORUM_CONVERSATION_OPEN_INVITES = True
    services.invite_members(conversation=conversation, inviter=ben, members=[cat])
    conversation.refresh_from_db()
    assert conversation.participant_count == 3
    assert unread(cat) == [1]


def test_invitations_respect_the_limit_and_skip_nobody_twice(trio, settings):
    ann, ben, cat = trio
    conversation = start(ann, ben)
    with pytest.raises(ValidationError, match="in the conversation already"):
        services.invite_members(conversation=conversation, inviter=ann, members=[ben])
    settings.FORUM_CONVERSATION_MAX_PARTICIPANTS = 2
    with pytest.raises(ValidationError, match="at most 2"):
        services.invite_members(conversation=conversation, inviter=ann, members=[cat])
    assert unread(cat) == [0]


def test_leaving_is_final_until_a_new_invitation(trio):
    ann, ben, cat = trio
    conversation = start(ann, ben, cat)
    assert unread(cat) == [1]
    assert services.leave_conversation(conversation=conversation, member=cat) is False
    assert unread(cat) == [0]
    conversation.refresh_from_db()
    assert conversation.participant_count == 2
    services.post_message(conversation=conversation, author=ben, body="Still here")
    assert unread(cat) == [0]
    row = Participant.objects.get(conversation=conversation, user=cat)
    assert row.left_at is not None and row.is_unread is False
    with pytest.raises(PermissionDenied):
        services.post_message(conversation=conversation, author=cat, body="Back?")
    with pytest.raises(PermissionDenied):
        services.leave_conversation(conversation=conversation, member=cat)
    services.invite_members(conversation=conversation, inviter=ann, members=[cat])
    row.refresh_from_db()
    assert row.left_at is None and row.is_unread and row.invited_by == ann
    conversation.refresh_from_db()
    assert conversation.participant_count == 3
    assert unread(cat) == [1]


def test_the_last_member_out_deletes_the_conversation_but_not_its_reports(trio):
    ann, ben, _ = trio
    conversation = start(ann, ben, body="Rude words")
    message = conversation.messages.get()
    report = services.report_message(message=message, reporter=ben, reason="Rude")
    assert services.leave_conversation(conversation=conversation, member=ann) is False
    assert unread(ben) == [1]
    assert services.leave_conversation(conversation=conversation, member=ben) is True
    assert unread(ann, ben) == [0, 0]
    assert not Conversation.objects.exists()
    assert not Message.objects.exists() and not Participant.objects.exists()
    report.refresh_from_db()
    assert report.message is None and report.body == "Rude words"


def test_editing_keeps_the_old_text_and_is_the_authors_alone(trio):
    ann, ben, _ = trio
    conversation = start(ann, ben, body="First draft")
    message = conversation.messages.get()
    with pytest.raises(PermissionDenied):
        services.edit_message(message=message, editor=ben, body="Hijacked")
    edited = services.edit_message(message=message, editor=ann, body="Second [i]go[/i]")
    assert edited.body_html == "<p>Second <i>go</i></p>" and edited.edited_at
    assert list(MessageRevision.objects.values_list("body", flat=True)) == [
        "First draft"
    ]
    # The same text again is no edit.
    services.edit_message(message=message, editor=ann, body="Second [i]go[/i]")
    assert MessageRevision.objects.count() == 1
    services.leave_conversation(conversation=conversation, member=ann)
    with pytest.raises(PermissionDenied):
        services.edit_message(message=message, editor=ann, body="After leaving")


def test_a_report_copies_the_message_and_is_filed_once(trio):
    ann, ben, _ = trio
    conversation = start(ann, ben, body="Original")
    message = conversation.messages.get()
    with pytest.raises(PermissionDenied):
        services.report_message(message=message, reporter=ann, reason="Mine")
    report = services.report_message(message=message, reporter=ben, reason=" Spam ")
    assert (report.reason, report.body, report.author) == ("Spam", "Original", ann)
    assert report.conversation_id_at_report == conversation.pk
    with pytest.raises(ValidationError, match="already"):
        services.report_message(message=message, reporter=ben, reason="Again")
    with pytest.raises(ValidationError):
        services.report_message(message=message, reporter=ben, reason="   ")
    services.edit_message(message=message, editor=ann, body="Cleaned up")
    report.refresh_from_db()
    assert report.body == "Original"
    assert ModerationAction.objects.filter(
        action="report_message", actor=ben, target_user=ann
    ).exists()


def test_only_moderators_close_reports_and_look_into_conversations(trio):
    ann, ben, cat = trio
    conversation = start(ann, ben)
    report = services.report_message(
        message=conversation.messages.get(), reporter=ben, reason="Spam"
    )
    moderator = make_member("modder", is_moderator=True)
    with pytest.raises(PermissionDenied):
        services.close_report(report=report, moderator=cat, status="resolved")
    with pytest.raises(PermissionDenied):
        services.view_as_moderator(conversation=conversation, moderator=cat, reason="x")
    services.close_report(
        report=report, moderator=moderator, status="resolved", comment="Warned"
    )
    report.refresh_from_db()
    assert (report.status, report.handled_by) == (
        MessageReport.Status.RESOLVED,
        moderator,
    )
    with pytest.raises(ValidationError, match="handled already"):
        services.close_report(report=report, moderator=moderator, status="rejected")
    services.view_as_moderator(
        conversation=conversation, moderator=moderator, reason="Checking", page=2
    )
    look = ModerationAction.objects.get(action="view_conversation")
    assert look.actor == moderator
    assert look.reason == f"Conversation #{conversation.pk}, page 2: Checking"


def test_new_messages_alert_the_members_still_in(
    trio, django_capture_on_commit_callbacks
):
    from forum.models import Alert

    ann, ben, cat = trio
    with django_capture_on_commit_callbacks(execute=True):
        conversation = start(ann, ben, cat)
    alerts = Alert.objects.filter(kind=Alert.Kind.CONVERSATION)
    assert sorted(alerts.values_list("recipient__username", flat=True)) == [
        "ben",
        "cat",
    ]
    services.leave_conversation(conversation=conversation, member=cat)
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.post_message(conversation=conversation, author=ben, body="Hi")
    latest = alerts.filter(recipient=ann).get()
    assert latest.url == reply.get_absolute_url()
    assert "Plans" in latest.summary
    assert (
        not alerts.filter(recipient=cat)
        .exclude(url=conversation.messages.get(position=1).get_absolute_url())
        .exists()
    )
    assert User.objects.get(pk=ann.pk).alerts_unread == 1


def test_recount_finds_and_repairs_every_drifted_counter(trio, capsys):
    from django.core.management import CommandError, call_command

    ann, ben, cat = trio
    conversation = start(ann, ben, cat)
    services.post_message(conversation=conversation, author=ben, body="Two")
    call_command("recount_conversations", "--check")
    assert "exact" in capsys.readouterr().out
    Conversation.objects.filter(pk=conversation.pk).update(
        participant_count=7, last_position=0, last_message=None
    )
    User.objects.filter(pk=cat.pk).update(conversations_unread=5)
    with pytest.raises(CommandError, match="drifted"):
        call_command("recount_conversations", "--check")
    out = capsys.readouterr().out
    assert "participant_count is 7, should be 3" in out
    assert "conversations_unread is 5, should be 1" in out
    call_command("recount_conversations")
    conversation.refresh_from_db()
    assert (conversation.participant_count, conversation.last_position) == (3, 2)
    assert conversation.last_message == conversation.messages.get(position=2)
    assert unread(ann, ben, cat) == [1, 0, 1]
    call_command("recount_conversations", "--check")


def test_members_who_asked_for_email_get_conversation_alerts_by_mail(
    trio, django_capture_on_commit_callbacks, mailoutbox, settings
):
    from forum import alerts

    settings.FORUM_ALERT_EMAIL_DELAY_SECONDS = 0
    ann, ben, cat = trio
    alerts.set_preference(ben, "conversation", "email")
    alerts.set_preference(cat, "conversation", "off")
    with django_capture_on_commit_callbacks(execute=True):
        start(ann, ben, cat, title="Moving day")
    assert [m.to for m in mailoutbox] == [["ben@example.com"]]
    assert "Moving day" in mailoutbox[0].body
    from forum.models import Alert

    assert not Alert.objects.filter(recipient=cat).exists()
