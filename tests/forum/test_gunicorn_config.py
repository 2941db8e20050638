"""config/gunicorn.py: the settings the Docker image and the benchmark share."""

import runpy
from pathlib import Path
from unittest import mock

import pytest
from django.db import connections

from forum import viewcounts

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"

pytestmark = pytest.mark.django_db


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
