"""Repair denormalised counters and last-post pointers, set-based, or report drift.

Every counter the posting services move is recomputed from the rows with one UPDATE
per table, touching only the rows that drifted:

- a thread's reply count (its live posts minus the first), last position (the highest
  position ever used, deleted posts included, so new replies never reuse one), last
  post and its time;
- a board's thread count and post count (live posts in live threads), last post;
- a member's post count (live posts in live threads) and the tier it earns;
- a post's reaction counts (its reaction rows by reaction) and a member's reaction
  score (the scores of the reactions to their live posts), see ``forum/reactions.py``.

"Live" means not soft-deleted and approved: posts and threads held for approval (or
rejected there) are counted nowhere. ``generate_forum`` calls ``recount_all`` after
its bulk load, so the generated counters are exactly what this command computes.

``recount --check`` computes the same values and prints one line for every counter or
pointer that differs, writing nothing; it exits with status 1 when anything differs
and 0 when everything is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import Tier, User
from forum.models import Board, Post, PostReaction, Reaction, Thread


def _tables() -> dict[str, str]:
    return {
        "post": Post._meta.db_table,
        "thread": Thread._meta.db_table,
        "board": Board._meta.db_table,
        "user": User._meta.db_table,
        "tier": Tier._meta.db_table,
        "postreaction": PostReaction._meta.db_table,
        "reaction": Reaction._meta.db_table,
    }


# What each row's counters should be: one SELECT per table, id first.

THREAD_TRUTH = """
SELECT t2.id,
       GREATEST(COALESCE(agg.live, 0) - 1, 0) AS reply_count,
       COALESCE(agg.top, 0) AS last_position,
       latest.id AS last_post_id,
       latest.created_at AS last_post_at
FROM {thread} AS t2
LEFT JOIN (
    SELECT thread_id, count(*) FILTER (WHERE NOT is_deleted AND is_approved) AS live,
           max(position) AS top
    FROM {post} GROUP BY thread_id
) AS agg ON agg.thread_id = t2.id
LEFT JOIN (
    SELECT DISTINCT ON (thread_id) thread_id, id, created_at
    FROM {post} WHERE NOT is_deleted AND is_approved
    ORDER BY thread_id, position DESC
) AS latest ON latest.thread_id = t2.id
"""

BOARD_TRUTH = """
SELECT b2.id,
       COALESCE(threads.n, 0) AS thread_count,
       COALESCE(posts.n, 0) AS post_count,
       latest.last_post_id,
       latest.last_post_at
