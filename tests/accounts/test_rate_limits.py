"""Logins, registrations and reset mails, tried as an attacker would."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"
ATTACKER = "203.0.113.7"
LOCKED = "Too many failed logins for this account or from your address."


@pytest.fixture(
    params=[
        # Without Redis the count is kept in PostgreSQL, with it in the cache.
        "axes.handlers.database.AxesDatabaseHandler",
        "axes.handlers.cache.AxesCacheHandler",
    ]
)
def login_counter(request, settings):
    settings.AXES_HANDLER = request.param


def log_in(client, username, password, address):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def reset_password_by_mail(client, email, new_password):
    client.post("/accounts/password/reset/", {"email": email})
    link = re.search(
        r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[-1].body
    )
    form_page = client.get(link.group(1), follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302


def test_twenty_wrong_passwords_lock_the_account_until_a_password_reset(
    member, login_counter
):
    # Each guess from an address of its own: only the account's count can stop them.
    guesses = [
        log_in(Client(), "alice", f"guess {i}", f"198.51.100.{i + 1}")
        for i in range(20)
    ]
    assert [r.status_code for r in guesses] == [200] * 4 + [429] * 16
    refused = guesses[-1].content.decode()
    assert LOCKED in refused
    assert "Try again in 15 minutes, or reset your password" in refused
    assert 'value="alice"' in refused  # what was typed is kept
    assert guesses[-1]["Retry-After"] == "900"

    owner = Client()
    right = log_in(owner, "alice", PASSWORD, "192.0.2.10")
    assert right.status_code == 429
    assert "_auth_user_id" not in owner.session
    # Another spelling of the name is the same account.
    assert log_in(Client(), "ALICE", "guess", "192.0.2.11").status_code == 429

    reset_password_by_mail(owner, "alice@example.com", "a brand new phrase 8")
    assert (
        log_in(owner, "alice", "a brand new phrase 8", "192.0.2.10").status_code == 302
    )
    assert owner.session["_auth_user_id"] == str(member.pk)


def test_a_hundred_usernames_from_one_address_are_cut_off(member, login_counter):
    attacker = Client()
    tries = [log_in(attacker, f"user{i}", "password1", ATTACKER) for i in range(100)]
    assert [r.status_code for r in tries] == [200] * 4 + [429] * 96
    assert LOCKED in tries[-1].content.decode()
    # Alice's right password from the attacker's address is refused too ...
    assert log_in(Client(), "alice", PASSWORD, ATTACKER).status_code == 429
    # ... and accepted from her own.
    assert log_in(Client(), "alice", PASSWORD, "192.0.2.10").status_code == 302


def test_the_admin_login_is_locked_out_too(staff):
    tries = [
        Client().post(
            "/admin/login/",
            {"username": "staffer", "password": f"guess {i}"},
            REMOTE_ADDR=f"198.51.100.{i + 1}",
        )
        for i in range(6)
    ]
    assert [r.status_code for r in tries] == [200] * 4 + [429] * 2
    assert LOCKED in tries[-1].content.decode()


def test_a_good_login_is_not_held_back_by_a_few_typos(member):
    client = Client()
    for i in range(3):
        assert log_in(client, "alice", f"typo {i}", "192.0.2.10").status_code == 200
    assert log_in(client, "alice", PASSWORD, "192.0.2.10").status_code == 302


def signup(username, address):
    return Client().post(
        "/accounts/register/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": "a sturdy passphrase 9",
            "password2": "a sturdy passphrase 9",
        },
        REMOTE_ADDR=address,
    )


def test_twenty_registrations_from_one_address_make_five_accounts():
    responses = [signup(f"spammer{i}", ATTACKER) for i in range(20)]
    assert [r.status_code for r in responses] == [302] * 5 + [429] * 15
    refused = responses[-1].content.decode()
    assert "Too many accounts were registered from your address." in refused
    assert re.search(r"Try again in (1 hour|[0-9]+ minutes)\.", refused)
    assert 'value="spammer19"' in refused
    assert User.objects.filter(username__startswith="spammer").count() == 5
    assert signup("neighbour", "192.0.2.10").status_code == 302


def test_twenty_reset_mails_to_one_address_send_three(client, member):
    responses = [
        client.post("/accounts/password/reset/", {"email": "alice@example.com"})
        for _ in range(20)
    ]
    assert [r.status_code for r in responses] == [302] * 3 + [429] * 17
    assert len(mail.outbox) == 3
    refused = responses[-1].content.decode()
    assert "Too many password-reset mails were asked for" in refused
    assert re.search(r"Try again in (1 hour|[0-9]+ minutes)\.", refused)
    assert 'value="alice@example.com"' in refused


def test_reset_mails_from_one_address_are_capped_whatever_the_email(client, member):
    responses = [
        client.post(
            "/accounts/password/reset/",
            {"email": f"someone{i}@example.com"},
            REMOTE_ADDR=ATTACKER,
        )
        for i in range(20)
    ]
    assert [r.status_code for r in responses] == [302] * 5 + [429] * 15
    assert "from your address" in responses[-1].content.decode()
    # The limit is the address's: the member's own request still goes out.
    own = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert own.status_code == 302
    assert len(mail.outbox) == 1
