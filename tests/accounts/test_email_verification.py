"""Email verification, through a real SMTP server started by the test.

Mail leaves through Django's SMTP backend for an aiosmtpd server on 127.0.0.1, and
the tests follow the link in the message that server received.
"""

import email
import io
import re
import socket
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core import signing
from django.core.management import call_command

from accounts import confirmation
from accounts.models import User
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy passphrase 9"
LINK = re.compile(r"http://testserver(/accounts/email/confirm/[^/\s]+/)")


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted"

    def links(self, to: str) -> list[str]:
        bodies = [
            m.get_body(preferencelist=("plain",)).get_content()
            for m in self.messages
            if m["To"] == to
        ]
        return [path for body in bodies for path in LINK.findall(body)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


def register(client, username="carol"):
    return client.post(
        "/accounts/register/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def test_registration_mails_a_link_that_confirms_the_address(client, smtp, board):
    assert register(client).status_code == 302
    carol = User.objects.get(username="carol")
    assert not carol.email_verified

    (message,) = smtp.messages
    assert message["To"] == "carol@example.com"
    assert message["Subject"] == "Confirm your email address on Colloquy"
    (link,) = smtp.links("carol@example.com")
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm this address" in page.content.decode()
    carol.refresh_from_db()
    assert not carol.email_verified  # opening the link changes nothing

    assert client.post(link).status_code == 302
    carol.refresh_from_db()
    assert carol.email_verified
    assert "carol@example.com is confirmed" in client.get("/").content.decode()
    started = client.post(
        f"/boards/{board.slug}/new-thread/",
        {"title": "Hello from carol", "body": "Confirmed and posting."},
    )
    assert started.status_code == 302


def test_an_unconfirmed_member_reads_but_cannot_post(client, smtp, thread):
    register(client)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Confirm your email address to post." in page
    assert 'action="/accounts/email/confirm/"' in page  # the resend button
    assert "Confirm your email address to reply" in page  # in the reply box
    refused = client.post(f"/threads/{thread.pk}/reply/", {"body": "Me too!"})
    assert refused.status_code == 403
    assert "Confirm your email address first" in refused.content.decode()
    assert thread.posts.count() == 1


def test_the_requirement_is_a_setting(client, smtp, thread, settings):
    settings.ACCOUNTS_REQUIRE_VERIFIED_EMAIL = False
    register(client)
    assert "Confirm your email address" not in client.get("/").content.decode()
    reply = client.post(f"/threads/{thread.pk}/reply/", {"body": "Me too!"})
    assert reply.status_code == 302


def test_the_link_can_be_sent_again_a_few_times(client, smtp):
    register(client)
    resends = [
        client.post("/accounts/email/confirm/", {"next": "/members/carol/"})
        for _ in range(5)
    ]
    assert [r.status_code for r in resends] == [302] * 3 + [429] * 2
    assert resends[0]["Location"] == "/members/carol/"
    assert "Try again in" in resends[-1].content.decode()
    links = smtp.links("carol@example.com")
    assert len(links) == 4  # the first mail and three resends
    assert client.post(links[-1]).status_code == 302
    assert User.objects.get(username="carol").email_verified


def test_an_email_change_waits_for_the_new_address(client, smtp, member):
    client.force_login(member)
    change = client.post(
        "/accounts/email/",
        {"email": "alice@new.example", "password": "correct horse 42"},
    )
    assert change.status_code == 302
    member.refresh_from_db()
    assert member.email == "alice@example.com"  # the old one stays until confirmed
    (link,) = smtp.links("alice@new.example")
    assert client.post(link).status_code == 302
    member.refresh_from_db()
    assert (member.email, member.email_verified) == ("alice@new.example", True)
    # The link is spent: following it again only says so, and changes nothing.
    again = client.get(link).content.decode()
    assert "is confirmed for" in again and "already" in again


def test_a_link_for_an_address_given_up_is_refused(client, smtp, member):
    client.force_login(member)
    for address in ("first@new.example", "second@new.example"):
        client.post(
            "/accounts/email/", {"email": address, "password": "correct horse 42"}
        )
    (first,) = smtp.links("first@new.example")
    (second,) = smtp.links("second@new.example")
    assert client.post(second).status_code == 302
    stale = client.post(first)
    assert stale.status_code == 400
    assert "no longer uses" in stale.content.decode()
    member.refresh_from_db()
    assert member.email == "second@new.example"


def test_an_address_taken_meanwhile_is_not_confirmed(client, smtp, member):
    client.force_login(member)
    client.post(
        "/accounts/email/",
        {"email": "shared@example.com", "password": "correct horse 42"},
    )
    make_member("shared")  # registers shared@example.com
    (link,) = smtp.links("shared@example.com")
    taken = client.post(link)
    assert taken.status_code == 409
    assert "Another account uses shared@example.com" in taken.content.decode()
    member.refresh_from_db()
    assert member.email == "alice@example.com"


def test_an_expired_link_is_refused(client, member, monkeypatch):
    made_at = time.time() - 4 * 24 * 3600  # longer ago than ACCOUNTS_CONFIRMATION_DAYS
    with monkeypatch.context() as past:
        past.setattr(signing.time, "time", lambda: made_at)
        token = confirmation.make_token(member, "alice@later.example")
    refused = client.post(f"/accounts/email/confirm/{token}/")
    assert refused.status_code == 400
    assert "expired" in refused.content.decode()
    member.refresh_from_db()
    assert member.email == "alice@example.com"


@pytest.mark.parametrize(
    "token", ["x", "not-a-token:at-all", "é" * 40, "a" * 3000, "%00", "..:..:.."]
)
def test_a_forged_or_broken_link_is_a_clear_error(client, member, token):
    response = client.get(f"/accounts/email/confirm/{token}/")
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "not valid" in response.content.decode()


def test_a_link_signed_for_someone_else_is_not_theirs_to_use(client, member):
    token = confirmation.make_token(member, "alice@new.example")
    payload, _, signature = token.rpartition(":")
    # Change the signed part's last character (to one it is not: a timestamp ending
    # in "A" once made this the genuine token).
    last = "B" if payload.endswith("A") else "A"
    forged = f"{payload[:-1]}{last}:{signature}"
    assert client.post(f"/accounts/email/confirm/{forged}/").status_code == 400


def test_superusers_and_the_development_admin_are_verified(
    monkeypatch, settings, tmp_path
):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "root pass phrase 1")
    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@example.com",
        verbosity=0,
    )
    assert User.objects.get(username="root").email_verified
    settings.BASE_DIR = tmp_path  # ensure_admin writes its login file there
    call_command("ensure_admin", stdout=io.StringIO())
    assert User.objects.get(username="admin").email_verified
