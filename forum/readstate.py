"""Read tracking: which threads a member has read, and how far.

A thread is *unread* for a member when its last post is newer than the member's
*floor* and its last position is past the position they read to. The floor is the
latest of three times, each meaning "everything before this counts as read":

- the read cut-off, ``FORUM_READ_CUTOFF_DAYS`` ago (so old threads never light up,
  and rows older than it can be pruned without changing anything a page shows);
- "Mark all read" (``MemberPreferences.all_read_at``);
- "Mark board read" for the thread's board (``BoardRead.read_until``).

Past the floor, a ``ThreadRead`` row keeps the highest position a thread page
showed the member. Positions, not times, decide: a held reply approved later takes
the next position with its old time, and still shows as new. A row is written only
when a page moves it forward and the thread is not read by the floor anyway, with
one upsert; guests never write. Every rule is one SQL expression built here, so the
thread page, the board page, the forum list and the watched threads read the same
answer, each in the query it runs anyway or in one more.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone
from django_tasks import task

from accounts.models import User
from forum import daily
from forum.models import (
    Board,
    BoardRead,
    Bookmark,
    MemberPreferences,
    Post,
    Thread,
    ThreadRead,
)
from forum.querysets import Listing


def cutoff(now: datetime | None = None) -> datetime:
    """Posts older than this count as read for everyone."""
    return (now or timezone.now()) - timedelta(days=settings.FORUM_READ_CUTOFF_DAYS)


def cutoff_expression(now: datetime | None = None):
    """The cut-off in SQL: the statement's own clock less the setting's days, so a
    query compiled once (``accounts/prebuilt.py``) stays right; ``now`` fixes it."""
    if now is not None:
        return Value(cutoff(now))
    days = Value(timedelta(days=settings.FORUM_READ_CUTOFF_DAYS))
    return ExpressionWrapper(Now() - days, output_field=DateTimeField())


def floor_expression(user: User, *, board_ref: str = "board_id", now=None):
    """SQL for the member's floor in a thread query (``board_ref`` names its board).

    PostgreSQL's GREATEST skips NULLs: a member who never marked anything read has
    the cut-off as floor.
    """
    all_read = MemberPreferences.objects.filter(user=user).values("all_read_at")
    board_read = BoardRead.objects.filter(user=user, board=OuterRef(board_ref)).values(
        "read_until"
    )
    return Greatest(
        cutoff_expression(now), Subquery(all_read[:1]), Subquery(board_read[:1])
    )


def unread_condition(user: User, *, now=None) -> Q:
    """A thread query's filter for "unread by ``user``" (see the module docstring)."""
    read_far_enough = ThreadRead.objects.filter(
        user=user, thread=OuterRef("pk"), last_position__gte=OuterRef("last_position")
    )
    return Q(last_post_at__gt=floor_expression(user, now=now)) & ~Exists(
        read_far_enough
    )


def annotate_unread(threads: QuerySet[Thread], user: User) -> QuerySet[Thread]:
    """Annotate ``is_unread`` on each thread, inside the query that lists them.

    For any list of threads (the watched threads page orders by it: unread first).
    Guests read everything: the annotation is a constant and touches no table.
    """
    if not user.is_authenticated:
        return threads.annotate(is_unread=Value(False))
    return threads.annotate(
        is_unread=ExpressionWrapper(unread_condition(user), output_field=BooleanField())
    )


def with_read_state(threads: QuerySet[Thread], user: User) -> QuerySet[Thread]:
    """Annotate what a thread page needs about its viewer, in the thread's query.

    ``read_position`` (None without a row), ``read_floor`` and
    ``bookmarked_post_ids`` (the viewer's bookmarks in this thread) cost no query of
    their own. Guests have no read state: their query is left as it is.
    """
    if not user.is_authenticated:
        return threads
    position = ThreadRead.objects.filter(user=user, thread=OuterRef("pk")).values(
        "last_position"
    )
    bookmarks = Bookmark.objects.filter(user=user, post__thread=OuterRef("pk"))
    return threads.annotate(
        read_position=Subquery(position[:1]),
        read_floor=floor_expression(user),
        bookmarked_post_ids=ArraySubquery(bookmarks.values("post_id")),
    )


