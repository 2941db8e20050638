"""``manage.py prune_read_state``: forget read state older than the read cut-off.

Older state counts as read anyway (forum/readstate.py), so pruning changes nothing
a page shows and keeps the table to about a cut-off's worth of reading. Run it
daily from cron, or let the worker do it: ``--schedule`` queues the
self-rescheduling daily task unless one is waiting (``make run`` and the compose
``worker`` service do so before the worker starts).
"""

from django.core.management.base import BaseCommand

from forum.readstate import prune_read_state, schedule_read_state_pruning


class Command(BaseCommand):
    help = "Delete thread and board read state older than FORUM_READ_CUTOFF_DAYS."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the worker's daily pruning (once; no-op if already queued).",
        )

    def handle(self, *args, schedule: bool, **options) -> None:
        if schedule:
            queued = schedule_read_state_pruning()
            self.stdout.write(
                "Queued the daily read-state pruning."
                if queued
                else "Read-state pruning is already queued (or the queue cannot wait)."
            )
            return
        removed = prune_read_state()
        self.stdout.write(f"Deleted {removed} read-state rows past the cut-off.")
