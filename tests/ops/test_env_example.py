"""`.env.example` documents every variable the settings, gunicorn and the container
scripts read, and nothing they no longer read."""

import re

from tests.ops.conftest import ROOT

READERS = (
    "config/settings.py",
    "config/gunicorn.py",
    "config/media_storage.py",
    "config/health.py",
    "config/metrics.py",
    "docker/wait_for_db.py",
    "docker/healthcheck.py",
)
READS = re.compile(
    r"(?:environ\.get\(\s*|environ\[|env_(?:bool|int|list|str)\(\s*)"
    r"[\"']([A-Z][A-Z0-9_]*)[\"']"
)
COMPOSE_READS = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def read_by_code() -> set[str]:
    read = set()
    for source in READERS:
        read |= set(READS.findall((ROOT / source).read_text()))
    return read


def documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.M))


def test_env_example_lists_every_variable_read():
    read = read_by_code()
    assert {"SECRET_KEY", "BEHIND_PROXY", "GUNICORN_CONTROL_SOCKET"} <= read
    assert read - documented() == set()


def test_env_example_lists_nothing_that_is_no_longer_read():
    read = read_by_code()
    for source in ("docker-compose.yml", "docker/entrypoint.sh"):
        read |= set(COMPOSE_READS.findall((ROOT / source).read_text()))
    assert documented() - read == set()
