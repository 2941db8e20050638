"""What's new: since the last visit for members, latest activity for guests."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import VISIT_GAP, previous_visit_end, record_last_seen
from forum import seek, services
from forum.models import BoardPermission, Post, Thread
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db
URL = reverse("forum:whats_new")


def shown_posts(client, query: str = "") -> list[int]:
    html = client.get(URL + query).content.decode()
    return [post.pk for post in Post.objects.all() if f"#post-{post.pk}" in html]


def set_visit(member: User, *, ended_hours_ago: float) -> None:
    """The member's previous visit ended that long ago; they are back now."""
    ended = timezone.now() - timedelta(hours=ended_hours_ago)
    User.objects.filter(pk=member.pk).update(
        previous_visit_at=ended, last_seen_at=timezone.now()
    )


def backdate(posts: list[Post], hours: float) -> None:
    then = timezone.now() - timedelta(hours=hours)
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(created_at=then)


def test_members_see_posts_since_their_previous_visit_but_not_their_own(
    client, member, other_member, thread
):
    old = make_posts(thread, 2, authors=[other_member])
    backdate(old, hours=5)
    new = make_posts(thread, 2, authors=[other_member])
    mine = services.post_reply(thread=thread, author=member, body="Mine.")
    set_visit(member, ended_hours_ago=2)
    client.force_login(member)
    shown = shown_posts(client)
    assert set(shown) == {p.pk for p in new}
    assert mine.pk not in shown
    assert "Since your last visit" in client.get(URL).content.decode()


def test_the_threads_tab_lists_new_threads(client, member, other_member, board):
    old = make_thread(board=board, author=other_member, title="Old thread")
    Thread.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=6)
    )
    make_thread(board=board, author=other_member, title="Brand new thread")
    set_visit(member, ended_hours_ago=1)
    client.force_login(member)
    html = client.get(URL + "?tab=threads").content.decode()
    assert "Brand new thread" in html and "Old thread" not in html
    assert 'aria-current="page" href="/whats-new/?tab=threads"' in html


def test_guests_see_the_latest_activity(client, thread, other_member):
    posts = make_posts(thread, 3, authors=[other_member])
    backdate(posts[:1], hours=24 * 90)
    html = client.get(URL).content.decode()
    assert "Latest activity" in html
    # No "since": everything visible, old posts too.
    assert set(shown_posts(client)) >= {p.pk for p in posts}


def test_private_boards_never_show_to_outsiders(client, member, other_member):
    private = make_board("Staff room")
    BoardPermission.objects.create(board=private, audience="members", view_board=False)
    BoardPermission.objects.create(board=private, audience="guests", view_board=False)
    staffer = make_member(is_staff=True)
    secret = make_thread(board=private, author=staffer, title="Secret plans")
    make_posts(secret, 2, authors=[staffer])
    for tab in ("", "?tab=threads"):
        assert "Secret plans" not in client.get(URL + tab).content.decode()
    client.force_login(member)
    for tab in ("", "?tab=threads"):
        assert "Secret plans" not in client.get(URL + tab).content.decode()
    # Someone who may see it does (not its author: your own threads are not news).
    client.force_login(make_member(is_staff=True))
    assert "Secret plans" in client.get(URL + "?tab=threads").content.decode()


def test_deleted_and_held_posts_never_show(
    client, thread, other_member, moderator, settings
):
    gone = services.post_reply(thread=thread, author=other_member, body="Oops.")
    services.delete_post(post=gone, actor=moderator, reason="spam")
    settings.FORUM_APPROVAL_POSTS = 10**6
    held = services.post_reply(thread=thread, author=make_member(), body="Wait.")
    assert not held.is_approved
    shown = shown_posts(client)
    assert gone.pk not in shown and held.pk not in shown


def test_seeking_pages_through_ties_without_skipping_or_repeating(
    client, thread, other_member, monkeypatch
):
    from forum.views import whatsnew

    monkeypatch.setattr(whatsnew, "PER_PAGE", 3)
    posts = make_posts(thread, 7, authors=[other_member])
    # Five posts written in the same microsecond: only the id orders them.
    same = timezone.now() - timedelta(minutes=1)
    Post.objects.filter(pk__in=[p.pk for p in posts[1:6]]).update(created_at=same)
    every = list(
        Post.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    )
    seen, query = [], ""
    for _ in range(10):
        response = client.get(URL + query)
        html = response.content.decode()
        page = [pk for pk in every if f"#post-{pk}" in html]
        assert len(page) <= 3
        seen += page
        if 'rel="next"' not in html:
            break
        cursor = html.split('rel="next" href="?before=')[1].split('"')[0]
        query = f"?before={cursor.replace('%2C', ',')}"
    assert seen == every


def test_a_page_costs_the_same_queries_whatever_its_rows(client, member, board):
    authors = [make_member() for _ in range(3)]
    thread = make_thread(board=board, author=authors[0])
    make_posts(thread, 3, authors=authors)
    few = count_queries(client, URL)
    client.force_login(member)
    few_member = count_queries(client, URL + "?tab=threads")
    for n in range(10):
        make_posts(make_thread(board=board, author=authors[n % 3]), 3, authors=authors)
    client.logout()
    assert count_queries(client, URL) == few
    client.force_login(member)
    assert count_queries(client, URL + "?tab=threads") == few_member


@pytest.mark.parametrize(
    "before",
    [
        "yesterday",
        "1,",
        ",1",
        "-5,3",
        "1.5,3",
        "1" * 40 + ",1",
        "1,2,3",
        "\x00",
        "1,99999999999999999999",
    ],
)
def test_a_malformed_cursor_is_a_400_never_a_500(client, before):
    response = client.get(URL, {"before": before})
    assert response.status_code == 400


def test_an_empty_or_far_cursor_is_a_page_not_an_error(client, thread):
    assert client.get(URL, {"before": ""}).status_code == 200
    # The largest cursor the pattern takes is in the year 5138: just a first page.
    response = client.get(URL, {"before": "9" * 17 + "," + "9" * 18})
    assert response.status_code == 200
    assert thread.title in response.content.decode()


def test_cursors_round_trip():
    when = timezone.now()
    cursor = seek.Cursor(created_at=when, pk=42)
    assert seek.parse(str(cursor)) == cursor


def test_a_new_visit_keeps_where_the_previous_one_ended(member):
    now = timezone.now()
    long_ago = now - VISIT_GAP - timedelta(minutes=1)
    User.objects.filter(pk=member.pk).update(last_seen_at=long_ago, last_login=None)
    member.refresh_from_db()
    # Before the write lands, what's new already counts from the stored visit end.
    assert previous_visit_end(member, now) == long_ago
    assert record_last_seen(user=member, now=now)
    member.refresh_from_db()
    assert member.previous_visit_at == long_ago
    assert member.last_seen_at == now
    assert previous_visit_end(member, now) == long_ago


def test_requests_within_a_visit_keep_the_previous_visit(member):
    start = timezone.now()
    User.objects.filter(pk=member.pk).update(
        last_seen_at=start - timedelta(minutes=6),
        previous_visit_at=start - timedelta(days=2),
        last_login=None,
    )
    member.refresh_from_db()
    assert record_last_seen(user=member, now=start)  # six minutes: a write, same visit
    member.refresh_from_db()
    assert member.previous_visit_at == start - timedelta(days=2)


def test_the_header_links_to_whats_new_on_every_page(client, member, thread):
    for url in ("/", thread.get_absolute_url(), thread.board.get_absolute_url()):
        assert f'href="{URL}"' in client.get(url).content.decode()
