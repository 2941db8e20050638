"""Repair denormalised counters and last-post pointers, set-based.

Every counter the posting services move is recomputed from the rows with one UPDATE
per table, touching only the rows that drifted:

- a thread's reply count (its live posts minus the first), last position (the highest
  position ever used, deleted posts included, so new replies never reuse one), last
  post and its time;
- a board's thread count and post count (live posts in live threads), last post;
- a member's post count (live posts in live threads) and the tier it earns.

"Live" means not soft-deleted. ``generate_forum`` calls ``recount_all`` after its bulk
load, so the generated counters are exactly what this command computes.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from accounts.models import Tier, User
from forum.models import Board, Post, Thread


def _tables() -> dict[str, str]:
    return {
        "post": Post._meta.db_table,
        "thread": Thread._meta.db_table,
        "board": Board._meta.db_table,
        "user": User._meta.db_table,
        "tier": Tier._meta.db_table,
    }


THREADS_SQL = """
UPDATE {thread} AS t
SET reply_count = s.reply_count, last_position = s.last_position,
    last_post_id = s.last_post_id, last_post_at = s.last_post_at
FROM (
    SELECT t2.id,
           GREATEST(COALESCE(agg.live, 0) - 1, 0) AS reply_count,
           COALESCE(agg.top, 0) AS last_position,
           latest.id AS last_post_id,
           latest.created_at AS last_post_at
    FROM {thread} AS t2
    LEFT JOIN (
        SELECT thread_id, count(*) FILTER (WHERE NOT is_deleted) AS live,
               max(position) AS top
        FROM {post} GROUP BY thread_id
    ) AS agg ON agg.thread_id = t2.id
    LEFT JOIN (
        SELECT DISTINCT ON (thread_id) thread_id, id, created_at
        FROM {post} WHERE NOT is_deleted
        ORDER BY thread_id, position DESC
    ) AS latest ON latest.thread_id = t2.id
) AS s
WHERE t.id = s.id
  AND (t.reply_count, t.last_position, t.last_post_id, t.last_post_at)
      IS DISTINCT FROM (s.reply_count, s.last_position, s.last_post_id, s.last_post_at)
"""

BOARDS_SQL = """
UPDATE {board} AS b
SET thread_count = s.thread_count, post_count = s.post_count,
    last_post_id = s.last_post_id, last_post_at = s.last_post_at
FROM (
    SELECT b2.id,
           COALESCE(threads.n, 0) AS thread_count,
           COALESCE(posts.n, 0) AS post_count,
           latest.last_post_id,
           latest.last_post_at
    FROM {board} AS b2
    LEFT JOIN (
        SELECT board_id, count(*) AS n FROM {thread}
        WHERE NOT is_deleted GROUP BY board_id
    ) AS threads ON threads.board_id = b2.id
    LEFT JOIN (
        SELECT t.board_id, count(*) AS n
        FROM {post} AS p JOIN {thread} AS t ON t.id = p.thread_id
        WHERE NOT p.is_deleted AND NOT t.is_deleted
        GROUP BY t.board_id
    ) AS posts ON posts.board_id = b2.id
    LEFT JOIN (
        SELECT DISTINCT ON (board_id) board_id, last_post_id, last_post_at
        FROM {thread} WHERE NOT is_deleted AND last_post_id IS NOT NULL
        ORDER BY board_id, last_post_at DESC, last_post_id DESC
    ) AS latest ON latest.board_id = b2.id
) AS s
WHERE b.id = s.id
  AND (b.thread_count, b.post_count, b.last_post_id, b.last_post_at)
      IS DISTINCT FROM (s.thread_count, s.post_count, s.last_post_id, s.last_post_at)
"""

MEMBERS_SQL = """
UPDATE {user} AS u
SET post_count = s.post_count
FROM (
    SELECT u2.id, COALESCE(posts.n, 0) AS post_count
    FROM {user} AS u2
    LEFT JOIN (
        SELECT p.author_id, count(*) AS n
        FROM {post} AS p JOIN {thread} AS t ON t.id = p.thread_id
        WHERE NOT p.is_deleted AND NOT t.is_deleted
        GROUP BY p.author_id
    ) AS posts ON posts.author_id = u2.id
) AS s
WHERE u.id = s.id AND u.post_count <> s.post_count
"""

# The same rule as accounts.services.earned_tier: the highest tier the count reaches.
TIERS_SQL = """
UPDATE {user} AS u
SET tier_id = s.tier_id
FROM (
    SELECT u2.id,
           (SELECT tier.id FROM {tier} AS tier WHERE tier.min_posts <= u2.post_count
            ORDER BY tier.min_posts DESC LIMIT 1) AS tier_id
    FROM {user} AS u2
) AS s
WHERE u.id = s.id AND u.tier_id IS DISTINCT FROM s.tier_id
"""


def _run(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()))
        return cursor.rowcount


def recount_threads() -> int:
    """Recompute every thread's counters and last post; return how many moved."""
    return _run(THREADS_SQL)


def recount_boards() -> int:
    """Recompute every board's counters and last post; return how many moved."""
    return _run(BOARDS_SQL)


def recount_members() -> tuple[int, int]:
    """Recompute members' post counts, then their earned tiers; return both moves."""
    return _run(MEMBERS_SQL), _run(TIERS_SQL)


@transaction.atomic
def recount_all() -> dict[str, int]:
    """Repair every counter in one transaction; return the rows repaired per kind."""
    threads = recount_threads()
    boards = recount_boards()
    members, tiers = recount_members()
    return {"threads": threads, "boards": boards, "members": members, "tiers": tiers}


class Command(BaseCommand):
    help = "Repair drifted counters and last-post pointers of threads, boards, members."

    def handle(self, *args, **options) -> None:
        repaired = recount_all()
        self.stdout.write(
            self.style.SUCCESS(
                "Repaired {threads} threads, {boards} boards, {members} member post "
                "counts and {tiers} member tiers.".format(**repaired)
            )
        )
