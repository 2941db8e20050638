"""Delete spammer: ban a member and soft-delete everything they wrote, in one go."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from forum import moderation
from forum.models import BoardPermission, ModerationAction, Post, Thread
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def spammer(db):
    return make_member("spammer")


@pytest.fixture
def spam(spammer, thread, other_member):
    """Two threads of theirs (one with a reply by someone else) and replies of
    theirs in another member's thread."""
    own = make_thread(board=thread.board, author=spammer, title="Cheap watches")
    make_posts(own, 1, authors=[other_member])
    make_posts(own, 1, authors=[spammer])
    elsewhere = make_thread(board=make_board("Other"), author=spammer, title="Pills")
    make_posts(thread, 4, authors=[spammer, other_member])
    return [own, elsewhere]


def recount_check() -> None:
    # Exits with status 1 (SystemExit) when anything drifted.
    call_command("recount", "--check", stdout=StringIO())


def test_delete_spammer_bans_and_deletes_everything_and_counts_stay_exact(
    spammer, spam, thread, moderator, other_member
):
    recount_check()
    moderation.delete_spammer(member=spammer, moderator=moderator, reason="Spam")
    recount_check()
    spammer.refresh_from_db()
    assert spammer.is_currently_banned and spammer.banned_until is None
    assert spammer.post_count == 0
    assert not Thread.objects.filter(author=spammer, is_deleted=False).exists()
    assert not Post.objects.filter(
        author=spammer, is_deleted=False, position__gt=1
    ).exists()
    # Others' replies in the other member's thread stay; the thread lives on.
    thread.refresh_from_db()
    assert not thread.is_deleted and thread.reply_count == 2
    assert Post.objects.visible_to(other_member).filter(author=spammer).count() == 0
    actions = set(
        ModerationAction.objects.filter(actor=moderator).values_list(
            "action", flat=True
        )
    )
    assert {"ban", "delete_thread", "delete_post", "delete_spammer"} <= actions
    # Running it again changes nothing and still leaves exact counts.
    moderation.delete_spammer(member=spammer, moderator=moderator, reason="Spam")
    recount_check()


def test_restoring_a_spammers_thread_brings_back_only_others_replies(
    spammer, spam, moderator
):
    from forum import services

    moderation.delete_spammer(member=spammer, moderator=moderator, reason="Spam")
    own = spam[0]
    services.restore_thread(thread=own, moderator=moderator)
    live = Post.objects.filter(thread=own, is_deleted=False)
    assert {p.author.username for p in live} == {"spammer", "bob"}
    assert live.filter(author=spammer).get().position == 1
    recount_check()


def test_only_forum_wide_moderators_delete_spammers(spammer, spam, thread, member):
    group = Group.objects.create(name="Chat mods")
    BoardPermission.objects.create(
        board=thread.board,
        audience=BoardPermission.Audience.GROUP,
        group=group,
        moderate=True,
    )
    board_mod = make_member("boardmod")
    board_mod.groups.add(group)
    for actor in (member, board_mod):
        with pytest.raises(PermissionDenied):
            moderation.delete_spammer(member=spammer, moderator=actor, reason="x")
    root = make_member("root", is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied):
        moderation.delete_spammer(
            member=root, moderator=make_member("m2", is_moderator=True), reason="x"
        )
    assert not User.objects.get(pk=spammer.pk).is_banned
    assert Thread.objects.filter(author=spammer, is_deleted=False).count() == 2


def test_the_confirm_page_asks_for_a_reason_then_acts(client, spammer, spam, moderator):
    url = reverse("forum:member_delete_spammer", args=[spammer.pk])
    client.force_login(moderator)
    page = client.get(url)
    assert page.status_code == 200
    assert "2 threads" in page.content.decode()
    assert client.post(url, {"reason": ""}).status_code == 200
    assert not User.objects.get(pk=spammer.pk).is_banned
    assert client.post(url, {"reason": "x" * 300}).status_code == 200
    response = client.post(url, {"reason": "Watch spam"})
    assert response.status_code == 302
    assert User.objects.get(pk=spammer.pk).ban_reason == "Watch spam"
    recount_check()


def test_the_confirm_page_is_refused_to_members_and_needs_csrf(
    client, spammer, spam, member, moderator
):
    url = reverse("forum:member_delete_spammer", args=[spammer.pk])
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Spam"}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moderator)
    assert strict.post(url, {"reason": "Spam"}).status_code == 403
    assert not User.objects.get(pk=spammer.pk).is_banned
    assert client.get("/members/999999/delete-spammer/").status_code == 404


def test_the_admin_action_deletes_spammers(staff_client, spammer, spam):
    staff_client.post(
        "/admin/accounts/user/",
        {
            "action": "delete_spammers",
            "_selected_action": [spammer.pk],
            "reason": "Spam ring",
        },
    )
    spammer.refresh_from_db()
    assert spammer.is_banned and spammer.ban_reason == "Spam ring"
    assert not Thread.objects.filter(author=spammer, is_deleted=False).exists()
    recount_check()
