"""Shared blocks: HTML the same for every viewer, cached under its rows' versions.

A thread page's post is one block (author card, body, signature, edit note); a list
with nothing per viewer in it (the forum list, a board's threads) is one block. A
block's key names the version of each row it shows and of each row their
``select_related`` joins: PostgreSQL's ``xmin`` (the transaction that wrote the
version) and ``ctid`` (where it lies). Any write to any of them (a reply, an edit, an
author's new post count, a renamed tier) writes a new version and so gives a new
key, even a second write in the same transaction, whose new version lies elsewhere
while the old one is still there. Nothing is invalidated by hand, and a worker with
its own local-memory cache never serves a block whose rows changed in another
worker. Reading two system columns costs PostgreSQL nothing like turning every
column of every row into text did.

A block is rendered from its row alone, never with the request: whatever depends on
who is looking (edit links, reply buttons, moderator tools, later reactions and
unread markers) renders outside it, around the cached HTML. Blocks also expire after
``FORUM_FRAGMENT_SECONDS``, so relative times ("3 minutes ago") stay close and a
deploy's template changes show within that time; 0 switches the cache off.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Fragment:
    """What a template's ``{% cache fragment.seconds name fragment.key %}`` needs."""

    key: str
    seconds: int


@dataclass(frozen=True)
class Block:
    """A row as the viewer-dependent template needs it, and its shared HTML."""

    row: Any
    html: SafeString


def enabled() -> bool:
    """Whether blocks are cached at all (FORUM_FRAGMENT_SECONDS above 0)."""
    return settings.FORUM_FRAGMENT_SECONDS > 0


def digests(
    queryset: QuerySet, *fields: str, ids: tuple[str, list] | None = None
) -> list[dict[str, Any]]:
    """The rows ``queryset`` reads, in its order: pk, ``fields`` and a ``digest``.

    The digest names the version of the row and of the rows its ``select_related``
    joins. Only the id query is compiled per call (compiling a select of a hundred
    columns costs more than running it), or not even that when the caller passes
    it already built as ``ids`` (SQL and parameters: ``accounts.prebuilt.sql``); the
    joins and the rest are built once. ``fields`` are attribute names
    (``author_id``, ``is_deleted``).
    """
    if ids is None:
        try:
            ids = queryset.values("pk").query.sql_with_params()
        except EmptyResultSet:
            return []
    ids, params = ids
    model, related = queryset.model, queryset.query.select_related
    key = (model, repr(related), fields)
    if key not in _digest_sql:
        # ARRAY(...) keeps the id query's ORDER BY; WITH ORDINALITY numbers its rows.
        joins = _joined_tables(model, related)
        quote = connections["default"].ops.quote_name
        columns = {f.attname: f.column for f in model._meta.concrete_fields}
        pk = quote(model._meta.pk.column)
        _digest_sql[key] = (
            f"SELECT t0.{pk}, {joins.versions}"
            + "".join(f", t0.{quote(columns[name])}" for name in fields)
            + " FROM unnest(ARRAY({ids})) WITH ORDINALITY AS page(id, n)"
            + f" JOIN {joins.base} ON t0.{pk} = page.id {joins.joined}"
            + " ORDER BY page.n"
        )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(_digest_sql[key].format(ids=ids), params)
        names = ("pk", "digest", *fields)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_digest_sql: dict[tuple, str] = {}


@dataclass(frozen=True)
class _Joins:
    base: str
    joined: str
    versions: str

    @property
    def tables(self) -> str:
        return f"{self.base} {self.joined}"


_joins: dict[tuple[type[Model], str], _Joins] = {}


