"""The approval queue: new members' posts and spam wait for a board moderator."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from forum import services
from forum.models import Board, BoardPermission, ModerationAction, Post, Thread
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def holding(settings, thread):
    """The thread exists (its starter has one approved post); then holding starts."""
    settings.FORUM_APPROVAL_POSTS = 1
    settings.FORUM_APPROVAL_LINK_POSTS = 5
    settings.FORUM_SPAM_PHRASES = ["Cheap Pills"]
    return thread


@pytest.fixture
def newbie(db):
    return make_member("newbie")


@pytest.fixture
def board_mod(thread):
    """A member who moderates only the thread's board, through a group."""
    group = Group.objects.create(name="Chat moderators")
    BoardPermission.objects.create(
        board=thread.board,
        audience=BoardPermission.Audience.GROUP,
        group=group,
        moderate=True,
    )
    mod = make_member("boardmod")
    mod.groups.add(group)
    return mod


def counters(thread: Thread) -> tuple:
    thread.refresh_from_db()
    board = Board.objects.get(pk=thread.board_id)
    return (
        thread.reply_count,
        thread.last_position,
        thread.last_post_id,
        board.post_count,
        board.thread_count,
        board.last_post_id,
    )


def recount_is_exact() -> bool:
    try:
        call_command("recount", "--check", stdout=StringIO())
    except SystemExit as exit_:
        return exit_.code == 0
    except Exception:  # CommandError with returncode 1: drift
        return False
    return True


def test_a_new_members_reply_is_held_and_counted_nowhere(holding, newbie):
    before = counters(holding)
    post = services.post_reply(thread=holding, author=newbie, body="Hi all")
    assert (post.is_approved, post.position, post.held_reason) == (
        False,
        None,
        "New member",
    )
    assert counters(holding) == before
    newbie.refresh_from_db()
    assert newbie.post_count == 0
    assert recount_is_exact()


def test_approving_a_reply_moves_every_counter_as_a_new_reply(
    holding, newbie, board_mod
):
    held = services.post_reply(thread=holding, author=newbie, body="Hi all")
    # Another reply lands while the first waits: the held one must not leave a gap.
    (later,) = make_posts(holding, count=1, authors=[holding.author])
    assert later.position == 2
    post = services.approve_post(post=held, moderator=board_mod)
    assert (post.is_approved, post.position) == (True, 3)
    thread = post.thread
    assert (thread.reply_count, thread.last_position, thread.last_post_id) == (
        2,
        3,
        post.pk,
    )
    board = Board.objects.get(pk=thread.board_id)
    assert (board.post_count, board.last_post_id) == (3, post.pk)
    newbie.refresh_from_db()
    assert newbie.post_count == 1
    assert ModerationAction.objects.filter(
        action="approve_post", post=post, actor=board_mod, target_user=newbie
    ).exists()
    assert recount_is_exact()


def test_a_new_members_thread_is_held_then_approved(holding, newbie, board_mod):
    board = holding.board
    before = Board.objects.get(pk=board.pk)
    thread = services.start_thread(board=board, author=newbie, title="Hi", body="Me")
    assert thread.is_approved is False
    assert thread.last_post_id is None
    after = Board.objects.get(pk=board.pk)
    assert (after.thread_count, after.post_count, after.last_post_id) == (
        before.thread_count,
        before.post_count,
        before.last_post_id,
    )
    assert recount_is_exact()
    first = thread.posts.get()
    services.approve_post(post=first, moderator=board_mod)
    thread.refresh_from_db()
    after = Board.objects.get(pk=board.pk)
    assert thread.is_approved and thread.last_post_id == first.pk
    assert (after.thread_count, after.post_count, after.last_post_id) == (
        before.thread_count + 1,
        before.post_count + 1,
        first.pk,
    )
    assert ModerationAction.objects.filter(action="approve_thread").exists()
    assert recount_is_exact()


def test_rejecting_soft_deletes_with_the_reason_and_moves_nothing(
    holding, newbie, board_mod
):
    before = counters(holding)
    held = services.post_reply(thread=holding, author=newbie, body="Buy now")
    post = services.reject_post(post=held, moderator=board_mod, reason="Advert")
    assert (post.is_deleted, post.delete_reason, post.deleted_by) == (
        True,
        "Advert",
        board_mod,
    )
    assert counters(holding) == before
    assert ModerationAction.objects.filter(
        action="reject_post", post=post, reason="Advert"
    ).exists()
    # A rejected post cannot be approved afterwards.
    assert services.approve_post(post=post, moderator=board_mod).is_approved is False
    assert recount_is_exact()


def test_rejecting_a_held_thread_deletes_it(holding, newbie, board_mod):
    thread = services.start_thread(
        board=holding.board, author=newbie, title="Spam", body="Spam"
    )
    services.reject_post(post=thread.posts.get(), moderator=board_mod)
    thread.refresh_from_db()
    assert thread.is_deleted
    assert recount_is_exact()


