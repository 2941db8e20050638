"""IP retention: addresses are kept for FORUM_IP_RETENTION_DAYS, then forgotten.

Two places hold a visitor's address:

- ``Post.ip_address``, the address a post was written from (moderators' address
  tools read it). Past the retention period the column is blanked; the post stays.
- django-axes' failed-login records (``AccessAttempt``, ``AccessFailureLog`` and,
  were it switched on, ``AccessLog``). A record is only an address, an account
  name and a time, and a lockout ends after LOGIN_LOCKOUT_MINUTES, so past the
  retention period the whole row is deleted. Blanking would be worse than useless:
  axes looks attempts up by address, and a visitor whose address does not parse
  (stored as none) would match every blanked row.

The work runs in batches of short transactions so that a forum with a million
posts never holds a long lock: each batch picks the oldest ``batch_size`` posts
that still have an address through the partial index ``forum_post_ip_created``
(created_at over rows whose address is set), which after the first run holds only
the posts of the retention window.

Nothing schedules Django tasks by the clock, so the pruning task reschedules
itself: ``schedule_ip_pruning()`` (``manage.py prune_ip_addresses --schedule``,
run before every worker starts) queues one run unless one is already waiting, and
each run queues the next one a day later before it prunes. Operators who prefer
cron run ``manage.py prune_ip_addresses`` instead; running both is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from forum import daily
from forum.models import Post

BATCH_SIZE = 5000
# Any number unique to this job: two workers starting at once queue one run.
_SCHEDULE_LOCK = 7_316_001


@dataclass(frozen=True)
class Pruned:
    posts: int
    login_records: int


def retention_cutoff(now: datetime | None = None) -> datetime:
    """Addresses recorded before this moment are past the retention period."""
    return (now or timezone.now()) - timedelta(days=settings.FORUM_IP_RETENTION_DAYS)


def prune_post_addresses(*, cutoff: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Blank the address of every post written before ``cutoff``; return how many."""
    table = Post._meta.db_table
    # The inner SELECT walks forum_post_ip_created in order and stops after one
    # batch; SKIP LOCKED lets a batch pass a post someone is editing right now (the
    # next run takes it).
    sql = f"""
        UPDATE {table} SET ip_address = NULL
        WHERE id IN (
            SELECT id FROM {table}
            WHERE ip_address IS NOT NULL AND created_at < %s
            ORDER BY created_at
            LIMIT %s
            FOR UPDATE SKIP LOCKED
        )
    """
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [cutoff, batch_size])
            done = cursor.rowcount
        total += done
        if done < batch_size:
            return total


def prune_login_addresses(*, cutoff: datetime) -> int:
    """Delete django-axes' login records older than ``cutoff``; return how many."""
    removed = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        count, _ = model.objects.filter(attempt_time__lt=cutoff).delete()
        removed += count
    return removed


def prune_ip_addresses(*, now: datetime | None = None) -> Pruned:
    """Forget every post and login address older than the retention period."""
    cutoff = retention_cutoff(now)
    return Pruned(
        posts=prune_post_addresses(cutoff=cutoff),
        login_records=prune_login_addresses(cutoff=cutoff),
    )


@task()
def prune_ip_addresses_daily() -> dict[str, int]:
    """Queue tomorrow's run first (a failure today must not end the chain), prune."""
    schedule_ip_pruning(run_after=timezone.now() + daily.EVERY)
    pruned = prune_ip_addresses()
    return {"posts": pruned.posts, "login_records": pruned.login_records}


def schedule_ip_pruning(*, run_after: datetime | None = None) -> bool:
    """Queue a run unless one is waiting (``forum.daily.queue_once``)."""
    return daily.queue_once(
        prune_ip_addresses_daily, lock=_SCHEDULE_LOCK, run_after=run_after
    )
