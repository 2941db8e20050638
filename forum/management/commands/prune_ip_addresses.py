"""``manage.py prune_ip_addresses``: forget addresses past FORUM_IP_RETENTION_DAYS.

Run it from cron (daily is plenty), or let the worker do it: ``--schedule`` queues
the self-rescheduling daily task unless one is waiting, and ``make run`` and the
compose ``worker`` service run it before the worker starts. See forum/retention.py.
"""

from django.core.management.base import BaseCommand

from forum.retention import prune_ip_addresses, schedule_ip_pruning


class Command(BaseCommand):
    help = (
        "Blank post addresses and delete login records older than "
        "FORUM_IP_RETENTION_DAYS; --schedule queues the worker's daily run instead."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the daily pruning task for the worker (once; no-op if queued).",
        )

    def handle(self, *args, schedule: bool, **options) -> None:
        if schedule:
            queued = schedule_ip_pruning()
            self.stdout.write(
                "Queued the daily address pruning."
                if queued
                else "Address pruning is already queued (or the queue cannot defer)."
            )
            return
        pruned = prune_ip_addresses()
        self.stdout.write(
            f"Blanked the address of {pruned.posts} posts and deleted "
            f"{pruned.login_records} login records."
        )
