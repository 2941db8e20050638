"""A real Redis for the tests that share state across processes.

A ``redis-server`` of this test process's own, on a free port, stopped at exit:
two runs of the suite at once (or parallel workers) never share keys. Without the
binary, the machine's Redis on 127.0.0.1:6379, where each test module uses a
database number of its own and empties it.
"""

import atexit
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from tests.tools import missing_tool

MACHINE_REDIS = "redis://127.0.0.1:6379"
_started: list[str] = []


def _answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def _start_own(binary: str) -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tempfile.mkdtemp(prefix="colloquy-redis-")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(lambda: (server.terminate(), shutil.rmtree(folder, True)))
    url = f"redis://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not _answers(url):
        if time.monotonic() > deadline or server.poll() is not None:
            pytest.fail("the redis-server started for the tests did not answer")
        time.sleep(0.05)
    return url


def redis_url(db: int) -> str:
    """A URL for database ``db`` of a running Redis, emptied."""
    if not _started:
        binary = shutil.which("redis-server")
        if binary:
            _started.append(_start_own(binary))
        elif _answers(MACHINE_REDIS):
            _started.append(MACHINE_REDIS)
        else:
            missing_tool("no redis-server to start and no Redis on 127.0.0.1:6379")
    url = f"{_started[0]}/{db}"
    redis.Redis.from_url(url).flushdb()
    return url
