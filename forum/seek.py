"""Keyset ("seek") pagination for lists newest first: what's new, bookmarks.

A page is the rows strictly before a cursor ``<microseconds since 1970>,<id>`` in
the order ``(-created_at, -id)``. The id breaks ties between rows written in the
same microsecond, so no row is skipped or shown twice at a page boundary, and page
500 costs what page 1 does (an index range, never OFFSET). The cursor is plain
digits, so it needs no escaping in a URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import BadRequest
from django.db.models import Q, QuerySet

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(\d{1,17}),(\d{1,18})")


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    pk: int

    def __str__(self) -> str:
        delta = self.created_at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros},{self.pk}"


def parse(value: str | None) -> Cursor | None:
    """The cursor in ``?before=``; None for the first page; BadRequest (400) when
    it is not one this site wrote."""
    if value is None or value == "":
        return None
    match = _CURSOR.fullmatch(value)
    if not match:
        raise BadRequest(
            "That page link is not valid: start again from the first page."
        )
    try:
        created_at = _EPOCH + timedelta(microseconds=int(match[1]))
    except OverflowError:
        raise BadRequest("That page link is not valid.") from None
    return Cursor(created_at=created_at, pk=int(match[2]))


@dataclass(frozen=True)
class Page:
    rows: list
    next: Cursor | None


def page(
    queryset: QuerySet, cursor: Cursor | None, size: int, *, time: str = "created_at"
) -> Page:
    """One page of ``queryset`` newest first, and the cursor of the next, if any.

    Reads ``size + 1`` rows in one query: the extra one only says there is more.
    """
    if cursor is not None:
        queryset = queryset.filter(
            Q(**{f"{time}__lt": cursor.created_at})
            | Q(**{time: cursor.created_at, "pk__lt": cursor.pk})
        )
    rows = list(queryset.order_by(f"-{time}", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows and more else None
    return Page(
        rows=rows,
        next=Cursor(created_at=getattr(last, time), pk=last.pk) if last else None,
    )
