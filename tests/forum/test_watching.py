"""Watching threads and boards, auto-watch, the watched page, and the fan-out."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from forum import alert_tasks, services, watching
from forum.models import (
    Alert,
    BoardPermission,
    BoardWatch,
    MemberPreferences,
    ThreadWatch,
)
from tests.conftest import run_worker
from tests.factories import make_board, make_member, make_thread

pytestmark = pytest.mark.django_db


def reply(thread, author, body="A reply."):
    return services.post_reply(thread=thread, author=author, body=body)


def kinds_for(user) -> list[str]:
    return list(Alert.objects.filter(recipient=user).values_list("kind", flat=True))


# --- Watching and auto-watch -----------------------------------------------------


def test_starting_and_replying_watch_the_thread_by_default(member, other_member, board):
    thread = make_thread(board=board, author=member)
    assert ThreadWatch.objects.filter(user=member, thread=thread, email=False).exists()
    reply(thread, other_member)
    assert ThreadWatch.objects.filter(user=other_member, thread=thread).exists()


def test_auto_watch_off_and_with_email(member, other_member, board):
    MemberPreferences.objects.create(user=member, auto_watch="off")
    MemberPreferences.objects.create(user=other_member, auto_watch="email")
    member.refresh_from_db()
    other_member.refresh_from_db()
    thread = make_thread(board=board, author=member)
    reply(thread, other_member)
    assert not ThreadWatch.objects.filter(user=member).exists()
    assert ThreadWatch.objects.get(user=other_member).email is True


def test_auto_watch_keeps_an_existing_watch_as_it_is(member, other_member, thread):
    watching.watch_thread(user=other_member, thread=thread, email=True)
    reply(thread, other_member)
    assert ThreadWatch.objects.get(user=other_member, thread=thread).email is True


def test_cannot_watch_what_one_cannot_see(member, other_member):
    secret = make_board("Staff room")
    BoardPermission.objects.create(
        board=secret, audience="members", view_board=False, read_threads=False
    )
    thread = make_thread(board=secret, author=make_member("mod", is_moderator=True))
    with pytest.raises(PermissionDenied):
        watching.watch_thread(user=other_member, thread=thread)
    with pytest.raises(PermissionDenied):
        watching.watch_board(user=other_member, board=secret)
    assert not ThreadWatch.objects.filter(user=other_member).exists()


# --- Views -----------------------------------------------------------------------


def test_watch_buttons_plain_post_and_htmx(client, member, other_member, thread):
    client.force_login(other_member)
    url = f"/threads/{thread.pk}/watch/"
    response = client.post(url, {"action": "watch", "email": "on"})
    assert response.status_code == 302
    assert ThreadWatch.objects.get(user=other_member, thread=thread).email
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Watching with email" in page and "Unwatch" in page
    response = client.post(url, {"action": "unwatch"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Watch thread" in response.content.decode()
    assert not ThreadWatch.objects.filter(user=other_member).exists()


def test_watch_rejects_bad_input_guests_and_hidden_threads(client, member, thread):
    url = f"/threads/{thread.pk}/watch/"
    response = client.post(url, {"action": "watch"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(member)
    assert client.post(url, {"action": "explode"}).status_code == 400
    assert client.get(url).status_code == 405
    assert client.post("/threads/999999/watch/", {"action": "watch"}).status_code == 404
    secret = make_board("Staff room")
    BoardPermission.objects.create(
        board=secret, audience="members", view_board=False, read_threads=False
    )
    hidden = make_thread(board=secret, author=make_member("mod", is_moderator=True))
    response = client.post(f"/threads/{hidden.pk}/watch/", {"action": "watch"})
    assert response.status_code == 404
    response = client.post(f"/boards/{secret.slug}/watch/", {"action": "watch"})
    assert response.status_code == 404


def test_watch_needs_csrf(member, thread):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(f"/threads/{thread.pk}/watch/", {"action": "watch"})
    assert response.status_code == 403


def test_board_watch_button(client, member, board):
    client.force_login(member)
    page = client.get(board.get_absolute_url()).content.decode()
    assert "Watch board" in page
    response = client.post(
        f"/boards/{board.slug}/watch/",
        {"action": "watch", "notify": "posts", "email": "on"},
    )
    assert response.status_code == 302
    watch = BoardWatch.objects.get(user=member, board=board)
    assert (watch.notify, watch.email) == ("posts", True)
    page = client.get(board.get_absolute_url()).content.decode()
    assert "Watching new threads and replies, with email" in page
    response = client.post(
        f"/boards/{board.slug}/watch/", {"action": "unwatch"}, HTTP_HX_REQUEST="true"
    )
    assert "Watch board" in response.content.decode()
    assert not BoardWatch.objects.exists()


def test_watched_page_lists_and_unwatches(client, member, other_member, board):
    old = make_thread(board=board, author=other_member, title="Old news")
    fresh = make_thread(board=board, author=other_member, title="Fresh news")
    secret = make_board("Staff room")
    hidden = make_thread(board=secret, author=other_member, title="Hidden talk")
    for thread in (old, fresh, hidden):
        watching.watch_thread(user=member, thread=thread)
    watching.watch_board(user=member, board=board)
    BoardPermission.objects.create(
        board=secret, audience="members", view_board=False, read_threads=False
    )
    reply(fresh, other_member)
    client.force_login(member)
    page = client.get("/account/watched/").content.decode()
    assert page.index("Fresh news") < page.index("Old news")
    # A thread moved out of the member's sight leaves the list.
    assert "Hidden talk" not in page
    assert board.name in page
    client.post(
        f"/threads/{old.pk}/watch/", {"action": "unwatch", "next": "/account/watched/"}
    )
    assert "Old news" not in client.get("/account/watched/").content.decode()


def test_watched_page_needs_login(client):
    response = client.get("/account/watched/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- Fan-out ---------------------------------------------------------------------


def test_reply_alerts_thread_watchers_but_not_its_author(
    django_capture_on_commit_callbacks, member, other_member, thread
):
    carol = make_member("carol")
    watching.watch_thread(user=carol, thread=thread)
    with django_capture_on_commit_callbacks(execute=True):
        post = reply(thread, other_member)
    # member started the thread (auto-watched); carol watches; bob wrote it.
    assert kinds_for(member) == ["reply"] and kinds_for(carol) == ["reply"]
    assert kinds_for(other_member) == []
    assert Alert.objects.get(recipient=carol).post_id == post.pk
    assert User.objects.get(pk=carol.pk).alerts_unread == 1


def test_board_watchers_hear_of_new_threads_and_with_posts_of_replies(
    django_capture_on_commit_callbacks, member, other_member, board
):
    threads_only, everything = make_member("carol"), make_member("dave")
    watching.watch_board(user=threads_only, board=board)
    watching.watch_board(user=everything, board=board, notify="posts")
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(board=board, author=member)
    assert kinds_for(threads_only) == ["thread"] == kinds_for(everything)
    with django_capture_on_commit_callbacks(execute=True):
        reply(thread, other_member)
    assert kinds_for(threads_only) == ["thread"]
    assert sorted(kinds_for(everything)) == ["reply", "thread"]


def test_quote_and_mention_alert_once_per_post_strongest_wins(
    django_capture_on_commit_callbacks, member, other_member, thread
):
    first = thread.posts.get()
    body = (
        f'[QUOTE="alice, post: {first.pk}, member: {member.pk}"]\nFirst post.\n'
        "[/QUOTE]\nHi @alice and @carol and @alice again"
    )
    carol = make_member("carol")
    with django_capture_on_commit_callbacks(execute=True):
        reply(thread, other_member, body)
    # alice watches (auto), is quoted and mentioned: one alert, the quote.
    assert kinds_for(member) == ["quote"]
    assert kinds_for(carol) == ["mention"]
    assert User.objects.get(pk=member.pk).alerts_unread == 1


def test_mentions_inside_quotes_do_not_alert(
    django_capture_on_commit_callbacks, member, other_member, thread
):
    make_member("carol")
    body = '[QUOTE="someone"]hey @carol[/QUOTE]\nNothing new.'
    with django_capture_on_commit_callbacks(execute=True):
        reply(thread, other_member, body)
    assert not Alert.objects.filter(recipient__username="carol").exists()


def test_mentions_are_capped_per_post(
    settings, django_capture_on_commit_callbacks, member, thread
):
    settings.FORUM_MENTION_ALERT_LIMIT = 3
    names = [f"m{i}" for i in range(6)]
    for name in names:
        make_member(name)
    with django_capture_on_commit_callbacks(execute=True):
        reply(thread, member, " ".join(f"@{n}" for n in names))
    alerted = set(
        Alert.objects.filter(kind="mention").values_list(
            "recipient__username", flat=True
        )
    )
    assert alerted == {"m0", "m1", "m2"}


def test_private_board_posts_never_alert_outsiders(
    django_capture_on_commit_callbacks, member, other_member
):
    secret = make_board("Staff room")
    moderator = make_member("mod", is_moderator=True)
    thread = make_thread(board=secret, author=moderator)
    watching.watch_thread(user=other_member, thread=thread)
    watching.watch_board(user=other_member, board=secret, notify="posts")
    # Then the board turns private: the watches stay, the alerts stop.
    BoardPermission.objects.create(
        board=secret, audience="members", view_board=False, read_threads=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        reply(thread, moderator, "Secret plans, @bob and @alice")
    assert not Alert.objects.exclude(recipient=moderator).exists()


def test_held_posts_alert_only_once_approved(
    settings, django_capture_on_commit_callbacks, member, other_member, thread
):
    settings.FORUM_APPROVAL_POSTS = 100
    moderator = make_member("mod", is_moderator=True)
    with django_capture_on_commit_callbacks(execute=True):
        held = reply(thread, other_member, "Held, @alice")
    assert not Alert.objects.filter(recipient=member).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_post(post=held, moderator=moderator)
    assert kinds_for(member) == ["mention"]
    assert kinds_for(other_member) == ["moderation"]


def test_moderator_actions_alert_the_author(member, other_member, thread):
    moderator = make_member("mod", is_moderator=True)
    post = reply(thread, other_member)
    services.set_thread_locked(thread=thread, moderator=moderator, locked=True)
    services.edit_post(post=post, editor=moderator, body="Tidied.")
    services.delete_post(post=post, actor=moderator, reason="Off topic")
    summaries = list(
        Alert.objects.filter(kind="moderation")
        .order_by("id")
        .values_list("recipient__username", "summary")
    )
    assert summaries == [
        ("alice", f"locked your thread {thread.title}"),
        ("bob", f"edited your post in {thread.title}"),
        ("bob", f"deleted your post in {thread.title} (reason: Off topic)"),
    ]
    services.delete_thread(thread=thread, moderator=moderator, reason="Spam")
    gone = Alert.objects.filter(kind="moderation", recipient=member).latest("id")
    assert gone.thread_id is None and "deleted your thread" in gone.summary
    # The author's own deletion alerts nobody.
    before = Alert.objects.count()
    own = reply(make_thread(author=member), member)
    services.delete_post(post=own, actor=member)
    assert Alert.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_posting_costs_the_request_the_same_however_many_watch(client, database_queue):
    """The request queues one task row; the worker does the fan-out."""
    member = make_member("alice")
    thread = make_thread(author=member)
    client.force_login(member)

    def queries_for_reply(text):
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(f"/threads/{thread.pk}/reply/", {"body": text})
        assert response.status_code == 302
        return len(ctx.captured_queries)

    unwatched = queries_for_reply("With nobody watching.")
    watchers = [make_member(f"w{i}") for i in range(30)]
    ThreadWatch.objects.bulk_create(
        ThreadWatch(user=w, thread=thread) for w in watchers
    )
    watched = queries_for_reply("With thirty watching.")
    assert watched == unwatched
    assert not Alert.objects.filter(recipient__in=watchers).exists()
    run_worker()
    assert Alert.objects.filter(recipient__in=watchers).count() == 60


def test_fan_out_of_a_vanished_post_does_nothing(member, thread):
    assert alert_tasks.fan_out_post.call(post_id=999999) == 0


def test_watcher_fan_out_applies_every_rule_per_member(
    django_capture_on_commit_callbacks, member, other_member
):
    """The batched path: groups decide visibility, each setting is honoured."""
    from django.contrib.auth.models import Group

    from forum import alerts

    secret = make_board("Insiders")
    insiders = Group.objects.create(name="Insiders")
    BoardPermission.objects.create(
        board=secret, audience="members", view_board=False, read_threads=False
    )
    BoardPermission.objects.create(
        board=secret,
        audience="group",
        group=insiders,
        view_board=True,
        read_threads=True,
    )
    inside, outside, banned, muted, mentioned = (
        make_member(name) for name in ("inside", "outside", "banned", "muted", "ment")
    )
    for user in (inside, banned, muted, mentioned, other_member):
        user.groups.add(insiders)
    banned.is_banned = True
    banned.save()
    alerts.set_preference(muted, alerts.Kind.REPLY, alerts.OFF)
    thread = make_thread(board=secret, author=other_member)
    for user in (inside, outside, banned, muted, mentioned):
        ThreadWatch.objects.create(user=user, thread=thread)
    with django_capture_on_commit_callbacks(execute=True):
        reply(thread, other_member, "News for @ment")
    assert kinds_for(inside) == ["reply"]
    assert kinds_for(mentioned) == ["mention"]
    for user in (outside, banned, muted, other_member):
        assert kinds_for(user) == [], user.username
    counts = dict(User.objects.values_list("username", "alerts_unread"))
    assert counts["inside"] == counts["ment"] == 1 and counts["outside"] == 0
