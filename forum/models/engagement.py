"""What brings members back: reactions, watching, alerts, read state and bookmarks.

The counters a page needs on every request (unread alerts, reaction score) live on
the member's row, which every request loads anyway; these tables hold the detail.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from forum.models.content import Board, Post, Thread


class Reaction(models.Model):
    """One of the reactions members may give a post, managed in admin."""

    name = models.CharField(max_length=40, unique=True)
    # A character (usually an emoji) drawn by the reader's own fonts: nothing loads
    # from anywhere else.
    emoji = models.CharField(max_length=16)
    # What one of these adds to the post author's reaction score (0 for Sad, Angry).
    score = models.SmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=0)
    # A retired reaction keeps its past uses but can no longer be given.
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class PostReaction(models.Model):
    """A member's one reaction to a post; changing it replaces the row."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    reaction = models.ForeignKey(
        Reaction, on_delete=models.PROTECT, related_name="uses"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user"], name="forum_postreaction_one_per_member"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-created_at"], name="forum_postreaction_given"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reaction_id} on post {self.post_id} by {self.user_id}"


class ThreadWatch(models.Model):
    """A member follows a thread: an alert per reply, and email when asked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="thread_watches",
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="watches")
    email = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], name="forum_threadwatch_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches thread {self.thread_id}"


class BoardWatch(models.Model):
    """A member follows a board: its new threads, or every new post in it."""

    class Notify(models.TextChoices):
        THREADS = "threads", "New threads"
        POSTS = "posts", "New threads and replies"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_watches"
    )
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="watches")
    notify = models.CharField(
        max_length=10, choices=Notify.choices, default=Notify.THREADS
    )
    email = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "board"], name="forum_boardwatch_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} watches board {self.board_id}"


class Alert(models.Model):
    """One thing a member should hear about, shown under the bell in the header."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Replies in watched threads"
        THREAD = "thread", "New threads in watched boards"
        QUOTE = "quote", "Quotes of your posts"
        MENTION = "mention", "Mentions of you"
        REACTION = "reaction", "Reactions to your posts"
        MODERATION = "moderation", "Moderator actions on your content"
        CONVERSATION = "conversation", "Conversation messages and invitations"

    class Email(models.TextChoices):
        NONE = "none", "Not to be emailed"
        PENDING = "pending", "Waiting for the next email"
        SENT = "sent", "Emailed"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # For what is not a post or thread (a conversation): where the alert leads.
    url = models.CharField(max_length=300, blank=True)
    # A short plain-text line ("liked your post", the reaction's name, a reason).
    summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=Email.choices, default=Email.NONE
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One alert per member per post for what a post says: a quote, a mention
            # or just a reply in a watched thread, never two of them.
            models.UniqueConstraint(
                fields=["recipient", "post"],
                condition=Q(kind__in=["reply", "thread", "quote", "mention"]),
                name="forum_alert_once_per_post",
            ),
            # One alert per reacting member per post; a changed reaction updates it.
            models.UniqueConstraint(
                fields=["recipient", "post", "actor"],
                condition=Q(kind="reaction"),
                name="forum_alert_one_reaction",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at", "-id"], name="forum_alert_inbox"
            ),
            models.Index(
                fields=["recipient"],
                name="forum_alert_unread",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["recipient", "created_at"],
                name="forum_alert_email_pending",
                condition=Q(email_state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class MemberPreferences(models.Model):
    """A member's engagement settings, created the first time one is changed.

    With no row a member gets the defaults in `forum.alerts` (alerts on the site,
    no email; threads you start or reply to are watched without email).
    """

    class AutoWatch(models.TextChoices):
        OFF = "off", "Don't watch"
        SITE = "site", "Watch, alerts only"
        EMAIL = "email", "Watch, with email"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="forum_preferences",
    )
    auto_watch = models.CharField(
        max_length=10, choices=AutoWatch.choices, default=AutoWatch.SITE
    )
    # {alert kind: "off" | "site" | "email"}; a kind not named takes its default.
    alert_kinds = models.JSONField(default=dict, blank=True)
    # "Mark all read": every post before this counts as read.
    all_read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


class ThreadRead(models.Model):
    """How far a member has read a thread: the last position seen."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="+")
    last_position = models.PositiveIntegerField(default=0)
    # When the last post read was written: a thread whose last post is later is unread.
    read_until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"], name="forum_threadread_once"
            ),
        ]
        indexes = [
            # Pruning rows older than the read cut-off.
            models.Index(fields=["read_until"], name="forum_threadread_age"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read thread {self.thread_id} to {self.last_position}"


class BoardRead(models.Model):
    """Mark board read: every post in the board before `read_until` counts as read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+")
    read_until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "board"], name="forum_boardread_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read board {self.board_id}"


class Bookmark(models.Model):
    """A post a member keeps, with an optional note to self."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "post"], name="forum_bookmark_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-created_at", "-id"], name="forum_bookmark_list"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} kept post {self.post_id}"


class Draft(models.Model):
    """A reply or a new thread a member has started and not posted yet.

    Saved as they type (one row per member and thread, or member and board for a
    new thread) so it comes back on any device; posting removes it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    # A reply's draft names its thread; a new thread's draft names only its board.
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    board = models.ForeignKey(
        Board, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=150, blank=True)
    body = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(thread__isnull=False) | Q(board__isnull=False),
                name="forum_draft_has_place",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="forum_draft_one_per_thread",
            ),
            models.UniqueConstraint(
                fields=["user", "board"],
                condition=Q(thread__isnull=True),
                name="forum_draft_one_per_board",
            ),
        ]

    def __str__(self) -> str:
        place = (
            f"thread {self.thread_id}" if self.thread_id else f"board {self.board_id}"
        )
        return f"{self.user_id}'s draft in {place}"
