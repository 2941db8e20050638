"""Alerts: the one place that decides who hears about what, and keeps the bell right.

Every feature that alerts a member (replies, quotes, mentions, reactions, moderator
actions, conversations) calls ``notify``; a taken-back reaction calls ``withdraw``;
the alert pages call ``mark_read``. The rules live here once:

- nobody is alerted about their own action, nor by a banned or inactive actor;
- a kind the member switched "off" is never stored;
- nobody hears about what they cannot see: the post or thread is checked against
  ``visible_to`` for the recipient, the same querysets the pages use, and inactive
  or banned recipients get nothing;
- one alert per member per post for what a post says (quote beats mention beats
  reply/thread; a weaker one later is dropped, a stronger one upgrades the row);
  one reaction alert per reacting member per post (a changed reaction updates it).

``User.alerts_unread`` (the header's count, read with the user row: no query) moves
in the same transaction as the rows. Writers that add take the user row's lock after
their insert; ``mark_read(all)`` takes it first and recounts from the rows, so
neither can lose the other's change. ``recount`` (and ``manage.py recount_alerts``)
repairs any drift.

Email: a kind set to "email" (or a watch with email, for a kind the member left at
its default) marks the alert ``pending``; after commit the first pending alert of a
member queues ``forum.alert_tasks.send_alert_email`` a short delay ahead
(FORUM_ALERT_EMAIL_DELAY_SECONDS), which mails everything pending by then at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import User
from forum.models import Alert, MemberPreferences, Post, Thread

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

Kind = Alert.Kind
OFF, SITE, EMAIL = "off", "site", "email"
CHOICES = (OFF, SITE, EMAIL)

# What a member gets for each kind until they say otherwise: alerts on the site, no
# email. Watches with email ask for email per thread or board (see ``_emails``).
DEFAULTS: dict[str, str] = {kind: SITE for kind in Kind.values}

# Kinds that share the one-alert-per-post constraint, strongest first.
POST_KINDS = (Kind.QUOTE, Kind.MENTION, Kind.REPLY, Kind.THREAD)
_STRENGTH = {kind: rank for rank, kind in enumerate(reversed(POST_KINDS))}


def preference(user_or_prefs: User | MemberPreferences | None, kind: str) -> str:
    """How the member wants alerts of ``kind``: "off", "site" or "email"."""
    prefs = _prefs(user_or_prefs)
    chosen = prefs.alert_kinds.get(kind) if prefs else None
    return chosen if chosen in CHOICES else DEFAULTS.get(kind, SITE)


def _prefs(user_or_prefs) -> MemberPreferences | None:
    if user_or_prefs is None or isinstance(user_or_prefs, MemberPreferences):
        return user_or_prefs
    if not getattr(user_or_prefs, "is_authenticated", False):
        return None
    try:
        # Cached on the instance by Django after the first read.
        return user_or_prefs.forum_preferences
    except MemberPreferences.DoesNotExist:
        return None


def _emails(prefs: MemberPreferences | None, kind: str, watch_email: bool) -> bool:
    """Whether this alert goes out by email too.

    A kind the member set themself decides alone (so unsubscribing from a kind
    stops the mail even from threads watched with email); a kind left at its
    default is emailed when the watch that caused it asks for email.
    """
    chosen = prefs.alert_kinds.get(kind) if prefs else None
    if chosen in CHOICES:
        return chosen == EMAIL
    return watch_email or DEFAULTS.get(kind) == EMAIL


def preferences_for(user: User) -> MemberPreferences:
    """The member's preferences row, created with the defaults if missing."""
    prefs, _ = MemberPreferences.objects.get_or_create(user=user)
    return prefs


def set_preference(user: User, kind: str, value: str) -> None:
    """Set one kind to "off" | "site" | "email" (the unsubscribe link uses this)."""
    if kind not in Kind.values or value not in CHOICES:
        raise ValueError(f"Unknown alert setting {kind!r}={value!r}")
    with transaction.atomic():
        prefs, _ = MemberPreferences.objects.select_for_update().get_or_create(
            user=user
        )
        prefs.alert_kinds = {**prefs.alert_kinds, kind: value}
        prefs.save(update_fields=["alert_kinds"])


def _usable(user: User | None) -> bool:
    return bool(user and user.is_active and not user.is_currently_banned)


def can_see(recipient: User, *, post: Post | None, thread: Thread | None) -> bool:
    """Whether the member sees the post (or thread) now, by the pages' own rules."""
    if post is not None:
        return Post.objects.visible_to(recipient).filter(pk=post.pk).exists()
    if thread is not None:
        return Thread.objects.visible_to(recipient).filter(pk=thread.pk).exists()
    return True


