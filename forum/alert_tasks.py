"""Alert work done by the worker (django-tasks), never in the request.

``fan_out_post`` finds everyone a new post concerns (quoted authors, @mentioned
members, watchers of its thread and board) and alerts each through
``forum.alerts.notify``, which applies every rule; posting costs the request one
queued row however many members watch. ``send_alert_email`` mails a member's
pending alerts as one message. Arguments are plain ids: the queue stores JSON.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

import markup
from accounts.mentions import members_in_database
from accounts.models import User
from forum import alerts
from forum.models import Alert, BoardWatch, Post, ThreadWatch
from forum.quoting import strip_quotes

# The attribution reply-with-quote writes: [QUOTE="name, post: 12, member: 3"].
_QUOTED_POST = re.compile(r"\[quote=[^\]\n]*?\bpost:\s*([0-9]{1,18})", re.IGNORECASE)
# Quoting this many posts in one reply alerts no more authors than this.
MAX_QUOTE_ALERTS = 20
UNSUBSCRIBE_SALT = "forum.alerts.unsubscribe"


def quoted_post_ids(body: str) -> list[int]:
    """Ids of the posts a body quotes, in order, each once."""
    return list(dict.fromkeys(int(i) for i in _QUOTED_POST.findall(body)))[
        :MAX_QUOTE_ALERTS
    ]


def mentioned_usernames(body: str) -> list[str]:
    """Members a body @mentions outside its quotes, as the renderer finds them,
    at most FORUM_MENTION_ALERT_LIMIT of them."""
    found: dict[str, str] = {}

    def lookup(names):
        # The renderer asks once, for every candidate name in the order written.
        known = members_in_database(names)
        found.update({name: known[name] for name in names if name in known})
        return known

    markup.render(strip_quotes(body), known_members=lookup)
    return list(found.values())[: settings.FORUM_MENTION_ALERT_LIMIT]


def queue_fan_out(post: Post) -> None:
    """After the post's transaction commits, queue its alerts for the worker."""
    post_id = post.pk
    transaction.on_commit(lambda: fan_out_post.enqueue(post_id=post_id))


@task()
def fan_out_post(*, post_id: int) -> int:
    """Alert everyone a new (or newly approved) post concerns; returns how many.

    Strongest first, so the one alert a member gets for the post says the most:
    a quote of theirs, else a mention, else a reply in what they watch.
    """
    post = Post.objects.select_related("thread", "author").filter(pk=post_id).first()
    if post is None or post.is_deleted or not post.is_approved:
        return 0
    thread, actor = post.thread, post.author
    if thread.is_deleted or not thread.is_approved:
        return 0
    sent = 0

    def alert(recipient_id: int, kind: str, watch_email: bool = False) -> None:
        nonlocal sent
        stored = alerts.notify(
            recipient_id,
            kind,
            actor=actor,
            post=post,
            thread=thread,
            watch_email=watch_email,
        )
        sent += stored is not None

    quoted_authors = (
        Post.objects.filter(pk__in=quoted_post_ids(post.body))
        .exclude(author_id=None)
        .values_list("author_id", flat=True)
        .distinct()
    )
    for author_id in quoted_authors:
        alert(author_id, alerts.Kind.QUOTE)
    names = mentioned_usernames(post.body)
    for member_id in User.objects.filter(username__in=names).values_list(
        "pk", flat=True
    ):
        alert(member_id, alerts.Kind.MENTION)
    # Watchers last, many at a time: anyone quoted or mentioned keeps that alert.
    is_first = post.position == 1
    watchers: dict[int, bool] = {}
    if not is_first:
        watchers.update(
            ThreadWatch.objects.filter(thread=thread).values_list("user_id", "email")
        )
    board_watches = BoardWatch.objects.filter(board_id=thread.board_id)
    if not is_first:
        board_watches = board_watches.filter(notify=BoardWatch.Notify.POSTS)
    for user_id, email in board_watches.values_list("user_id", "email"):
        watchers[user_id] = watchers.get(user_id, False) or email
    sent += alerts.notify_watchers(
        watchers,
        alerts.Kind.THREAD if is_first else alerts.Kind.REPLY,
        actor=actor,
        post=post,
        thread=thread,
    )
    return sent


def absolute(path: str) -> str:
    return settings.FORUM_BASE_URL + path


def unsubscribe_token(user_id: int, kinds: list[str]) -> str:
    return signing.dumps({"u": user_id, "k": sorted(set(kinds))}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, list[str]] | None:
    """The member and kinds a link stops email for (None: forged or damaged).

    No expiry: RFC 8058 asks that an unsubscribe link keep working.
    """
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, kinds = int(data["u"]), [str(k) for k in data["k"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if not kinds or any(kind not in alerts.Kind.values for kind in kinds):
        return None
    return user_id, kinds


@task()
def send_alert_email(*, recipient_id: int) -> int:
    """Mail the member every alert pending email, in one message; returns how many.

    Alerts read on the site meanwhile, about what the member no longer sees, or of
    kinds the member has since stopped email for, are dropped from the mail.
    """
    recipient = (
        User.objects.select_related("forum_preferences").filter(pk=recipient_id).first()
    )
    if recipient is None:
        return 0
    with transaction.atomic():
        # The member's row, as every alert writer takes it first: an alert added
        # while this runs waits, then finds nothing pending and queues the next
        # mail itself.
        alerts._lock_members([recipient_id])
        pending = list(
            Alert.objects.filter(
                recipient_id=recipient_id, email_state=Alert.Email.PENDING
            )
            .order_by("created_at", "id")
            .values_list("pk", flat=True)
        )
        if not pending:
            return 0
        prefs = alerts._prefs(recipient)
        wanted = [
            alert
            for alert in alerts.visible_alerts(recipient).filter(
                pk__in=pending, read_at__isnull=True
            )
            if alerts._emails(prefs, alert.kind, watch_email=True)
        ]
        wanted.reverse()  # oldest first, as they happened
        Alert.objects.filter(pk__in=pending).update(email_state=Alert.Email.NONE)
        if not wanted or not recipient.email or not alerts._usable(recipient):
            return 0
        Alert.objects.filter(pk__in=[a.pk for a in wanted]).update(
            email_state=Alert.Email.SENT
        )
        _mail(recipient, wanted)
    return len(wanted)


def _mail(recipient: User, items: list[Alert]) -> None:
    kinds = sorted({alert.kind for alert in items})
    token = unsubscribe_token(recipient.pk, kinds)
    unsubscribe = absolute(reverse("forum:alerts_unsubscribe", args=[token]))
    context = {
        "member": recipient,
        "site_name": settings.FORUM_SITE_NAME,
        "items": [
            {
                "text": alerts.describe(alert),
                # Through the alert, so following the mail marks it read.
                "link": absolute(reverse("forum:alert_open", args=[alert.pk])),
            }
            for alert in items
        ],
        "unsubscribe": unsubscribe,
        "kinds": [alerts.Kind(kind).label for kind in kinds],
        "preferences": absolute(reverse("forum:alert_preferences")),
        "alerts_page": absolute(reverse("forum:alert_list")),
    }
    subject = render_to_string("forum/email/alerts_subject.txt", context)
    body = render_to_string("forum/email/alerts_body.txt", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()),
        body,
        to=[recipient.email],
        headers={
            # RFC 2369 and RFC 8058: mail clients offer "unsubscribe" and POST
            # List-Unsubscribe=One-Click to this address, with no login or CSRF.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()
