"""``manage.py privacy_upkeep``: delete expired data downloads, erase accounts due.

Run it daily from cron, or let the worker do it: ``--schedule`` queues the
self-rescheduling daily task unless one is waiting (``make run`` and the compose
``worker`` service do so before the worker starts).
"""

from django.core.management.base import BaseCommand

from privacy import erasure, exports


class Command(BaseCommand):
    help = "Delete expired data downloads; erase accounts past their grace period."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the worker's daily upkeep (once; no-op if already queued).",
        )

    def handle(self, *args, schedule: bool, **options) -> None:
        if schedule:
            queued = exports.schedule_privacy_upkeep()
            self.stdout.write(
                "Queued the daily privacy upkeep."
                if queued
                else "Privacy upkeep is already queued (or the queue cannot wait)."
            )
            return
        archives = exports.prune_data_exports()
        erased = erasure.erase_due_accounts()
        self.stdout.write(
            f"Deleted {archives} data-download archive(s); erased {erased} account(s)."
        )