def test_a_spam_phrase_holds_even_an_established_members_post(holding, member):
    post = services.post_reply(thread=holding, author=member, body="cheap PILLS here")
    assert not post.is_approved
    assert post.held_reason.startswith("Contains a spam phrase")


def test_links_from_a_member_under_the_link_threshold_are_held(holding, member):
    member.refresh_from_db()  # one approved post: past the first threshold
    plain = services.post_reply(thread=holding, author=member, body="No link here")
    assert plain.is_approved
    for body in ("see https://spam.example", "www.example.com", "[url]x[/url]"):
        post = services.post_reply(thread=holding, author=member, body=body)
        assert (post.is_approved, post.held_reason) == (
            False,
            "Link from a new member",
        )


def test_moderators_are_never_held(holding, moderator, board_mod):
    for author in (moderator, board_mod):
        post = services.post_reply(
            thread=holding, author=author, body="cheap pills at https://x.example"
        )
        assert post.is_approved and post.position is not None


def test_holding_is_off_at_zero(holding, newbie, settings):
    settings.FORUM_APPROVAL_POSTS = 0
    settings.FORUM_APPROVAL_LINK_POSTS = 0
    assert services.post_reply(thread=holding, author=newbie, body="Hi").is_approved


def test_approving_in_a_board_you_do_not_moderate_is_refused(
    holding, newbie, board_mod
):
    elsewhere = make_thread(board=make_board("Elsewhere"), author=holding.author)
    held = services.post_reply(thread=elsewhere, author=newbie, body="Hi")
    with pytest.raises(PermissionDenied):
        services.approve_post(post=held, moderator=board_mod)
    with pytest.raises(PermissionDenied):
        services.reject_post(post=held, moderator=board_mod)
    with pytest.raises(PermissionDenied):
        services.approve_post(post=held, moderator=newbie)
    held.refresh_from_db()
    assert not held.is_approved and not held.is_deleted


def test_approving_twice_counts_once(holding, newbie, board_mod):
    held = services.post_reply(thread=holding, author=newbie, body="Hi")
    services.approve_post(post=held, moderator=board_mod)
    once = counters(holding)
    again = services.approve_post(post=held, moderator=board_mod)
    assert again.position == 2
    assert counters(holding) == once
    assert ModerationAction.objects.filter(action="approve_post").count() == 1
    assert recount_is_exact()


def test_a_double_submitted_held_reply_is_one_post(holding, newbie):
    import uuid

    token = uuid.uuid4()
    first = services.post_reply(
        thread=holding, author=newbie, body="Hi", submission_token=token
    )
    second = services.post_reply(
        thread=holding, author=newbie, body="Hi", submission_token=token
    )
    assert first.pk == second.pk
    assert Post.objects.filter(author=newbie).count() == 1


def test_withdrawing_and_deleting_held_posts_keeps_recount_exact(
    holding, newbie, board_mod, moderator
):
    withdrawn = services.post_reply(thread=holding, author=newbie, body="Oops")
    services.delete_post(post=withdrawn, actor=newbie)
    kept = services.post_reply(thread=holding, author=newbie, body="Hi")
    services.delete_thread(thread=holding, moderator=moderator)
    services.approve_post(post=kept, moderator=board_mod)
    services.restore_thread(thread=holding, moderator=moderator)
    newbie.refresh_from_db()
    assert newbie.post_count == 1
    assert recount_is_exact()


def test_replies_to_a_held_thread_are_refused(holding, newbie, moderator):
    thread = services.start_thread(
        board=holding.board, author=newbie, title="Hi", body="Me"
    )
    for author in (newbie, moderator):
        with pytest.raises(PermissionDenied):
            services.post_reply(thread=thread, author=author, body="Reply")


# Who sees what.


@pytest.fixture
def held_reply(holding, newbie):
    make_posts(holding, count=1, authors=[holding.author])
    return services.post_reply(thread=holding, author=newbie, body="HELD-TEXT-42")


@pytest.fixture
def held_thread(holding, newbie):
    return services.start_thread(
        board=holding.board, author=newbie, title="HELD-TITLE-42", body="First"
    )


def pages(thread: Thread, member) -> list[str]:
    return [
        "/",
        thread.board.get_absolute_url(),
        thread.get_absolute_url(),
        member.get_absolute_url(),
    ]


@pytest.mark.parametrize("viewer", ["guest", "other"])
def test_others_never_see_a_held_reply_or_thread(
    client, viewer, held_reply, held_thread, newbie, other_member
):
    if viewer == "other":
        client.force_login(other_member)
    for url in pages(held_reply.thread, newbie):
        body = client.get(url).content.decode()
        assert "HELD-TEXT-42" not in body and "HELD-TITLE-42" not in body, url
    assert client.get(held_reply.get_absolute_url()).status_code == 404
    assert client.get(held_thread.get_absolute_url()).status_code == 404
    first = held_thread.posts.get()
    assert client.get(first.get_absolute_url()).status_code == 404
    if viewer == "other":
        quotes = reverse("forum:quotes", args=[held_reply.thread_id])
        assert "HELD" not in client.get(f"{quotes}?quote={held_reply.pk}").text


