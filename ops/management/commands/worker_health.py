"""manage.py worker_health: exit 0 while the task queue is being worked, 1 if not.

Meant as the health check of a container running ``manage.py db_worker``.
django-tasks-db keeps no heartbeat of its workers, so this reads the queue they
share: the database must answer, and no task that is due may have waited longer
than ``--max-wait`` seconds. Workers that stopped taking tasks (hung, or cut off
from the database) fail it that long after the next task is queued; an idle queue
passes. Tasks queued to run later count from the time they are due.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.db.models import Case, Count, Min, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

DEFAULT_MAX_WAIT = 300


class Command(BaseCommand):
    help = "Exit 1 when a due task has waited too long or the database is down."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-wait",
            type=int,
            default=DEFAULT_MAX_WAIT,
            help="Seconds a due task may wait (default: %(default)s).",
        )
        parser.add_argument("--backend", default="default", help="Task backend alias.")

    def handle(self, *args, max_wait: int, backend: str, **options) -> None:
        if max_wait < 1:
            raise CommandError("--max-wait must be at least 1 second.")
        now = timezone.now()
        due_at = Case(
            When(run_after=get_date_max(), then="enqueued_at"),
            default=Greatest("run_after", "enqueued_at"),
        )
        try:
            queue = DBTaskResult.objects.filter(backend_name=backend)
            due = queue.ready().aggregate(count=Count("pk"), oldest=Min(due_at))
            running = queue.running().count()
        except DatabaseError as error:
            first_line = str(error).strip().splitlines()[0] if str(error) else ""
            raise CommandError(
                f"unhealthy: the task queue cannot be read ({first_line})"
            ) from error
        waited = int((now - due["oldest"]).total_seconds()) if due["oldest"] else 0
        summary = f"{due['count']} due, {running} running"
        if due["count"] and waited > max_wait:
            raise CommandError(
                f"unhealthy: {summary}; the oldest due task has waited {waited} s "
                f"(more than {timedelta(seconds=max_wait)})"
            )
        oldest = f", the oldest for {waited} s" if due["count"] else ""
        self.stdout.write(f"healthy: {summary}{oldest}")
