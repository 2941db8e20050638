"""Alert email: batched by the real worker, received by a real SMTP server.

The posts go through the services, the fan-out and the mail run in
``manage.py db_worker`` (batch mode), and the message arrives at an aiosmtpd server
on 127.0.0.1 (the fixture from the email verification tests).
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from forum import alert_tasks, alerts, services, watching
from forum.models import Alert, MemberPreferences
from tests.accounts.test_email_verification import smtp  # noqa: F401 (fixture)
from tests.conftest import run_worker
from tests.factories import make_member, make_thread

pytestmark = pytest.mark.django_db(transaction=True)

BASE = "http://testserver"
ALERT_LINK = re.compile(r"http://testserver(/alerts/[0-9]+/)")


@pytest.fixture
def mail_settings(settings, database_queue):
    settings.FORUM_BASE_URL = BASE
    settings.FORUM_ALERT_EMAIL_DELAY_SECONDS = 0


def pref(member, kind) -> str:
    """The member's setting as stored now (a member object caches its row)."""
    return alerts.preference(User.objects.get(pk=member.pk), kind)


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def quote(post) -> str:
    return (
        f'[QUOTE="{post.author.username}, post: {post.pk}, member: {post.author_id}"]'
        f"\n{post.body}\n[/QUOTE]\nWell said."
    )


def test_a_quote_is_mailed_with_a_working_link_and_one_click_unsubscribe(
    smtp,  # noqa: F811
    mail_settings,
):
    alice, bob = make_member("alice"), make_member("bob")
    alerts.set_preference(alice, alerts.Kind.QUOTE, alerts.EMAIL)
    thread = make_thread(author=alice, body="Tea is best brewed for four minutes.")
    reply = services.post_reply(
        thread=thread, author=bob, body=quote(thread.posts.get())
    )
    assert not smtp.messages  # nothing leaves in the request
    run_worker()
    [message] = smtp.messages
    assert message["To"] == "alice@example.com"
    assert "bob quoted your post" in message["Subject"]
    body = body_of(message)
    assert "bob quoted your post in A thread about things" in body
    # The link opens the alert (marking it read) and lands on the quoting post.
    [path] = ALERT_LINK.findall(body)
    client = Client()
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == reply.get_absolute_url()
    assert Alert.objects.get().read_at is not None
    # RFC 8058: a POST with no session and no CSRF token turns that email off.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe in body and unsubscribe.startswith(BASE)
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        unsubscribe.removeprefix(BASE), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert pref(alice, alerts.Kind.QUOTE) == alerts.SITE
    # Later quotes still alert on the site, by email no more.
    services.post_reply(thread=thread, author=bob, body=quote(reply) + " Again.")
    run_worker()
    assert len(smtp.messages) == 1
    assert Alert.objects.filter(recipient=alice, kind="quote").count() == 2


def test_five_replies_close_together_make_one_message(
    smtp,  # noqa: F811
    mail_settings,
):
    alice, bob = make_member("alice"), make_member("bob")
    thread = make_thread(author=bob)
    watching.watch_thread(user=alice, thread=thread, email=True)
    for n in range(5):
        services.post_reply(thread=thread, author=bob, body=f"Reply number {n}.")
    run_worker()
    [message] = smtp.messages
    assert message["Subject"] == "5 new alerts at Colloquy"
    assert len(ALERT_LINK.findall(body_of(message))) == 5
    assert set(Alert.objects.values_list("email_state", flat=True)) == {"sent"}
    # The next reply starts a new batch.
    services.post_reply(thread=thread, author=bob, body="One more.")
    run_worker()
    assert len(smtp.messages) == 2


def test_without_email_wanted_nothing_is_sent(
    smtp,  # noqa: F811
    mail_settings,
):
    alice, bob, carol = make_member("alice"), make_member("bob"), make_member("carol")
    thread = make_thread(author=bob)
    watching.watch_thread(user=alice, thread=thread)  # alerts only
    watching.watch_thread(user=carol, thread=thread, email=True)
    MemberPreferences.objects.create(user=carol, alert_kinds={"reply": "site"})
    services.post_reply(thread=thread, author=bob, body="Hello.")
    run_worker()
    assert not smtp.messages
    assert Alert.objects.filter(recipient__in=[alice, carol]).count() == 2


