"""What a member's data download holds, and the zip it is written to.

``member_data(member)`` gathers every row that is the member's own, as plain JSON
values: the profile, posts and threads with their source BBCode, the conversations
they took part in with the messages they can see (all of a conversation they are
in; their own of one they left), reactions given, alert and watch settings,
bookmarks, drafts, the post, message and login addresses still kept (IP retention
may have forgotten older ones), and the terms they agreed to. ``write_archive``
puts that in ``data.json`` beside a readable ``index.html`` and the avatar.

The queries are one per section and read only this member's rows, so building the
archive of a member with a hundred thousand posts costs memory in proportion to
what they wrote, and nothing else.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Agreement, Follow, User
from accounts.ratelimit import account_key
from conversations.models import Message, Participant
from forum.models import (
    BoardWatch,
    Bookmark,
    Draft,
    MemberPreferences,
    Post,
    PostReaction,
    Thread,
    ThreadWatch,
)

FORMAT = "colloquy-member-data"
VERSION = 1


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def member_data(member: User) -> dict[str, Any]:
    """Everything of ``member``'s the forum keeps, as JSON-ready values."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": _when(timezone.now()),
        "profile": _profile(member),
        "threads": _threads(member),
        "posts": _posts(member),
        "conversations": _conversations(member),
        "reactions_given": _reactions(member),
        "settings": _settings(member),
        "bookmarks": _bookmarks(member),
        "drafts": _drafts(member),
        "addresses": _addresses(member),
        "agreements": _agreements(member),
    }


def _profile(member: User) -> dict[str, Any]:
    return {
        "id": member.pk,
        "username": member.username,
        "email": member.email,
        "email_verified": member.email_verified,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "date_joined": _when(member.date_joined),
        "last_login": _when(member.last_login),
        "last_seen_at": _when(member.last_seen_at),
        "title": member.title,
        "post_count": member.post_count,
        "reaction_score": member.reaction_score,
        "location": member.location,
        "website": member.website,
        "about": member.about,
        "signature": member.signature,
        "avatar": os.path.basename(member.avatar.name) if member.avatar else None,
        "time_zone": member.time_zone,
        "color_mode": member.color_mode,
        "conversation_privacy": member.conversation_privacy,
        "following": list(
            Follow.objects.filter(follower=member)
            .order_by("created_at")
            .values_list("followed__username", flat=True)
        ),
        "ignoring": list(
            User.objects.filter(pk__in=member.ignored_member_ids)
            .order_by("username")
            .values_list("username", flat=True)
        ),
    }


def _threads(member: User) -> list[dict[str, Any]]:
    rows = (
        Thread.objects.filter(author=member)
        .order_by("created_at", "pk")
        .values("pk", "title", "board__name", "created_at", "is_deleted")
    )
    return [
        {
            "id": row["pk"],
            "title": row["title"],
            "board": row["board__name"],
            "created_at": _when(row["created_at"]),
            "deleted": row["is_deleted"],
        }
        for row in rows
    ]


def _posts(member: User) -> list[dict[str, Any]]:
    rows = (
        Post.objects.filter(author=member)
        .order_by("created_at", "pk")
        .values(
            "pk",
            "thread_id",
            "thread__title",
            "position",
            "body",
            "created_at",
            "edited_at",
            "is_deleted",
            "is_approved",
        )
    )
    return [
        {
            "id": row["pk"],
            "thread_id": row["thread_id"],
            "thread": row["thread__title"],
            "position": row["position"],
            "body": row["body"],
            "created_at": _when(row["created_at"]),
            "edited_at": _when(row["edited_at"]),
            "deleted": row["is_deleted"],
            "approved": row["is_approved"],
        }
        for row in rows
    ]


def _conversations(member: User) -> list[dict[str, Any]]:
    memberships = list(
        Participant.objects.filter(user=member)
        .select_related("conversation")
        .order_by("conversation__created_at", "conversation_id")
    )
    # What they can see: every message of a conversation they are in, and only
    # their own of one they left.
    inside = [p.conversation_id for p in memberships if p.left_at is None]
    left = [p.conversation_id for p in memberships if p.left_at is not None]
    messages = (
        Message.objects.filter(
            Q(conversation_id__in=inside) | Q(conversation_id__in=left, author=member)
        )
        .order_by("conversation_id", "position")
        .values("conversation_id", "position", "author__username", "body", "created_at")
    )
    by_conversation: dict[int, list[dict[str, Any]]] = {}
    for row in messages:
        by_conversation.setdefault(row["conversation_id"], []).append(
            {
                "position": row["position"],
                "author": row["author__username"],
                "body": row["body"],
                "created_at": _when(row["created_at"]),
            }
        )
    return [
        {
            "id": p.conversation_id,
            "title": p.conversation.title,
            "joined_at": _when(p.joined_at),
            "left_at": _when(p.left_at),
            "messages": by_conversation.get(p.conversation_id, []),
        }
        for p in memberships
    ]