def test_the_author_sees_their_held_reply_and_thread_marked(
    client, held_reply, held_thread, newbie
):
    client.force_login(newbie)
    response = client.get(held_reply.get_absolute_url(), follow=True)
    body = response.content.decode()
    assert "HELD-TEXT-42" in body and "Awaiting approval" in body
    assert "Approve" not in body
    body = client.get(held_thread.get_absolute_url()).content.decode()
    assert "HELD-TITLE-42" in body and "Awaiting approval" in body


def test_board_moderators_see_held_posts_in_place_with_controls(
    client, held_reply, board_mod
):
    client.force_login(board_mod)
    body = client.get(held_reply.thread.get_absolute_url()).content.decode()
    assert "HELD-TEXT-42" in body and "Awaiting approval" in body
    assert reverse("forum:post_approve", args=[held_reply.pk]) in body
    assert reverse("forum:post_reject", args=[held_reply.pk]) in body


def test_held_posts_do_not_break_pagination_for_others(client, holding, newbie):
    make_posts(holding, count=19, authors=[holding.author])  # exactly one full page
    services.post_reply(thread=holding, author=newbie, body="HELD-TEXT-42")
    holding.refresh_from_db()
    assert holding.page_count == 1
    assert client.get(holding.page_url(2)).status_code == 302
    client.force_login(newbie)
    assert "HELD-TEXT-42" in client.get(holding.get_absolute_url()).text


def test_a_held_reply_costs_the_viewer_one_query_at_most(
    client, holding, newbie, other_member
):
    make_posts(holding, count=3, authors=[holding.author])
    url = holding.get_absolute_url()
    client.force_login(newbie)
    count_queries(client, url)
    without = count_queries(client, url)
    services.post_reply(thread=holding, author=newbie, body="HELD-TEXT-42")
    count_queries(client, url)
    assert count_queries(client, url) <= without + 1
    client.force_login(other_member)
    count_queries(client, url)
    assert count_queries(client, url) == without


# The queue page and the actions.


def test_the_queue_lists_held_posts_of_boards_the_member_moderates(
    client, held_reply, held_thread, board_mod, newbie
):
    starter = held_reply.thread.author
    elsewhere = make_thread(board=make_board("Elsewhere"), author=starter)
    services.post_reply(thread=elsewhere, author=newbie, body="OTHER-BOARD-42")
    client.force_login(board_mod)
    body = client.get(reverse("forum:approval_queue")).content.decode()
    assert "HELD-TEXT-42" in body and "HELD-TITLE-42" in body
    assert "OTHER-BOARD-42" not in body


def test_the_queue_is_for_moderators_only(client, newbie):
    url = reverse("forum:approval_queue")
    assert client.get(url).status_code == 302
    client.force_login(newbie)
    assert client.get(url).status_code == 403


def test_approving_from_the_queue(client, held_reply, board_mod):
    client.force_login(board_mod)
    queue = reverse("forum:approval_queue")
    url = reverse("forum:post_approve", args=[held_reply.pk])
    response = client.post(url, {"next": queue})
    assert response.status_code == 302 and response.url == queue
    held_reply.refresh_from_db()
    assert held_reply.is_approved
    # The same button pressed again changes nothing and says so.
    response = client.post(url, {"next": "https://evil.example/"}, follow=True)
    assert "already approved or rejected" in response.content.decode()
    assert ModerationAction.objects.filter(action="approve_post").count() == 1
    client.logout()
    assert "HELD-TEXT-42" in client.get(held_reply.thread.get_absolute_url()).text


def test_rejecting_from_the_thread_page(client, held_reply, board_mod):
    client.force_login(board_mod)
    url = reverse("forum:post_reject", args=[held_reply.pk])
    assert client.post(url, {"reason": "x" * 1000}).status_code == 302
    held_reply.refresh_from_db()
    assert held_reply.is_deleted and held_reply.delete_reason == "x" * 255


def test_others_may_not_approve_or_reject(client, held_reply, other_member, newbie):
    for who in (other_member, newbie):
        client.force_login(who)
        for name in ("forum:post_approve", "forum:post_reject"):
            url = reverse(name, args=[held_reply.pk])
            assert client.post(url).status_code == 403
            assert client.get(url).status_code == 405
    client.logout()
    assert client.post(reverse("forum:post_approve", args=[999999])).status_code == 302
    held_reply.refresh_from_db()
    assert not held_reply.is_approved and not held_reply.is_deleted


def test_admin_actions_approve_and_reject(client, holding, newbie, staff):
    first = services.post_reply(thread=holding, author=newbie, body="One")
    second = services.post_reply(thread=holding, author=newbie, body="Two")
    client.force_login(staff)
    url = reverse("admin:forum_post_changelist")
    client.post(url, {"action": "approve", "_selected_action": [first.pk]})
    client.post(url, {"action": "reject", "_selected_action": [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_approved and first.position == 2
    assert second.is_deleted and not second.is_approved
    assert recount_is_exact()
