"""Loading an export into an empty forum, in one transaction, with COPY."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

import psycopg
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.utils.dateparse import parse_datetime

import markup
from accounts.mentions import members_in_database
from accounts.models import Tier, User
from accounts.skeleton import username_key
from forum.management.commands.recount import recount_all
from forum.models import Board, BoardPermission, Category, Post, Reaction, Thread
from markup.mentions import CachedLookup
from markup.sanitize import sanitize
from ops.forum_export.format import (
    CHUNK,
    FORMAT,
    KINDS,
    PERMISSION_FIELDS,
    PLACEHOLDER_DOMAIN,
    VERSION,
    FormatError,
    Progress,
    no_progress,
)


def forum_is_empty() -> bool:
    """No member, category, board, thread or post yet (migrations' rows are fine)."""
    return not any(
        model.objects.exists() for model in (User, Category, Board, Thread, Post)
    )


@dataclass
class _Line:
    number: int
    record: dict

    def error(self, message: str) -> FormatError:
        return FormatError(f"line {self.number}: {message}")

    def get(self, name: str, kind: type | tuple[type, ...], *, null: bool = False):
        if name not in self.record:
            raise self.error(f"{self.record.get('type')} has no {name!r}")
        value = self.record[name]
        if value is None and null:
            return None
        # bool is an int in Python; a count must not be written as true.
        if not isinstance(value, kind) or (
            isinstance(value, bool) and bool not in _as_tuple(kind)
        ):
            raise self.error(f"{name!r} has the wrong type")
        return value

    def text(self, name: str, *, default: str | None = None) -> str:
        if default is not None and name not in self.record:
            return default
        value = self.get(name, str)
        if "\x00" in value:
            raise self.error(f"{name!r} contains a NUL character")
        return value

    def number_(self, name: str, *, null: bool = False) -> int | None:
        value = self.get(name, int, null=null)
        if value is not None and not 0 <= value < 2**63:
            raise self.error(f"{name!r} is out of range")
        return value

    def time(self, name: str, *, null: bool = False) -> datetime | None:
        value = self.get(name, str, null=null)
        if value is None:
            return None
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise self.error(f"{name!r} is not a date and time with a UTC offset")
        return parsed

    def flag(self, name: str, *, default: bool = False) -> bool:
        if name not in self.record:
            return default
        return self.get(name, bool)


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def read_lines(stream: IO[str]) -> Iterator[_Line]:
    """Parse each line as one JSON object, naming the line of any error."""
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as error:
            raise FormatError(f"line {number}: not JSON ({error})") from error
        if not isinstance(record, dict):
            raise FormatError(f"line {number}: not a JSON object")
        yield _Line(number, record)


@dataclass
class _Loader:
    """Collects rows per model and writes them in batches, in loading order."""

    progress: Progress
    totals: dict
    pending: dict[type, list] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    reaction_ids: dict[str, str] = field(default_factory=dict)
    lookup: CachedLookup = field(
        default_factory=lambda: CachedLookup(members_in_database)
    )

    def add(self, kind: str, row) -> None:
        model = type(row)
        batch = self.pending.setdefault(model, [])
        batch.append(row)
        self.loaded[kind] = self.loaded.get(kind, 0) + 1
        if len(batch) >= CHUNK:
            self.flush(model)
            self.progress(kind, self.loaded[kind], self.totals.get(kind, 0))

    def flush(self, model: type | None = None) -> None:
        for each in [model] if model else list(self.pending):
            rows = self.pending.pop(each, [])
            if rows and rows[0].pk is None:
                # Rows the file gives no id (permissions) take the sequence's.
                each.objects.bulk_create(rows)
            elif rows:
                _copy(each, rows)

    def html(self, line: _Line, source_field: str, html_field: str) -> str:
        """The file's HTML sanitised again, or the source rendered when it has none."""
        if html_field in line.record:
            return sanitize(line.text(html_field))
        return markup.render(line.text(source_field), known_members=self.lookup)


def _copy(model: type, rows: list) -> None:
    """Write model instances with COPY, every column as given.

    Not bulk_create: that would stamp ``created_at`` (auto_now_add) with today, and
    COPY is several times faster for a million posts.
    """
    # Generated columns (search vectors) are PostgreSQL's to fill.
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    f.get_db_prep_save(getattr(row, f.attname), connection)
                    for f in fields
                ]
            )