FROM {board} AS b2
LEFT JOIN (
    SELECT board_id, count(*) AS n FROM {thread}
    WHERE NOT is_deleted AND is_approved GROUP BY board_id
) AS threads ON threads.board_id = b2.id
LEFT JOIN (
    SELECT t.board_id, count(*) AS n
    FROM {post} AS p JOIN {thread} AS t ON t.id = p.thread_id
    WHERE NOT p.is_deleted AND p.is_approved AND NOT t.is_deleted AND t.is_approved
    GROUP BY t.board_id
) AS posts ON posts.board_id = b2.id
LEFT JOIN (
    SELECT DISTINCT ON (board_id) board_id, last_post_id, last_post_at
    FROM {thread} WHERE NOT is_deleted AND is_approved AND last_post_id IS NOT NULL
    ORDER BY board_id, last_post_at DESC, last_post_id DESC
) AS latest ON latest.board_id = b2.id
"""

MEMBER_TRUTH = """
SELECT u2.id, COALESCE(posts.n, 0) AS post_count
FROM {user} AS u2
LEFT JOIN (
    SELECT p.author_id, count(*) AS n
    FROM {post} AS p JOIN {thread} AS t ON t.id = p.thread_id
    WHERE NOT p.is_deleted AND p.is_approved AND NOT t.is_deleted AND t.is_approved
    GROUP BY p.author_id
) AS posts ON posts.author_id = u2.id
"""

# The same rule as accounts.services.earned_tier: the highest tier the count reaches.
EARNED_TIER = """(
    SELECT tier.id FROM {tier} AS tier WHERE tier.min_posts <= m.post_count
    ORDER BY tier.min_posts DESC LIMIT 1
)"""

# A repair sets tiers after post counts, so it reads the count just repaired ...
TIER_TRUTH = f"SELECT m.id, {EARNED_TIER} AS tier_id FROM {{user}} AS m"

# ... while a check writes nothing and derives the tier from the count it expects.
MEMBER_CHECK_TRUTH = (
    f"SELECT m.id, m.post_count, {EARNED_TIER} AS tier_id FROM ({MEMBER_TRUTH}) AS m"
)


REACTION_COUNTS_TRUTH = """
SELECT p2.id, COALESCE(c.counts, '{{}}'::jsonb) AS reaction_counts
FROM {post} AS p2
LEFT JOIN (
    SELECT post_id, jsonb_object_agg(reaction_id::text, n) AS counts
    FROM (
        SELECT post_id, reaction_id, count(*) AS n FROM {postreaction}
        GROUP BY post_id, reaction_id
    ) AS per_reaction
    GROUP BY post_id
) AS c ON c.post_id = p2.id
"""

# The same rule as forum.reactions.score_of_member: reactions to live posts.
REACTION_SCORE_TRUTH = """
SELECT u2.id, COALESCE(s.score, 0) AS reaction_score
FROM {user} AS u2
LEFT JOIN (
    SELECT p.author_id, sum(r.score) AS score
    FROM {postreaction} AS pr
    JOIN {reaction} AS r ON r.id = pr.reaction_id
    JOIN {post} AS p ON p.id = pr.post_id
    JOIN {thread} AS t ON t.id = p.thread_id
    WHERE NOT p.is_deleted AND p.is_approved AND NOT t.is_deleted AND t.is_approved
    GROUP BY p.author_id
) AS s ON s.author_id = u2.id
"""


@dataclass(frozen=True)
class Counters:
    """Stored columns of one table and the SELECT of what they should hold."""

    noun: str  # how a drift line names a row
    table: str  # a key of _tables()
    label: str  # the column that names a row for people
    fields: tuple[str, ...]
    truth: str


THREADS = Counters(
    "thread",
    "thread",
    "title",
    ("reply_count", "last_position", "last_post_id", "last_post_at"),
    THREAD_TRUTH,
)
BOARDS = Counters(
    "board",
    "board",
    "name",
    ("thread_count", "post_count", "last_post_id", "last_post_at"),
    BOARD_TRUTH,
)
MEMBER_COUNTS = Counters("member", "user", "username", ("post_count",), MEMBER_TRUTH)
MEMBER_TIERS = Counters("member", "user", "username", ("tier_id",), TIER_TRUTH)
MEMBERS = Counters(
    "member", "user", "username", ("post_count", "tier_id"), MEMBER_CHECK_TRUTH
)
REACTION_COUNTS = Counters(
    "post", "post", "position", ("reaction_counts",), REACTION_COUNTS_TRUTH
)
REACTION_SCORES = Counters(
    "member", "user", "username", ("reaction_score",), REACTION_SCORE_TRUTH
)


def _columns(alias: str, counters: Counters) -> str:
    return "ROW(" + ", ".join(f"{alias}.{field}" for field in counters.fields) + ")"


def _repair_sql(counters: Counters) -> str:
    tables = _tables()
    assignments = ", ".join(f"{field} = s.{field}" for field in counters.fields)
    stored, truth, seen = (_columns(a, counters) for a in ("r", "s", "seen"))
    # ``seen`` is the row as this statement's snapshot has it. When a service
    # changes a row while the statement runs, PostgreSQL waits for it and re-reads
    # ``r``, the row being updated, but neither ``s`` nor ``seen``: ``s`` was then
    # computed without that service's writes, and writing it would move counters
    # and pointers backwards (a last position going back makes the next reply
    # collide). Such a row is skipped; the services kept it as it was, drift and
    # all, for the next run.
    return f"""
