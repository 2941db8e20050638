"""Registration, login, logout and the password views, through the client."""

import re

import pytest
from django.core import mail

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"


def register(client, **overrides):
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "password1": "a sturdy passphrase 9",
        "password2": "a sturdy passphrase 9",
    }
    data.update(overrides)
    return client.post("/accounts/register/", data)


def test_register_creates_a_member_logs_in_and_sets_the_first_tier(client):
    response = register(client)
    assert response.status_code == 302
    carol = User.objects.get(username="carol")
    assert carol.tier.name == "New Member"
    html = client.get("/").content.decode()
    assert 'href="/members/' in html and ">carol<" in html
    assert "Welcome to Colloquy, carol!" in html


def test_register_refuses_a_username_taken_in_another_case(client, member):
    response = register(client, username="ALICE", email="other@example.com")
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_register_refuses_a_duplicate_email(client, member):
    response = register(client, email="Alice@Example.com")
    html = response.content.decode()
    assert "An account with this email address already exists." in html
    assert 'value="carol"' in html  # what was typed is kept
    assert not User.objects.filter(username="carol").exists()


def test_register_refuses_a_weak_password(client):
    response = register(client, password1="password", password2="password")
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(username="carol").exists()


def test_login_and_logout(client, member):
    bad = client.post(
        "/accounts/login/", {"username": "alice", "password": "wrong one"}
    )
    assert bad.status_code == 200
    assert "Please enter a correct username and password" in bad.content.decode()
    good = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert good.status_code == 302
    assert "Log out" in client.get("/").content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    assert "Log in" in client.get("/").content.decode()


def test_password_change(client, member):
    client.force_login(member)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another good phrase 7",
            "new_password2": "another good phrase 7",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("another good phrase 7")


def test_password_reset_mail_link_sets_a_new_password(client, member):
    response = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body)
    assert link, message.body
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {
            "new_password1": "fresh phrase here 5",
            "new_password2": "fresh phrase here 5",
        },
    )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password("fresh phrase here 5")


def test_password_reset_for_unknown_email_sends_nothing(client, member):
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert mail.outbox == []
