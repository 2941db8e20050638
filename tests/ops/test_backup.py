"""make backup / make restore: a backup restored into an empty database shows the
same forum, on the server the suite runs: the embedded PostgreSQL 18 (which the
system's older pg_dump cannot read, so the version-matched tools are exercised
too) or, with DATABASE_URL set, the machine's own."""

import json
import subprocess
import tarfile

import psycopg
import pytest

from ops.backups import BackupError, find_tool, tool_major
from tests.ops.conftest import ROOT, Databases, manage, project_env

# Renders every thread page and prints what a reader sees on it: thread titles,
# the posts' ids and bodies, and the post counts of the author cards.
SNAPSHOT = """
import json, re
from django.test import Client
from forum.models import Thread
client = Client(raise_request_exception=True)
pages = {}
for url in ["/", *(t.get_absolute_url() for t in Thread.objects.order_by("id"))]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    pages[url] = response.content.decode()
seen = {}
for url, html in pages.items():
    seen[url] = {
        "titles": re.findall(r'<a href="/threads/[^"]*">([^<]+)</a>', html),
        "posts": re.findall(r'data-post-id="(\\d+)"', html),
        "bodies": re.findall(r'class="post-body[^"]*">(.*?)</div>', html, re.S),
    }
print(json.dumps(seen, sort_keys=True))
"""


@pytest.fixture(scope="module")
def databases(suite_server):
    made = Databases(suite_server)
    yield made
    made.drop_all()


def snapshot(env) -> dict:
    # The JSON is the last line; anything a module printed on import comes before.
    return json.loads(manage(env, "shell", "-c", SNAPSHOT).stdout.splitlines()[-1])


def server_major(admin_url: str) -> int:
    with psycopg.connect(admin_url) as conn:
        (number,) = conn.execute("SHOW server_version_num").fetchone()
    return int(number) // 10000


@pytest.fixture(scope="module")
def demo(databases, tmp_path_factory):
    """The demo forum and an avatar, what a reader sees of it, and one backup."""
    folder = tmp_path_factory.mktemp("backup")
    media = folder / "media"
    (media / "avatars").mkdir(parents=True)
    (media / "avatars" / "7.png").write_bytes(b"\x89PNG fake avatar bytes")
    source = project_env(
        databases.create(),
        DJANGO_DEBUG="True",
        MEDIA_ROOT=str(media),
        ALLOWED_HOSTS="testserver",
    )
    manage(source, "migrate", "--noinput")
    manage(source, "load_demo_forum")
    seen = snapshot(source)
    out = manage(source, "backup", "--output-dir", str(folder / "backups"))
    backup_dir = folder / "backups" / out.stdout.strip().rsplit("/", 1)[-1]
    return {"env": source, "seen": seen, "backup": backup_dir, "folder": folder}


def test_backup_restores_into_an_empty_database(demo, databases, suite_server):
    before = demo["seen"]
    assert len(before) > 3
    assert all(page["posts"] for url, page in before.items() if url != "/")

    manifest = json.loads((demo["backup"] / "manifest.json").read_text())
    # The suite's server: the embedded PostgreSQL 18, which the system's older
    # pg_dump cannot read, or the one DATABASE_URL names. A pg_dump at least as
    # new as the server is picked either way.
    assert manifest["server_major"] == server_major(suite_server)
    assert manifest["pg_dump_major"] >= manifest["server_major"]
    assert manifest["media_files"] == 1
    with tarfile.open(demo["backup"] / "media.tar.gz") as archive:
        assert archive.getnames() == ["avatars/7.png"]

    restored_media = demo["folder"] / "restored-media"
    target = project_env(
        databases.create(),
        DJANGO_DEBUG="True",
        MEDIA_ROOT=str(restored_media),
        ALLOWED_HOSTS="testserver",
    )
    result = manage(target, "restore", str(demo["backup"]))
    assert "1 media files" in result.stdout
    assert snapshot(target) == before
    restored = (restored_media / "avatars" / "7.png").read_bytes()
    assert restored == b"\x89PNG fake avatar bytes"
    # Nothing left to migrate: the schema came with the dump.
    plan = manage(target, "migrate", "--plan").stdout
    assert "No planned migration operations." in plan


def test_restore_refuses_a_database_that_is_not_empty(demo):
    result = manage(demo["env"], "restore", str(demo["backup"]), check=False)
    assert result.returncode != 0
    assert "Restore into an empty database" in result.stderr


def test_restore_refuses_a_folder_without_a_dump(databases, tmp_path):
    env = project_env(databases.create(), DJANGO_DEBUG="True")
    result = manage(env, "restore", str(tmp_path), check=False)
    assert result.returncode != 0 and "is it a backup folder?" in result.stderr


def test_tools_are_chosen_by_version():
    path, major = find_tool("pg_dump", 17)
    assert major >= 17 and tool_major(path) == major
    with pytest.raises(BackupError, match="PostgreSQL 99 or newer"):
        find_tool("pg_dump", 99)


def make(*args: str) -> subprocess.CompletedProcess:
    # -o: take the virtualenv as installed, so nothing is ever pip-installed here.
    return subprocess.run(
        ["make", "-o", ".venv/.installed", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_backup_and_restore_run_the_commands_with_their_arguments():
    backup = make("-n", "backup", "BACKUP_DIR=/srv/backups").stdout
    assert 'manage.py backup --output-dir "/srv/backups"' in backup
    restore = make("-n", "restore", "BACKUP=backups/20260101-0300").stdout
    assert 'manage.py restore "backups/20260101-0300"' in restore
    refused = make("restore")
    assert refused.returncode != 0
    assert "usage: make restore BACKUP=backups/<timestamp>" in refused.stdout
