"""Hostile and racing input on member pages gets a clear answer, never a 500."""

import pytest
from django.urls import reverse

from accounts.forms import RegistrationForm
from accounts.models import User
from tests.factories import make_member

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "racer",
    "email": "racer@example.com",
    "password1": "a long and unusual pass 93",
    "password2": "a long and unusual pass 93",
}


def test_digit_only_usernames_are_refused(client):
    response = client.post(reverse("accounts:register"), {**SIGNUP, "username": "1001"})
    assert "A username needs at least one letter." in response.content.decode()
    assert not User.objects.filter(username="1001").exists()


def test_registration_that_loses_a_race_keeps_the_form(client, monkeypatch):
    make_member("early", email="racer@example.com")
    # Both submissions passed the uniqueness checks before either was saved.
    monkeypatch.setattr(RegistrationForm, "clean_email", lambda form: SIGNUP["email"])
    monkeypatch.setattr(RegistrationForm, "validate_unique", lambda form: None)
    response = client.post(reverse("accounts:register"), SIGNUP)
    html = response.content.decode()
    assert response.status_code == 200
    assert "was just taken" in html
    assert 'value="racer"' in html
    assert not User.objects.filter(username="racer").exists()


def test_overlong_website_is_a_form_error(client):
    member = make_member()
    client.force_login(member)
    url = reverse("accounts:profile_edit")
    website = "https://example.com/" + "a" * 300
    response = client.post(url, {"website": website})
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()
    member.refresh_from_db()
    assert member.website == ""
