"""The database backend's health check: no round trip while the connection is
sound, a new connection once the server has ended the old one."""

import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def spare():
    """A second connection to the test database, outside the test's transaction."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_engine_is_ours_and_checks_health():
    assert connection.settings_dict["ENGINE"] == "config.postgres"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_sound_idle_connection_is_checked_without_a_message(spare, tmp_path):
    trace = tmp_path / "libpq.trace"
    backend_pid(spare)  # idle again after a query
    with trace.open("w") as out:
        spare.connection.pgconn.trace(out.fileno())
        try:
            assert spare.is_usable()
        finally:
            spare.connection.pgconn.untrace()
    assert trace.read_text() == ""
    # The trace does see what a query sends: it would have caught a SELECT 1.
    with trace.open("w") as out:
        spare.connection.pgconn.trace(out.fileno())
        backend_pid(spare)
        spare.connection.pgconn.untrace()
    assert "pg_backend_pid" in trace.read_text()


def test_a_connection_the_server_ended_is_replaced_at_the_next_request(spare):
    old = backend_pid(spare)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old])
    deadline = time.monotonic() + 10
    while spare.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not spare.is_usable()
    # What Django does at the start of a request, then the request's first query.
    spare.close_if_unusable_or_obsolete()
    new = backend_pid(spare)
    assert new != old


def test_inside_a_transaction_the_check_asks_the_server(spare):
    spare.set_autocommit(False)
    try:
        backend_pid(spare)  # the transaction is open now
        assert spare.is_usable()
    finally:
        spare.rollback()
        spare.set_autocommit(True)
