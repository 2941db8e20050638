"""Flood control: members wait between posts and between new threads."""

import uuid

import pytest

from accounts.ratelimit import RateLimited
from forum import services
from forum.models import Post, Thread
from tests.factories import make_member, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def intervals(settings):
    settings.FORUM_POST_INTERVAL_SECONDS = 600
    settings.FORUM_THREAD_INTERVAL_SECONDS = 1200


def test_thirty_replies_in_a_row_post_one_and_keep_the_rest_typed(
    client, thread, other_member, intervals
):
    client.force_login(other_member)
    url = f"/threads/{thread.pk}/reply/"
    responses = [client.post(url, {"body": f"Flood number {i}"}) for i in range(30)]
    assert [r.status_code for r in responses] == [302] + [429] * 29
    refused = responses[-1].content.decode()
    assert "You are posting too quickly. Try again in 10 minutes." in refused
    assert "Flood number 29</textarea>" in refused
    assert list(thread.posts.values_list("body", flat=True).order_by("position")) == [
        "First post.",
        "Flood number 0",
    ]
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_a_second_thread_waits_for_the_thread_interval(
    client, board, other_member, intervals
):
    client.force_login(other_member)
    url = f"/boards/{board.slug}/new-thread/"
    first = client.post(url, {"title": "First thread here", "body": "Hello."})
    second = client.post(url, {"title": "Second thread here", "body": "Again."})
    assert first.status_code == 302
    assert second.status_code == 429
    html = second.content.decode()
    assert "You started a thread a moment ago. Try again in 20 minutes." in html
    assert 'value="Second thread here"' in html
    assert "Again.</textarea>" in html
    assert Thread.objects.filter(author=other_member).count() == 1


def test_a_refused_thread_leaves_the_reply_interval_alone(
    board, thread, other_member, settings
):
    settings.FORUM_THREAD_INTERVAL_SECONDS = 1200
    services.start_thread(board=board, author=other_member, title="One", body="x")
    with pytest.raises(RateLimited):
        services.start_thread(board=board, author=other_member, title="Two", body="y")
    settings.FORUM_POST_INTERVAL_SECONDS = 600
    services.post_reply(thread=thread, author=other_member, body="Still allowed.")


def test_the_same_form_sent_twice_lands_on_its_post(
    client, thread, other_member, intervals
):
    client.force_login(other_member)
    data = {"body": "Sent twice by a double click", "submission_token": uuid.uuid4()}
    url = f"/threads/{thread.pk}/reply/"
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Post.objects.filter(author=other_member).count() == 1


def test_a_refused_reply_writes_nothing(thread, other_member, intervals):
    services.post_reply(thread=thread, author=other_member, body="First.")
    with pytest.raises(RateLimited) as refusal:
        services.post_reply(thread=thread, author=other_member, body="Second.")
    assert refusal.value.retry_after == 600
    thread.refresh_from_db()
    other_member.refresh_from_db()
    assert (thread.reply_count, thread.last_position) == (1, 2)
    assert other_member.post_count == 1


def test_each_member_has_an_interval_of_their_own(thread, intervals):
    for member in (make_member(), make_member(), make_member()):
        services.post_reply(thread=thread, author=member, body="My turn.")
    thread.refresh_from_db()
    assert thread.reply_count == 3


def test_moderators_are_not_held_back(board, moderator, intervals):
    thread = make_thread(board=board, author=moderator)
    make_thread(board=board, author=moderator)
    for i in range(3):
        services.post_reply(thread=thread, author=moderator, body=f"Note {i}.")
    thread.refresh_from_db()
    assert thread.reply_count == 3
