"""Following, ignoring and the privacy choice: the buttons, the pages, and what an
ignored member's posts look like to the member ignoring them."""

import pytest
from django.urls import reverse

from accounts import relations
from accounts.models import Follow, User
from conversations import services
from tests.conftest import count_queries
from tests.factories import make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


def follow_url(member) -> str:
    return reverse("accounts:member_follow", args=[member.pk])


def ignore_url(member) -> str:
    return reverse("accounts:member_ignore", args=[member.pk])


def test_profile_buttons_follow_and_unfollow(client, member, other_member):
    client.force_login(member)
    html = client.get(other_member.get_absolute_url()).content.decode()
    assert "Start a conversation" in html and ">Follow<" in html and ">Ignore<" in html
    assert client.get(follow_url(other_member)).status_code == 405
    assert client.post(follow_url(other_member))["Location"] == (
        other_member.get_absolute_url()
    )
    client.post(follow_url(other_member))  # twice is still once
    assert Follow.objects.filter(follower=member, followed=other_member).count() == 1
    assert ">Unfollow<" in client.get(other_member.get_absolute_url()).content.decode()
    client.post(follow_url(other_member), {"undo": "1"})
    assert not Follow.objects.exists()


def test_no_relation_buttons_for_guests_or_on_ones_own_page(client, member):
    assert (
        "member-relations" not in client.get(member.get_absolute_url()).content.decode()
    )
    client.force_login(member)
    assert (
        "member-relations" not in client.get(member.get_absolute_url()).content.decode()
    )
    client.post(follow_url(member))
    assert not Follow.objects.exists()


def test_guests_are_sent_to_log_in_and_unknown_members_are_404(client, member):
    response = client.post(follow_url(member))
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(member)
    assert client.post("/accounts/members/999999/follow/").status_code == 404
    assert client.post("/accounts/members/999999/ignore/").status_code == 404


def test_ignoring_from_the_profile_and_undoing_it_from_the_privacy_page(
    client, member, other_member
):
    client.force_login(member)
    client.post(ignore_url(other_member))
    client.post(ignore_url(other_member))
    assert User.objects.get(pk=member.pk).ignored_member_ids == [other_member.pk]
    page = client.get(reverse("accounts:privacy")).content.decode()
    assert "bob" in page and "Stop ignoring" in page
    response = client.post(ignore_url(other_member), {"undo": "1", "from": "privacy"})
    assert response["Location"] == reverse("accounts:privacy")
    assert User.objects.get(pk=member.pk).ignored_member_ids == []
    assert (
        "You ignore nobody." in client.get(reverse("accounts:privacy")).content.decode()
    )


def test_staff_moderators_and_oneself_cannot_be_ignored(client, member, moderator):
    client.force_login(member)
    client.post(ignore_url(moderator))
    client.post(ignore_url(member))
    assert User.objects.get(pk=member.pk).ignored_member_ids == []
    assert ">Ignore<" not in client.get(moderator.get_absolute_url()).content.decode()


def test_the_ignore_list_has_a_limit(member, monkeypatch):
    monkeypatch.setattr(relations, "MAX_IGNORED", 2)
    for _ in range(2):
        relations.ignore_member(user=member, member=make_member())
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="ignore 2 members already"):
        relations.ignore_member(user=member, member=make_member())
    assert len(User.objects.get(pk=member.pk).ignored_member_ids) == 2


def test_the_privacy_page_saves_the_choice_and_refuses_others(client, member):
    client.force_login(member)
    url = reverse("accounts:privacy")
    assert client.post(url, {"conversation_privacy": "followed"}).status_code == 302
    assert User.objects.get(pk=member.pk).conversation_privacy == "followed"
    response = client.post(url, {"conversation_privacy": "everyone!"})
    assert response.status_code == 200 and "Select a valid choice" in (
        response.content.decode()
    )
    assert User.objects.get(pk=member.pk).conversation_privacy == "followed"


def test_an_ignored_members_posts_fold_away_for_the_ignorer_alone(
    client, member, other_member, board
):
    thread = make_thread(board=board, author=member, title="Folding")
    make_posts(thread, 1, authors=[other_member])
    reader = make_member("reader")
    client.force_login(reader)
    url = thread.get_absolute_url()
    plain = client.get(url).content.decode()  # also fills the post cache
    assert "ignored-post" not in plain
    before = count_queries(client, url)
    relations.ignore_member(user=reader, member=other_member)
    folded = client.get(url).content.decode()
    assert folded.count("ignored-post") == 1
    assert "A post by a member you ignore" in folded
    assert "Reply number 0." in folded  # still there behind the fold
    # Read from the user row: not one query more.
    assert count_queries(client, url) == before
    client.force_login(member)
    assert "ignored-post" not in client.get(url).content.decode()
    client.logout()
    assert "ignored-post" not in client.get(url).content.decode()


def test_an_ignored_members_messages_fold_away_in_a_conversation(client, member):
    staffer = make_member("helper", is_staff=True)
    conversation = services.start_conversation(
        starter=staffer, recipients=[member], title="Hi", body="From staff"
    )
    bob = make_member("bob")
    services.invite_members(conversation=conversation, inviter=staffer, members=[bob])
    services.post_message(conversation=conversation, author=bob, body="Bob speaks")
    relations.ignore_member(user=member, member=bob)
    client.force_login(member)
    html = client.get(conversation.get_absolute_url()).content.decode()
    assert html.count("ignored-post") == 1
    assert "whom you ignore" in html and "Bob speaks" in html
