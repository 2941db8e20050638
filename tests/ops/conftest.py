"""Helpers for tests that run the project as an operator would: in subprocesses,
against databases they create on a real PostgreSQL server and drop afterwards."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url(info, dbname: str) -> str:
    host = quote(info.host, safe="") if info.host.startswith("/") else info.host
    auth = info.user + (f":{quote(info.password, safe='')}" if info.password else "")
    return f"postgres://{auth}@{host}:{info.port}/{dbname}"


@pytest.fixture(scope="session")
def suite_server(django_db_blocker) -> str:
    """An admin URL for the PostgreSQL server this test run already uses."""
    # Through the server's "postgres" database: the one DATABASE_URL names need
    # not exist when no test of the run asked for a test database.
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        return server_url(cursor.connection.info, "postgres")


@pytest.fixture(scope="session")
def local_or_suite_server(suite_server) -> str:
    """The machine's PostgreSQL on 127.0.0.1:5432 when it runs, else the suite's."""
    try:
        psycopg.connect(LOCAL_SERVER, connect_timeout=2).close()
    except psycopg.OperationalError:
        return suite_server
    return LOCAL_SERVER


class Databases:
    """Creates uniquely named databases on one server and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.names: list[str] = []

    def create(self) -> str:
        name = f"colloquy_ops_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def project_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a deployment: no embedded server, no test settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COLLOQUY_", "DJANGO_", "PYTEST", "SECURE_"))
    }
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=database_url,
        SECRET_KEY=uuid.uuid4().hex * 2,
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, check: bool = True):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