def test_alerts_read_or_hidden_before_the_mail_goes_are_left_out(
    smtp,  # noqa: F811
    mail_settings,
):
    alice, bob = make_member("alice"), make_member("bob")
    moderator = make_member("mod", is_moderator=True)
    thread = make_thread(author=bob)
    watching.watch_thread(user=alice, thread=thread, email=True)
    first = services.post_reply(thread=thread, author=bob, body="Seen already.")
    second = services.post_reply(thread=thread, author=bob, body="Deleted soon.")
    services.post_reply(thread=thread, author=bob, body="Still news.")
    # Fan out now, mail later: run the fan-out tasks alone.
    for post in (first, second):
        alert_tasks.fan_out_post.call(post_id=post.pk)
    alerts.mark_read(
        alice, Alert.objects.filter(post=first).values_list("pk", flat=True)
    )
    services.delete_post(post=second, actor=moderator)
    run_worker()
    [message] = smtp.messages
    body = body_of(message)
    assert len(ALERT_LINK.findall(body)) == 1
    assert message["Subject"].startswith("bob replied in")


def test_the_mail_waits_the_configured_delay(settings, database_queue):
    settings.FORUM_ALERT_EMAIL_DELAY_SECONDS = 300
    alice, bob = make_member("alice"), make_member("bob")
    alerts.set_preference(alice, alerts.Kind.MENTION, alerts.EMAIL)
    thread = make_thread(author=bob)
    before = timezone.now()
    alerts.notify(alice.pk, alerts.Kind.MENTION, actor=bob, thread=thread)
    [queued] = DBTaskResult.objects.filter(task_path__endswith="send_alert_email")
    assert queued.run_after >= before + timedelta(seconds=299)
    # A second alert joins the batch instead of queueing another mail.
    other = make_thread(author=bob)
    alerts.notify(alice.pk, alerts.Kind.MENTION, actor=bob, thread=other)
    assert (
        DBTaskResult.objects.filter(task_path__endswith="send_alert_email").count() == 1
    )


def test_unsubscribe_link_confirms_on_get_and_refuses_forgeries(client):
    alice = make_member("alice")
    alerts.set_preference(alice, alerts.Kind.REPLY, alerts.EMAIL)
    token = alert_tasks.unsubscribe_token(alice.pk, ["reply"])
    url = f"/alerts/unsubscribe/{token}/"
    response = client.get(url)
    assert response.status_code == 200 and "Stop email for" in response.content.decode()
    assert pref(alice, alerts.Kind.REPLY) == alerts.EMAIL
    for bad in (token[:-2] + "xx", "nonsense", "a" * 500):
        assert client.get(f"/alerts/unsubscribe/{bad}/").status_code == 404
        assert client.post(f"/alerts/unsubscribe/{bad}/").status_code == 404
    assert client.put(url).status_code == 405
    assert client.post(url).status_code == 200
    assert pref(alice, alerts.Kind.REPLY) == alerts.SITE
    # A kind switched off stays off.
    alerts.set_preference(alice, alerts.Kind.REPLY, alerts.OFF)
    client.post(url)
    assert pref(alice, alerts.Kind.REPLY) == alerts.OFF


def test_alerts_arriving_at_once_queue_exactly_one_mail(settings, database_queue):
    """Two writers each see the other's pending alert only after it commits: the
    member's row lock makes one of them the first."""
    import threading

    from django.db import connection

    settings.FORUM_ALERT_EMAIL_DELAY_SECONDS = 0
    alice = make_member("alice")
    alerts.set_preference(alice, alerts.Kind.MENTION, alerts.EMAIL)
    writers = [make_member(f"writer{n}") for n in range(4)]
    threads = [make_thread(author=w) for w in writers]
    barrier = threading.Barrier(len(writers))

    def mention(writer, thread):
        barrier.wait()
        try:
            alerts.notify(alice.pk, alerts.Kind.MENTION, actor=writer, thread=thread)
        finally:
            connection.close()

    workers = [
        threading.Thread(target=mention, args=pair)
        for pair in zip(writers, threads, strict=True)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert Alert.objects.filter(email_state="pending").count() == 4
    mails = DBTaskResult.objects.filter(task_path__endswith="send_alert_email")
    assert mails.count() == 1
