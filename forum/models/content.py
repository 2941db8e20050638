from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify

from accounts.links import fast_reverse, url_with_id
from forum.querysets import BoardQuerySet, PostQuerySet, ThreadQuerySet

# Full-text search (forum/search.py) reads stored tsvectors that PostgreSQL keeps
# itself as generated columns: every write of a title or a body, whichever code or
# bulk COPY makes it, recomputes them in the same statement. A post's own words
# weigh B and the text it quotes D (forum_post_search_vector, migration 0010, splits
# them); a thread's title weighs A.
THREAD_SEARCH_VECTOR = models.Func(
    models.F("title"),
    template="setweight(to_tsvector('english'::regconfig, %(expressions)s), 'A')",
    output_field=SearchVectorField(),
)
POST_SEARCH_VECTOR = models.Func(
    models.F("body"),
    function="forum_post_search_vector",
    output_field=SearchVectorField(),
)


def make_slug(text: str, fallback: str = "thread") -> str:
    return slugify(text)[:80].strip("-") or fallback


class Category(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return fast_reverse("forum:index") + f"#category-{self.slug}"


class Board(models.Model):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="boards"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    thread_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    last_post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_post_at = models.DateTimeField(null=True, blank=True)

    objects = BoardQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return fast_reverse("forum:board_detail", (self.slug,))

    def clean(self) -> None:
        """A parent board sits in the same category and never below this board."""
        if self.parent_id is None:
            return
        if self.parent.category_id != self.category_id:
            raise ValidationError(
                {"parent": "A sub-board sits in its parent's category."}
            )
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": "A board cannot sit below itself."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class BoardPermission(models.Model):
    """What one audience may do, forum-wide (no board) or on one board.

    An empty choice inherits: a board's row from the forum-wide row of the same
    audience, that one from the built-in defaults (forum/access.py). A member may do
    what any of their audiences may: a private board revokes "view" for registered
    members on that board and grants it to a group.
    """

    class Audience(models.TextChoices):
        GUESTS = "guests", "Guests (not logged in)"
        MEMBERS = "members", "Registered members"
        GROUP = "group", "Members of a group"

    board = models.ForeignKey(
        Board,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="permissions",
        help_text="Empty: the forum-wide rule for this audience.",
    )
    audience = models.CharField(max_length=10, choices=Audience.choices)
    group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    view_board = models.BooleanField(null=True, blank=True)
    read_threads = models.BooleanField(null=True, blank=True)
    start_threads = models.BooleanField(null=True, blank=True)
    reply = models.BooleanField(null=True, blank=True)
    edit_own = models.BooleanField(null=True, blank=True)
    delete_own = models.BooleanField(null=True, blank=True)
    moderate = models.BooleanField(null=True, blank=True)
    edit_window_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How long after posting members may edit; empty: no limit.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "audience", "group"],
                name="forum_boardpermission_one_row_per_audience",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(audience="group", group__isnull=False)
                | (~Q(audience="group") & Q(group__isnull=True)),
                name="forum_boardpermission_group_iff_group_audience",
            ),
        ]

    def __str__(self) -> str:
        who = self.group.name if self.group_id else self.get_audience_display()
        return f"{who} on {self.board or 'every board'}"


