"""The conversation pages cost a constant number of queries (at most 8), tested
with 5 and then 50 items; the header's unread count costs none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conversations import services
from tests.conftest import count_queries
from tests.factories import make_member

pytestmark = pytest.mark.django_db

# (cold, warm): the first view marks the conversation read (one statement), later
# views write nothing. The list page never writes.
EXPECTED = {"list": 4, "conversation": (6, 5)}
BUDGET = 8


@pytest.fixture
def reader(db):
    return make_member("reader")


def grow_list(reader, others, count: int) -> None:
    for n in range(count):
        services.start_conversation(
            starter=others[n % len(others)],
            recipients=[reader, others[(n + 1) % len(others)]],
            title=f"Topic {n}",
            body=f"Opening {n}",
        )


def test_the_list_does_not_grow_with_conversations(client, reader):
    others = [make_member() for _ in range(3)]
    client.force_login(reader)
    grow_list(reader, others, 5)
    few = count_queries(client, "/conversations/")
    grow_list(reader, others, 45)
    many = count_queries(client, "/conversations/")
    assert few == many == EXPECTED["list"] <= BUDGET
    html = client.get("/conversations/").content.decode()
    # One full page of 25 rows: the 50 are really there.
    assert html.count('class="list-group-item conversation-row') == 25


def grow_conversation(conversation, authors, count: int) -> None:
    for n in range(count):
        services.post_message(
            conversation=conversation, author=authors[n % len(authors)], body=f"M{n}"
        )


def test_a_conversation_page_does_not_grow_with_messages_or_members(
    client, reader, settings
):
    settings.FORUM_CONVERSATION_MESSAGES_PER_PAGE = 50
    others = [make_member() for _ in range(3)]
    conversation = services.start_conversation(
        starter=others[0], recipients=[reader, others[1]], title="Busy", body="Go"
    )
    grow_conversation(conversation, others[:2], 4)
    client.force_login(reader)
    url = conversation.get_absolute_url()
    few = (count_queries(client, url), count_queries(client, url))
    more = [make_member() for _ in range(6)]
    services.invite_members(conversation=conversation, inviter=others[0], members=more)
    grow_conversation(conversation, [*others[:2], *more], 45)
    many = (count_queries(client, url), count_queries(client, url))
    assert few == many == EXPECTED["conversation"]
    assert max(many) <= BUDGET
    assert client.get(url).content.decode().count('class="card post mb-3') == 50


def test_the_header_count_costs_no_query(client, reader):
    starter = make_member()
    services.start_conversation(
        starter=starter, recipients=[reader], title="Hi", body="Hello"
    )
    client.force_login(reader)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("accounts:privacy")).content.decode()
    assert 'conversations-unread" title="Unread conversations">1<' in html
    tables = ("conversations_participant", "conversations_conversation")
    assert not [q for q in ctx.captured_queries if any(t in q["sql"] for t in tables)]
