"""Who's online: guests counted in the cache, members by last-seen, the record."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django.utils import timezone

from accounts import online as guests
from forum import online
from forum.models import OnlineRecord
from tests.conftest import count_queries
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_online_cache():
    caches["online"].clear()
    yield
    caches["online"].clear()


def visitor(agent: str, ip: str = "203.0.113.5"):
    return RequestFactory().get("/", HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)


def test_a_guest_is_counted_once_however_many_pages_they_open():
    now = timezone.now()
    assert guests.record_guest(visitor("A"), now) is True
    # The same minute again: one cache read, no write.
    assert guests.record_guest(visitor("A"), now) is False
    assert guests.record_guest(visitor("B"), now) is True
    assert guests.record_guest(visitor("A", ip="198.51.100.7"), now) is True
    assert guests.guests_online(now) == 3


def test_a_guest_moves_to_the_minute_of_their_last_visit():
    start = timezone.now()
    for minute in range(5):
        guests.record_guest(visitor("A"), start + timedelta(minutes=minute))
    assert guests.guests_online(start + timedelta(minutes=4)) == 1
    # Fifteen minutes after their last page they are gone.
    assert guests.guests_online(start + timedelta(minutes=18)) == 1
    assert guests.guests_online(start + timedelta(minutes=19)) == 0


def test_the_cache_holds_no_address_or_browser():
    guests.record_guest(visitor("SecretBrowser/1.0", ip="192.0.2.44"), timezone.now())
    stored = repr(caches["online"]._cache)
    assert "192.0.2.44" not in stored and "SecretBrowser" not in stored
    assert guests.visitor_hash(visitor("x")) != guests.visitor_hash(visitor("y"))


def test_pages_count_guests_and_not_members(client, member):
    client.get("/", HTTP_USER_AGENT="guest one")
    client.get("/members/", HTTP_USER_AGENT="guest one")
    client.get("/", HTTP_USER_AGENT="guest two")
    client.force_login(member)
    client.get("/", HTTP_USER_AGENT="member browser")
    assert guests.guests_online(timezone.now()) == 2


def test_a_guest_is_not_counted_on_an_error_page(client):
    client.get("/boards/no-such-board/", HTTP_USER_AGENT="lost")
    assert guests.guests_online(timezone.now()) == 0


def test_members_online_are_those_seen_in_the_last_15_minutes():
    now = timezone.now()
    make_member("recent", last_seen_at=now - timedelta(minutes=3))
    make_member("logged_in", last_login=now - timedelta(minutes=1))
    make_member("earlier", last_seen_at=now - timedelta(minutes=16))
    make_member("closed", last_seen_at=now, is_active=False)
    newest = make_member("newest")
    shot = online.take_snapshot(now)
    assert [m.username for m in shot.members] == ["logged_in", "recent"]
    assert shot.member_count == 2
    assert shot.total_members == 4
    assert shot.newest_member.pk == newest.pk


def test_the_snapshot_lists_a_bounded_number_of_names_but_counts_all(settings):
    now = timezone.now()
    for n in range(5):
        make_member(f"on{n}", last_seen_at=now - timedelta(seconds=n))
    original = online.SHOWN_MEMBERS
    online.SHOWN_MEMBERS = 3
    try:
        shot = online.take_snapshot(now)
    finally:
        online.SHOWN_MEMBERS = original
    assert [m.username for m in shot.members] == ["on0", "on1", "on2"]
    assert shot.member_count == 5 and shot.more_members == 2


def test_an_empty_forum_has_a_snapshot_too():
    shot = online.take_snapshot(timezone.now())
    assert (shot.member_count, shot.total_members, shot.newest_member) == (0, 0, None)


def test_a_guest_request_keeps_the_record_in_the_cache_and_a_member_saves_it(
    client, member
):
    now = timezone.now()
    for agent in ("a", "b", "c"):
        guests.record_guest(visitor(agent), now)
    response = client.get("/online/")
    assert b"Most ever online: <strong>3</strong>" in response.content
    # A guest's GET never writes.
    assert not OnlineRecord.objects.exists()
    client.force_login(member)
    client.get("/online/")
    record = OnlineRecord.objects.get()
    assert record.count == 3


def test_the_record_never_moves_down():
    now = timezone.now()
    assert online.save_record(count=10, reached_at=now) is True
    assert online.save_record(count=4, reached_at=now) is False
    assert online.save_record(count=12, reached_at=now) is True
    assert OnlineRecord.objects.get().count == 12


def test_the_forum_list_shows_who_is_online(client):
    make_member("early_bird", last_seen_at=timezone.now())
    guests.record_guest(visitor("someone"), timezone.now())
    # The snapshot is taken before this request is counted.
    html = client.get("/", HTTP_USER_AGENT="other").content.decode()
    assert "Online now</a>: 2" in html
    assert "early_bird" in html
    assert "1 member and 1 guest " in html


def test_the_online_page_costs_the_same_with_5_or_50_members_online(client):
    now = timezone.now()
    for n in range(5):
        make_member(f"x{n}", last_seen_at=now)
    cold = count_queries(client, "/online/")
    caches["online"].clear()
    for n in range(45):
        make_member(f"y{n}", last_seen_at=now)
    assert count_queries(client, "/online/") == cold == 1
    # Within the minute the snapshot is shared: no query at all.
    assert count_queries(client, "/online/") == 0
