"""Registration spam traps: a field only robots fill, and a minimum fill time."""

import re
import time

import pytest
from django.core import signing

from accounts.forms import FILL_TIME_SALT, fill_time_token
from accounts.models import User

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="shown_at" value="([^"]+)"')


@pytest.fixture
def min_fill_time(settings):
    settings.ACCOUNTS_REGISTRATION_MIN_SECONDS = 3


def token_made_ago(monkeypatch, seconds: float) -> str:
    made_at = time.time() - seconds
    with monkeypatch.context() as past:
        past.setattr(signing.time, "time", lambda: made_at)
        return fill_time_token()


def signup(client, **fields):
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "password1": "a sturdy passphrase 9",
        "password2": "a sturdy passphrase 9",
        **fields,
    }
    return client.post("/accounts/register/", data)


def test_the_form_carries_a_hidden_labelled_trap_and_a_signed_time(client):
    html = client.get("/accounts/register/").content.decode()
    trap = re.search(r'<div class="visually-hidden">(.*?)</div>\s*</div>', html, re.S)
    assert trap, html
    assert "Leave this field empty" in trap.group(1)  # what a screen reader reads
    assert 'name="homepage_url"' in trap.group(1)
    assert 'tabindex="-1"' in trap.group(1) and 'autocomplete="off"' in trap.group(1)
    token = TOKEN.search(html).group(1)
    assert signing.TimestampSigner(salt=FILL_TIME_SALT).unsign(token, max_age=60)


def test_a_filled_trap_refuses_the_registration_and_keeps_the_input(client):
    response = signup(client, homepage_url="http://cheap-pills.example")
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field must stay empty" in html
    assert 'value="carol"' in html and 'value="carol@example.com"' in html
    assert not User.objects.filter(username="carol").exists()


def test_a_form_sent_back_at_once_is_refused(client, min_fill_time):
    token = TOKEN.search(client.get("/accounts/register/").content.decode()).group(1)
    response = signup(client, shown_at=token)
    html = response.content.decode()
    assert "That was faster than a person fills in this form." in html
    assert "send it again in 3 seconds" in html
    assert 'value="carol"' in html
    assert TOKEN.search(html).group(1) == token  # the clock keeps running
    assert not User.objects.filter(username="carol").exists()


def test_a_form_filled_at_a_persons_pace_registers(client, min_fill_time, monkeypatch):
    response = signup(client, shown_at=token_made_ago(monkeypatch, 20))
    assert response.status_code == 302
    assert User.objects.filter(username="carol").exists()


@pytest.mark.parametrize(
    "token", [None, "", "registration", "registration:1abc:forged", "x" * 5000]
)
def test_a_missing_or_forged_time_is_refused_with_a_fresh_one(
    client, min_fill_time, token
):
    response = signup(client, **({} if token is None else {"shown_at": token}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This form could not be checked" in html
    fresh = TOKEN.search(html).group(1)
    assert signing.TimestampSigner(salt=FILL_TIME_SALT).unsign(fresh, max_age=60)
    assert not User.objects.filter(username="carol").exists()


def test_a_form_left_open_for_days_is_refused(client, min_fill_time, monkeypatch):
    response = signup(client, shown_at=token_made_ago(monkeypatch, 2 * 24 * 3600))
    assert "was open too long" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()
