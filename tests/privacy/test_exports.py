"""The data download: asking, building, the mailed link and its limits, upkeep."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from privacy import exports
from privacy.models import DataExport
from tests.conftest import database_queue, run_worker  # noqa: F401 (fixture)
from tests.privacy.conftest import EMAIL, LOGIN_IP, MESSAGE_IP, NAME, POST_IP

pytestmark = pytest.mark.django_db

DATA_URL = "/accounts/data/"


def mailed_link(to: str = EMAIL) -> str:
    (message,) = mail.outbox
    assert message.to == [to]
    return re.search(r"https?://[^/\s]+(/accounts/data/\S+/)", message.body).group(1)


def test_a_member_gets_an_archive_of_everything_theirs(client, footprint):
    client.force_login(footprint.member)
    response = client.post(DATA_URL, follow=True)
    assert "We are preparing your data" in response.content.decode()

    download = client.get(mailed_link())
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    assert download["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    data = json.loads(archive.read("data.json"))
    index = archive.read("index.html").decode()

    assert data["profile"]["username"] == NAME
    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["location"] == "Lighthouse Lane"
    assert data["profile"]["following"] == ["friendly"]
    assert data["profile"]["ignoring"] == ["outsider"]
    assert [t["title"] for t in data["threads"]] == ["Lanterns at dusk"]
    # Source BBCode, as typed.
    assert [p["body"] for p in data["posts"]] == [
        "My [b]first[/b] lantern post.",
        "A second lantern thought.",
    ]
    (conversation,) = data["conversations"]
    assert conversation["title"] == "Meetup plans"
    assert [m["body"] for m in conversation["messages"]] == [
        "Bring a torch.",
        "I will bring two.",
    ]
    assert [r["post_id"] for r in data["reactions_given"]] == [footprint.quoting.pk]
    assert data["settings"]["watched_threads"][0]["email"] is True
    assert data["bookmarks"][0]["note"] == "read again"
    assert data["drafts"][0]["body"] == "Half a thought"
    assert {row["address"] for row in data["addresses"]["posts"]} == {POST_IP}
    assert [row["address"] for row in data["addresses"]["messages"]] == [MESSAGE_IP]
    assert {row["address"] for row in data["addresses"]["failed_logins"]} == {LOGIN_IP}
    assert [(a["document"], a["version"]) for a in data["agreements"]] == [("terms", 1)]
    # Readable, escaped, and nothing of other members' private conversations.
    assert "My [b]first[/b] lantern post." in index
    assert "Secret plans" not in json.dumps(data) + index
    # The data page offers the same archive while it lasts.
    page = client.get(DATA_URL).content.decode()
    assert "Download your archive" in page


def test_markup_in_the_data_is_escaped_in_the_readable_index(client, member, board):
    from tests.factories import make_thread

    make_thread(board=board, author=member, body="<script>alert(1)</script>")
    client.force_login(member)
    client.post(DATA_URL)
    download = client.get(mailed_link(member.email))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    index = archive.read("index.html").decode()
    assert "<script>alert(1)" not in index
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index


# The worker closes the test's connection when it ends: a transactional test.
@pytest.mark.django_db(transaction=True)
def test_a_second_request_while_one_is_pending_is_refused(
    client,
    member,
    database_queue,  # noqa: F811
):
    client.force_login(member)
    client.post(DATA_URL)
    response = client.post(DATA_URL, follow=True)
    assert "being prepared already" in response.content.decode()
    assert DataExport.objects.filter(user=member).count() == 1
    assert (
        DBTaskResult.objects.filter(task_path__endswith="build_data_export").count()
        == 1
    )
    with pytest.raises(exports.ExportRefused):
        exports.request_data_export(member=member)
    # The worker builds it; then a new request is welcome again.
    run_worker()
    assert DataExport.objects.get(user=member).status == DataExport.Status.READY
    assert len(mail.outbox) == 1
    client.post(DATA_URL)
    assert DataExport.objects.filter(user=member).count() == 2


def test_the_link_opens_only_for_its_member_logged_in(client, member, other_member):
    client.force_login(member)
    client.post(DATA_URL)
    link = mailed_link(member.email)

    guest = Client()
    response = guest.get(link)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    guest.force_login(other_member)
    response = guest.get(link)
    assert response.status_code == 403
    assert "another account" in response.content.decode()

    forged = link.rstrip("/")[:-3] + "abc/"
    assert client.get(forged).status_code == 400
    assert client.get("/accounts/data/" + "x" * 5000 + "/").status_code == 400


def test_an_expired_archive_is_refused_and_deleted_by_the_upkeep(client, member):
    client.force_login(member)
    client.post(DATA_URL)
    link = mailed_link(member.email)
    export = DataExport.objects.get(user=member)
    assert default_storage.exists(export.archive)
    DataExport.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = client.get(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert "has expired" in client.get(DATA_URL).content.decode()

    call_command("privacy_upkeep")
    assert not DataExport.objects.filter(pk=export.pk).exists()
    assert not default_storage.exists(export.archive)


def test_a_link_older_than_48_hours_is_refused(client, member, monkeypatch):
    client.force_login(member)
    client.post(DATA_URL)
    export = DataExport.objects.get(user=member)
    # Signed two days and a minute ago: the signature itself has expired.
    made = timezone.now() - timedelta(hours=exports.LINK_HOURS, minutes=1)
    monkeypatch.setattr("time.time", lambda: made.timestamp())
    token = exports.make_token(export)
    monkeypatch.undo()
    response = client.get(f"/accounts/data/{token}/")
    assert response.status_code == 410


def test_asking_needs_a_csrf_token_and_a_post(client, member):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(DATA_URL).status_code == 403
    client.force_login(member)
    assert client.put(DATA_URL).status_code == 405
    assert not DataExport.objects.exists()


def test_the_daily_upkeep_is_queued_once(database_queue):  # noqa: F811
    call_command("privacy_upkeep", "--schedule")
    call_command("privacy_upkeep", "--schedule")
    assert (
        DBTaskResult.objects.filter(task_path__endswith="privacy_upkeep_daily").count()
        == 1
    )


def test_staff_see_requests_in_the_admin_but_never_the_archive(staff_client, member):
    export = DataExport.objects.create(user=member, status=DataExport.Status.READY)
    listing = staff_client.get("/admin/privacy/dataexport/")
    assert listing.status_code == 200
    assert member.username in listing.content.decode()
    assert (
        staff_client.post(
            f"/admin/privacy/dataexport/{export.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert DataExport.objects.filter(pk=export.pk).exists()
