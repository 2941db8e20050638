"""Health probes, the metrics endpoint, request ids and JSON log lines, in process.

tests/ops/test_stack.py runs them under gunicorn behind nginx, and takes the
database away for real.
"""

import json
import logging
import sys
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from config.health import database_unreachable
from config.logs import JsonFormatter, request_id
from forum.readstate import prune_read_state_daily
from forum.retention import prune_ip_addresses_daily
from tests.config.test_settings import production, read_settings
from tests.ops.conftest import free_port

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-metrics-token"


def test_healthz_answers_before_everything_and_reads_nothing(
    client, django_assert_num_queries
):
    # A host the site does not serve, plain HTTP, no cookie: still answered.
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_readyz_names_each_dependency_and_the_one_that_failed(client, settings):
    response = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok"},
    }

    # Nothing listens on that port: a real refused connection, not a stand-in.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": "/nonexistent/colloquy-media"},
        },
    }
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable", "storage": "unavailable"},
    }
    assert "Connection refused" not in response.content.decode()  # logged, not told


def test_only_a_lost_connection_counts_as_the_database_being_away(settings):
    # A real refused connection, from Django's own backend.
    closed = connection.copy("refused")
    closed.settings_dict = {**closed.settings_dict, "HOST": "127.0.0.1"}
    closed.settings_dict["PORT"] = str(free_port())
    with pytest.raises(OperationalError) as refused:
        closed.ensure_connection()
    assert database_unreachable(refused.value)

    # A statement cancelled by its timeout is an OperationalError too: the
    # database is there, so that stays a 500.
    with (
        pytest.raises(OperationalError) as cancelled,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(1)")
    assert cancelled.value.__cause__.sqlstate == "57014"
    assert not database_unreachable(cancelled.value)
    assert not database_unreachable(ValueError("not a database error"))


def test_metrics_are_a_404_until_a_token_is_set_then_need_it(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404

    settings.METRICS_TOKEN = TOKEN
    for wrong in ("", f"Bearer {TOKEN}x", TOKEN, f"Basic {TOKEN}"):
        response = client.get("/metrics", HTTP_AUTHORIZATION=wrong)
        assert response.status_code == 401, wrong
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"django_http" not in response.content


def test_metrics_count_requests_queries_cache_and_the_task_queue(
    client, settings, thread, database_queue
):
    settings.METRICS_TOKEN = TOKEN
    prune_read_state_daily.enqueue()  # due now
    prune_ip_addresses_daily.using(  # due tomorrow: not waiting yet
        run_after=timezone.now() + timedelta(days=1)
    ).enqueue()
    assert client.get(thread.get_absolute_url()).status_code == 200
    response = client.get(
        "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_HOST="10.0.0.7:8000"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in (
        "django_http_requests_total_by_method_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_http_responses_total_by_status_total",
        "django_db_execute_total",
        "django_cache_get_hits_total",
        "django_cache_get_misses_total",
    ):
        assert f"\n{name}{{" in text, name
    assert 'colloquy_tasks_waiting{queue="default"} 1.0' in text
    assert 'colloquy_tasks_running{queue="default"} 0.0' in text
    assert "colloquy_tasks_oldest_waiting_seconds" in text


def test_a_local_memory_get_many_counts_each_key_once():
    from django.core.cache import cache
    from prometheus_client import REGISTRY

    def sample(name: str) -> float:
        labels = {"backend": "locmem"}
        return REGISTRY.get_sample_value(f"django_cache_{name}", labels) or 0.0

    names = ("get_total", "get_hits_total", "get_misses_total")
    cache.set("counted:a", 1)
    before = [sample(name) for name in names]
    assert cache.get_many(["counted:a", "counted:b", "counted:c"]) == {"counted:a": 1}
    assert cache.get("counted:b", "fallback") == "fallback"
    after = [sample(name) for name in names]
    assert [b - a for a, b in zip(before, after, strict=True)] == [4, 1, 3]


def test_each_request_gets_an_id_and_one_log_line(client, thread, caplog):
    url = thread.get_absolute_url()
    with caplog.at_level(logging.INFO, logger="colloquy.request"):
        given = client.get(url, HTTP_X_REQUEST_ID="0f3c9a2e7b1d4c5e")
        # Markup or a newline from outside never gets into a log line.
        hostile = client.get(url, HTTP_X_REQUEST_ID="<script>\nforged line")
        client.get("/healthz")  # probes are not logged
    assert given["X-Request-ID"] == "0f3c9a2e7b1d4c5e"
    assert len(hostile["X-Request-ID"]) == 32
    assert "<" not in hostile["X-Request-ID"]
    lines = [r for r in caplog.records if r.name == "colloquy.request"]
    assert [(r.method, r.path, r.status) for r in lines] == [("GET", url, 200)] * 2
    assert all(r.duration_ms >= 0 for r in lines)


def test_json_lines_carry_the_request_id_extras_and_the_traceback():
    token = request_id.set("abc123def456")
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            record = logging.getLogger("colloquy.test").makeRecord(
                "colloquy.test",
                logging.ERROR,
                __file__,
                1,
                'Failed "%s"',
                ("quoted\nvalue",),
                exc_info=sys.exc_info(),
                extra={"status": 500, "duration_ms": 12.5},
            )
        line = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == 'Failed "quoted\nvalue"'
    assert (entry["level"], entry["logger"]) == ("ERROR", "colloquy.test")
    assert (entry["request_id"], entry["status"], entry["duration_ms"]) == (
        "abc123def456",
        500,
        12.5,
    )
    assert "RuntimeError: boom" in entry["exception"]


def test_log_format_is_plain_or_json(monkeypatch):
    settings = read_settings(monkeypatch, **production(LOG_FORMAT="JSON"))
    assert settings["LOGGING"]["handlers"]["console"]["formatter"] == "json"
    assert settings["LOGGING"]["loggers"]["colloquy.request"]["level"] == "INFO"
    monkeypatch.delenv("LOG_FORMAT")
    settings = read_settings(monkeypatch, **production())
    assert settings["LOGGING"]["handlers"]["console"]["formatter"] == "plain"
    with pytest.raises(Exception, match="LOG_FORMAT='xml'"):
        read_settings(monkeypatch, **production(LOG_FORMAT="xml"))
