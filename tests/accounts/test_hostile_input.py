"""Hostile and racing input on member pages gets a clear answer, never a 500."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import register_member
from tests.factories import make_member

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "racer",
    "email": "racer@example.com",
    "password1": "a long and unusual pass 93",
    "password2": "a long and unusual pass 93",
}
# Only a guard against a hung test: the race waits for PostgreSQL's report.
HANG = 60


def test_digit_only_usernames_are_refused(client):
    response = client.post(reverse("accounts:register"), {**SIGNUP, "username": "1001"})
    assert "A username needs at least one letter." in response.content.decode()
    assert not User.objects.filter(username="1001").exists()


def waiting_on(pid: int) -> int:
    """How many backends wait on a lock that backend ``pid`` holds."""
    with connection.cursor() as cursor:
        # Inside a transaction pg_stat_activity keeps its first answer; start afresh.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE %s = ANY(pg_blocking_pids(pid))",
            [pid],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_racing_for_one_name_give_the_loser_its_form_back():
    # Each sign-up is a real request in a thread, so on a connection, of its own.
    # This connection holds an uncommitted member named "racer": both requests pass
    # the form's uniqueness checks, then wait in the unique index. Rolling it back
    # lets them race; the database lets one in and the other's insert fails.
    responses, errors = {}, []

    def sign_up(who: str) -> None:
        try:
            data = {**SIGNUP, "email": f"{who}@example.com"}
            responses[who] = Client().post(reverse("accounts:register"), data)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    requests = [threading.Thread(target=sign_up, args=(w,)) for w in ("ann", "ben")]
    with transaction.atomic():
        register_member(username="racer", email="hold@example.com", password="x")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            holder = cursor.fetchone()[0]
        for request in requests:
            request.start()
        deadline = time.monotonic() + HANG  # a guard against a hung test only
        while waiting_on(holder) < 2:
            assert all(r.is_alive() for r in requests), errors or responses
            assert time.monotonic() < deadline, "the sign-ups never reached the index"
            time.sleep(0.01)
        transaction.set_rollback(True)
    for request in requests:
        request.join(HANG)
    assert not errors and len(responses) == 2
    by_status = {response.status_code: who for who, response in responses.items()}
    assert sorted(by_status) == [200, 302]
    html = responses[by_status[200]].content.decode()
    assert "That username or email address was just taken." in html
    assert 'value="racer"' in html and f'value="{by_status[200]}@example.com"' in html
    (member,) = User.objects.filter(username__iexact="racer")
    assert member.email == f"{by_status[302]}@example.com"


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