class Thread(models.Model):
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads"
    )
    title = models.CharField(max_length=150)
    slug = models.SlugField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    is_locked = models.BooleanField(default=False)
    is_sticky = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    reply_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    last_position = models.PositiveIntegerField(default=0)
    last_post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_post_at = models.DateTimeField(null=True, blank=True)
    # A thread started by a new member waits for a moderator: until approved only its
    # author and the board's moderators see it, and no counter counts it.
    is_approved = models.BooleanField(default=True)
    search_vector = models.GeneratedField(
        expression=THREAD_SEARCH_VECTOR,
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        indexes = [
            # The board page: sticky threads first, then by latest activity.
            models.Index(
                "board",
                models.F("is_sticky").desc(),
                models.F("last_post_at").desc(),
                models.F("id").desc(),
                name="forum_thread_board_activity",
                condition=Q(is_deleted=False),
            ),
            # A board's latest post, found again after a delete, restore or move.
            models.Index(
                "board",
                models.F("last_post_at").desc(),
                models.F("id").desc(),
                name="forum_thread_board_latest",
                condition=Q(is_deleted=False),
            ),
            GinIndex(fields=["search_vector"], name="forum_thread_search"),
            # What's new: threads newest first, seeking past the last one shown.
            models.Index(fields=["created_at", "id"], name="forum_thread_created"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return fast_reverse("forum:thread_detail", (self.pk, self.slug))

    @property
    def page_count(self) -> int:
        per_page = settings.FORUM_POSTS_PER_PAGE
        return max(1, -(-self.last_position // per_page))

    def page_url(self, page: int) -> str:
        url = self.get_absolute_url()
        return url if page <= 1 else f"{url}?page={page}"


class Post(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    # Empty while a reply awaits approval: a reply takes the next position only when
    # approved, so a held reply never leaves a gap others see (forum/services.py).
    position = models.PositiveIntegerField(null=True, blank=True)
    body = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delete_reason = models.CharField(max_length=255, blank=True)
    # A per-form token: a double-submitted form finds its first post instead of
    # creating a second one.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)
    # A held post (a new member's, or one that tripped a spam rule) is seen by its
    # author and the board's moderators only, and counted nowhere, until approved.
    is_approved = models.BooleanField(default=True)
    held_reason = models.CharField(max_length=255, blank=True)
    # {reaction id (as text): count}, kept by forum.reactions with the rows in
    # PostReaction, so the post's block renders its counts without a query.
    reaction_counts = models.JSONField(default=dict, blank=True)
    search_vector = models.GeneratedField(
        expression=POST_SEARCH_VECTOR,
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["thread", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "position"], name="forum_post_unique_position"
            ),
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                name="forum_post_unique_submission",
            ),
        ]
        indexes = [
            models.Index(
                fields=["author", "-created_at"], name="forum_post_author_recent"
            ),
            GinIndex(fields=["search_vector"], name="forum_post_search"),
            # Search results by date, newest first, seeking past the last one shown.
            models.Index(fields=["created_at", "id"], name="forum_post_created"),
            # Moderators look up who else posted from an address.
            models.Index(
                fields=["ip_address"],
                name="forum_post_ip_address",
                condition=Q(ip_address__isnull=False),
            ),
            # IP retention blanks old addresses oldest first (forum/retention.py):
            # once pruned, this holds only the posts of the retention window.
            models.Index(
                fields=["created_at"],
                name="forum_post_ip_created",
                condition=Q(ip_address__isnull=False),
            ),
            # The approval queue and a thread's held replies.
            models.Index(
                fields=["thread", "created_at"],
                name="forum_post_awaiting_approval",
                condition=Q(is_approved=False, is_deleted=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Post #{self.position} in {self.thread_id}"

    def get_absolute_url(self) -> str:
        return url_with_id("forum:post_detail", self.pk)

    @property
    def page(self) -> int:
        if self.position is None:
            # A held reply is shown after the last page's posts.
            return self.thread.page_count
        return (self.position - 1) // settings.FORUM_POSTS_PER_PAGE + 1

    @property
    def anchor(self) -> str:
        return f"post-{self.pk}"

    def get_thread_url(self) -> str:
        """The post in place: its thread's page and anchor."""
        return f"{self.thread.page_url(self.page)}#{self.anchor}"


class PostRevision(models.Model):
    """The source of a post as it was before an edit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Revision of post {self.post_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ModerationAction(models.Model):
    """An audit row for every moderation write."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Report(models.Model):
    """A member's report of a post or of a member, waiting for a moderator."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        REJECTED = "rejected", "Rejected"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reports_about",
        help_text="The reported member (for a post: its author).",
    )
    # Kept on the row so the queue filters by board without joining the post.
    board = models.ForeignKey(
        Board, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open report per member and target: a second one adds nothing.
            models.UniqueConstraint(
                fields=["reporter", "post"],
                condition=Q(status="open", post__isnull=False),
                name="forum_report_one_open_per_post",
            ),
            models.UniqueConstraint(
                fields=["reporter", "member"],
                condition=Q(status="open", post__isnull=True),
                name="forum_report_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=Q(post__isnull=True, board__isnull=True)
                | Q(post__isnull=False, board__isnull=False),
                name="forum_report_board_iff_post",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "board"], name="forum_report_status_board"),
        ]

    def __str__(self) -> str:
        what = f"post {self.post_id}" if self.post_id else f"member {self.member_id}"
        return f"Report #{self.pk} of {what}"

    def get_absolute_url(self) -> str:
        return reverse("forum:report_detail", args=[self.pk])


class ReportComment(models.Model):
    """A moderator's note on a report, resolving or rejecting comments included."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on report {self.report_id}"
