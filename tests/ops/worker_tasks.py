"""A task for tests/ops/test_worker.py: it notes each run in a file."""

import os

from django.db import connection
from django_tasks import task


@task()
def note_run(number: int, log: str) -> int:
    # A little database work, so two workers both find tasks to take.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.01)")
    with open(log, "a") as out:  # one short append per run: lines never interleave
        out.write(f"{number} {os.getpid()}\n")
    return number
