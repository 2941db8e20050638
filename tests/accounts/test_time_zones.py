"""Members' time zones: chosen in the profile, guessed at registration, shown on
every date; blocks cached for every reader carry UTC for the browser to convert."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from forum.templatetags.forum_tags import reltime, timetag
from tests.factories import make_posts

pytestmark = pytest.mark.django_db

EDIT_URL = "/accounts/profile/"
WINTER = datetime(2026, 12, 2, 13, 5, tzinfo=UTC)
TIME = re.compile(r'<time datetime="([^"]+)" title="([^"]+)"( data-shown="\w+")?>')


def profile_data(**overrides) -> dict:
    return {"location": "", "website": "", "about": "", "signature": "", **overrides}


def test_a_time_shows_utc_in_its_attribute_and_the_readers_zone_in_its_tooltip():
    with timezone.override("Europe/Paris"):
        html = timetag(WINTER, "datetime")
        shared = timetag(WINTER, "date", shared=True)
    assert html == (
        '<time datetime="2026-12-02T13:05:00Z" title="2 Dec 2026, 14:05 CET">'
        "Dec 2, 2026, 14:05</time>"
    )
    # A shared block names no reader's zone: UTC, marked for static/js/times.js.
    assert shared == (
        '<time datetime="2026-12-02T13:05:00Z" title="2 Dec 2026, 13:05 UTC"'
        ' data-shown="date">Dec 2, 2026</time>'
    )
    with pytest.raises(ValueError, match="timetag shows"):
        timetag(WINTER, "sometime")
    assert timetag(None) == ""


def test_relative_words_step_from_minutes_to_a_date():
    now = timezone.now()
    assert reltime(now - timedelta(seconds=5)) == "just now"
    assert reltime(now - timedelta(minutes=1, seconds=5)) == "1 minute ago"
    assert reltime(now - timedelta(hours=5, minutes=1)) == "5 hours ago"
    assert reltime(now - timedelta(days=3, minutes=1)) == "3 days ago"
    assert reltime(WINTER - timedelta(days=400)) == "Oct 28, 2025"


def test_a_member_picks_a_zone_and_every_page_shows_their_dates_in_it(
    client, member, thread
):
    client.force_login(member)
    page = client.get(EDIT_URL).content.decode()
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in page
    assert "The forum&#x27;s time (UTC)" in page
    response = client.post(EDIT_URL, profile_data(time_zone="Asia/Tokyo"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.time_zone == "Asia/Tokyo"

    make_posts(thread, count=1)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert '<meta name="colloquy-time-zone" content="Asia/Tokyo">' in html
    times = TIME.findall(html)
    # The thread header is this reader's alone: the tooltip is in their zone.
    header = [t for t in times if not t[2]]
    assert header and all(title.endswith(" JST") for _, title, _ in header)
    # The posts are cached for everyone: UTC, and the script puts them in JST.
    shared = [t for t in times if t[2]]
    assert len(shared) >= 2
    assert all(
        title.endswith(" UTC") and stamp.endswith("Z") for stamp, title, _ in shared
    )

    client.post(EDIT_URL, profile_data(time_zone=""))
    member.refresh_from_db()
    assert member.time_zone == ""
    html = client.get(thread.get_absolute_url()).content.decode()
    assert '<meta name="colloquy-time-zone" content="UTC">' in html


def test_a_zone_not_on_the_list_is_refused_with_a_message(client, member):
    client.force_login(member)
    for name in [
        "Mars/Olympus_Mons",
        "Europe/../../etc/passwd",
        "<b>UTC</b>",
        "x" * 5000,
    ]:
        response = client.post(EDIT_URL, profile_data(time_zone=name, location="Kept"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Choose a time zone from the list." in html
        assert 'value="Kept"' in html
    member.refresh_from_db()
    assert member.time_zone == "" and member.location == ""


def registration(**overrides) -> dict:
    return {
        "username": "carol",
        "email": "carol@example.com",
        "password1": "a sturdy passphrase 9",
        "password2": "a sturdy passphrase 9",
        **overrides,
    }


def test_registration_carries_a_field_for_the_browsers_zone(client):
    html = client.get("/accounts/register/").content.decode()
    assert re.search(
        r'<input type="hidden" name="time_zone"[^>]*data-browser-time-zone', html
    )


def test_registration_keeps_the_browsers_zone_only_when_it_is_a_real_one(client):
    cases = [
        ("America/Sao_Paulo", "America/Sao_Paulo"),
        ("", ""),
        ("Not/AZone", ""),
        ('"><script>alert(1)</script>', ""),
        ("Europe/Paris" * 100, ""),
    ]
    for n, (sent, kept) in enumerate(cases):
        data = registration(
            username=f"carol{n}", email=f"carol{n}@example.com", time_zone=sent
        )
        assert client.post("/accounts/register/", data).status_code == 302
        client.logout()
        assert User.objects.get(username=f"carol{n}").time_zone == kept