def _joined_tables(model: type[Model], related: dict | bool) -> _Joins:
    """FROM and row versions for a model and the relations select_related follows."""
    key = (model, repr(related))
    if key not in _joins:
        quote = connections["default"].ops.quote_name
        tables = [f"{quote(model._meta.db_table)} AS t0"]
        aliases = [("t0", model)]

        def join(model: type[Model], alias: str, related: dict) -> None:
            for name, deeper in related.items():
                field = model._meta.get_field(name)
                target = f"t{len(aliases)}"
                other = field.related_model
                aliases.append((target, other))
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
        # A missing joined row (no tier) reads as NULL, which concat_ws skips.
        versions = "concat_ws(',', {})".format(
            ", ".join(f"{alias}.xmin, {alias}.ctid" for alias, _ in aliases)
        )
        _joins[key] = _Joins(
            base=tables[0], joined=" ".join(tables[1:]), versions=versions
        )
    return _joins[key]


def shared_blocks(
    rows: Sequence[dict[str, Any]],
    *,
    kind: str,
    fetch: Callable[[list[int]], Iterable[Model]],
    render: Callable[[Model], str],
) -> dict[int, SafeString]:
    """The shared HTML of each row (by pk): from the cache, else fetched and rendered.

    ``rows`` come from :func:`digests`; ``fetch`` reads the full rows of the pks
    missing from the cache in one query and ``render`` turns one into HTML. On a
    warm page nothing but the digests is read.
    """
    seconds = settings.FORUM_FRAGMENT_SECONDS
    keys = {row["pk"]: f"{kind}:{row['digest']}" for row in rows}
    found = cache.get_many(list(keys.values())) if enabled() else {}
    html = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = [pk for pk in keys if pk not in html]
    if missing:
        fresh = {obj.pk: render(obj) for obj in fetch(missing)}
        if enabled():
            cache.set_many({keys[pk]: text for pk, text in fresh.items()}, seconds)
        html.update(fresh)
    return {pk: mark_safe(text) for pk, text in html.items()}  # noqa: S308 (rendered by our templates)


def listing(
    queryset: QuerySet, *shown: object, ids: tuple[str, list] | None = None
) -> Fragment:
    """One block for a whole list the same for every visitor: its rows and ``shown``.

    For lists with nothing per viewer in them (the forum list, a board's threads);
    a template caches it with ``{% cache fragment.seconds name fragment.key %}``.
    With the cache off nothing is looked up, so no fingerprint is read either.
    ``ids``: the list's id query already built (SQL and parameters, as
    ``accounts.prebuilt.sql`` gives it); ``queryset`` then gives only its model, joins
    and database.
    """
    if not enabled():
        return Fragment(key="off", seconds=0)
    joins = _joined_tables(queryset.model, queryset.query.select_related)
    try:
        ids, params = ids or queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        digest = "none"
    else:
        pk = queryset.model._meta.pk.column
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                f"SELECT md5(string_agg({joins.versions}, '|' ORDER BY t0.{pk})) "
                f"FROM {joins.tables} WHERE t0.{pk} IN ({ids})",
                params,
            )
            digest = cursor.fetchone()[0] or "none"
    key = ":".join([digest, *map(str, shown)])
    return Fragment(key=key, seconds=settings.FORUM_FRAGMENT_SECONDS)


def rows(fragment: Fragment, name: str, compute: Callable[[], Any]) -> Any:
    """A list's rows as every viewer sees them (``rendering.Row``s), cached whole
    under ``fragment`` (from :func:`listing`); ``compute`` reads and renders them
    on a miss. Unlike ``{% cache %}`` around the whole list, the page can then
    wrap each row in what is its viewer's own (unread markers)."""
    if not enabled():
        return compute()
    # Hashed as {% cache %} does: a key carries shown values (a username).
    key = f"{name}:{hashlib.md5(fragment.key.encode()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, fragment.seconds)
    return found


def kept(store: dict, limit: int, key: Any, make: Callable[[], Any]) -> Any:
    """``store[key]``, made by ``make`` when missing: a process-local memo of things
    keyed by everything they show, so none is ever stale. Full at ``limit``
    entries, it starts again empty: simpler than tracking use, and safe between
    threads."""
    found = store.get(key)
    if found is None:
        if len(store) >= limit:
            store.clear()
        found = store[key] = make()
    return found
