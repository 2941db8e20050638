"""Rendered fragments cached under a fingerprint of the rows they show.

Rendering twenty posts with their author cards costs several times what reading them
does, so a page caches the rendered list (the template's ``{% cache %}`` block) under a
key that the database computes from exactly the rows the block would read: the page's
own queryset, wrapped in ``SELECT md5(string_agg(row::text))``. Every column of every
joined row is in the fingerprint, so any write to any of them (a reply, an edit, a
deletion, an author's new post count, a renamed tier, a column added later) gives a new
key. Nothing is invalidated by hand, and a worker with its own local-memory cache can
never serve a fragment whose rows changed in another worker: a page after a post is
never stale. On a hit the block's query is never run; on a miss it runs once more.

Fragments also expire after ``FORUM_FRAGMENT_SECONDS``, so relative times ("3 minutes
ago") stay close and a deploy's template changes show within that time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet

from accounts.models import User
from forum import permissions


@dataclass(frozen=True)
class Fragment:
    """What a template's ``{% cache fragment.seconds name fragment.key %}`` needs."""

    key: str
    seconds: int


def fingerprint(
    queryset: QuerySet, *, owner: str | None = None, viewer: int | None = None
) -> tuple[str, bool]:
    """An md5 of every row ``queryset`` reads, and whether ``viewer`` owns any of them.

    The rows are the queryset's own and those its ``select_related`` joins, whole
    (``row::text``), found by the queryset's ids; ``owner`` names the column holding a
    row's author (``author_id``). Compiling a hundred-column select costs more than
    running it, so only the id query is compiled per call; the joins are built once.
    """
    joins = _joined_tables(queryset.model, queryset.query.select_related)
    try:
        ids, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return "none", False
    mine = "false"
    if owner and viewer is not None:
        mine = f"coalesce(bool_or(t0.{owner} = %s), false)"
        params = (viewer, *params)
    pk = queryset.model._meta.pk.column
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"SELECT md5(string_agg({joins.rows}, '|' ORDER BY t0.{pk})), {mine} "
            f"FROM {joins.tables} WHERE t0.{pk} IN ({ids})",
            params,
        )
        digest, owns = cursor.fetchone()
    return digest or "none", owns


@dataclass(frozen=True)
class _Joins:
    tables: str
    rows: str


_joins: dict[tuple[type[Model], str], _Joins] = {}


def _joined_tables(model: type[Model], related: dict | bool) -> _Joins:
    """FROM and whole-row text for a model and the relations select_related follows."""
    key = (model, repr(related))
    if key not in _joins:
        quote = connections["default"].ops.quote_name
        tables = [f"{quote(model._meta.db_table)} AS t0"]
        aliases = ["t0"]

        def join(model: type[Model], alias: str, related: dict) -> None:
            for name, deeper in related.items():
                field = model._meta.get_field(name)
                target = f"t{len(aliases)}"
                aliases.append(target)
                other = field.related_model
                tables.append(
                    f"LEFT JOIN {quote(other._meta.db_table)} AS {target} ON "
                    f"{target}.{quote(field.target_field.column)} = "
                    f"{alias}.{quote(field.column)}"
                )
                join(other, target, deeper)

        if related is True:
            related = {
                f.name: {}
                for f in model._meta.concrete_fields
                if f.is_relation and not f.null
            }
        join(model, "t0", related or {})
        rows = "concat_ws(',', {})".format(", ".join(f"{a}::text" for a in aliases))
        _joins[key] = _Joins(tables=" ".join(tables), rows=rows)
    return _joins[key]


def fingerprint_rows(rows: Iterable[Model]) -> str:
    """An md5 of fetched rows: every field value, through every select_related row."""
    digest = hashlib.md5(usedforsecurity=False)
    for row in rows:
        digest.update(_row_state(row).encode())
    return digest.hexdigest()


def _row_state(row: Model) -> str:
    values = [
        f"{name}={value!r}"
        for name, value in row.__dict__.items()
        if not name.startswith("_") and not isinstance(value, list | Model)
    ]
    related = [
        f"{name}:{_row_state(other) if other is not None else None}"
        for name, other in row._state.fields_cache.items()
    ]
    return f"{type(row).__name__}({','.join(values)};{','.join(related)})"


def rows(fetched: Iterable[Model]) -> Fragment:
    """A block showing rows already fetched, the same for every visitor."""
    return Fragment(fingerprint_rows(fetched), settings.FORUM_FRAGMENT_SECONDS)


def member_count(newest: User | None) -> int:
    """Active members, counted again whenever someone joins (or every 5 minutes)."""
    key = f"forum:member-count:{newest.pk if newest else 0}"
    return cache.get_or_set(
        key, lambda: User.objects.filter(is_active=True).count(), timeout=300
    )


def listing(queryset: QuerySet, *shown: object) -> Fragment:
    """A block the same for every visitor: the rows, and any other values it shows."""
    digest, _ = fingerprint(queryset)
    key = ":".join([digest, *map(str, shown)])
    return Fragment(key=key, seconds=settings.FORUM_FRAGMENT_SECONDS)


def thread_posts(posts: QuerySet, user: User, *, can_reply: bool) -> Fragment:
    """The posts of a thread page, whose buttons depend on who is looking.

    Members see Reply buttons and, on their own posts, Edit and Delete: the key holds
    what those depend on. Moderators' pages carry forms with their CSRF token, so
    they are never stored (a zero timeout).
    """
    if not user.is_authenticated:
        digest, _ = fingerprint(posts)
        return Fragment(f"guest:{digest}", settings.FORUM_FRAGMENT_SECONDS)
    digest, owns = fingerprint(posts, owner="author_id", viewer=user.pk)
    if permissions.is_moderator(user):
        return Fragment(f"moderator:{digest}", 0)
    viewer = f"{user.pk}" if owns else "reader"
    may_post = permissions.can_post(user)
    return Fragment(
        f"member:{digest}:{viewer}:{can_reply:d}{may_post:d}",
        settings.FORUM_FRAGMENT_SECONDS,
    )
