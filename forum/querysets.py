"""Reusable reads. Each page's queryset fetches everything its template shows."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import connections, models, router
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

from accounts import prebuilt
from forum import access, permissions

if TYPE_CHECKING:
    from accounts.models import User
    from forum.models import Board, Thread

AUTHOR_CARD = ("author__tier", "author__pinned_tier")


class BoardQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> BoardQuerySet:
        """Boards the visitor may see (board permissions)."""
        if permissions.is_moderator(user):
            return self
        return self.filter(access.for_user(user).board_filter("pk"))

    def moderated_by(self, user: User) -> BoardQuerySet:
        """Boards the member moderates: every board for forum-wide moderators."""
        if permissions.is_moderator(user):
            return self
        mine = access.for_user(user).moderated_filter("pk")
        if mine is None or not permissions.can_post(user):
            return self.none()
        return self.filter(mine)

    def for_index(self) -> BoardQuerySet:
        """Boards with their category and last post (thread and author) in one
        query: what a row shows (``_board_row.html``), and nothing more."""
        return (
            self.select_related("category", "last_post__thread", "last_post__author")
            .only(*BOARD_ROW_FIELDS)
            .order_by("category__position", "category_id", "position", "id")
        )


# What the forum list shows of a board (templates/jinja2/forum/_board_row.html and
# the categories around the rows).
BOARD_ROW_FIELDS = (
    *("category", "parent", "name", "slug", "description", "thread_count"),
    *("post_count", "last_post_at", "category__name", "category__slug"),
    *("category__description", "last_post__thread__title"),
    "last_post__author__username",
)


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ThreadQuerySet:
        """Threads in boards the visitor sees; deleted and held ones where they
        moderate."""
        if permissions.is_moderator(user):
            return self
        board_access = access.for_user(user)
        live = models.Q(is_deleted=False, is_approved=True)
        moderated = board_access.moderated_filter() if user.is_authenticated else None
        return self.filter(
            board_access.board_filter(), live if moderated is None else live | moderated
        )

    def with_held_for(self, user: User) -> ThreadQuerySet:
        """Annotate ``has_held``: whether the thread has held replies the visitor sees
        (their own; every one where they moderate), inside the thread's own query."""
        if not user.is_authenticated:
            return self.annotate(has_held=models.Value(False))
        post_model = self.model._meta.get_field("posts").related_model
        held = post_model.objects.filter(
            thread=models.OuterRef("pk"),
            is_approved=False,
            is_deleted=False,
            position__isnull=True,
        )
        if not permissions.is_moderator(user):
            mine = access.for_user(user).moderated_filter("thread__board_id")
            own = models.Q(author=user)
            held = held.filter(own if mine is None else own | mine)
        return self.annotate(has_held=models.Exists(held))

    def by_activity(self) -> ThreadQuerySet:
        """Sticky threads first, then by latest activity (the board page index)."""
        return self.order_by("-is_sticky", "-last_post_at", "-id")

    def for_listing(self) -> ThreadQuerySet:
        """What a board page's row shows (``_thread_row.html``), and nothing more:
        the other hundred columns of the four joined rows (two members' whole rows,
        two search vectors) cost more to read than the row costs to render."""
        return self.select_related("author", "last_post__author").only(
            *THREAD_ROW_FIELDS
        )

    def board_page(
        self, board: Board, user: User, offset: int, limit: int
    ) -> ThreadQuerySet:
        """One page of a board's threads by activity, at the cost of the first page.

        OFFSET over the joined rows would build and drop every skipped row. Instead
        the page's ids come from the board's activity index alone (an index-only
        scan) and only those rows are joined; pages past the middle are counted from
        the other end, so the last page costs what the first does.
        """
        return self.board_slice(board.pk, user, *page_slice(board, user, offset, limit))

    def board_slice(
        self, board_id: int, user: User, from_oldest: bool, start: int, stop: int
    ) -> ThreadQuerySet:
        """The threads from ``start`` to ``stop`` in the board's activity order
        (``from_oldest``: counted from the other end), by activity."""
        threads = self.filter(board_id=prebuilt.opaque(board_id)).visible_to(user)
        if from_oldest:
            ids = threads.order_by("is_sticky", "last_post_at", "id")
        else:
            ids = threads.by_activity()
        ids = ids.values("pk")[start:stop]
        return self.filter(pk__in=ids).by_activity().for_listing()


