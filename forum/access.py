"""What a visitor may do on each board: board permissions, read once per request.

A visitor belongs to audiences: a guest to "guests"; a member to "members" and to
each of their groups. For each audience a permission comes from its row for the
board, else its forum-wide row, else the defaults below; a visitor may do what any of
their audiences may. ``for_user`` reads the rows that concern the visitor in one
query and keeps the answer on the user object for the rest of the request, so every
permission check, queryset and template of a page shares it. A member's rows come
with the member behind the session, in the same query (``rows_with_the_member``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django.db import connections, router
from django.db.models import Q, TextField
from django.db.models.expressions import RawSQL

from accounts.models import User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

PERMISSIONS = (
    "view_board",
    "read_threads",
    "start_threads",
    "reply",
    "edit_own",
    "delete_own",
    "moderate",
)
# With no rows at all, guests read and members take part; groups add nothing.
DEFAULTS = {
    "guests": {"view_board", "read_threads"},
    "members": set(PERMISSIONS) - {"moderate"},
    "group": set(),
}
_MEMO = "_forum_access"
_COLUMNS = ("board_id", "audience", "group_id", "edit_window_minutes", *PERMISSIONS)


@dataclass
class Access:
    """A visitor's permissions: forum-wide, and on the boards that have rows."""

    everywhere: dict[str, bool]
    boards: dict[int, dict[str, bool]] = field(default_factory=dict)
    edit_windows: dict[int | None, int | None] = field(default_factory=dict)

    def can(self, board_id: int | None, permission: str) -> bool:
        board = self.boards.get(board_id) if board_id is not None else None
        return (board or self.everywhere)[permission]

    def edit_window(self, board_id: int) -> int | None:
        """Minutes after posting that an author may edit (None: no limit)."""
        if board_id in self.edit_windows:
            return self.edit_windows[board_id]
        return self.edit_windows.get(None)

    def sees(self, board_id: int | None, permission: str = "view_board") -> bool:
        """Granted "view board" and ``permission`` on the board, or moderating it."""
        return (
            self.can(board_id, "view_board") and self.can(board_id, permission)
        ) or self.can(board_id, "moderate")

    def board_filter(
        self, field_name: str = "board_id", permission: str = "view_board"
    ) -> Q:
        """A filter keeping rows in boards where this visitor ``sees`` them."""
        if self.sees(None, permission):
            hidden = [b for b in self.boards if not self.sees(b, permission)]
            return ~Q(**{f"{field_name}__in": hidden}) if hidden else Q()
        shown = [b for b in self.boards if self.sees(b, permission)]
        return Q(**{f"{field_name}__in": shown})

    def moderated_filter(self, field_name: str = "board_id") -> Q | None:
        """A filter for the boards this visitor moderates (None: they moderate none)."""
        if self.can(None, "moderate"):
            return ~Q(
                **{
                    f"{field_name}__in": [
                        b for b in self.boards if not self.can(b, "moderate")
                    ]
                }
            )
        mine = [b for b in self.boards if self.can(b, "moderate")]
        return Q(**{f"{field_name}__in": mine}) if mine else None


def for_user(user: User | AnonymousUser) -> Access:
    """The visitor's access, read with one query the first time in a request."""
    access = getattr(user, _MEMO, None)
    if access is None:
        access = _load(user)
        setattr(user, _MEMO, access)
    return access


def forget(user: User | AnonymousUser) -> None:
    """Drop the remembered access (after a change of groups or permissions)."""
    if hasattr(user, _MEMO):
        delattr(user, _MEMO)
    if hasattr(user, ROWS):
        setattr(user, ROWS, None)


# The member's rows as JSON text, read with the member behind a session
# (accounts/backends.py, SESSION_USER_EXTRAS): one query fewer on every member page.
ROWS = "_forum_access_rows"


def rows_with_the_member() -> RawSQL:
    """The session user query's annotation: this member's rows, as JSON text."""
    quote = connections["default"].ops.quote_name
    # The member is the outer query's row.
    member = f"{quote(User._meta.db_table)}.{quote('id')}"
    table, mine = _where(for_member=True, member=member)
    row = f"json_build_array({', '.join(_COLUMNS)})"
    sql = f"SELECT coalesce(json_agg({row}), '[]')::text FROM {table} WHERE {mine}"
    return RawSQL(sql, [], output_field=TextField())


def _load(user: User | AnonymousUser) -> Access:
    member = user.is_authenticated
    audiences = ["members"] if member else ["guests"]
    given = getattr(user, ROWS, None) if member else None
    if given is not None:
        found = json.loads(given)
    else:
        # Through the router: a read replica, when there is one, serves page reads.
        with connections[router.db_for_read(User)].cursor() as cursor:
            cursor.execute(_rows_sql(for_member=member), [user.pk] if member else [])
            found = cursor.fetchall()
    rows = [dict(zip(_COLUMNS, row, strict=True)) for row in found]
    # Each audience's forum-wide row, then each board's: (audience, group) keys.
    keys = {(a, None) for a in audiences} | {
        (r["audience"], r["group_id"]) for r in rows
    }
    forum_wide = {(r["audience"], r["group_id"]): r for r in rows if not r["board_id"]}
    per_board: dict[int, dict[tuple, dict]] = {}
    for row in rows:
        if row["board_id"]:
            per_board.setdefault(row["board_id"], {})[
                (row["audience"], row["group_id"])
            ] = row

    def resolve(board_rows: dict[tuple, dict]) -> tuple[dict[str, bool], int | None]:
        granted: dict[str, bool] = {}
        windows: list[int | None] = []
        for key in keys:
            for permission in PERMISSIONS:
                value = _first(
                    board_rows.get(key, {}).get(permission),
                    forum_wide.get(key, {}).get(permission),
                    permission in DEFAULTS[key[0]],
                )
                granted[permission] = granted.get(permission, False) or value
                if permission == "edit_own" and value:
                    windows.append(
                        _first(
                            board_rows.get(key, {}).get("edit_window_minutes"),
                            forum_wide.get(key, {}).get("edit_window_minutes"),
                            None,
                        )
                    )
        no_limit = not windows or None in windows
        return granted, None if no_limit else max(windows)

    everywhere, window = resolve({})
    access = Access(everywhere=everywhere, edit_windows={None: window})
    for board_id, board_rows in per_board.items():
        access.boards[board_id], access.edit_windows[board_id] = resolve(board_rows)
    return access


@cache
def _rows_sql(*, for_member: bool) -> str:
    """The visitor's rows, built once: every page runs this, and compiling the ORM's
    version cost more than running it."""
    table, mine = _where(for_member=for_member, member="%s")
    return f"SELECT {', '.join(_COLUMNS)} FROM {table} WHERE {mine}"


def _where(*, for_member: bool, member: str) -> tuple[str, str]:
    """The permission table, and which of its rows concern the visitor (``member``:
    SQL for the member's id)."""
    from forum.models import BoardPermission

    memberships = User.groups.through._meta.db_table
    mine = (
        "audience = 'members' OR (audience = 'group' AND group_id IN "
        f"(SELECT group_id FROM {memberships} WHERE user_id = {member}))"
        if for_member
        else "audience = 'guests'"
    )
    return BoardPermission._meta.db_table, mine


def _first(*values):
    """The first value that is set (not None), else None."""
    return next((value for value in values if value is not None), None)
