"""A member with something in every place the forum keeps a member's data."""

from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.utils import timezone

from accounts import consents, relations
from accounts.models import LegalDocument, User
from accounts.ratelimit import account_key
from conversations import services as conversations
from conversations.models import Conversation
from forum import bookmarks, reactions, watching
from forum.models import Draft, Post, Reaction, Thread
from forum.quoting import quote_post
from forum.services import post_reply, start_thread
from tests.factories import make_board, make_member

NAME = "Quillfeather"
EMAIL = "Quillfeather@example.com"
POST_IP = "203.0.113.77"
MESSAGE_IP = "198.51.100.23"
LOGIN_IP = "192.0.2.146"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Archives and avatars a test writes land in its own folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Footprint:
    member: User
    friend: User
    thread: Thread
    reply: Post
    quoting: Post
    conversation: Conversation
    private: Conversation


def leave_footprint() -> Footprint:
    """Posts, a thread, a conversation, a reaction, a bookmark, a draft, watches,
    follows, ignores, an agreement, failed logins and the addresses of it all."""
    member = make_member(NAME)
    friend = make_member("friendly")
    outsider = make_member("outsider")
    board = make_board("Campfire")
    thread = start_thread(
        board=board,
        author=member,
        title="Lanterns at dusk",
        body="My [b]first[/b] lantern post.",
        ip_address=POST_IP,
    )
    reply = post_reply(
        thread=thread,
        author=member,
        body="A second lantern thought.",
        ip_address=POST_IP,
    )
    quoting = post_reply(
        thread=thread, author=friend, body=quote_post(reply) + "So true."
    )
    conversation = conversations.start_conversation(
        starter=friend,
        recipients=[member],
        title="Meetup plans",
        body="Bring a torch.",
    )
    conversations.post_message(
        conversation=conversation,
        author=member,
        body="I will bring two.",
        ip_address=MESSAGE_IP,
    )
    private = conversations.start_conversation(
        starter=friend, recipients=[outsider], title="Not for you", body="Secret plans."
    )
    heart = Reaction.objects.order_by("pk").first() or Reaction.objects.create(
        name="Like", emoji="👍"
    )
    reactions.react(user=member, post=quoting, reaction=heart)
    bookmarks.bookmark_post(user=member, post=quoting, note="read again")
    watching.watch_thread(user=member, thread=thread, email=True)
    Draft.objects.create(user=member, thread=thread, body="Half a thought")
    relations.follow_member(follower=member, member=friend)
    relations.follow_member(follower=friend, member=member)
    relations.ignore_member(user=friend, member=member)
    relations.ignore_member(user=member, member=outsider)
    document = consents.save_draft(
        document=LegalDocument(kind="terms", title="Rules", body="Be kind.")
    )
    consents.publish_document(document=document)
    consents.record_agreement(user=member, versions="terms:1")
    for model in (AccessAttempt, AccessFailureLog):
        model.objects.create(
            username=account_key(NAME),
            ip_address=LOGIN_IP,
            user_agent="Firefox",
            attempt_time=timezone.now(),
            **({"failures_since_start": 1} if model is AccessAttempt else {}),
        )
    User.objects.filter(pk=member.pk).update(
        location="Lighthouse Lane", about="I collect lanterns."
    )
    member.refresh_from_db()
    return Footprint(
        member=member,
        friend=friend,
        thread=thread,
        reply=reply,
        quoting=quoting,
        conversation=conversation,
        private=private,
    )


@pytest.fixture
def footprint(db) -> Footprint:
    return leave_footprint()
