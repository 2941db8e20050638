"""``manage.py prune_read_state``: forget read state older than the read cut-off.

Older state counts as read anyway (forum/readstate.py), so pruning changes nothing
a page shows and keeps the table to about a cut-off's worth of reading. Run it
daily, from cron or beside the worker.
"""

from django.core.management.base import BaseCommand

from forum.readstate import prune_read_state


class Command(BaseCommand):
    help = "Delete thread and board read state older than FORUM_READ_CUTOFF_DAYS."

    def handle(self, *args, **options) -> None:
        removed = prune_read_state()
        self.stdout.write(f"Deleted {removed} read-state rows past the cut-off.")
