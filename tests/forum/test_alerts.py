"""forum.alerts: who is alerted, once, and the unread count that follows the rows."""

import re
import threading

import pytest
from django.db import connection

from accounts.models import User
from forum import alerts, services
from forum.models import Alert, BoardPermission, MemberPreferences
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db

Kind = alerts.Kind


def unread(user) -> int:
    return User.objects.get(pk=user.pk).alerts_unread


@pytest.fixture
def post(thread, other_member):
    return make_posts(thread, 1, authors=[other_member])[0]


def test_notify_stores_an_alert_and_counts_it(member, other_member, post):
    alert = alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post)
    assert alert is not None and alert.thread_id == post.thread_id
    assert unread(other_member) == 1
    assert alert.email_state == Alert.Email.NONE


def test_no_self_alert(member, thread):
    assert alerts.notify(member.pk, Kind.REPLY, actor=member, thread=thread) is None
    assert not Alert.objects.exists()


def test_banned_or_inactive_actor_alerts_nobody(member, other_member, post):
    member.is_banned = True
    member.save()
    assert alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post) is None
    member.is_banned, member.is_active = False, False
    member.save()
    assert alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post) is None
    assert unread(other_member) == 0


def test_banned_or_inactive_recipient_gets_nothing(member, other_member, post):
    other_member.is_banned = True
    other_member.save()
    assert alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post) is None
    carol = make_member("carol", is_active=False)
    assert alerts.notify(carol.pk, Kind.QUOTE, actor=member, post=post) is None
    assert not Alert.objects.exists()


def test_kind_switched_off_is_not_stored(member, other_member, post):
    alerts.set_preference(other_member, Kind.QUOTE, alerts.OFF)
    assert alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post) is None
    # Other kinds still arrive.
    assert alerts.notify(other_member.pk, Kind.MENTION, actor=member, post=post)


def test_email_preference_marks_the_alert_pending(member, other_member, post):
    alerts.set_preference(other_member, Kind.QUOTE, alerts.EMAIL)
    alert = alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post)
    assert alert.email_state == Alert.Email.PENDING


def test_watch_email_counts_only_where_the_member_left_the_default(
    member, other_member, post
):
    alert = alerts.notify(
        other_member.pk, Kind.REPLY, actor=member, post=post, watch_email=True
    )
    assert alert.email_state == Alert.Email.PENDING
    Alert.objects.all().delete()
    # Unsubscribing from replies by email beats every watch's email flag.
    alerts.set_preference(other_member, Kind.REPLY, alerts.SITE)
    alert = alerts.notify(
        other_member.pk, Kind.REPLY, actor=member, post=post, watch_email=True
    )
    assert alert.email_state == Alert.Email.NONE


def test_private_board_posts_never_alert_outsiders(member, other_member):
    secret = make_board("Staff room")
    BoardPermission.objects.create(
        board=secret, audience="members", view_board=False, read_threads=False
    )
    moderator = make_member("mod", is_moderator=True)
    thread = make_thread(board=secret, author=moderator)
    assert (
        alerts.notify(other_member.pk, Kind.MENTION, actor=moderator, thread=thread)
        is None
    )
    post = thread.posts.get()
    assert (
        alerts.notify(other_member.pk, Kind.MENTION, actor=moderator, post=post) is None
    )
    assert not Alert.objects.exists()


def test_deleted_post_alerts_nobody(member, other_member, post):
    post.is_deleted = True
    post.save()
    assert alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post) is None


def test_one_alert_per_member_per_post_strongest_wins(member, other_member, post):
    carol = make_member("carol")
    first = alerts.notify(carol.pk, Kind.REPLY, actor=other_member, post=post)
    assert first.kind == Kind.REPLY
    # A mention of the same post upgrades the alert instead of adding one.
    upgraded = alerts.notify(carol.pk, Kind.MENTION, actor=other_member, post=post)
    assert upgraded.pk == first.pk and upgraded.kind == Kind.MENTION
    assert alerts.notify(carol.pk, Kind.QUOTE, actor=other_member, post=post).kind == (
        Kind.QUOTE
    )
    # Weaker ones afterwards change nothing.
    assert alerts.notify(carol.pk, Kind.MENTION, actor=other_member, post=post) is None
    assert alerts.notify(carol.pk, Kind.REPLY, actor=other_member, post=post) is None
    assert list(Alert.objects.values_list("kind", flat=True)) == [Kind.QUOTE]
    assert unread(carol) == 1


def test_one_reaction_alert_per_reacting_member(member, other_member, post):
    carol = make_member("carol")
    alerts.notify(
        other_member.pk, Kind.REACTION, actor=member, post=post, summary="Like"
    )
    again = alerts.notify(
        other_member.pk, Kind.REACTION, actor=member, post=post, summary="Love"
    )
    assert again.summary == "Love"
    alerts.notify(other_member.pk, Kind.REACTION, actor=carol, post=post, summary="Wow")
    assert Alert.objects.filter(kind=Kind.REACTION).count() == 2
    assert unread(other_member) == 2