def _reactions(member: User) -> list[dict[str, Any]]:
    rows = (
        PostReaction.objects.filter(user=member)
        .order_by("created_at", "pk")
        .values("post_id", "reaction__name", "created_at")
    )
    return [
        {
            "post_id": row["post_id"],
            "reaction": row["reaction__name"],
            "created_at": _when(row["created_at"]),
        }
        for row in rows
    ]


def _settings(member: User) -> dict[str, Any]:
    preferences = MemberPreferences.objects.filter(user=member).first()
    return {
        "auto_watch": preferences.auto_watch if preferences else None,
        "alert_kinds": preferences.alert_kinds if preferences else {},
        "watched_threads": [
            {
                "thread_id": row["thread_id"],
                "thread": row["thread__title"],
                "email": row["email"],
            }
            for row in ThreadWatch.objects.filter(user=member)
            .order_by("created_at", "pk")
            .values("thread_id", "thread__title", "email")
        ],
        "watched_boards": [
            {
                "board": row["board__name"],
                "notify": row["notify"],
                "email": row["email"],
            }
            for row in BoardWatch.objects.filter(user=member)
            .order_by("created_at", "pk")
            .values("board__name", "notify", "email")
        ],
    }


def _bookmarks(member: User) -> list[dict[str, Any]]:
    rows = (
        Bookmark.objects.filter(user=member)
        .order_by("created_at", "pk")
        .values("post_id", "note", "created_at")
    )
    return [
        {
            "post_id": r["post_id"],
            "note": r["note"],
            "created_at": _when(r["created_at"]),
        }
        for r in rows
    ]


def _drafts(member: User) -> list[dict[str, Any]]:
    rows = (
        Draft.objects.filter(user=member)
        .order_by("updated_at", "pk")
        .values("thread_id", "board_id", "title", "body", "updated_at")
    )
    return [
        {
            "thread_id": r["thread_id"],
            "board_id": r["board_id"],
            "title": r["title"],
            "body": r["body"],
            "updated_at": _when(r["updated_at"]),
        }
        for r in rows
    ]


def login_record_filter(member: User) -> Q:
    """django-axes' rows for this member's account (it counts them by account key)."""
    names = {account_key(member.username), member.username}
    match = Q()
    for name in names:
        match |= Q(username__iexact=name)
    return match


def _addresses(member: User) -> dict[str, list[dict[str, Any]]]:
    posts = (
        Post.objects.filter(author=member, ip_address__isnull=False)
        .order_by("created_at", "pk")
        .values_list("pk", "ip_address", "created_at")
    )
    messages = (
        Message.objects.filter(author=member, ip_address__isnull=False)
        .order_by("created_at", "pk")
        .values_list("pk", "ip_address", "created_at")
    )
    logins = []
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        logins += [
            {"address": ip, "at": _when(at), "record": model.__name__}
            for ip, at in model.objects.filter(login_record_filter(member))
            .order_by("attempt_time")
            .values_list("ip_address", "attempt_time")
        ]
    return {
        "posts": [
            {"post_id": i, "address": ip, "at": _when(at)} for i, ip, at in posts
        ],
        "messages": [
            {"message_id": i, "address": ip, "at": _when(at)} for i, ip, at in messages
        ],
        "failed_logins": logins,
    }


def _agreements(member: User) -> list[dict[str, Any]]:
    rows = (
        Agreement.objects.filter(user=member)
        .order_by("agreed_at", "pk")
        .values("document__kind", "document__version", "document__title", "agreed_at")
    )
    return [
        {
            "document": r["document__kind"],
            "version": r["document__version"],
            "title": r["document__title"],
            "agreed_at": _when(r["agreed_at"]),
        }
        for r in rows
    ]


def write_archive(member: User) -> bytes:
    """The zip a member downloads: data.json, index.html and their avatar."""
    data = member_data(member)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
        archive.writestr(
            "index.html", render_to_string("privacy/archive_index.html", {"data": data})
        )
        if member.avatar:
            try:
                with member.avatar.open("rb") as avatar:
                    archive.writestr(
                        f"avatar/{data['profile']['avatar']}", avatar.read()
                    )
            except OSError:
                # A file lost from storage: the rest of the archive still counts.
                pass
    return buffer.getvalue()