UPDATE {tables[counters.table]} AS r
SET {assignments}
FROM ({counters.truth.format(**tables)}) AS s
JOIN {tables[counters.table]} AS seen ON seen.id = s.id
WHERE r.id = s.id
  AND {stored} IS DISTINCT FROM {truth}
  AND {stored} IS NOT DISTINCT FROM {seen}
"""


def _drift_sql(counters: Counters) -> str:
    tables = _tables()
    stored = ", ".join(f"r.{field}" for field in counters.fields)
    truth = ", ".join(f"s.{field}" for field in counters.fields)
    return f"""
SELECT r.id, r.{counters.label}, {stored}, {truth}
FROM {tables[counters.table]} AS r
JOIN ({counters.truth.format(**tables)}) AS s ON s.id = r.id
WHERE {_columns("r", counters)} IS DISTINCT FROM {_columns("s", counters)}
ORDER BY r.id
"""


def _repair(counters: Counters) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_repair_sql(counters))
        return cursor.rowcount


def recount_threads() -> int:
    """Recompute every thread's counters and last post; return how many moved."""
    return _repair(THREADS)


def recount_boards() -> int:
    """Recompute every board's counters and last post; return how many moved."""
    return _repair(BOARDS)


def recount_members() -> tuple[int, int]:
    """Recompute members' post counts, then their earned tiers; return both moves."""
    return _repair(MEMBER_COUNTS), _repair(MEMBER_TIERS)


def recount_reactions() -> tuple[int, int]:
    """Recompute posts' reaction counts and members' reaction scores."""
    return _repair(REACTION_COUNTS), _repair(REACTION_SCORES)


@transaction.atomic
def recount_all() -> dict[str, int]:
    """Repair every counter in one transaction; return the rows repaired per kind."""
    threads = recount_threads()
    boards = recount_boards()
    members, tiers = recount_members()
    reaction_counts, reaction_scores = recount_reactions()
    return {
        "threads": threads,
        "boards": boards,
        "members": members,
        "tiers": tiers,
        "reaction_counts": reaction_counts,
        "reaction_scores": reaction_scores,
    }


def find_drift() -> list[str]:
    """Describe every stored counter or pointer that differs from the rows, one
    line each, writing nothing."""
    tier_names = dict(Tier.objects.values_list("id", "name"))

    def shown(field: str, value: object) -> str:
        if value is None:
            return "none"
        if field == "last_post_id":
            return f"post {value}"
        if field == "tier_id":
            return tier_names.get(value, f"tier {value}")
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    lines = []
    with connection.cursor() as cursor:
        for counters in (THREADS, BOARDS, MEMBERS, REACTION_COUNTS, REACTION_SCORES):
            cursor.execute(_drift_sql(counters))
            width = len(counters.fields)
            for pk, label, *values in cursor.fetchall():
                stored, expected = values[:width], values[width:]
                for field, is_, should in zip(
                    counters.fields, stored, expected, strict=True
                ):
                    if is_ != should:
                        name = field.removesuffix("_id").replace("_", " ")
                        lines.append(
                            f'{counters.noun} {pk} "{label}": {name} is '
                            f"{shown(field, is_)}, should be {shown(field, should)}"
                        )
    return lines


class Command(BaseCommand):
    help = (
        "Repair drifted counters and last-post pointers of threads, boards, members; "
        "with --check, only report them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Report every counter or pointer that differs, without repairing "
            "it; exit with status 1 if any does.",
        )

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            self._check()
            return
        repaired = recount_all()
        self.stdout.write(
            self.style.SUCCESS(
                "Repaired {threads} threads, {boards} boards, {members} member post "
                "counts and {tiers} member tiers; {reaction_counts} posts' reaction "
                "counts and {reaction_scores} reaction scores.".format(**repaired)
            )
        )

    def _check(self) -> None:
        drift = find_drift()
        for line in drift:
            self.stdout.write(line)
        if drift:
            what = "counters or pointers differ"
            if len(drift) == 1:
                what = "counter or pointer differs"
            raise CommandError(
                f"{len(drift)} {what}; `manage.py recount` repairs them.",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS("Every counter and last-post pointer is exact.")
        )