def _load_tier(loader: _Loader, line: _Line) -> None:
    style = line.text("style")
    if style not in Tier.Style.values:
        style = Tier.Style.PLAIN
    loader.add(
        "tier",
        Tier(
            pk=line.number_("id"),
            name=line.text("name")[:60],
            min_posts=line.number_("min_posts"),
            style=style,
            order=min(line.number_("order"), 32767),
        ),
    )


def _load_member(loader: _Loader, line: _Line) -> None:
    pk = line.number_("id")
    username = line.text("username")
    if not username or len(username) > 150:
        raise line.error("a username has 1 to 150 characters")
    loader.flush(Tier)
    loader.add(
        "member",
        User(
            pk=pk,
            username=username,
            username_skeleton=username_key(username),
            email=f"member-{pk}@{PLACEHOLDER_DOMAIN}",
            # Nobody knows an imported member's password: they ask for a reset
            # once an operator has given them back their address.
            password=make_password(None),
            date_joined=line.time("date_joined"),
            last_seen_at=line.time("last_seen_at", null=True),
            avatar=line.text("avatar", default="")[:100],
            custom_title=line.text("custom_title", default="")[:60],
            pinned_tier_id=line.number_("pinned_tier", null=True)
            if "pinned_tier" in line.record
            else None,
            reaction_score=line.get("reaction_score", int)
            if "reaction_score" in line.record
            else 0,
            signature=line.text("signature", default=""),
            signature_html=loader.html(line, "signature", "signature_html")
            if "signature" in line.record
            else "",
            about=line.text("about", default=""),
            about_html=loader.html(line, "about", "about_html")
            if "about" in line.record
            else "",
            location=line.text("location", default="")[:100],
            website=line.text("website", default="")[:200],
            is_banned=line.flag("is_banned"),
            banned_until=line.time("banned_until", null=True)
            if "banned_until" in line.record
            else None,
        ),
    )


def _load_category(loader: _Loader, line: _Line) -> None:
    loader.add(
        "category",
        Category(
            pk=line.number_("id"),
            name=line.text("name")[:120],
            slug=line.text("slug")[:120],
            description=line.text("description", default=""),
            position=line.number_("position"),
        ),
    )


def _load_board(loader: _Loader, line: _Line) -> None:
    loader.flush(Category)
    parent = line.number_("parent", null=True)
    if parent is not None:
        # A sub-board's parent is an earlier line: write it first.
        loader.flush(Board)
    loader.add(
        "board",
        Board(
            pk=line.number_("id"),
            category_id=line.number_("category"),
            parent_id=parent,
            name=line.text("name")[:120],
            slug=line.text("slug")[:120],
            description=line.text("description", default=""),
            position=line.number_("position"),
        ),
    )


def _load_permission(loader: _Loader, line: _Line) -> None:
    loader.flush(Board)
    audience = line.text("audience")
    if audience not in (
        BoardPermission.Audience.GUESTS,
        BoardPermission.Audience.MEMBERS,
    ):
        raise line.error("a permission's audience is guests or members")
    values = {}
    for name in PERMISSION_FIELDS:
        kind = int if name == "edit_window_minutes" else bool
        values[name] = line.get(name, kind, null=True) if name in line.record else None
    loader.add(
        "permission",
        BoardPermission(
            board_id=line.number_("board", null=True), audience=audience, **values
        ),
    )


def _load_thread(loader: _Loader, line: _Line) -> None:
    loader.flush(User)
    loader.flush(Board)
    loader.flush(BoardPermission)
    title = line.text("title")
    loader.add(
        "thread",
        Thread(
            pk=line.number_("id"),
            board_id=line.number_("board"),
            author_id=line.number_("author"),
            title=title[:150],
            slug=line.text("slug")[:80],
            created_at=line.time("created_at"),
            is_locked=line.flag("is_locked"),
            is_sticky=line.flag("is_sticky"),
            view_count=min(line.number_("view_count"), 2**31 - 1)
            if "view_count" in line.record
            else 0,
        ),
    )


