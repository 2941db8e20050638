"""The public forum as a stream of JSON lines, and back: see docs/export-format.md.

``export_forum`` writes what a guest can read (categories, the boards guests see,
their live threads and every post slot of them, the tiers, and members' public
profiles) one record per line, reading the database through server-side cursors in
one read-only snapshot, so a million posts never sit in memory and the file is
consistent while the forum keeps taking replies.

``import_forum`` loads such a file into an empty Colloquy in one transaction: ids
are kept, so links into the old forum (``/threads/12-…``, ``/posts/345/``), the
rendered HTML and the ``[QUOTE="name, post: N, member: M"]`` references in the
sources all stay right without rewriting a byte. Imported HTML is sanitised again
(a file is input like any other), counters and tiers are recomputed by
``recount``, and the id sequences move past the imported ids.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import psycopg
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AnonymousUser
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

import markup
from accounts.mentions import members_in_database
from accounts.models import Tier, User
from accounts.skeleton import username_key
from forum import access
from forum.management.commands.recount import recount_all
from forum.models import Board, BoardPermission, Category, Post, Reaction, Thread
from markup.mentions import CachedLookup
from markup.sanitize import sanitize

FORMAT = "colloquy-forum"
VERSION = 1
CHUNK = 2000
# Imported members have no address: a placeholder in a domain that can never
# receive mail (RFC 2606) keeps the column unique until they set theirs.
PLACEHOLDER_DOMAIN = "import.invalid"
KINDS = ("tier", "member", "category", "board", "permission", "thread", "post")
PERMISSION_FIELDS = (
    "view_board",
    "read_threads",
    "start_threads",
    "reply",
    "edit_own",
    "delete_own",
    "moderate",
    "edit_window_minutes",
)


class FormatError(Exception):
    """The file is not a forum export this code can load; the message says why."""


Progress = Callable[[str, int, int], None]


def _no_progress(kind: str, done: int, total: int) -> None:
    return None


def open_file(path: Path, mode: str) -> IO[str]:
    """A text stream on ``path``, gzip-compressed when the name ends in .gz."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, mode + "b"), encoding="utf-8")
    return path.open(mode, encoding="utf-8")


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Export ---------------------------------------------------------------------


@dataclass
class _Public:
    """What a guest may read, as querysets (built once, read through cursors)."""

    boards: Any
    threads: Any
    posts: Any
    members: Any
    permissions: Any


def _public() -> _Public:
    guest = AnonymousUser()
    guest_access = access.for_user(guest)
    boards = Board.objects.visible_to(guest)
    readable = guest_access.board_filter("board_id", permission="read_threads")
    threads = Thread.objects.visible_to(guest).filter(readable, board__in=boards)
    # Every slot of a thread page: deleted posts travel as placeholders without
    # their text, held replies (no position yet) not at all.
    posts = Post.objects.filter(
        thread__in=threads, is_approved=True, position__isnull=False
    )
    # Group rows stay behind: groups are not part of the export.
    permissions = BoardPermission.objects.filter(
        Q(board__isnull=True) | Q(board__in=boards),
        audience__in=[
            BoardPermission.Audience.GUESTS,
            BoardPermission.Audience.MEMBERS,
        ],
    )
    return _Public(
        boards=boards,
        threads=threads,
        posts=posts,
        members=User.objects.all(),
        permissions=permissions,
    )


def _board_order(boards: list[Board]) -> list[Board]:
    """Parents before their sub-boards, so each line refers only to earlier ones."""
    by_id = {board.pk: board for board in boards}

    def depth(board: Board) -> int:
        steps, seen = 0, set()
        while board.parent_id in by_id and board.pk not in seen:
            seen.add(board.pk)
            board = by_id[board.parent_id]
            steps += 1
        return steps

    return sorted(boards, key=lambda board: (depth(board), board.pk))


def _tier_record(tier: Tier) -> dict:
    return {
        "id": tier.pk,
        "name": tier.name,
        "min_posts": tier.min_posts,
        "style": tier.style,
        "order": tier.order,
    }


def _member_record(member: User) -> dict:
    return {
        "id": member.pk,
        "username": member.username,
        "date_joined": _time(member.date_joined),
        "last_seen_at": _time(member.last_seen),
        "avatar": member.avatar.name or "",
        "custom_title": member.custom_title,
        "pinned_tier": member.pinned_tier_id,
        "post_count": member.post_count,
        "reaction_score": member.reaction_score,
        "signature": member.signature,
        "signature_html": member.signature_html,
        "about": member.about,
        "about_html": member.about_html,
        "location": member.location,
        "website": member.website,
        "is_banned": member.is_currently_banned,
        "banned_until": _time(member.banned_until)
        if member.is_currently_banned
        else None,
    }


