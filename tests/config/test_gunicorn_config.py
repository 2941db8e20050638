"""config/gunicorn.py: the settings the Docker image and the benchmark share."""

import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from forum import viewcounts

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "gunicorn.py"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _runtime_dir_in_tmp(monkeypatch, tmp_path):
    """Each test's control sockets go under its own folder, never the machine's."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    for name in ("GUNICORN_RUNTIME_DIR", "GUNICORN_CONTROL_SOCKET", "PORT"):
        monkeypatch.delenv(name, raising=False)


def load(monkeypatch, **env) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_workers_threads_and_port_come_from_the_environment(monkeypatch):
    config = load(monkeypatch, PORT="9001", WEB_CONCURRENCY="3", GUNICORN_THREADS="4")
    assert config["bind"] == "0.0.0.0:9001"
    assert (config["workers"], config["threads"]) == (3, 4)
    assert config["worker_class"] == "gthread"
    assert config["preload_app"] is True


def test_the_access_log_can_be_switched_off(monkeypatch):
    assert load(monkeypatch)["accesslog"] == "-"
    assert load(monkeypatch, GUNICORN_ACCESS_LOG="")["accesslog"] is None


def test_a_worker_writes_its_buffered_view_counts_when_it_exits(monkeypatch, thread):
    # The hook closes the worker's connections; the test's transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    viewcounts.flush()
    for _ in range(3):
        viewcounts.record_view(thread.pk)
    load(monkeypatch)["worker_exit"](mock.Mock(), mock.Mock())
    thread.refresh_from_db()
    assert thread.view_count == 3
    assert viewcounts.flush() == 0  # nothing left behind


def test_a_bad_number_is_an_error_naming_the_variable(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY='two'"):
        load(monkeypatch, WEB_CONCURRENCY="two")
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_THREADS='0'"):
        load(monkeypatch, WEB_CONCURRENCY="1", GUNICORN_THREADS="0")


def test_each_port_gets_a_control_socket_folder_of_its_own(monkeypatch, tmp_path):
    first = load(monkeypatch, PORT="9001")["control_socket"]
    second = load(monkeypatch, PORT="9002")["control_socket"]
    assert first == str(tmp_path / "colloquy-9001" / "control.sock")
    assert second == str(tmp_path / "colloquy-9002" / "control.sock")
    assert (tmp_path / "colloquy-9001").stat().st_mode & 0o777 == 0o700


def test_without_a_user_runtime_dir_the_folder_names_the_user(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    config = load(monkeypatch, PORT="9003")
    folder = tmp_path / f"colloquy-{os.getuid()}-9003"
    assert config["control_socket"] == str(folder / "control.sock")


def test_the_control_socket_is_configurable_and_can_be_switched_off(
    monkeypatch, tmp_path
):
    config = load(monkeypatch, GUNICORN_RUNTIME_DIR=str(tmp_path / "instance-a"))
    assert config["control_socket"] == str(tmp_path / "instance-a" / "control.sock")
    assert config["control_socket_disable"] is False
    config = load(monkeypatch, GUNICORN_CONTROL_SOCKET=str(tmp_path / "a.ctl"))
    assert config["control_socket"] == str(tmp_path / "a.ctl")
    assert load(monkeypatch, GUNICORN_CONTROL_SOCKET="")["control_socket_disable"]


def test_a_runtime_folder_of_another_user_is_refused(monkeypatch, tmp_path):
    taken = tmp_path / "colloquy-9004"
    taken.mkdir()
    if os.geteuid() == 0:
        os.chown(taken, 54321, 54321)
    else:
        # Only root gives a folder away; anyone else becomes another user instead.
        monkeypatch.setattr(os, "getuid", lambda: taken.stat().st_uid + 1)
    with pytest.raises(SystemExit, match="belongs to another user"):
        load(monkeypatch, PORT="9004")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _control(socket_path: str, command: str) -> dict:
    result = subprocess.run(
        [str(BIN / "gunicornc"), "-s", socket_path, "-c", command, "-j"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_two_instances_on_one_host_each_answer_on_their_own_socket(tmp_path):
    (tmp_path / "hello.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'hello']\n"
    )
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(tmp_path),
        "BIND_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
    }
    env.pop("GUNICORN_RUNTIME_DIR", None)
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    servers = {}
    try:
        for _ in range(2):
            port = _free_port()
            servers[port] = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", str(CONFIG), "--pythonpath"]
                + [str(tmp_path), "hello:app"],
                cwd=ROOT,
                env={**env, "PORT": str(port)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        for port, server in servers.items():
            path = tmp_path / f"colloquy-{port}" / "control.sock"
            deadline = time.monotonic() + 60
            while not path.exists():
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "no control socket after 60 s"
                time.sleep(0.2)
        for port, server in servers.items():
            path = tmp_path / f"colloquy-{port}" / "control.sock"
            assert _control(str(path), "show stats")["pid"] == server.pid
    finally:
        for server in servers.values():
            server.send_signal(signal.SIGTERM)
        for server in servers.values():
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