def is_read(thread: Thread) -> bool:
    """Whether a thread annotated by ``with_read_state`` is read to its end."""
    if thread.last_post_at is None or thread.read_floor is None:
        return True
    if thread.last_post_at <= thread.read_floor:
        return True
    return thread.read_position is not None and (
        thread.read_position >= thread.last_position
    )


def shown_position(thread: Thread, page: int) -> int:
    """The highest position a thread page shows (deleted posts keep their slot)."""
    return min(page * settings.FORUM_POSTS_PER_PAGE, thread.last_position)


def needs_progress(user: User, thread: Thread, position: int) -> bool:
    """Whether showing ``position`` moves the member's read state forward.

    Reads only the annotations of ``with_read_state``: no query. A thread read by
    the floor needs no row: its next reply is unread by the floor alone.
    """
    if not user.is_authenticated or is_read(thread):
        return False
    return thread.read_position is None or thread.read_position < position


# One statement: insert, or move forward only (the WHERE keeps a slower request of
# the same member, or an older page opened in another tab, from moving it back).
# INSERT ... SELECT from the thread row, so a thread deleted meanwhile inserts nothing.
_UPSERT = """
INSERT INTO forum_threadread (user_id, thread_id, last_position, read_until)
SELECT %s, t.id, %s, %s FROM forum_thread t WHERE t.id = %s
ON CONFLICT (user_id, thread_id) DO UPDATE
SET last_position = EXCLUDED.last_position, read_until = EXCLUDED.read_until
WHERE forum_threadread.last_position < EXCLUDED.last_position
"""


def record_progress(*, user: User, thread: Thread, position: int) -> bool:
    """Record that the member saw ``thread`` up to ``position``: one upsert, only
    forward, never for guests; returns whether it wrote."""
    if not needs_progress(user, thread, position):
        return False
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [user.pk, position, timezone.now(), thread.pk])
    thread.read_position = position
    return True


def unread_thread_ids(
    threads: QuerySet[Thread] | Listing, user: User
) -> frozenset[int]:
    """The ids of ``threads`` unread by the member: one query (none for guests).

    A board page's (``querysets.BoardPage``) is compiled once, as its rows are.
    """
    if not user.is_authenticated:
        return frozenset()
    if isinstance(threads, Listing):
        # The cut-off's days are a parameter of the SQL compiled once.
        name = ("unread", settings.FORUM_READ_CUTOFF_DAYS)
        return frozenset(threads.ids_where(name, _unread_threads))
    listed = Thread.objects.filter(pk__in=threads.values("pk"))
    return frozenset(_unread_threads(listed, user).values_list("pk", flat=True))


def _unread_threads(listed: QuerySet[Thread], user: User) -> QuerySet[Thread]:
    return listed.filter(unread_condition(user))


def unread_board_ids(boards: QuerySet[Board] | Listing, user: User) -> frozenset[int]:
    """The ids of ``boards`` holding a thread unread by the member: one query.

    Only threads the member may see count (``Thread.objects.visible_to``). The floor
    is worked out per board, so each board's probe is a range of its activity index
    (``forum_thread_board_latest``) from the newest thread down to the floor, which
    stops at the first unread thread; a board with no post since the floor is not
    probed at all. (With the floor inside the thread probe, PostgreSQL turned the
    probe into one pass over every thread of the forum: 80 ms at a million posts,
    against under 1 ms this way.) The forum list's (``querysets.ForumList``) is
    compiled once, as its rows are.
    """
    if not user.is_authenticated:
        return frozenset()
    if isinstance(boards, Listing):
        name = ("unread", settings.FORUM_READ_CUTOFF_DAYS)
        return frozenset(boards.ids_where(name, _unread_boards))
    listed = Board.objects.filter(pk__in=boards.values("pk"))
    return frozenset(_unread_boards(listed, user).values_list("pk", flat=True))