def notify(
    recipient_id: int,
    kind: str,
    *,
    actor: User | None = None,
    post: Post | None = None,
    thread: Thread | None = None,
    url: str = "",
    summary: str = "",
    watch_email: bool = False,
) -> Alert | None:
    """Alert a member, unless a rule above says not to; returns the alert stored.

    ``watch_email``: the watch that caused this alert asks for email.
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown alert kind: {kind!r}")
    if actor is not None and (actor.pk == recipient_id or not _usable(actor)):
        return None
    recipient = (
        User.objects.select_related("forum_preferences").filter(pk=recipient_id).first()
    )
    if not _usable(recipient):
        return None
    prefs = _prefs(recipient)
    if preference(prefs, kind) == OFF:
        return None
    if post is not None and thread is None:
        thread = post.thread
    if not can_see(recipient, post=post, thread=thread):
        return None
    email = _emails(prefs, kind, watch_email)
    with transaction.atomic():
        _lock_members([recipient.pk])
        alert = _store(
            recipient,
            kind,
            actor=actor,
            post=post,
            thread=thread,
            url=url[:300],
            summary=summary[:300],
            email=email,
        )
        if alert is None:
            return None
        if alert._adding_unread:
            User.objects.filter(pk=recipient.pk).update(
                alerts_unread=F("alerts_unread") + 1
            )
        if alert.email_state == Alert.Email.PENDING and _first_pending([recipient.pk]):
            transaction.on_commit(lambda: queue_email(recipient.pk))
    return alert


def _lock_members(user_ids: Iterable[int]) -> None:
    """Lock the members' rows, in id order, before touching their alerts.

    Every writer of alerts (notify, the watcher fan-out, mark_read, withdraw, the
    email task) takes these locks first, so none waits on another in the opposite
    order, the counter never loses an update, and whether an email is already on
    its way is decided by one writer at a time.
    """
    ids = sorted(set(user_ids))
    if ids:
        list(
            User.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _first_pending(user_ids: list[int]) -> list[int]:
    """Of these members (rows locked), those whose only pending alert is the new one:
    they need the email task queued; the others' task is already waiting."""
    counts = dict(
        Alert.objects.filter(recipient_id__in=user_ids, email_state=Alert.Email.PENDING)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values_list("recipient", "n")
    )
    return [pk for pk in user_ids if counts.get(pk) == 1]


# Watchers are alerted this many per transaction by ``notify_watchers``.
BATCH = 500


def notify_watchers(
    watchers: dict[int, bool],
    kind: str,
    *,
    actor: User,
    post: Post,
    thread: Thread,
) -> int:
    """``notify`` for many members at once (the fan-out to a thread's watchers).

    ``watchers`` maps member ids to whether their watch asks for email. The rules
    are ``notify``'s; the cost is a few queries per batch instead of several per
    member: members are read in one query, visibility is decided once per set of
    groups (what access depends on) and moderator flag, the alerts go in with one
    INSERT that skips members already alerted about the post (by a quote or a
    mention, which fan out first), and the counters move in one UPDATE.
    Only for the weakest kinds (reply, thread), which never upgrade another.
    """
    if kind not in (Kind.REPLY, Kind.THREAD):
        raise ValueError("notify_watchers is for reply and thread alerts")
    if not _usable(actor):
        return 0
    ids = [pk for pk in watchers if pk != actor.pk]
    stored = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        stored += _notify_batch(chunk, watchers, kind, actor, post, thread)
    return stored


def _notify_batch(ids, watchers, kind, actor, post, thread) -> int:
    from forum import permissions

    members = [
        member
        for member in User.objects.select_related("forum_preferences").filter(
            pk__in=ids
        )
        if _usable(member)
    ]
    memberships: dict[int, set[int]] = {}
    for user_id, group_id in User.groups.through.objects.filter(
        user_id__in=[m.pk for m in members]
    ).values_list("user_id", "group_id"):
        memberships.setdefault(user_id, set()).add(group_id)
    # Access comes from a member's groups alone; moderators see past it.
    seen: dict[tuple, bool] = {}
    rows = []
    for member in members:
        prefs = _prefs(member)
        if preference(prefs, kind) == OFF:
            continue
        key = (
            frozenset(memberships.get(member.pk, ())),
            permissions.is_moderator(member),
        )
        if key not in seen:
            seen[key] = can_see(member, post=post, thread=thread)
        if not seen[key]:
            continue
        email = _emails(prefs, kind, watchers[member.pk])
        rows.append((member.pk, Alert.Email.PENDING if email else Alert.Email.NONE))
    if not rows:
        return 0
    table = Alert._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_members(pk for pk, _ in rows)
        # ON CONFLICT DO NOTHING: a member already alerted about this post (the
        # partial unique index) keeps that alert; RETURNING names the new ones.
        cursor.execute(
            f"INSERT INTO {table} (recipient_id, actor_id, kind, thread_id, post_id,"
            " url, summary, created_at, email_state)"
            " SELECT r.id, %s, %s, %s, %s, '', '', now(), r.state"
            " FROM unnest(%s::bigint[], %s::varchar[]) AS r(id, state)"
            " ON CONFLICT DO NOTHING RETURNING recipient_id, email_state",
            [
                actor.pk,
                kind,
                thread.pk,
                post.pk,
                [pk for pk, _ in rows],
                [state for _, state in rows],
            ],
        )
        inserted = cursor.fetchall()
        added = sorted(pk for pk, _ in inserted)
        if added:
            User.objects.filter(pk__in=added).update(
                alerts_unread=F("alerts_unread") + 1
            )
        emailed = [pk for pk, state in inserted if state == Alert.Email.PENDING]
        for pk in _first_pending(emailed) if emailed else ():
            transaction.on_commit(lambda pk=pk: queue_email(pk))
    return len(inserted)


