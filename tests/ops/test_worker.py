"""The task worker: several at once never run a task twice, and its health check.

The workers are real ``manage.py db_worker`` processes on the suite's database."""

import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.ops.conftest import ROOT, free_port, manage, project_env, server_url
from tests.ops.worker_tasks import note_run

pytestmark = pytest.mark.django_db(transaction=True)

TASKS = 100


def start_worker(env: dict, worker_id: str, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload"]
        + ["--no-startup-delay", "--interval", "0.05", "--worker-id", worker_id],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_two_workers_at_once_run_each_task_exactly_once(database_queue, tmp_path):
    connection.ensure_connection()
    env = project_env(
        server_url(connection.connection.info, connection.settings_dict["NAME"])
    )
    runs = tmp_path / "runs.txt"
    logs = [(tmp_path / f"worker-{n}.log").open("w+") for n in "ab"]
    workers = [
        start_worker(env, f"worker-{n}", log) for n, log in zip("ab", logs, strict=True)
    ]
    try:
        # Queue every task at once, once both workers are polling.
        deadline = time.monotonic() + 60
        while not all(_started(log) for log in logs):
            assert time.monotonic() < deadline, "the workers did not start"
            assert all(w.poll() is None for w in workers), _tail(logs)
            time.sleep(0.05)
        with transaction.atomic():
            for number in range(TASKS):
                note_run.enqueue(number, str(runs))
        queue = DBTaskResult.objects.filter(task_path__endswith="note_run")
        while queue.exclude(status=TaskResultStatus.SUCCESSFUL).exists():
            assert time.monotonic() < deadline + 60, _tail(logs)
            time.sleep(0.05)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    lines = [line.split() for line in runs.read_text().splitlines()]
    assert Counter(int(number) for number, _ in lines) == Counter(range(TASKS))
    assert len({pid for _, pid in lines}) == 2  # both workers took tasks
    claims = Counter(tuple(ids) for ids in queue.values_list("worker_ids", flat=True))
    assert set(claims) == {("worker-a",), ("worker-b",)}  # each claimed once
    assert sum(claims.values()) == TASKS


def _started(log) -> bool:
    log.seek(0)
    return "Starting worker" in log.read()


def _tail(logs) -> str:
    out = []
    for log in logs:
        log.seek(0)
        out.append(log.read()[-2000:])
    return "\n".join(out)


def queue_task(*, enqueued_ago: timedelta, run_after: timedelta | None = None):
    result = note_run.using(backend="default").enqueue(0, "/dev/null")
    now = timezone.now()
    changes = {"enqueued_at": now - enqueued_ago}
    if run_after is not None:
        changes["run_after"] = now + run_after
    DBTaskResult.objects.filter(pk=result.id).update(**changes)


def health(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("worker_health", *args, stdout=out)
    return out.getvalue()


def test_worker_health_passes_an_idle_or_moving_queue_and_fails_a_stuck_one(
    database_queue,
):
    assert health() == "healthy: 0 due, 0 running\n"
    queue_task(enqueued_ago=timedelta(seconds=20))
    # Queued long ago to run later, and not yet due: nobody is late for it.
    queue_task(enqueued_ago=timedelta(hours=2), run_after=timedelta(minutes=5))
    assert health().startswith("healthy: 1 due, 0 running, the oldest for 2")
    queue_task(enqueued_ago=timedelta(minutes=10))
    with pytest.raises(CommandError, match=r"unhealthy: 2 due, 0 running; the oldest"):
        health()
    assert health("--max-wait", "900").startswith("healthy: 2 due")
    with pytest.raises(CommandError, match="at least 1 second"):
        health("--max-wait", "0")


def test_worker_health_fails_when_the_database_does_not_answer():
    env = project_env(f"postgres://postgres@127.0.0.1:{free_port()}/nothing")
    result = manage(env, "worker_health", check=False)
    assert result.returncode == 1
    assert "unhealthy: the task queue cannot be read" in result.stderr
