"""Writing the export: what a guest can read, one JSON line per record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Tier, User
from forum import access
from forum.models import Board, BoardPermission, Category, Post, Reaction, Thread
from ops.forum_export.format import (
    CHUNK,
    FORMAT,
    PERMISSION_FIELDS,
    VERSION,
    Progress,
    iso_time,
    no_progress,
)


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
        "date_joined": iso_time(member.date_joined),
        "last_seen_at": iso_time(member.last_seen),
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
        "banned_until": iso_time(member.banned_until)
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
        "created_at": iso_time(post.created_at),
        "deleted": deleted,
        "deleted_at": iso_time(post.deleted_at) if deleted else None,
        "body": "" if deleted else post.body,
        "body_html": "" if deleted else post.body_html,
        "edited_at": iso_time(post.edited_at),
        "edited_by": post.edited_by_id,
        "reactions": {
            reaction_names[key]: count
            for key, count in (post.reaction_counts or {}).items()
            if key in reaction_names and count
        },
    }


def export_records(progress: Progress = no_progress) -> Iterator[dict]:
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
        "exported_at": iso_time(timezone.now()),
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
            "created_at": iso_time(t.created_at),
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


def write_export(stream: IO[str], progress: Progress = no_progress) -> dict:
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
