"""Daily upkeep tasks that keep themselves going in the worker.

django-tasks has no scheduler. A daily job queues its own next run, a day later,
before it does its work (so a failed run does not end the chain); ``queue_once``
queues a run unless one is already waiting, so starting several workers, or
``--schedule`` again, never makes two chains.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

EVERY = timedelta(days=1)


def queue_once(job, *, lock: int, run_after: datetime | None = None) -> bool:
    """Queue ``job`` unless a run of it is waiting; whether one was queued.

    Only a queue that holds a task until later (the database backend) keeps a
    chain; with another backend nothing is queued and cron runs the command.
    ``lock`` is the job's own advisory-lock number: two workers starting at once
    queue one run, not two.
    """
    if not job.get_backend().supports_defer:
        return False
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock])
        waiting = DBTaskResult.objects.filter(
            task_path=job.module_path, status=TaskResultStatus.READY
        )
        if waiting.exists():
            return False
        if run_after is not None:
            job = job.using(run_after=run_after)
        job.enqueue()
    return True
