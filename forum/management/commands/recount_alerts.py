"""``manage.py recount_alerts``: set every member's unread alert count from the rows.

The services keep ``User.alerts_unread`` right as they go (forum/alerts.py); this
repairs it after anything that bypassed them (rows deleted in the admin or SQL).
"""

from django.core.management.base import BaseCommand

from forum import alerts


class Command(BaseCommand):
    help = "Recount every member's unread alerts from the alert rows."

    def handle(self, *args, **options) -> None:
        fixed = alerts.recount()
        self.stdout.write(f"Corrected the unread alert count of {fixed} member(s).")
