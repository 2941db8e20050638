"""Repair the conversation counters set-based, or report drift with ``--check``.

The services keep these exact (conversations/services.py); this proves it, and
repairs them after a restore or a hand edit:

- a conversation's ``participant_count`` (members in it now), ``last_position``,
  ``last_message`` and ``last_message_at`` (its highest-numbered message);
- a member's ``conversations_unread`` (their unread rows in conversations they are
  in).

``--check`` writes nothing, prints one line per row that differs and exits 1 when
anything does.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

CONVERSATION_TRUTH = """
SELECT c.id,
       (SELECT count(*) FROM conversations_participant AS p
        WHERE p.conversation_id = c.id AND p.left_at IS NULL) AS participant_count,
       COALESCE(last.position, 0) AS last_position,
       last.id AS last_message_id,
       last.created_at AS last_message_at
FROM conversations_conversation AS c
LEFT JOIN LATERAL (
    SELECT m.id, m.position, m.created_at FROM conversations_message AS m
    WHERE m.conversation_id = c.id ORDER BY m.position DESC LIMIT 1
) AS last ON true
"""

USER_TRUTH = """
SELECT u.id,
       (SELECT count(*) FROM conversations_participant AS p
        WHERE p.user_id = u.id AND p.is_unread AND p.left_at IS NULL)
       AS conversations_unread
FROM accounts_user AS u
"""

CHECKS = [
    (
        "conversations_conversation",
        CONVERSATION_TRUTH,
        ["participant_count", "last_position", "last_message_id", "last_message_at"],
    ),
    ("accounts_user", USER_TRUTH, ["conversations_unread"]),
]


def _differs(table: str, columns: list[str]) -> str:
    return " OR ".join(f"{table}.{c} IS DISTINCT FROM truth.{c}" for c in columns)


def drift() -> list[str]:
    """One line per counter that differs from the rows."""
    lines = []
    with connection.cursor() as cursor:
        for table, truth, columns in CHECKS:
            picked = ", ".join(f"{table}.{c}, truth.{c}" for c in columns)
            # Table and column names are the constants above, never input.
            cursor.execute(
                f"SELECT {table}.id, {picked} FROM {table} "
                f"JOIN ({truth}) AS truth ON truth.id = {table}.id "
                f"WHERE {_differs(table, columns)} ORDER BY {table}.id"
            )
            for row in cursor.fetchall():
                pairs = zip(row[1::2], row[2::2], strict=True)
                for column, (stored, actual) in zip(columns, pairs, strict=True):
                    if stored != actual:
                        lines.append(
                            f"{table} {row[0]}: {column} is {stored}, "
                            f"should be {actual}"
                        )
    return lines


@transaction.atomic
def recount() -> int:
    """Set every drifted counter from the rows; returns how many rows changed."""
    changed = 0
    with connection.cursor() as cursor:
        for table, truth, columns in CHECKS:
            sets = ", ".join(f"{c} = truth.{c}" for c in columns)
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM ({truth}) AS truth "
                f"WHERE truth.id = {table}.id AND ({_differs(table, columns)})"
            )
            changed += cursor.rowcount
    return changed


class Command(BaseCommand):
    help = "Recount conversation counters and unread counts (--check: only report)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Report drift, change nothing."
        )

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            lines = drift()
            for line in lines:
                self.stdout.write(line)
            if lines:
                raise CommandError(f"{len(lines)} conversation counters drifted.")
            self.stdout.write("Every conversation counter is exact.")
            return
        self.stdout.write(f"Recounted; {recount()} rows changed.")