def _store(recipient: User, kind: str, *, email: bool, **fields) -> Alert | None:
    """Insert the alert, or fold it into the one the constraints say it duplicates.

    Returns None when nothing changed; ``alert._adding_unread`` says whether the
    member's unread count grows by one.
    """
    new = Alert(
        recipient=recipient,
        kind=kind,
        email_state=Alert.Email.PENDING if email else Alert.Email.NONE,
        **fields,
    )
    try:
        with transaction.atomic():
            new.save()
        new._adding_unread = True
        return new
    except IntegrityError:
        if fields.get("post") is None:
            raise
    existing = _duplicate_of(new)
    if existing is None:
        return None
    if kind == Kind.REACTION:
        # A changed reaction: the same alert, saying the new one.
        existing.summary = new.summary
        existing.save(update_fields=["summary"])
        existing._adding_unread = False
        return existing
    if _STRENGTH.get(kind, -1) <= _STRENGTH.get(existing.kind, -1):
        return None
    # A quote or mention arriving after the reply alert for the same post: say so.
    existing.kind = kind
    existing.actor = new.actor
    existing.summary = new.summary
    updates = ["kind", "actor", "summary"]
    if email and existing.email_state == Alert.Email.NONE:
        existing.email_state = Alert.Email.PENDING
        updates.append("email_state")
    existing.save(update_fields=updates)
    existing._adding_unread = False
    return existing


def _duplicate_of(new: Alert) -> Alert | None:
    alerts = Alert.objects.select_for_update().filter(
        recipient=new.recipient, post=new.post
    )
    if new.kind == Kind.REACTION:
        alerts = alerts.filter(kind=Kind.REACTION, actor=new.actor)
    else:
        alerts = alerts.filter(kind__in=POST_KINDS)
    return alerts.first()


def queue_email(recipient_id: int) -> None:
    """Queue the member's batched alert email, FORUM_ALERT_EMAIL_DELAY_SECONDS ahead.

    Called after commit for a member's first pending alert only (see
    ``_first_pending``); the task mails everything pending when it runs.
    """
    from django_tasks import default_task_backend

    from forum.alert_tasks import send_alert_email

    delay = settings.FORUM_ALERT_EMAIL_DELAY_SECONDS
    task = send_alert_email
    if delay and default_task_backend.supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
    task.enqueue(recipient_id=recipient_id)


def withdraw(
    kind: str,
    *,
    recipient_id: int,
    post: Post | None = None,
    actor: User | None = None,
) -> None:
    """Take back an alert (a removed reaction): the row goes, and the count with it
    if it was unread."""
    with transaction.atomic():
        _lock_members([recipient_id])
        alerts = Alert.objects.filter(recipient_id=recipient_id, kind=kind)
        if post is not None:
            alerts = alerts.filter(post=post)
        if actor is not None:
            alerts = alerts.filter(actor=actor)
        unread = alerts.filter(read_at__isnull=True)
        # Deleting returns what went; count the unread ones by deleting them first.
        gone, _ = unread.delete()
        alerts.delete()
        if gone:
            _decrement(recipient_id, gone)


def _decrement(user_id: int, by: int) -> None:
    User.objects.filter(pk=user_id).update(
        alerts_unread=Greatest(F("alerts_unread") - by, Value(0))
    )


def mark_read(user: User, alert_ids: Iterable[int] | None = None) -> int:
    """Mark the member's alerts read (all of them with None); returns how many."""
    now = timezone.now()
    with transaction.atomic():
        # The member's row first: an alert inserted meanwhile either committed
        # before (and is read here) or counts itself in after.
        _lock_members([user.pk])
        if alert_ids is None:
            changed = Alert.objects.filter(recipient=user, read_at__isnull=True).update(
                read_at=now
            )
            recount([user.pk])
        else:
            ids = [int(i) for i in alert_ids]
            changed = Alert.objects.filter(
                recipient=user, pk__in=ids, read_at__isnull=True
            ).update(read_at=now)
            if changed:
                _decrement(user.pk, changed)
    user.alerts_unread = (
        User.objects.filter(pk=user.pk).values_list("alerts_unread", flat=True).first()
        or 0
    )
    return changed


