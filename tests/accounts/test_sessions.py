"""The session and its member, read on every logged-in request (accounts/backends.py,
accounts/session_store.py): the same outcomes as Django's own backend and store."""

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, authenticate
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"


def logged_in_as(client) -> str | None:
    """The username the forum list's navigation names, None for a guest."""
    html = client.get("/").content.decode()
    if "Log in" in html and "Log out" not in html:
        return None
    return User.objects.get(pk=client.session["_auth_user_id"]).username


def test_logging_in_through_the_form_keeps_the_member_from_the_compiled_read(
    client, member
):
    member.set_password(PASSWORD)
    member.save()
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "accounts.backends.MemberBackend"
    assert logged_in_as(client) == "alice"
    assert ">alice<" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "backend",
    [
        # Sessions made before MemberBackend: nobody is logged out by the upgrade.
        "django.contrib.auth.backends.ModelBackend",
        "accounts.ratelimit.LoginLockoutBackend",
        "accounts.backends.MemberBackend",
    ],
)
def test_every_session_kind_stays_logged_in_and_ends_with_the_account(
    client, member, backend
):
    client.force_login(member, backend=backend)
    assert logged_in_as(client) == "alice"
    # A deactivated member's session no longer logs anyone in.
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert logged_in_as(client) is None


def test_a_changed_password_ends_other_sessions(client, member):
    client.force_login(member, backend="accounts.backends.MemberBackend")
    assert logged_in_as(client) == "alice"
    member.set_password("another passphrase 7")
    member.save()
    assert logged_in_as(client) is None


def test_an_expired_or_deleted_session_is_a_guest(client, member):
    client.force_login(member)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(1))
    assert logged_in_as(client) is None
    client.force_login(member)
    Session.objects.filter(pk=client.session.session_key).delete()
    assert logged_in_as(client) is None
    # A made-up key is a guest too, and no error.
    client.cookies["sessionid"] = "x" * 32
    assert logged_in_as(client) is None


class CountingHasher(MD5PasswordHasher):
    checked = 0

    def verify(self, password, encoded):
        CountingHasher.checked += 1
        return super().verify(password, encoded)


@override_settings(PASSWORD_HASHERS=["tests.accounts.test_sessions.CountingHasher"])
def test_a_wrong_password_is_checked_once_though_two_backends_could(member):
    member.set_password(PASSWORD)
    member.save()
    CountingHasher.checked = 0
    assert authenticate(None, username="alice", password="wrong") is None
    assert CountingHasher.checked == 1
    user = authenticate(None, username="alice", password=PASSWORD)
    assert user == member and user.backend == "accounts.backends.MemberBackend"