# What a board page's thread row shows (templates/jinja2/forum/_thread_row.html).
THREAD_ROW_FIELDS = (
    *("title", "slug", "created_at", "is_locked", "is_sticky", "is_deleted"),
    *("reply_count", "view_count", "last_post_at", "author__username"),
    "last_post__author__username",
)


def page_slice(
    board: Board, user: User, offset: int, limit: int
) -> tuple[bool, int, int]:
    """Where a board page's threads start and stop in the board's activity order:
    from the newest end, or past the middle from the oldest (``board_page``)."""
    # The counter counts live threads: exact unless deleted ones are listed too.
    total = None if permissions.moderates(user, board.pk) else board.thread_count
    if total is not None and offset > total // 2:
        start = max(total - offset - limit, 0)
        return True, start, start + max(min(limit, total - offset), 0)
    return False, offset, offset + limit


def viewer_shape(user: User) -> tuple:
    """What the ``visible_to`` filters' SQL depends on besides values, for a key of
    ``accounts/prebuilt.py``: the kind of viewer and the boards in their IN lists."""
    if permissions.is_moderator(user):
        return ("moderator",)
    board_access = access.for_user(user)
    if not user.is_authenticated:
        return ("guest", str(board_access.board_filter()))
    moderated = board_access.moderated_filter()
    return ("member", str(board_access.board_filter()), str(moderated))


class Listing:
    """A list of rows read with SQL compiled once per shape (``accounts/prebuilt.py``):
    building and compiling a select of four or five joined tables cost a board page
    or the forum list more than running it. ``key`` names the shape (None: build
    and compile as usual), ``_build`` makes the queryset from ``values``.

    Iterating gives the rows; ``ids()`` is the list's id query for its fingerprint
    (``forum/cache.py`` ``listing``), ``source()`` a queryset of the list's model
    and joins for it, and ``ids_where()`` narrows the list for its viewer (their
    unread markers).
    """

    key: tuple | None
    model: type
    values: tuple
    user: User

    def _build(self, *values) -> models.QuerySet:
        raise NotImplementedError

    @cached_property
    def queryset(self) -> models.QuerySet:
        return self._build(*self.values)

    def __iter__(self):
        if self.key is None:
            return iter(self.queryset)
        return iter(prebuilt.fetch(self.key, self._build, *self.values))

    def source(self) -> models.QuerySet:
        """A queryset of the list's model and joins, not run (``cache.listing``)."""
        if self.key is None:
            return self.queryset
        shape = prebuilt.compiled(self.key, self._build, len(self.values))
        return self.queryset if shape is None else shape.queryset

    def ids(self) -> tuple[str, list] | None:
        """The list's ids as SQL and parameters (None: not compiled once)."""
        if self.key is None:
            return None
        return prebuilt.sql(
            (*self.key, "ids"),
            lambda *values: self._build(*values).values("pk"),
            *self.values,
        )

    def ids_where(
        self, name: tuple, narrow: Callable[[models.QuerySet, User], models.QuerySet]
    ) -> list:
        """The ids of the listed rows that ``narrow(rows, viewer)`` keeps (the
        viewer's unread ones): one query. ``name`` says which narrowing it is, with
        anything else its SQL depends on (a setting)."""

        def build(*values) -> models.QuerySet:
            # The viewer with the stand-in id: same access, another pk to fill in.
            visitor = copy.copy(self.user)
            visitor.pk = values[-1]
            ids = self._build(*values[:-1]).values("pk")
            return narrow(self.model.objects.filter(pk__in=ids), visitor)

        values = (*self.values, self.user.pk)
        found = None
        if self.key is not None:
            key = (*self.key, *name)
            found = prebuilt.sql(key, lambda *v: build(*v).values("pk"), *values)
        if found is None:
            return list(build(*values).values_list("pk", flat=True))
        with connections[router.db_for_read(self.model)].cursor() as cursor:
            cursor.execute(*found)
            return [row[0] for row in cursor.fetchall()]