def recount(user_ids: Iterable[int] | None = None) -> int:
    """Set members' unread counts from their rows; returns how many were wrong."""
    members = User.objects.all()
    if user_ids is not None:
        members = members.filter(pk__in=list(user_ids))
    unread = (
        Alert.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = members.annotate(actual=Coalesce(Subquery(unread), Value(0)))
    return members.exclude(alerts_unread=F("actual")).update(
        alerts_unread=Coalesce(Subquery(unread), Value(0))
    )


def visible_alerts(user: User | AnonymousUser):
    """The member's alerts that still point at something they see, newest first.

    An alert about a post deleted since, or moved where the member cannot read,
    drops out; alerts about no post or thread (conversations) always show.
    """
    visible_posts = Post.objects.visible_to(user).values("pk")
    visible_threads = Thread.objects.visible_to(user).values("pk")
    return (
        Alert.objects.filter(recipient=user)
        .filter(
            Q(post__isnull=True) | Q(post__in=visible_posts),
            Q(thread__isnull=True) | Q(thread__in=visible_threads),
        )
        .select_related("actor", "thread", "post")
        .defer("post__body", "post__body_html")
        .order_by("-created_at", "-id")
    )


_VERBS = {
    Kind.REPLY: "replied in",
    Kind.THREAD: "started a thread:",
    Kind.QUOTE: "quoted your post in",
    Kind.MENTION: "mentioned you in",
    Kind.REACTION: "reacted to your post in",
    Kind.MODERATION: "moderated your content in",
    Kind.CONVERSATION: "wrote to you",
}


def describe(alert: Alert) -> str:
    """One plain-text line for the alert, for the pages and the email."""
    who = alert.actor.username if alert.actor_id and alert.actor else "Someone"
    if alert.kind == Kind.MODERATION:
        # The summary says what was done to what, and why.
        return f"{who} {alert.summary}"
    if alert.kind == Kind.CONVERSATION and alert.summary:
        # "a new message in “Title”", "an invitation to “Title”".
        return f"{who} sent you {alert.summary}"
    where = f" {alert.thread.title}" if alert.thread_id and alert.thread else ""
    verb = _VERBS.get(alert.kind, "")
    line = f"{who} {verb}{where}"
    if alert.summary:
        line += (
            f" ({alert.summary})"
            if alert.kind == Kind.REACTION
            else f": {alert.summary}"
        )
    return line


def link(alert: Alert) -> str:
    """Where the alert leads: its own address, else its post, else its thread."""
    if alert.url:
        return alert.url
    if alert.post_id:
        return alert.post.get_absolute_url()
    if alert.thread_id:
        return alert.thread.get_absolute_url()
    return "/alerts/"


# What a moderator did, as the author reads it; actions not named alert nobody.
_MODERATION = {
    "lock": "locked your thread",
    "unlock": "unlocked your thread",
    "stick": "made your thread sticky",
    "unstick": "unstuck your thread",
    "rename": "renamed your thread",
    "move_thread": "moved your thread",
    "delete_thread": "deleted your thread",
    "restore_thread": "restored your thread",
    "delete_post": "deleted your post in",
    "restore_post": "restored your post in",
    "edit_post": "edited your post in",
    "approve_post": "approved your post in",
    "approve_thread": "approved your thread",
    "reject_post": "rejected your post in",
    "reject_thread": "rejected your thread",
}
# After these the content is gone from the author's view: the alert names it in
# its text and links nowhere, since a link would only lead to a 404.
_GONE_THREAD = {"delete_thread", "reject_thread"}
_GONE_POST = {"delete_post", "reject_post"}


def moderation(
    actor: User,
    action: str,
    *,
    thread: Thread,
    post: Post | None = None,
    reason: str = "",
) -> Alert | None:
    """Tell the author what a moderator did to their thread or post.

    Called by the moderation services inside their transaction; the author's own
    actions (deleting their own post) alert nobody, as ``notify`` skips self-alerts.
    """
    words = _MODERATION.get(action)
    if words is None:
        return None
    recipient_id = post.author_id if post is not None else thread.author_id
    if recipient_id is None:
        return None
    # The whole sentence, title included: the alert reads the same after a
    # rename, and after a deletion when it has no thread to show.
    summary = f"{words} {thread.title}"
    if action in _GONE_THREAD:
        thread = None
    if reason:
        summary = f"{summary} (reason: {reason})"
    return notify(
        recipient_id,
        Kind.MODERATION,
        actor=actor,
        post=None if action in _GONE_POST | _GONE_THREAD else post,
        thread=thread,
        summary=summary,
    )
