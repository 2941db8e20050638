"""The member list's reads: sort orders, the name filter and keyset pages.

A page is found by seeking past the last row of the previous one (``after``) or
before the first row of the next one (``before``), never by OFFSET, so the
thousandth page costs what the first does and a cursor link stays right while
members join. Every order ends on the primary key, so rows with equal values
(many members have 0 posts) still have one place each.

Who is listed: active members, banned ones included and marked. A ban stops a
member taking part, but their posts stay up under their name and their profile
stays reachable, so the list does not pretend they never existed. Deactivated
accounts (``is_active`` off, e.g. a deleted spammer) are gone from the list as
they are from their profile page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Lower

from accounts.models import User

MEMBERS_PER_PAGE = 30


@dataclass(frozen=True)
class Sort:
    label: str
    # The compared value: a column or annotation name; None sorts by join order.
    field: str | None
    descending: bool


SORTS = {
    "name": Sort("Name", "name_key", descending=False),
    "posts": Sort("Posts", "post_count", descending=True),
    "reactions": Sort("Reaction score", "reaction_score", descending=True),
    "joined": Sort("Newest", None, descending=True),
}
DEFAULT_SORT = "name"

_NUMBER = re.compile(r"-?[0-9]{1,18}")
_ID = re.compile(r"[0-9]{1,18}")


class BadCursor(ValueError):
    """A cursor from the query string that this sort cannot have written."""


@dataclass(frozen=True)
class Cursor:
    value: str | int | None
    pk: int

    def encode(self) -> str:
        return str(self.pk) if self.value is None else f"{self.value}~{self.pk}"


def parse_cursor(raw: str, sort: Sort) -> Cursor:
    """Read ``value~pk`` (or ``pk`` alone when sorting by join order)."""
    value, _, pk = raw.rpartition("~")
    if not _ID.fullmatch(pk):
        raise BadCursor("The page link is not one this list makes.")
    if sort.field is None:
        if value:
            raise BadCursor("The page link is not one this list makes.")
        return Cursor(None, int(pk))
    if sort.field == "name_key":
        if not value:
            raise BadCursor("The page link is not one this list makes.")
        return Cursor(value, int(pk))
    if not _NUMBER.fullmatch(value):
        raise BadCursor("The page link is not one this list makes.")
    return Cursor(int(value), int(pk))


def _cursor_of(member: User, sort: Sort) -> Cursor:
    value = None if sort.field is None else getattr(member, sort.field)
    return Cursor(value, member.pk)


def _beyond(sort: Sort, cursor: Cursor, *, forward: bool) -> Q:
    """Rows after ``cursor`` in the list's order (``forward``) or before it."""
    # Walking the list forward on a descending value means smaller values next.
    smaller = sort.descending == forward
    if sort.field is None:
        return Q(pk__lt=cursor.pk) if smaller else Q(pk__gt=cursor.pk)
    op = "lt" if smaller else "gt"
    tie = "gt" if forward else "lt"
    return Q(**{f"{sort.field}__{op}": cursor.value}) | Q(
        **{sort.field: cursor.value, f"pk__{tie}": cursor.pk}
    )


def _ordering(sort: Sort, *, forward: bool) -> list:
    if sort.field is None:
        return ["-pk" if sort.descending == forward else "pk"]
    down = sort.descending == forward
    value = F(sort.field).desc() if down else F(sort.field).asc()
    return [value, "pk" if forward else "-pk"]


def members_queryset(name_prefix: str) -> QuerySet:
    """Listed members with what a row shows; ``name_prefix`` filters, any case."""
    members = (
        User.objects.filter(is_active=True)
        .annotate(name_key=Lower("username"))
        .select_related("tier", "pinned_tier")
        .only(
            *("username", "avatar", "custom_title", "post_count", "reaction_score"),
            *("date_joined", "is_banned", "banned_until", "last_seen_at"),
            *("last_login", "tier__name", "tier__style", "pinned_tier__name"),
            "pinned_tier__style",
        )
    )
    if name_prefix:
        # startswith escapes %, _ and backslash: they match themselves only. The
        # prefix is lowered by PostgreSQL too, so both sides fold alike.
        members = members.filter(name_key__startswith=Lower(Value(name_prefix)))
    return members


@dataclass(frozen=True)
class MemberPage:
    members: list[User]
    next_cursor: str | None
    previous_cursor: str | None


def member_page(
    name_prefix: str,
    sort_name: str,
    *,
    after: str = "",
    before: str = "",
    per_page: int = MEMBERS_PER_PAGE,
) -> MemberPage:
    """One page of the member list in one query. Raises BadCursor."""
    sort = SORTS[sort_name]
    forward = not before
    members = members_queryset(name_prefix)
    raw = after or before
    if raw:
        members = members.filter(
            _beyond(sort, parse_cursor(raw, sort), forward=forward)
        )
    rows = list(members.order_by(*_ordering(sort, forward=forward))[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()
    if not rows:
        return MemberPage([], None, None)
    # Forward, a next page exists if one more row came back; a previous one if we
    # came from somewhere. Backward, the other way round.
    has_next = more if forward else True
    has_previous = bool(after) if forward else more
    return MemberPage(
        rows,
        _cursor_of(rows[-1], sort).encode() if has_next else None,
        _cursor_of(rows[0], sort).encode() if has_previous else None,
    )
