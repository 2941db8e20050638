"""Board permissions: private boards, per-board rules, board moderators, edit time."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from forum import access, permissions, services
from forum.models import BoardPermission, Post, Thread
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db

Audience = BoardPermission.Audience


@pytest.fixture
def staff_room(db):
    """A private board: guests and registered members lose "view"; a group gets it."""
    board = make_board("Staff room")
    group = Group.objects.create(name="Team")
    for audience in (Audience.GUESTS, Audience.MEMBERS):
        BoardPermission.objects.create(board=board, audience=audience, view_board=False)
    BoardPermission.objects.create(
        board=board, audience=Audience.GROUP, group=group, view_board=True
    )
    return board, group


@pytest.fixture
def secret_thread(staff_room):
    board, group = staff_room
    insider = make_member("insider")
    insider.groups.add(group)
    thread = make_thread(board=board, author=insider, title="Quarterly secrets")
    (reply,) = make_posts(thread, count=1, authors=[insider])
    return thread, reply, insider


def pages_of(thread: Thread, reply: Post) -> list[str]:
    return [
        thread.board.get_absolute_url(),
        thread.get_absolute_url(),
        reply.get_absolute_url(),
        reverse("forum:reply", args=[thread.pk]),
        reverse("forum:thread_create", args=[thread.board.slug]),
    ]


@pytest.mark.parametrize("who", ["guest", "outsider"])
def test_a_private_board_appears_nowhere_to_those_outside_it(
    client, secret_thread, who
):
    thread, reply, insider = secret_thread
    if who == "outsider":
        client.force_login(make_member("outsider"))
    for url in ["/", insider.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert "Staff room" not in html and "Quarterly secrets" not in html, url
    for url in pages_of(thread, reply):
        response = client.get(url)
        # Log-in-only pages send guests to log in; everything else is a 404.
        assert response.status_code in ((302,) if who == "guest" else ()) + (404,)
        assert "Quarterly secrets" not in response.content.decode()


def test_members_of_the_group_see_and_use_the_private_board(client, secret_thread):
    thread, reply, insider = secret_thread
    client.force_login(insider)
    assert "Quarterly secrets" in client.get("/").content.decode()
    for url in pages_of(thread, reply):
        assert client.get(url, follow=True).status_code == 200, url
    assert (
        "Quarterly secrets" in client.get(insider.get_absolute_url()).content.decode()
    )


def test_forum_wide_moderators_see_private_boards(client, secret_thread, moderator):
    thread, reply, _ = secret_thread
    client.force_login(moderator)
    assert client.get(thread.get_absolute_url()).status_code == 200


def test_guests_may_be_kept_to_titles_only(client, thread):
    BoardPermission.objects.create(audience=Audience.GUESTS, read_threads=False)
    assert thread.title in client.get(thread.board.get_absolute_url()).content.decode()
    assert client.get(thread.get_absolute_url()).status_code == 404
    client.force_login(make_member())
    assert client.get(thread.get_absolute_url()).status_code == 200


def test_a_board_may_refuse_replies_and_new_threads(client, thread, other_member):
    BoardPermission.objects.create(
        board=thread.board, audience=Audience.MEMBERS, reply=False, start_threads=False
    )
    with pytest.raises(PermissionDenied):
        services.post_reply(thread=thread, author=other_member, body="Hello?")
    with pytest.raises(PermissionDenied):
        services.start_thread(
            board=thread.board, author=other_member, title="New", body="Body"
        )
    client.force_login(other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert "js-reply" not in html
    other = make_thread(board=make_board("Open board"), author=other_member)
    assert services.post_reply(thread=other, author=other_member, body="Fine here")


def test_a_group_moderates_only_its_own_board(client, thread, other_member):
    mods = Group.objects.create(name="General chat moderators")
    BoardPermission.objects.create(
        board=thread.board, audience=Audience.GROUP, group=mods, moderate=True
    )
    other_member.groups.add(mods)
    elsewhere = make_thread(board=make_board("Elsewhere"), author=make_member())
    services.set_thread_locked(thread=thread, moderator=other_member, locked=True)
    assert Thread.objects.get(pk=thread.pk).is_locked
    with pytest.raises(PermissionDenied):
        services.set_thread_locked(
            thread=elsewhere, moderator=other_member, locked=True
        )
    with pytest.raises(PermissionDenied):
        services.move_thread(
            thread=thread, moderator=other_member, board=elsewhere.board
        )
    services.delete_thread(thread=thread, moderator=other_member, reason="Spam")
    client.force_login(other_member)
    # A deleted thread stays visible to the board's moderators, and only in it.
    assert thread.title in client.get(thread.board.get_absolute_url()).content.decode()
    assert client.get(thread.get_absolute_url()).status_code == 200


def test_an_edit_window_ends_the_authors_edits(thread, member):
    BoardPermission.objects.create(audience=Audience.MEMBERS, edit_window_minutes=10)
    first = thread.posts.get()
    assert permissions.can_edit_post(member, first)
    Post.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    first.refresh_from_db()
    access.forget(member)
    assert not permissions.can_edit_post(member, first)
    with pytest.raises(PermissionDenied):
        services.edit_post(post=first, editor=member, body="Too late")


def test_a_visitors_permissions_are_read_once_per_request(
    client, secret_thread, django_assert_max_num_queries
):
    thread, _, insider = secret_thread
    for n in range(5):
        BoardPermission.objects.create(
            board=make_board(f"Private {n}"),
            audience=Audience.MEMBERS,
            view_board=False,
        )
    client.force_login(insider)
    client.get("/")  # the session and the user are read once per request too
    # The member budget, with this first view's read-progress upsert.
    with django_assert_max_num_queries(8):
        assert client.get(thread.get_absolute_url()).status_code == 200


def test_a_members_permissions_come_with_the_member_behind_the_session(
    client, secret_thread
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.backends import session_user

    thread, _, insider = secret_thread
    client.force_login(insider)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(thread.board.get_absolute_url()).status_code == 200
    sql = [query["sql"] for query in queries]
    assert not any(q.startswith("SELECT board_id, audience") for q in sql), sql
    assert any("json_agg(json_build_array(board_id" in q for q in sql), sql
    # The rows read with the member: the group's grant, the members' refusal.
    member = session_user(insider.pk)
    assert access.for_user(member).sees(thread.board_id)
    outsider = session_user(make_member("outsider").pk)
    assert not access.for_user(outsider).sees(thread.board_id)
    # Forgotten after a change of groups: read again, with the change.
    outsider.groups.add(insider.groups.get())
    access.forget(outsider)
    assert access.for_user(outsider).sees(thread.board_id)


def test_members_of_the_default_moderators_group_moderate_every_board(
    thread, other_member
):
    assert not permissions.can_moderate(other_member, thread)
    other_member.groups.add(Group.objects.get(name="Moderators"))
    access.forget(other_member)
    elsewhere = make_thread(board=make_board("Elsewhere"), author=make_member())
    assert permissions.can_moderate(other_member, thread)
    assert permissions.can_moderate(other_member, elsewhere)
    assert Group.objects.filter(name="Administrators").exists()


def test_one_profile_shows_each_viewer_only_their_boards(client, secret_thread):
    # The profile's lists are compiled once per kind of viewer: the insider's
    # SQL must never be the one a guest or an outsider gets after them.
    thread, reply, insider = secret_thread
    url = insider.get_absolute_url()
    outsider = make_member("outsider")
    for viewer, sees in (
        (None, False),
        (insider, True),
        (None, False),
        (outsider, False),
    ):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        html = client.get(url).content.decode()
        assert ("Quarterly secrets" in html) is sees, viewer
