"""Account deletion: a member asks, waits out the grace period, and is erased.

Asking (``request_deletion``) records the member's choice in a ``DeletionRequest``
and sets ``User.deletion_due_at``, which the banner on every page reads from the
row the request loaded anyway; cancelling clears both. Once the date passes the
worker calls ``erase_member``, the one service the admin's action uses too.

Erasing keeps the user row, so the posts it wrote stay readable and every counter
that counts them stays right, but leaves nothing personal on it: the name becomes
"Deleted member <id>" (registration cannot take a name with a space, so it never
collides), the address a placeholder on the reserved ``.invalid`` domain (the old
one can register again), the password unusable and the account inactive (no login,
and every session it had stops loading it). Quotes of the member's posts in other
people's posts name "Deleted member" and are rendered again, so they keep linking
to the post. Their addresses, login records, follows, watches, alerts, drafts,
bookmarks, read state, agreements, data downloads and the task-queue rows that
carried their name or address are deleted; the audit log records the erasure
with no personal data.

If they chose to, and ``FORUM_DELETION_MAY_REMOVE_POSTS`` allows it, their posts go
first, through the forum's own deletion services (counters, last posts and tiers
move as a moderator's deletion moves them), and the text of every post of theirs
is blanked. What other members wrote stays theirs, even where it names the member.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Func, Q, QuerySet, Value
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

import markup
from accounts.mentions import members_in_database
from accounts.models import Agreement, Follow, User
from accounts.skeleton import username_key
from conversations import services as conversation_services
from conversations.models import Conversation, Message, Participant
from forum import services as forum_services
from forum.models import (
    Alert,
    BoardRead,
    BoardWatch,
    Bookmark,
    Draft,
    MemberPreferences,
    ModerationAction,
    Post,
    PostRevision,
    Thread,
    ThreadRead,
    ThreadWatch,
)
from privacy.archive import login_record_filter
from privacy.models import DataExport, DeletionRequest

DELETED_NAME = "Deleted member"


def placeholder_username(member_id: int) -> str:
    return f"{DELETED_NAME} {member_id}"


def placeholder_email(member_id: int) -> str:
    return f"deleted-{member_id}@erased.invalid"


def may_remove_posts() -> bool:
    """Whether members may have their posts removed with their account (setting)."""
    return settings.FORUM_DELETION_MAY_REMOVE_POSTS


# --- Asking and cancelling ---------------------------------------------------------


@transaction.atomic
def request_deletion(*, member: User, remove_posts: bool) -> User:
    """Schedule ``member``'s erasure after the grace period; asking again keeps the
    first date and takes the latest choice about posts."""
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.erased_at is not None:
        raise PermissionDenied("This account is erased already.")
    if remove_posts and not may_remove_posts():
        raise PermissionDenied("This forum keeps posts when an account is deleted.")
    due = member.deletion_due_at or timezone.now() + timedelta(
        days=settings.ACCOUNT_DELETION_GRACE_DAYS
    )
    DeletionRequest.objects.update_or_create(
        user=member, defaults={"remove_posts": remove_posts}
    )
    User.objects.filter(pk=member.pk).update(deletion_due_at=due)
    # Queued in this transaction (the queue is a table): it runs only if this
    # commits. The daily upkeep erases what is due too; this makes it on the day.
    if settings.ACCOUNT_DELETION_GRACE_DAYS == 0:
        erase_when_due.enqueue(member_id=member.pk)
    elif erase_when_due.get_backend().supports_defer:
        erase_when_due.using(run_after=due).enqueue(member_id=member.pk)
    member.refresh_from_db()
    return member


@transaction.atomic
def cancel_deletion(*, member: User) -> User:
    """Keep the account: forget the request (a queued run then finds nothing due)."""
    DeletionRequest.objects.filter(user=member).delete()
    User.objects.filter(pk=member.pk, erased_at__isnull=True).update(
        deletion_due_at=None
    )
    member.deletion_due_at = None
    return member


@task()
def erase_when_due(*, member_id: int) -> bool:
    """Erase the member if their request still stands and its date has come."""
    member = User.objects.filter(
        pk=member_id, erased_at__isnull=True, deletion_due_at__lte=timezone.now()
    ).first()
    if member is None:
        return False
    choice = DeletionRequest.objects.filter(user=member).first()
    erase_member(member=member, remove_posts=bool(choice and choice.remove_posts))
    return True


def erase_due_accounts(*, now: datetime | None = None) -> int:
    """Erase every account whose grace period has passed; return how many."""
    due = User.objects.filter(
        erased_at__isnull=True, deletion_due_at__lte=now or timezone.now()
    ).values_list("pk", flat=True)
    return sum(erase_when_due.call(member_id=pk) for pk in list(due))


# --- Erasing ------------------------------------------------------------------------


@transaction.atomic
def erase_member(
    *, member: User, remove_posts: bool = False, actor: User | None = None
) -> User:
    """Leave nothing personal of ``member`` in the database; their posts stay
    readable under "Deleted member" unless ``remove_posts``."""
    member = User.objects.get(pk=member.pk)
    if member.erased_at is not None:
        return member
    if actor is not None and actor.pk == member.pk:
        actor = None
    if actor is not None and not (actor.is_active and actor.is_staff):
        raise PermissionDenied("Only staff may erase another member's account.")
    if actor is not None and member.is_superuser and not actor.is_superuser:
        raise PermissionDenied("Only a superuser may erase a superuser.")
    old = copy.copy(member)
    # Posts and conversations take thread and conversation locks before the
    # member's row, the order every posting service takes them in.
    if remove_posts:
        _remove_posts(member)
    _leave_conversations(member)
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.erased_at is not None:
        # The daily upkeep and the task queued for the day ran at once; the
        # removals above repeat harmlessly (a deleted post stays deleted).
        return member
    _neutralise_quotes(old)
    _forget_rows(old)
    avatar = member.avatar.name if member.avatar else ""
    erased_name = placeholder_username(member.pk)
    User.objects.filter(pk=member.pk).update(
        username=erased_name,
        username_skeleton=username_key(erased_name),
        email=placeholder_email(member.pk),
        email_verified=False,
        password=make_password(None),
        first_name="",
        last_name="",
        is_active=False,
        is_staff=False,
        is_superuser=False,
        is_moderator=False,
        avatar="",
        custom_title="",
        pinned_tier=None,
        signature="",
        signature_html="",
        about="",
        about_html="",
        location="",
        website="",
        last_login=None,
        last_seen_at=None,
        previous_visit_at=None,
        alerts_unread=0,
        conversations_unread=0,
        is_banned=False,
        banned_until=None,
        ban_reason="",
        agreed_terms_version=0,
        agreed_privacy_version=0,
        consent_due=False,
        conversation_privacy=User.ConversationPrivacy.NOBODY,
        ignored_member_ids=[],
        time_zone="",
        color_mode=User.ColorMode.AUTO,
        deletion_due_at=None,
        erased_at=timezone.now(),
    )
    member.groups.clear()
    member.user_permissions.clear()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(member.pk),
    ).update(object_repr=erased_name)
    ModerationAction.objects.create(
        actor=actor or member,
        action="erase_member",
        target_user=member,
        reason="posts removed" if remove_posts else "posts kept",
    )
    if avatar:
        # After the commit: a rollback must not lose a member's picture.
        transaction.on_commit(lambda: default_storage.delete(avatar))
    member.refresh_from_db()
    return member


def _acting_for(member: User) -> User:
    """The member, with a moderator's reach over their own threads.

    They asked for their posts to go, threads they started included (with the
    replies in them, as the forum deletes a thread); the forum's services check a
    moderator's right for that, so the erasure lends it to this in-memory copy.
    The audit rows name the member, and nobody is alerted about their own posts.
    """
    acting = copy.copy(member)
    acting.is_active, acting.is_staff, acting.is_banned = True, True, False
    return acting


def _remove_posts(member: User) -> None:
    acting = _acting_for(member)
    threads = Thread.objects.filter(author=member, is_deleted=False).order_by("pk")
    for thread in threads:
        forum_services.delete_thread(thread=thread, moderator=acting)
    replies = (
        Post.objects.filter(author=member, is_deleted=False)
        .filter(Q(position__gt=1) | Q(position__isnull=True))
        .order_by("pk")
    )
    for post in replies:
        forum_services.delete_post(post=post, actor=acting)
    Post.objects.filter(author=member).update(body="", body_html="", delete_reason="")
    PostRevision.objects.filter(post__author=member).delete()


def _leave_conversations(member: User) -> None:
    conversations = Conversation.objects.filter(
        participants__user=member, participants__left_at__isnull=True
    ).order_by("pk")
    for conversation in conversations:
        conversation_services.leave_conversation(
            conversation=conversation, member=member
        )


def _quote_pattern(old: User) -> re.Pattern[str]:
    # forum.quoting writes [QUOTE="name, post: 12, member: 34"]; conversations
    # write [QUOTE="name"]. Either names the member; only the name changes.
    name = re.escape(old.username)
    return re.compile(
        rf'(\[quote=")(?:[^"\]\n]*?(?=, post: \d+, member: {old.pk}")|{name}(?="))',
        re.IGNORECASE,
    )


def _neutralise_quotes(old: User) -> None:
    pattern = _quote_pattern(old)
    posts = Post.objects.filter(
        Q(body__icontains=f"member: {old.pk}") | Q(body__icontains=old.username)
    ).exclude(author=old)
    _rename_in(posts, pattern, rendered=True)
    _rename_in(PostRevision.objects.filter(body__icontains=old.username), pattern)
    messages = Message.objects.filter(
        conversation__participants__user=old, body__icontains=old.username
    ).exclude(author=old)
    _rename_in(messages, pattern, rendered=True)


def _rename_in(rows: QuerySet, pattern: re.Pattern[str], rendered: bool = False):
    """Rewrite the quotes ``pattern`` finds in each row's body (and its HTML)."""
    for pk, body in rows.values_list("pk", "body").iterator():
        changed = pattern.sub(rf"\g<1>{DELETED_NAME}", body)
        if changed == body:
            continue
        fields = {"body": changed}
        if rendered:
            fields["body_html"] = markup.render(
                changed, known_members=members_in_database
            )
        rows.model.objects.filter(pk=pk).update(**fields)