class BoardPage(Listing):
    """One page of a board's threads (``board_page``), compiled once per kind of
    viewer and page shape.

    Only the first and the last page (most of the reads) are compiled once: they
    start at the first row from one end, so their SQL has no OFFSET and their LIMIT
    is the page's length. Any other page's OFFSET is a literal in the SQL: those
    are built each time rather than kept as one shape per page.
    """

    def __init__(self, board: Board, user: User, offset: int, limit: int) -> None:
        self.board, self.user, self.values = board, user, (board.pk,)
        self.model = board._meta.get_field("threads").related_model
        self.from_oldest, self.start, self.stop = page_slice(board, user, offset, limit)
        self.key = None
        if self.start == 0:
            length = self.stop - self.start
            self.key = ("board page", *viewer_shape(user), self.from_oldest, length)

    def _build(self, board_id: int) -> ThreadQuerySet:
        return self.model.objects.board_slice(
            board_id, self.user, self.from_oldest, self.start, self.stop
        )


class ForumList(Listing):
    """The boards the viewer sees, for the forum list (``for_index``), compiled
    once per kind of viewer."""

    def __init__(self, model: type, user: User) -> None:
        self.model, self.user, self.values = model, user, ()
        self.key = ("forum list", *viewer_shape(user))

    def _build(self) -> BoardQuerySet:
        return self.model.objects.visible_to(self.user).for_index()


# What a post's shared block (templates/jinja2/forum/_post.html) shows. Compiling and
# reading the other hundred columns of the six joined rows cost more than rendering.
POST_BLOCK_FIELDS = (
    *("thread", "author", "position", "body_html", "created_at", "is_deleted"),
    "is_approved",
    *("edited_at", "edited_by__username", "deleted_by__username", "delete_reason"),
    *("author__username", "author__avatar", "author__custom_title", "author__tier"),
    *("author__pinned_tier", "author__date_joined", "author__post_count"),
    *("author__signature_html", "author__tier__name", "author__tier__style"),
    *("author__pinned_tier__name", "author__pinned_tier__style"),
    *("reaction_counts", "author__reaction_score", "author__erased_at"),
)


class PostQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> PostQuerySet:
        """Live, approved posts of live, approved threads in boards where the visitor
        reads threads. Held posts are shown only by ``held_in`` and the queue."""
        live = self.filter(
            is_deleted=False,
            is_approved=True,
            thread__is_deleted=False,
            thread__is_approved=True,
        )
        if permissions.is_moderator(user):
            return live
        readable = access.for_user(user).board_filter(
            "thread__board_id", permission="read_threads"
        )
        return live.filter(readable)

    def with_author_cards(self) -> PostQuerySet:
        return self.select_related(*AUTHOR_CARD, "edited_by", "deleted_by")

    def for_blocks(self) -> PostQuerySet:
        """What a post's shared block shows, and nothing more."""
        blocks = self.with_author_cards().only(*POST_BLOCK_FIELDS)
        return blocks.with_reaction_catalogue()

    def with_reaction_catalogue(self) -> PostQuerySet:
        """Annotate ``reaction_catalogue``: [id, emoji, name] of every reaction, in
        order, so a block shows its counts (``reaction_counts``) without a query of
        its own. The subquery does not depend on the row: PostgreSQL runs it once."""
        from forum.models import Reaction

        table = Reaction._meta.db_table
        catalogue = RawSQL(
            "SELECT COALESCE(jsonb_agg(jsonb_build_array(id, emoji, name) "
            f"ORDER BY position, id), '[]'::jsonb) FROM {table}",
            (),
            output_field=models.JSONField(),
        )
        return self.annotate(reaction_catalogue=catalogue)

    def page_of(self, thread: Thread, page: int, per_page: int) -> PostQuerySet:
        """One page of a thread, found by position so any page costs the same."""
        first = (page - 1) * per_page + 1
        return self.positions(thread, first, first + per_page, per_page)

    def positions(
        self, thread: Thread, first: int, end: int, per_page: int
    ) -> PostQuerySet:
        """The posts from position ``first`` up to ``end`` (at most ``per_page``)."""
        return (
            # Through the related manager, so each post knows its thread without a
            # query: permission filters in the template read post.thread.
            thread.posts.filter(position__gte=first, position__lt=end)
            .for_blocks()
            # The LIMIT is redundant but tells the planner how few rows come back;
            # on the first pages of a long thread it otherwise expects thousands.
            .order_by("position")[:per_page]
        )

    def held_in(self, thread: Thread, user: User) -> PostQuerySet:
        """A thread's held replies the visitor sees after its last page's posts: all of
        them for the board's moderators, their own for other members."""
        held = thread.posts.filter(
            is_approved=False, is_deleted=False, position__isnull=True
        )
        if not permissions.moderates(user, thread.board_id):
            if not user.is_authenticated:
                return self.none()
            held = held.filter(author=user)
        return held.for_blocks().order_by("created_at", "id")

    def awaiting_approval(self, user: User) -> PostQuerySet:
        """Held posts in live threads of the boards the member moderates, oldest
        first."""
        held = self.filter(
            is_approved=False, is_deleted=False, thread__is_deleted=False
        )
        if not permissions.is_moderator(user):
            mine = access.for_user(user).moderated_filter("thread__board_id")
            if mine is None or not permissions.can_post(user):
                return self.none()
            held = held.filter(mine)
        return held.order_by("created_at", "id")


class PostPage:
    """One page of a thread's posts (``page_of``), read with SQL compiled once per
    process and page size (``accounts/prebuilt.py``): compiling the six-table select
    cost the cold thread page more than running it.

    Iterating gives the posts, each knowing its thread. ``ids()`` is the page's id
    query for the fingerprints (``forum/cache.py``), and ``queryset`` the
    ``page_of`` queryset, for anything else.
    """

    def __init__(self, thread: Thread, page: int, per_page: int) -> None:
        self.thread, self.page, self.per_page = thread, page, per_page
        self.first = (page - 1) * per_page + 1

    @cached_property
    def queryset(self) -> PostQuerySet:
        return self.model.objects.page_of(self.thread, self.page, self.per_page)

    @property
    def model(self) -> type:
        return self.thread._meta.get_field("posts").related_model

    def _values(self) -> tuple[int, int, int]:
        return (self.thread.pk, self.first, self.first + self.per_page)

    def _build(self, thread_id: int, first: int, end: int) -> PostQuerySet:
        thread = type(self.thread)(pk=thread_id)
        return self.model.objects.positions(thread, first, end, self.per_page)

    def __iter__(self):
        key = ("post page", self.per_page)
        posts = prebuilt.fetch(key, self._build, *self._values())
        for post in posts:
            post.thread = self.thread
        return iter(posts)

    def digest_source(self) -> PostQuerySet:
        """A queryset of the page's shape, for ``cache.digests`` (which reads its
        model, joins and database): the one compiled once, not built anew."""
        shape = prebuilt.compiled(("post page", self.per_page), self._build, 3)
        return self.queryset if shape is None else shape.queryset

    def ids(self) -> tuple[str, list] | None:
        """The page's post ids, in order, as SQL and parameters."""
        return prebuilt.sql(
            ("post page ids", self.per_page),
            lambda *values: self._build(*values).values("pk"),
            *self._values(),
        )
