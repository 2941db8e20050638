"""Reads compiled to SQL once per process, run with a request's values.

Used for a page's main reads (the forum's thread, board and profile pages) and for
the member behind a session on every logged-in request (``accounts/backends.py``);
it lives here, below the forum, so both layers can use it.

Django compiles a queryset to SQL each time it is evaluated. For the select of six
joined tables behind a thread page that costs several times what PostgreSQL takes to
run it (on the bench machine about 2 ms to compile, 0.3 ms to run); even a user
row by id costs twice its round trip. These reads come in a few shapes that differ
only in values (a thread id, a member id, a position), so each shape is compiled
once, with stand-in values, and every request runs the stored SQL with its own
values and turns the rows into model instances the way Django's own iterator
does (same columns, converters and ``select_related`` objects). ``forum/cache.py``
does the same for the fingerprint query.

A shape's key must name everything that changes the SQL besides the values passed
(a visitor's kind, the boards in an ``IN`` list): a build function that reads
anything else would serve one visitor's SQL to another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import get_related_populators

# Stand-ins for the values while compiling: inside the range of a 32-bit positive
# integer column (Django turns a lookup outside its column's range into "matches
# nothing"), and far past any id, position or count a forum reaches. A value for a
# text column (a slug) is compiled as the stand-in's digits and bound as text.
_STAND_IN = 2_146_000_000


@dataclass(frozen=True)
class Compiled:
    """One shape's SQL and what turns its rows into models."""

    sql: str
    params: tuple[Any, ...]
    # For each parameter, the index of the value it takes, or None (a constant).
    slots: tuple[int | None, ...]
    compiler: Any
    # The queryset built with the stand-ins: its model and joins, never run.
    queryset: QuerySet
    # select_related's populators, per database alias (they carry it).
    _populators: dict[str, list] = field(default_factory=dict, repr=False)

    @property
    def db(self) -> str:
        """The database the router picks now, not when the shape was compiled: a
        shape first run by a request on the read replica serves requests that must
        read the primary too (config/db_router.py). Both are PostgreSQL, so the
        SQL is the same."""
        return self.queryset.db

    def bind(self, values: Sequence[Any]) -> list[Any]:
        # Keep the parameter's type: with server-side binding Django sends integers
        # as psycopg's Int4/Int8, which fix the type PostgreSQL prepares for.
        return [
            param if slot is None else type(param)(values[slot])
            for param, slot in zip(self.params, self.slots, strict=True)
        ]

    def fetch(self, values: Sequence[Any]) -> list[Model]:
        compiler, db = self.compiler, self.db
        with connections[db].cursor() as cursor:
            cursor.execute(self.sql, self.bind(values))
            rows = cursor.fetchall()
        reader = self._reader
        if reader.converters:
            rows = compiler.apply_converters(rows, reader.converters)
        if db not in self._populators:
            self._populators[db] = get_related_populators(
                compiler.klass_info, compiler.select, db
            )
        populators = self._populators[db]
        model, names, start, end = reader.model, reader.names, reader.start, reader.end
        objects = []
        for row in rows:
            obj = model.from_db(db, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in reader.annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    @cached_property
    def _reader(self) -> _Reader:
        """What turns a row into a model, worked out once as Django's iterator
        works it out on every run (its converters alone cost half a millisecond
        on a thread page)."""
        compiler = self.compiler
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        expressions = [column[0] for column in select[0 : compiler.col_count]]
        return _Reader(
            model=klass_info["model"],
            names=[column[0].target.attname for column in select[start:end]],
            start=start,
            end=end,
            converters=compiler.get_converters(expressions),
            annotations=list((compiler.annotation_col_map or {}).items()),
        )


@dataclass(frozen=True)
class _Reader:
    model: type[Model]
    names: list[str]
    start: int
    end: int
    # Django's own: {column: (converters, expression)}, for apply_converters.
    converters: dict[int, tuple[list[Callable], Any]]
    annotations: list[tuple[str, int]]


def opaque(value: int) -> RawSQL:
    """``value`` as ``(SELECT %s::bigint)``: a value the planner does not look at.

    psycopg prepares a statement a connection runs often, and PostgreSQL then keeps
    one generic plan for it, unless a plan made for the values at hand looks
    cheaper: for a board with more threads than most, or a member with more posts,
    it does, so their pages were planned again on every view (three times the
    query's run). Behind a subquery the value is unknown to the estimate, every run
    costs the same and the generic plan stays. For a column whose best plan is
    the same whatever the value (an index on it): a board's or a member's id.
    """
    return RawSQL("SELECT %s::bigint", [value], output_field=BigIntegerField())


_compiled: dict[tuple, Compiled | None] = {}


def compiled(key: tuple, build: Callable[..., QuerySet], count: int) -> Compiled | None:
    """The shape ``key``: ``build`` called with ``count`` stand-ins, compiled once.

    None when Django finds, with the stand-ins, that the query matches nothing:
    the caller then runs ``build`` with the real values, compiled as usual.
    """
    if key not in _compiled:
        _compiled[key] = _compile(build, count)
    return _compiled[key]


def fetch(key: tuple, build: Callable[..., QuerySet], *values: Any) -> list[Model]:
    """``list(build(*values))``, from the SQL compiled once for ``key``."""
    shape = compiled(key, build, len(values))
    return list(build(*values)) if shape is None else shape.fetch(values)


def sql(
    key: tuple, build: Callable[..., QuerySet], *values: Any
) -> tuple[str, list[Any]] | None:
    """``build(*values)``'s SQL and parameters for a query run inside another
    (``forum/cache.py`` digests); None: compile ``build(*values)`` as usual."""
    shape = compiled(key, build, len(values))
    return None if shape is None else (shape.sql, shape.bind(values))


def _compile(build: Callable[..., QuerySet], count: int) -> Compiled | None:
    stand_ins = [_STAND_IN + n for n in range(count)]
    queryset = build(*stand_ins)
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    # A stand-in given for a text column (a board's slug) comes back as its text.
    texts = [str(stand_in) for stand_in in stand_ins]
    slots = tuple(
        stand_ins.index(p)
        if isinstance(p, int) and not isinstance(p, bool) and p in stand_ins
        else texts.index(p)
        if isinstance(p, str) and p in texts
        else None
        for p in params
    )
    return Compiled(
        sql=sql,
        params=tuple(params),
        slots=slots,
        compiler=compiler,
        queryset=queryset,
    )