def test_withdraw_removes_the_alert_and_its_count(member, other_member, post):
    alerts.notify(other_member.pk, Kind.REACTION, actor=member, post=post)
    alerts.withdraw(
        Kind.REACTION, recipient_id=other_member.pk, post=post, actor=member
    )
    assert not Alert.objects.exists()
    assert unread(other_member) == 0
    # A read alert goes too, without taking the count below what is unread.
    alerts.notify(other_member.pk, Kind.REACTION, actor=member, post=post)
    alerts.mark_read(other_member)
    alerts.withdraw(
        Kind.REACTION, recipient_id=other_member.pk, post=post, actor=member
    )
    assert not Alert.objects.exists() and unread(other_member) == 0


def test_mark_read_one_and_all(member, other_member, thread):
    posts = make_posts(thread, 3, authors=[member])
    made = [
        alerts.notify(other_member.pk, Kind.REPLY, actor=member, post=p) for p in posts
    ]
    assert unread(other_member) == 3
    assert alerts.mark_read(other_member, [made[0].pk]) == 1
    assert unread(other_member) == 2
    # Again: already read, nothing moves.
    assert alerts.mark_read(other_member, [made[0].pk]) == 0
    assert unread(other_member) == 2
    # Somebody else's alert ids do nothing.
    assert alerts.mark_read(member, [made[1].pk]) == 0
    assert unread(other_member) == 2
    assert alerts.mark_read(other_member) == 2
    assert unread(other_member) == 0 and other_member.alerts_unread == 0


def test_recount_repairs_a_wrong_counter(member, other_member, post):
    alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post)
    User.objects.filter(pk__in=[member.pk, other_member.pk]).update(alerts_unread=7)
    assert alerts.recount() == 2
    assert unread(other_member) == 1 and unread(member) == 0


def test_preference_defaults_and_rows(member):
    assert alerts.preference(member, Kind.REPLY) == alerts.SITE
    prefs = MemberPreferences.objects.create(
        user=member, alert_kinds={"reply": "off", "quote": "nonsense"}
    )
    assert alerts.preference(prefs, Kind.REPLY) == alerts.OFF
    assert alerts.preference(prefs, Kind.QUOTE) == alerts.SITE
    with pytest.raises(ValueError):
        alerts.set_preference(member, "nonsense", alerts.OFF)


