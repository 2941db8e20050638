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
from django.db.models import Q, QuerySet
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


def _rows(queryset: QuerySet, **columns: str) -> list[dict[str, Any]]:
    """Each row as {name: value} for ``columns`` (name=field path), in the
    queryset's order, times as ISO 8601 text."""
    fields = list(columns.values())
    return [
        {
            name: _when(row[field]) if isinstance(row[field], datetime) else row[field]
            for name, field in columns.items()
        }
        for row in queryset.values(*fields)
    ]


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
    return _rows(
        Thread.objects.filter(author=member).order_by("created_at", "pk"),
        id="pk",
        title="title",
        board="board__name",
        created_at="created_at",
        deleted="is_deleted",
    )


def _posts(member: User) -> list[dict[str, Any]]:
    return _rows(
        Post.objects.filter(author=member).order_by("created_at", "pk"),
        id="pk",
        thread_id="thread_id",
        thread="thread__title",
        position="position",
        body="body",
        created_at="created_at",
        edited_at="edited_at",
        deleted="is_deleted",
        approved="is_approved",
    )


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
    messages = _rows(
        Message.objects.filter(
            Q(conversation_id__in=inside) | Q(conversation_id__in=left, author=member)
        ).order_by("conversation_id", "position"),
        conversation="conversation_id",
        position="position",
        author="author__username",
        body="body",
        created_at="created_at",
    )
    by_conversation: dict[int, list[dict[str, Any]]] = {}
    for message in messages:
        by_conversation.setdefault(message.pop("conversation"), []).append(message)
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
    return _rows(
        PostReaction.objects.filter(user=member).order_by("created_at", "pk"),
        post_id="post_id",
        reaction="reaction__name",
        created_at="created_at",
    )


def _settings(member: User) -> dict[str, Any]:
    preferences = MemberPreferences.objects.filter(user=member).first()
    return {
        "auto_watch": preferences.auto_watch if preferences else None,
        "alert_kinds": preferences.alert_kinds if preferences else {},
        "watched_threads": _rows(
            ThreadWatch.objects.filter(user=member).order_by("created_at", "pk"),
            thread_id="thread_id",
            thread="thread__title",
            email="email",
        ),
        "watched_boards": _rows(
            BoardWatch.objects.filter(user=member).order_by("created_at", "pk"),
            board="board__name",
            notify="notify",
            email="email",
        ),
    }


def _bookmarks(member: User) -> list[dict[str, Any]]:
    return _rows(
        Bookmark.objects.filter(user=member).order_by("created_at", "pk"),
        post_id="post_id",
        note="note",
        created_at="created_at",
    )


def _drafts(member: User) -> list[dict[str, Any]]:
    return _rows(
        Draft.objects.filter(user=member).order_by("updated_at", "pk"),
        thread_id="thread_id",
        board_id="board_id",
        title="title",
        body="body",
        updated_at="updated_at",
    )


def login_record_filter(member: User) -> Q:
    """django-axes' rows for this member's account (it counts them by account key)."""
    names = {account_key(member.username), member.username}
    match = Q()
    for name in names:
        match |= Q(username__iexact=name)
    return match


def _addresses(member: User) -> dict[str, list[dict[str, Any]]]:
    logins = []
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        logins += _rows(
            model.objects.filter(login_record_filter(member)).order_by("attempt_time"),
            address="ip_address",
            at="attempt_time",
        )
    return {
        "posts": _rows(
            Post.objects.filter(author=member, ip_address__isnull=False).order_by(
                "created_at", "pk"
            ),
            post_id="pk",
            address="ip_address",
            at="created_at",
        ),
        "messages": _rows(
            Message.objects.filter(author=member, ip_address__isnull=False).order_by(
                "created_at", "pk"
            ),
            message_id="pk",
            address="ip_address",
            at="created_at",
        ),
        "failed_logins": logins,
    }


def _agreements(member: User) -> list[dict[str, Any]]:
    return _rows(
        Agreement.objects.filter(user=member).order_by("agreed_at", "pk"),
        document="document__kind",
        version="document__version",
        title="document__title",
        agreed_at="agreed_at",
    )


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