def _unread_boards(listed: QuerySet[Board], user: User) -> QuerySet[Board]:
    all_read = MemberPreferences.objects.filter(user=user).values("all_read_at")
    board_read = BoardRead.objects.filter(user=user, board=OuterRef("pk")).values(
        "read_until"
    )
    # The statement's clock, not this process's: the SQL may be compiled once.
    floor = Greatest(
        cutoff_expression(), Subquery(all_read[:1]), Subquery(board_read[:1])
    )
    read_far_enough = ThreadRead.objects.filter(
        user=user, thread=OuterRef("pk"), last_position__gte=OuterRef("last_position")
    )
    first_unread = (
        Thread.objects.visible_to(user)
        .filter(board=OuterRef("pk"), last_post_at__gt=OuterRef("floor"))
        .filter(~Exists(read_far_enough))
        .order_by("-last_post_at")
        .values("pk")[:1]
    )
    return (
        listed.annotate(floor=floor)
        .filter(last_post_at__gt=F("floor"))
        .annotate(first_unread=Subquery(first_unread))
        .filter(first_unread__isnull=False)
    )


def first_unread_post(thread: Thread, user: User) -> Post | None:
    """The first post the member has not read, else the thread's last post they see.

    Held posts (no position yet) and deleted ones are never a target. One query, a
    second when everything is read.
    """
    visible = (
        Post.objects.visible_to(user)
        .filter(thread=thread)
        .only("pk", "position", "thread_id")
    )
    if user.is_authenticated:
        floor = floor_expression(user, board_ref="thread__board_id")
        read_to = ThreadRead.objects.filter(user=user, thread=thread).values(
            "last_position"
        )
        # Past the position read, through the (thread, position) index: the scan
        # starts where the member stopped, however long the thread.
        unread = visible.filter(
            created_at__gt=floor,
            position__gt=Coalesce(Subquery(read_to[:1]), Value(0)),
        )
        post = unread.order_by("position").first()
        if post is not None:
            post.thread = thread
            return post
    post = visible.order_by("-position").first()
    if post is not None:
        post.thread = thread
    return post


@transaction.atomic
def mark_board_read(*, user: User, board: Board) -> BoardRead:
    """Count every post now in ``board`` as read by the member."""
    now = timezone.now()
    read, _ = BoardRead.objects.update_or_create(
        user=user, board=board, defaults={"read_until": now}
    )
    # The board's floor covers these rows now: drop them, so the table stays small.
    ThreadRead.objects.filter(user=user, thread__board=board).delete()
    return read


@transaction.atomic
def mark_all_read(*, user: User) -> MemberPreferences:
    """Count every post now in the forum as read by the member."""
    preferences, _ = MemberPreferences.objects.update_or_create(
        user=user, defaults={"all_read_at": timezone.now()}
    )
    # The new floor covers every row the member had.
    ThreadRead.objects.filter(user=user).delete()
    BoardRead.objects.filter(user=user).delete()
    return preferences


@transaction.atomic
def prune_read_state(*, now: datetime | None = None) -> int:
    """Delete read state older than the cut-off, which counts as read anyway."""
    before = cutoff(now)
    threads, _ = ThreadRead.objects.filter(read_until__lt=before).delete()
    boards, _ = BoardRead.objects.filter(read_until__lt=before).delete()
    MemberPreferences.objects.filter(all_read_at__lt=before).update(all_read_at=None)
    return threads + boards


# Any constant of our own: two workers starting at once queue one chain, not two.
_SCHEDULE_LOCK = 7_316_011


@task()
def prune_read_state_daily() -> int:
    """Queue tomorrow's run before today's work (a failure must not end the chain)."""
    schedule_read_state_pruning(run_after=timezone.now() + daily.EVERY)
    return prune_read_state()


def schedule_read_state_pruning(*, run_after: datetime | None = None) -> bool:
    """Queue a run unless one is waiting (``forum.daily.queue_once``)."""
    return daily.queue_once(
        prune_read_state_daily, lock=_SCHEDULE_LOCK, run_after=run_after
    )