def _load_post(loader: _Loader, line: _Line) -> None:
    loader.flush(Thread)
    deleted = line.flag("deleted")
    position = line.number_("position")
    if position < 1:
        raise line.error("positions start at 1")
    reactions = line.record.get("reactions") or {}
    if not isinstance(reactions, dict):
        raise line.error("'reactions' is not an object")
    created_at = line.time("created_at")
    loader.add(
        "post",
        Post(
            pk=line.number_("id"),
            thread_id=line.number_("thread"),
            author_id=line.number_("author"),
            position=position,
            created_at=created_at,
            body=line.text("body", default=""),
            body_html=loader.html(line, "body", "body_html") if not deleted else "",
            edited_at=line.time("edited_at", null=True)
            if "edited_at" in line.record
            else None,
            edited_by_id=line.number_("edited_by", null=True)
            if "edited_by" in line.record
            else None,
            is_deleted=deleted,
            deleted_at=(line.time("deleted_at", null=True) or created_at)
            if deleted
            else None,
            reaction_counts={
                loader.reaction_ids[name]: count
                for name, count in reactions.items()
                if name in loader.reaction_ids and isinstance(count, int) and count > 0
            },
        ),
    )


LOADERS = {
    "tier": _load_tier,
    "member": _load_member,
    "category": _load_category,
    "board": _load_board,
    "permission": _load_permission,
    "thread": _load_thread,
    "post": _load_post,
}


def _check_header(line: _Line | None) -> dict:
    if line is None:
        raise FormatError("the file is empty")
    header = line.record
    if header.get("format") != FORMAT:
        raise line.error(f'not a {FORMAT} export (no "format": "{FORMAT}")')
    version = header.get("version")
    if version != VERSION:
        raise line.error(f"format version {version!r}; this Colloquy reads {VERSION}")
    counts = header.get("counts", {})
    return counts if isinstance(counts, dict) else {}


def load_export(stream: IO[str], progress: Progress = no_progress) -> dict[str, int]:
    """Load an export into this (empty) forum; return the records loaded per kind.

    Everything happens in one transaction: a file that fails halfway leaves the
    forum as empty as it was.
    """
    lines = read_lines(stream)
    totals = _check_header(next(lines, None))
    with transaction.atomic():
        if not forum_is_empty():
            raise FormatError(
                "this forum is not empty: import into a freshly migrated database, "
                "before creating any member or board"
            )
        # Constraints are checked row by row (the file lists what each row refers
        # to first), so nothing piles up until the commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        loader = _Loader(progress=progress, totals=totals)
        loader.reaction_ids = {
            name: str(pk) for pk, name in Reaction.objects.values_list("pk", "name")
        }
        seen_kinds: list[str] = []
        ended = False
        try:
            for line in lines:
                kind = line.record.get("type")
                if ended:
                    raise line.error("a line after the end record")
                if kind == "end":
                    ended = True
                    continue
                if kind not in LOADERS:
                    raise line.error(f"unknown record type {kind!r}")
                if kind not in seen_kinds:
                    if seen_kinds and KINDS.index(kind) < KINDS.index(seen_kinds[-1]):
                        raise line.error(f"{kind} records come before {seen_kinds[-1]}")
                    if kind == "tier":
                        # The file's ladder replaces the default one.
                        Tier.objects.all().delete()
                    seen_kinds.append(kind)
                LOADERS[kind](loader, line)
            if not ended:
                raise FormatError("the file ends without its end record: cut short?")
            loader.flush()
        except (IntegrityError, psycopg.IntegrityError, psycopg.DataError) as error:
            raise FormatError(
                f"the rows do not fit together: {str(error).splitlines()[0]}"
            ) from error
        for kind in KINDS:
            progress(kind, loader.loaded.get(kind, 0), totals.get(kind, 0))
        recount_all()
        _reset_sequences()
    return loader.loaded


def _reset_sequences() -> None:
    """Move every id sequence past the imported ids, so new rows never collide."""
    models = [Tier, User, Category, Board, Thread, Post]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