@pytest.mark.django_db(transaction=True)
def test_counter_stays_right_when_alerts_and_mark_all_race():
    board = make_board()
    author, reader = make_member("author"), make_member("reader")
    thread = make_thread(board=board, author=author)
    posts = make_posts(thread, 20, authors=[author])
    barrier = threading.Barrier(2)

    def notify_all():
        barrier.wait()
        try:
            for p in posts:
                alerts.notify(reader.pk, Kind.REPLY, actor=author, post=p)
        finally:
            connection.close()

    def read_all():
        barrier.wait()
        try:
            for _ in range(10):
                alerts.mark_read(User.objects.get(pk=reader.pk))
        finally:
            connection.close()

    workers = [threading.Thread(target=notify_all), threading.Thread(target=read_all)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    actual = Alert.objects.filter(recipient=reader, read_at__isnull=True).count()
    assert unread(reader) == actual


# --- Pages -----------------------------------------------------------------------


def alert_for(recipient, actor, post, kind=Kind.REPLY):
    return alerts.notify(recipient.pk, kind, actor=actor, post=post)


def test_alert_pages_need_login(client):
    for url in (
        "/alerts/",
        "/alerts/menu/",
        "/alerts/1/",
        "/account/alerts/preferences/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    response = client.post("/alerts/read/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_alert_list_highlights_unread_and_hides_what_went_out_of_sight(
    client, member, other_member, thread
):
    kept, deleted = make_posts(thread, 2, authors=[member])
    alert_for(other_member, member, kept)
    alert_for(other_member, member, deleted, Kind.QUOTE)
    client.force_login(other_member)
    page = client.get("/alerts/").content.decode()
    assert page.count("alert-unread") == 2 and "alice quoted your post in" in page
    deleted.is_deleted = True
    deleted.save()
    page = client.get("/alerts/").content.decode()
    assert page.count("alert-unread") == 1 and "quoted" not in page
    menu = client.get("/alerts/menu/", HTTP_HX_REQUEST="true").content.decode()
    assert "alice replied in" in menu and "<html" not in menu
    # Moved to a board the member cannot read: gone from the list too.
    secret = make_board("Staff room")
    BoardPermission.objects.create(
        board=secret, audience="members", view_board=False, read_threads=False
    )
    services.move_thread(
        thread=thread, moderator=make_member("mod", is_moderator=True), board=secret
    )
    assert "alert-unread" not in client.get("/alerts/").content.decode()


def test_opening_an_alert_marks_it_read_and_goes_to_the_post(
    client, member, other_member, post
):
    alert = alert_for(other_member, member, post, Kind.QUOTE)
    client.force_login(other_member)
    page = client.get("/").content.decode()
    assert 'data-count="1"' in page
    response = client.get(f"/alerts/{alert.pk}/")
    assert (
        response.status_code == 302 and response["Location"] == post.get_absolute_url()
    )
    assert unread(other_member) == 0
    assert 'data-count="0"' in client.get("/").content.decode()


def test_other_members_alerts_are_404(client, member, other_member, post):
    alert = alert_for(other_member, member, post, Kind.QUOTE)
    client.force_login(member)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 404
    assert client.get("/alerts/99999999/").status_code == 404
    assert Alert.objects.get().read_at is None
    assert f"alert-{alert.pk}" not in client.get("/alerts/").content.decode()


def test_mark_all_read_is_a_post_with_csrf(member, other_member, post):
    from django.test import Client

    alert_for(other_member, member, post, Kind.QUOTE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_member)
    assert client.get("/alerts/read/").status_code == 405
    assert client.post("/alerts/read/").status_code == 403
    assert unread(other_member) == 1
    page = client.get("/alerts/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post("/alerts/read/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and unread(other_member) == 0
    # With htmx the bell comes back, counted down.
    alert_for(other_member, member, make_posts(post.thread, 1, [member])[0])
    response = client.post(
        "/alerts/read/", {"csrfmiddlewaretoken": token}, HTTP_HX_REQUEST="true"
    )
    assert 'data-count="0"' in response.content.decode()


def test_alert_list_pages_by_seeking(client, member, other_member, thread):
    from forum.views import alerts as alert_views

    posts = make_posts(thread, alert_views.PAGE_SIZE + 5, authors=[member])
    made = [alert_for(other_member, member, p) for p in posts]
    client.force_login(other_member)
    first = client.get("/alerts/")
    cursor = first.context["next_cursor"]
    assert cursor and len(first.context["items"]) == alert_views.PAGE_SIZE
    second = client.get("/alerts/", {"before": cursor})
    shown = [item["alert"].pk for item in second.context["items"]]
    assert shown == [a.pk for a in reversed(made[:5])]
    assert not second.context["next_cursor"]
    for bad in ("nonsense", "2026-01-01T00:00:00_x", "_12", "x" * 2000):
        response = client.get("/alerts/", {"before": bad})
        assert response.status_code == 302, bad


def test_preferences_page_saves_every_kind_and_auto_watch(client, member):
    client.force_login(member)
    page = client.get("/account/alerts/preferences/").content.decode()
    assert "Quotes of your posts" in page
    data = {f"kind_{kind}": alerts.SITE for kind in Kind.values}
    data.update(kind_quote=alerts.EMAIL, kind_reply=alerts.OFF, auto_watch="email")
    response = client.post("/account/alerts/preferences/", data)
    assert response.status_code == 302
    prefs = MemberPreferences.objects.get(user=member)
    assert prefs.auto_watch == "email"
    assert alerts.preference(prefs, Kind.QUOTE) == alerts.EMAIL
    assert alerts.preference(prefs, Kind.REPLY) == alerts.OFF
    data["kind_quote"] = "everything"
    response = client.post("/account/alerts/preferences/", data)
    assert response.status_code == 200 and "is not one of the available" in (
        response.content.decode()
    )
    assert alerts.preference(
        MemberPreferences.objects.get(user=member), Kind.QUOTE
    ) == (alerts.EMAIL)


def test_describe_every_kind(member, other_member, post):
    texts = {}
    for kind in Kind.values:
        alert = Alert(kind=kind, actor=member, thread=post.thread, summary="Like")
        texts[kind] = alerts.describe(alert)
    assert (
        texts["reaction"] == f"alice reacted to your post in {post.thread.title} (Like)"
    )
    assert texts["moderation"] == "alice Like"
    assert texts["conversation"] == "alice sent you Like"
    assert alerts.describe(Alert(kind="conversation")) == "Someone wrote to you"


def test_recount_alerts_command(member, other_member, post):
    import io

    from django.core.management import call_command

    alerts.notify(other_member.pk, Kind.QUOTE, actor=member, post=post)
    User.objects.filter(pk=other_member.pk).update(alerts_unread=0)
    out = io.StringIO()
    call_command("recount_alerts", stdout=out)
    assert "1 member" in out.getvalue() and unread(other_member) == 1
