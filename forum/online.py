"""Who's online and the forum's member figures, one snapshot a minute for everyone.

The forum list and ``/online/`` show the same thing to every visitor: the members
seen in the last 15 minutes, the guests counted in the cache
(``accounts.online``), the most ever online at once, the member count and the
newest member. All of it comes from one query (the member rows, with the count and
the record as subqueries) and one cache read, taken at most once a minute per
cache and kept in the ``online`` cache; a page between two snapshots reads it with
no query at all.

The record only moves up. A snapshot that beats it holds the new figure at once,
but only a member's request writes it to ``forum.OnlineRecord`` (one guarded
UPDATE), because a guest's GET never writes; the peak is kept in the cache until
then, so a busy minute seen only by guests is not lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    Subquery,
    Window,
)
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone

from accounts.links import url_with_id
from accounts.models import User
from accounts.online import ONLINE_WINDOW, guests_online, online_cache
from forum.models import OnlineRecord

SNAPSHOT_SECONDS = 60
# Names listed at most; the counts are exact beyond it.
SHOWN_MEMBERS = 200
_SNAPSHOT_KEY = "forum:online-snapshot"
_PEAK_KEY = "forum:online-peak"


@dataclass(frozen=True)
class Member:
    """A member as the online list and the newest-member line show them."""

    pk: int
    username: str
    seen_at: datetime | None

    @property
    def url(self) -> str:
        return url_with_id("member_detail", self.pk)


@dataclass(frozen=True)
class Snapshot:
    members: tuple[Member, ...]
    member_count: int
    guest_count: int
    total_members: int
    newest_member: Member | None
    record: int
    record_at: datetime | None
    # The record as stored; below ``record`` until a member's request saves it.
    stored_record: int
    taken_at: datetime

    @property
    def online_count(self) -> int:
        return self.member_count + self.guest_count

    @property
    def more_members(self) -> int:
        return self.member_count - len(self.members)

    @property
    def key(self) -> str:
        """What the rendered block is cached under."""
        return f"{self.taken_at.timestamp()}:{self.record}"


def snapshot(request: HttpRequest) -> Snapshot:
    """The current snapshot, taken again when a minute old; saves a new record
    when the request is a member's."""
    cache = online_cache()
    current = cache.get(_SNAPSHOT_KEY)
    if current is None:
        current = take_snapshot(timezone.now())
        cache.set(_SNAPSHOT_KEY, current, SNAPSHOT_SECONDS)
    user = getattr(request, "user", None)
    if current.record > current.stored_record and user and user.is_authenticated:
        save_record(count=current.record, reached_at=current.record_at)
        current = replace(current, stored_record=current.record)
        cache.set(_SNAPSHOT_KEY, current, SNAPSHOT_SECONDS)
    return current


def take_snapshot(now: datetime) -> Snapshot:
    """Read who is online now: one query for the members, one cache read for guests."""
    cutoff = now - ONLINE_WINDOW
    active = User.objects.filter(is_active=True)
    newest_pk = Subquery(active.order_by("-pk").values("pk")[:1])
    total = Subquery(
        active.order_by().values("is_active").annotate(n=Count("pk")).values("n")
    )
    record = OnlineRecord.objects.filter(pk=1)
    # A member logged in a moment ago has last_login newer than last_seen_at.
    online = Q(seen__gte=cutoff)
    rows = list(
        active.annotate(seen=Greatest("last_seen_at", "last_login"))
        .filter(online | Q(pk=newest_pk))
        .annotate(
            is_online=ExpressionWrapper(online, output_field=BooleanField()),
            is_newest=ExpressionWrapper(Q(pk=newest_pk), output_field=BooleanField()),
            online_total=Window(Count("pk", filter=online)),
            member_total=total,
            record_count=Subquery(record.values("count")),
            record_at=Subquery(record.values("reached_at")),
        )
        .order_by("-is_newest", F("seen").desc(nulls_last=True), "pk")
        .only("pk", "username")[: SHOWN_MEMBERS + 1]
    )
    guests = guests_online(now)
    if rows:
        first = rows[0]
        online_total, total_members = first.online_total, first.member_total
        stored, stored_at = first.record_count or 0, first.record_at
    else:
        # No active member at all: the record still stands.
        online_total = total_members = 0
        found = record.first()
        stored, stored_at = (found.count, found.reached_at) if found else (0, None)
    # The newest member's row comes first whenever they are seen: put them back
    # in their place among the others.
    members = sorted(
        (Member(r.pk, r.username, r.seen) for r in rows if r.is_online),
        key=lambda m: (-m.seen_at.timestamp(), m.pk),
    )
    newest = next((Member(r.pk, r.username, r.seen) for r in rows if r.is_newest), None)
    record_count, record_at = _peak(stored, stored_at, online_total + guests, now)
    return Snapshot(
        members=tuple(members[:SHOWN_MEMBERS]),
        member_count=online_total,
        guest_count=guests,
        total_members=total_members,
        newest_member=newest,
        record=record_count,
        record_at=record_at,
        stored_record=stored,
        taken_at=now,
    )


def _peak(
    stored: int, stored_at: datetime | None, online: int, now: datetime
) -> tuple[int, datetime | None]:
    """The highest of the stored record, a peak not yet saved, and now."""
    cache = online_cache()
    best = (stored, stored_at)
    pending = cache.get(_PEAK_KEY)
    if pending and pending[0] > best[0]:
        best = pending
    if online > best[0]:
        best = (online, now)
        cache.set(_PEAK_KEY, best, None)
    return best


def save_record(*, count: int, reached_at: datetime | None) -> bool:
    """Raise the most-online record to ``count``; it never moves down."""
    # One statement, race-free: the row is created the first time, and two
    # processes saving different peaks leave the higher one (PostgreSQL checks the
    # WHERE again on the row as the other committed it).
    table = connection.ops.quote_name(OnlineRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, count, reached_at) VALUES (1, %s, %s) "
            f"ON CONFLICT (id) DO UPDATE SET count = EXCLUDED.count, "
            f"reached_at = EXCLUDED.reached_at WHERE {table}.count < EXCLUDED.count",
            [count, reached_at],
        )
        return cursor.rowcount == 1