def _forget_rows(old: User) -> None:
    Post.objects.filter(author=old, ip_address__isnull=False).update(ip_address=None)
    Message.objects.filter(author=old, ip_address__isnull=False).update(ip_address=None)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(login_record_filter(old)).delete()
    Follow.objects.filter(Q(follower=old) | Q(followed=old)).delete()
    # Others' ignore lists drop the id: nothing is left there to ignore.
    User.objects.filter(ignored_member_ids__contains=[old.pk]).update(
        ignored_member_ids=Func(
            F("ignored_member_ids"), Value(old.pk), function="array_remove"
        )
    )
    for model in (
        ThreadWatch,
        BoardWatch,
        MemberPreferences,
        ThreadRead,
        BoardRead,
        Bookmark,
        Draft,
        Agreement,
    ):
        model.objects.filter(user=old).delete()
    Alert.objects.filter(recipient=old).delete()
    Participant.objects.filter(user=old).update(is_unread=False, last_read_at=None)
    for export in DataExport.objects.filter(user=old):
        if export.archive:
            name = export.archive
            transaction.on_commit(lambda name=name: default_storage.delete(name))
    DataExport.objects.filter(user=old).delete()
    DeletionRequest.objects.filter(user=old).delete()
    _forget_queued_mail(old)


def _forget_queued_mail(old: User) -> None:
    """Delete finished task rows whose arguments or result name the member.

    Mail tasks carry the address and name they write to (accounts/tasks.py); the
    queue keeps finished rows until they are pruned. A task still waiting keeps its
    row (it is about to run; mail to an erased member then finds no account).
    """
    table = DBTaskResult._meta.db_table
    finished = ["SUCCESSFUL", "FAILED"]
    with connection.cursor() as cursor:
        for needle in {old.email.lower(), old.username.lower()}:
            cursor.execute(
                f"DELETE FROM {table} WHERE status = ANY(%s) AND ("
                "strpos(lower(args_kwargs::text), %s) > 0"
                " OR strpos(lower(coalesce(return_value::text, '')), %s) > 0)",
                [finished, needle, needle],
            )
