"""What tests/ops/test_replica.py runs inside the project, with DATABASE_URL on a
fresh primary and DATABASE_REPLICA_URL on its streaming standby:

    manage.py shell -c "from tests.ops.replica_walk import walk; walk()"

It migrates, reads pages as a guest and as members through Django's test client
while the standby's replay is paused and after it resumes, and prints one JSON line
of what it saw; the test asserts on it.
"""

import json
import time
import uuid

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.management import call_command
from django.db import connections, transaction
from django.db.utils import DatabaseError
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import db_router
from config.db_router import PIN_COOKIE, PIN_SALT, ReplicaRouter
from forum.models import Thread
from tests.conftest import FAST_PASSWORD_HASHERS


def _one(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _caught_up() -> None:
    """Wait until the standby has replayed everything the primary has written."""
    lsn = _one("default", "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 20
    while not _one("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]):
        if time.monotonic() > deadline:
            raise RuntimeError("the standby did not catch up within 20 seconds")
        time.sleep(0.02)


def _get(client: Client, url: str) -> dict:
    """A page view: its status, its HTML and how many queries each database ran."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(url)
    return {
        "status": response.status_code,
        "html": response.content.decode(),
        "primary": len(primary),
        "replica": len(replica),
        "pinned": PIN_COOKIE in response.cookies,
    }


def _signed_pin(age_seconds: int) -> str:
    """The pin cookie as the middleware signs it, made ``age_seconds`` ago."""
    signer = signing.get_cookie_signer(salt=PIN_COOKIE + PIN_SALT)
    stamp = signing.b62_encode(int(time.time()) - age_seconds)
    return signing.Signer.sign(signer, f"1{signer.sep}{stamp}")


def walk() -> None:
    # The test suite's fast hasher: three members need no second of key stretching.
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        _walk()


def _walk() -> None:
    from tests.factories import make_member, make_thread

    seen: dict = {}
    router = ReplicaRouter()
    call_command("migrate", verbosity=0)
    seen["migrate_on_replica"] = router.allow_migrate("replica", "forum")
    try:
        with connections["replica"].cursor() as cursor:
            cursor.execute("CREATE TABLE stray (id int)")
        seen["replica_refused_a_write"] = False
    except DatabaseError as error:
        seen["replica_refused_a_write"] = "read-only transaction" in str(error)
    connections["replica"].close()
    # Outside a request (commands, the worker) everything reads from the primary.
    seen["outside_a_request"] = router.db_for_read(Thread)
    token = db_router._replica_reads.set(True)
    try:
        seen["in_a_page"] = router.db_for_read(Thread)
        with transaction.atomic():
            seen["in_a_transaction"] = router.db_for_read(Thread)
        seen["sessions"] = router.db_for_read(Session)
    finally:
        db_router._replica_reads.reset(token)

    author, writer, other = (
        make_member(f"{role}_{uuid.uuid4().hex[:6]}")
        for role in ("author", "writer", "other")
    )
    thread = make_thread(author=author, title="Replica thread", body="Opening words.")
    url = thread.get_absolute_url()
    guest, writer_client, other_client = Client(), Client(), Client()
    writer_client.force_login(writer)
    other_client.force_login(other)
    _caught_up()
    seen["migrations_streamed"] = _one(
        "replica", "SELECT count(*) FROM django_migrations"
    ) == _one("default", "SELECT count(*) FROM django_migrations")

    seen["guest_before"] = _get(guest, url)
    _one("replica", "SELECT pg_wal_replay_pause()::text")

    reply = "Written while the replica sleeps."
    response = writer_client.post(
        reverse("forum:reply", args=[thread.pk]),
        {"body": reply, "submission_token": str(uuid.uuid4())},
    )
    cookie = response.cookies.get(PIN_COOKIE)
    seen["reply_status"] = response.status_code
    seen["pin_max_age"] = cookie["max-age"] if cookie else None
    seen["pin_httponly"] = bool(cookie and cookie["httponly"])
    seen["writer_paused"] = _get(writer_client, url)
    seen["guest_paused"] = _get(guest, url)
    seen["other_paused"] = _get(other_client, url)
    # The other member's page view wrote (last seen, read progress): pinned too.
    seen["other_again"] = _get(other_client, url)

    pin = writer_client.cookies[PIN_COOKIE].value
    for name, value in {
        "writer_unpinned": None,
        "writer_forged": "1",
        "writer_tampered": pin[:-1] + ("A" if pin[-1] != "A" else "B"),
        "writer_expired": _signed_pin(settings.DATABASE_REPLICA_PIN_SECONDS + 1),
    }.items():
        probe = Client()
        probe.cookies = writer_client.cookies.__class__(writer_client.cookies)
        if value is None:
            del probe.cookies[PIN_COOKIE]
        else:
            probe.cookies[PIN_COOKIE] = value
        seen[name] = _get(probe, url)
    seen["pin_setting"] = settings.DATABASE_REPLICA_PIN_SECONDS

    # A refused form changes nothing, so it pins nobody.
    del writer_client.cookies[PIN_COOKIE]
    refused = writer_client.post(
        reverse("forum:reply", args=[thread.pk]),
        {"body": "", "submission_token": str(uuid.uuid4())},
    )
    seen["refused_status"] = refused.status_code
    seen["refused_pinned"] = PIN_COOKIE in refused.cookies

    _one("replica", "SELECT pg_wal_replay_resume()::text")
    _caught_up()
    seen["guest_resumed"] = _get(guest, url)
    seen["reply"] = reply
    for page in seen.values():
        if isinstance(page, dict):
            page["shows_reply"] = reply in page.pop("html")
    print(json.dumps(seen, sort_keys=True))