def _post_record(post: Post, reaction_names: dict[str, str]) -> dict:
    deleted = post.is_deleted
    return {
        "id": post.pk,
        "thread": post.thread_id,
        "author": post.author_id,
        "position": post.position,
        "created_at": _time(post.created_at),
        "deleted": deleted,
        "deleted_at": _time(post.deleted_at) if deleted else None,
        "body": "" if deleted else post.body,
        "body_html": "" if deleted else post.body_html,
        "edited_at": _time(post.edited_at),
        "edited_by": post.edited_by_id,
        "reactions": {
            reaction_names[key]: count
            for key, count in (post.reaction_counts or {}).items()
            if key in reaction_names and count
        },
    }


def export_records(progress: Progress = _no_progress) -> Iterator[dict]:
    """Yield the header, every public record in loading order, then the end line.

    Call it inside a read-only REPEATABLE READ transaction (``write_export``) so
    the counts in the header and the records are one snapshot.
    """
    public = _public()
    counts = {
        "tier": Tier.objects.count(),
        "member": public.members.count(),
        "category": Category.objects.count(),
        "board": public.boards.count(),
        "permission": public.permissions.count(),
        "thread": public.threads.count(),
        "post": public.posts.count(),
    }
    yield {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _time(timezone.now()),
        "counts": counts,
    }
    reaction_names = {
        str(pk): name for pk, name in Reaction.objects.values_list("pk", "name")
    }

    def stream(kind: str, rows, to_record) -> Iterator[dict]:
        done = 0
        for row in rows:
            yield {"type": kind, **to_record(row)}
            done += 1
            if done % CHUNK == 0:
                progress(kind, done, counts[kind])
        progress(kind, done, counts[kind])

    yield from stream("tier", Tier.objects.order_by("pk"), _tier_record)
    yield from stream(
        "member",
        public.members.order_by("pk").only(*MEMBER_FIELDS).iterator(chunk_size=CHUNK),
        _member_record,
    )
    yield from stream(
        "category",
        Category.objects.order_by("pk"),
        lambda c: {
            "id": c.pk,
            "name": c.name,
            "slug": c.slug,
            "description": c.description,
            "position": c.position,
        },
    )
    yield from stream(
        "board",
        _board_order(list(public.boards)),
        lambda b: {
            "id": b.pk,
            "category": b.category_id,
            "parent": b.parent_id,
            "name": b.name,
            "slug": b.slug,
            "description": b.description,
            "position": b.position,
        },
    )
    yield from stream(
        "permission",
        public.permissions.order_by("pk"),
        lambda p: {
            "board": p.board_id,
            "audience": p.audience,
            **{name: getattr(p, name) for name in PERMISSION_FIELDS},
        },
    )
    yield from stream(
        "thread",
        public.threads.order_by("pk").iterator(chunk_size=CHUNK),
        lambda t: {
            "id": t.pk,
            "board": t.board_id,
            "author": t.author_id,
            "title": t.title,
            "slug": t.slug,
            "created_at": _time(t.created_at),
            "is_locked": t.is_locked,
            "is_sticky": t.is_sticky,
            "view_count": t.view_count,
        },
    )
    yield from stream(
        "post",
        public.posts.order_by("thread_id", "position")
        .defer("ip_address", "submission_token", "held_reason", "delete_reason")
        .iterator(chunk_size=CHUNK),
        lambda post: _post_record(post, reaction_names),
    )
    yield {"type": "end", "counts": counts}


MEMBER_FIELDS = (
    "id",
    "username",
    "date_joined",
    "last_seen_at",
    "last_login",
    "avatar",
    "custom_title",
    "pinned_tier",
    "post_count",
    "reaction_score",
    "signature",
    "signature_html",
    "about",
    "about_html",
    "location",
    "website",
    "is_banned",
    "banned_until",
)


def write_export(stream: IO[str], progress: Progress = _no_progress) -> dict:
    """Write the public forum to ``stream``; return the record counts."""
    counts: dict = {}
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for the whole file, however long it takes to write.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for record in export_records(progress):
            stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            stream.write("\n")
            if record.get("type") == "end":
                counts = record["counts"]
    return counts


# --- Import ---------------------------------------------------------------------


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


def load_export(stream: IO[str], progress: Progress = _no_progress) -> dict[str, int]:
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


class ProgressLine:
    """ "posts 12,000 / 1,000,000" rewritten in place on a terminal, else silent."""

    def __init__(self, stream: IO[str] = sys.stderr) -> None:
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, kind: str, done: int, total: int) -> None:
        if not self.live:
            return
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{kind + 's':<12} {done:>12,} / {total:,}{end}")
        self.stream.flush()
