"""Django admin as the moderation desk: actions through services, constant queries.

Members are moderated here too: the forum re-registers the accounts user admin with
its ban, title and moderator actions.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Tier
from forum import services
from forum.models import Board, ModerationAction, Thread
from tests.accounts.test_admin import change_form_data
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


def run_action(client, model: str, action: str, pks, **extra):
    return client.post(
        f"/admin/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks], **extra},
    )


def test_thread_actions_lock_stick_and_unlock(staff_client, thread):
    run_action(staff_client, "forum/thread", "lock", [thread.pk])
    run_action(staff_client, "forum/thread", "stick", [thread.pk])
    thread.refresh_from_db()
    assert thread.is_locked and thread.is_sticky
    run_action(staff_client, "forum/thread", "unlock", [thread.pk])
    run_action(staff_client, "forum/thread", "unstick", [thread.pk])
    thread.refresh_from_db()
    assert not thread.is_locked and not thread.is_sticky
    actions = set(ModerationAction.objects.values_list("action", flat=True))
    assert actions == {"lock", "unlock", "stick", "unstick"}


def test_thread_move_action_keeps_board_counters(staff_client, thread):
    make_posts(thread, 2)
    target = make_board("Elsewhere")
    response = run_action(
        staff_client, "forum/thread", "move", [thread.pk], board=target.pk
    )
    assert response.status_code == 302
    source, target = (Board.objects.get(pk=b) for b in (thread.board_id, target.pk))
    assert (source.thread_count, source.post_count, source.last_post) == (0, 0, None)
    assert (target.thread_count, target.post_count) == (1, 3)
    assert target.last_post == thread.posts.get(position=3)


def test_thread_move_action_without_a_board_says_so(staff_client, thread):
    response = run_action(staff_client, "forum/thread", "move", [thread.pk])
    assert response.status_code == 302
    page = staff_client.get(response["Location"]).content.decode()
    assert "Choose the board to move to" in page
    assert Thread.objects.get(pk=thread.pk).board_id == thread.board_id


def test_thread_soft_delete_and_restore_actions_keep_counters(
    staff_client, thread, member
):
    make_posts(thread, 2)
    run_action(staff_client, "forum/thread", "soft_delete", [thread.pk], reason="Spam")
    board = Board.objects.get(pk=thread.board_id)
    member.refresh_from_db()
    assert (board.thread_count, board.post_count, member.post_count) == (0, 0, 0)
    assert ModerationAction.objects.get(action="delete_thread").reason == "Spam"
    run_action(staff_client, "forum/thread", "restore", [thread.pk])
    board.refresh_from_db()
    member.refresh_from_db()
    assert (board.thread_count, board.post_count, member.post_count) == (1, 3, 1)


def test_post_actions_soft_delete_and_restore(staff_client, thread, other_member):
    reply = services.post_reply(thread=thread, author=other_member, body="Hm")
    first = thread.posts.get(position=1)
    run_action(staff_client, "forum/post", "soft_delete", [reply.pk], reason="Rude")
    reply.refresh_from_db()
    thread.refresh_from_db()
    other_member.refresh_from_db()
    assert reply.is_deleted and reply.delete_reason == "Rude"
    assert (thread.reply_count, thread.last_post, other_member.post_count) == (
        0,
        first,
        0,
    )
    run_action(staff_client, "forum/post", "restore", [reply.pk])
    thread.refresh_from_db()
    assert (thread.reply_count, thread.last_post) == (1, reply)


def test_hard_delete_and_add_are_not_offered(staff_client, thread):
    page = staff_client.get("/admin/forum/thread/").content.decode()
    assert "delete_selected" not in page
    assert staff_client.get("/admin/forum/thread/add/").status_code == 403
    post = thread.posts.get()
    assert staff_client.get(f"/admin/forum/post/{post.pk}/delete/").status_code == 403


def test_thread_change_form_cannot_move_or_delete(staff_client, thread):
    other = make_board("Elsewhere")
    staff_client.post(
        f"/admin/forum/thread/{thread.pk}/change/",
        {
            "title": "Renamed",
            "slug": "renamed",
            "board": other.pk,
            "is_deleted": "on",
        },
    )
    thread.refresh_from_db()
    assert thread.title == "Renamed"
    assert thread.board_id != other.pk and not thread.is_deleted


def test_post_change_page_shows_revisions_inline(staff_client, thread, member):
    post = thread.posts.get()
    post.revisions.create(editor=member, body="The old words")
    html = staff_client.get(f"/admin/forum/post/{post.pk}/change/").content.decode()
    assert "The old words" in html


def test_member_ban_and_unban_actions(staff_client, member):
    until = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    run_action(
        staff_client,
        "accounts/user",
        "ban_members",
        [member.pk],
        reason="Spam",
        until=until,
    )
    member.refresh_from_db()
    assert member.is_currently_banned and member.ban_reason == "Spam"
    assert member.banned_until is not None
    run_action(staff_client, "accounts/user", "unban_members", [member.pk])
    member.refresh_from_db()
    assert not member.is_banned


def test_ban_action_needs_a_reason(staff_client, member):
    response = run_action(staff_client, "accounts/user", "ban_members", [member.pk])
    page = staff_client.get(response["Location"]).content.decode()
    assert "Give a reason" in page
    member.refresh_from_db()
    assert not member.is_banned


def test_ban_action_refuses_superusers_with_a_message(staff_client, staff):
    other_admin = make_member("root", is_staff=True, is_superuser=True)
    response = run_action(
        staff_client, "accounts/user", "ban_members", [other_admin.pk], reason="x"
    )
    page = staff_client.get(response["Location"]).content.decode()
    assert "Root: You may not ban this member." in page
    other_admin.refresh_from_db()
    assert not other_admin.is_banned


def test_member_title_and_tier_actions(staff_client, member):
    platinum = Tier.objects.get(name="Platinum Member")
    run_action(staff_client, "accounts/user", "pin_tier", [member.pk], tier=platinum.pk)
    member.refresh_from_db()
    assert member.title == "Platinum Member"
    run_action(
        staff_client, "accounts/user", "set_custom_title", [member.pk], title="Sage"
    )
    member.refresh_from_db()
    assert member.title == "Sage"
    assert ModerationAction.objects.filter(action="set_title").count() == 2


def test_change_form_pins_a_tier_and_appoints_a_moderator(staff_client, member):
    platinum = Tier.objects.get(name="Platinum Member")
    response = staff_client.post(
        f"/admin/accounts/user/{member.pk}/change/",
        change_form_data(member, pinned_tier=platinum.pk, is_moderator="on"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.pinned_tier == platinum and member.is_moderator
    actions = set(ModerationAction.objects.values_list("action", flat=True))
    assert actions == {"set_title", "appoint_moderator"}


def test_search_posts_by_text_and_author(staff_client, thread, other_member):
    services.post_reply(thread=thread, author=other_member, body="Needle in hay")
    by_text = staff_client.get("/admin/forum/post/?q=Needle").content.decode()
    assert "Needle in hay" in by_text and "First post." not in by_text
    by_author = staff_client.get("/admin/forum/post/?q=alice").content.decode()
    assert "First post." in by_author and "Needle" not in by_author


def grow(rows: int) -> None:
    authors = [make_member() for _ in range(3)]
    for i in range(rows):
        thread = make_thread(board=make_board(f"B{i}"), author=authors[i % 3])
        services.post_reply(thread=thread, author=authors[(i + 1) % 3], body="x")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/forum/thread/",
        "/admin/forum/post/",
        "/admin/forum/board/",
        "/admin/accounts/user/",
        "/admin/forum/moderationaction/",
    ],
)
def test_changelist_queries_do_not_grow_with_rows(staff_client, staff, url):
    moderator = make_member(is_moderator=True)
    grow(3)
    for thread in Thread.objects.all():
        services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    few = count_queries(staff_client, url)
    grow(12)  # five times the rows, still one changelist page
    for thread in Thread.objects.filter(is_locked=False):
        services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    assert count_queries(staff_client, url) == few


def test_renaming_a_thread_in_admin_moves_its_slug_and_is_audited(staff_client, thread):
    response = staff_client.post(
        f"/admin/forum/thread/{thread.pk}/change/", {"title": "A better title"}
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert (thread.title, thread.slug) == ("A better title", "a-better-title")
    assert ModerationAction.objects.filter(thread=thread, action="rename").exists()


def test_view_only_staff_cannot_run_moderation_actions(client, thread):
    from django.contrib.auth.models import Permission

    viewer = make_member("viewer", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_thread", "view_user"])
    )
    client.force_login(viewer)
    run_action(client, "forum/thread", "lock", [thread.pk])
    thread.refresh_from_db()
    assert not thread.is_locked
    assert not ModerationAction.objects.exists()
