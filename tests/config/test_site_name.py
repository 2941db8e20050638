"""FORUM_SITE_NAME names the site: navbar, page titles, the reset mail, the admin."""

import re

import pytest
from django.core import mail

from tests.factories import make_member

pytestmark = pytest.mark.django_db

NAME = "Harbour & Hull Forum"
ESCAPED = "Harbour &amp; Hull Forum"


@pytest.fixture(autouse=True)
def _site_name(settings):
    settings.FORUM_SITE_NAME = NAME


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def brand(html: str) -> str:
    return re.search(r'class="navbar-brand[^"]*"[^>]*>(.*?)</a>', html, re.S).group(1)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/password/reset/"])
def test_pages_carry_the_site_name_in_navbar_and_title(client, path):
    html = client.get(path).content.decode()
    assert brand(html) == ESCAPED
    assert title(html).endswith(f" · {ESCAPED}")
    assert "Colloquy</a>" not in html


def test_a_members_pages_carry_it_too(client, member):
    client.force_login(member)
    html = client.get(member.get_absolute_url()).content.decode()
    assert brand(html) == ESCAPED
    assert title(html) == f"&#x2068;alice&#x2069; · {ESCAPED}"  # the name isolated


def test_the_password_reset_mail_names_the_site_not_the_host(client, member):
    response = client.post("/accounts/password/reset/", {"email": member.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == f"Reset your password on {NAME}"
    assert f"your account on {NAME}." in message.body


def test_the_admin_carries_the_site_name(client):
    login = client.get("/admin/login/").content.decode()
    assert title(login) == f"Log in | {ESCAPED} admin"
    client.force_login(make_member("harbourmaster", is_staff=True, is_superuser=True))
    html = client.get("/admin/").content.decode()
    assert title(html) == f"{ESCAPED} back office | {ESCAPED} admin"
    assert f'<a href="/admin/">{ESCAPED}</a>' in html
    assert "Django administration" not in html
