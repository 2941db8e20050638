"""Private conversations: a title, the members in it, and their numbered messages.

Nothing here is visible to anyone but the conversation's current participants
(``Participant.left_at`` empty). Moderators see a message only through a report
(``MessageReport`` keeps a copy of what was reported) or an audited "view as
moderator" (a ``forum.ModerationAction`` row per look).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Conversation(models.Model):
    title = models.CharField(max_length=150)
    starter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Counters and pointers, moved under this row's lock by every writer
    # (conversations/services.py), so lists never count rows.
    participant_count = models.PositiveIntegerField(default=0)
    last_position = models.PositiveIntegerField(default=0)
    last_message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(participant_count__gte=0), name="conversation_count_gte_0"
            ),
        ]

    def __str__(self) -> str:
        # Not the title: the admin and logs name a conversation without its text.
        return f"Conversation #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("conversations:conversation_detail", args=[self.pk])

    @property
    def page_count(self) -> int:
        per_page = settings.FORUM_CONVERSATION_MESSAGES_PER_PAGE
        return max(1, -(-self.last_position // per_page))


class Participant(models.Model):
    """A member in a conversation; a member who left keeps the row, with ``left_at``."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # Read state: whether a message came since the member last read the end of the
    # conversation. Each unread row counts once in User.conversations_unread.
    is_unread = models.BooleanField(default=False)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="conversation_participant_once"
            ),
            # Only members in a conversation have anything unread in it.
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(is_unread=False),
                name="conversation_left_has_nothing_unread",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user"],
                condition=Q(left_at__isnull=True),
                name="conversation_participant_in",
            ),
        ]

    def __str__(self) -> str:
        return f"Member {self.user_id} in conversation {self.conversation_id}"

    @property
    def is_in(self) -> bool:
        return self.left_at is None

    @property
    def unread_since(self):
        """When what is new for this member begins: their last read, or their
        (re)joining if later; None when nothing is unread."""
        if not self.is_unread:
            return None
        return max(t for t in (self.last_read_at, self.joined_at) if t)


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    position = models.PositiveIntegerField()
    body = models.TextField()
    body_html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # A form sent twice is one message: the hidden token finds the first.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "position"],
                name="conversation_message_position",
            ),
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                condition=Q(submission_token__isnull=False),
                name="conversation_message_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Message #{self.position} of conversation {self.conversation_id}"

    def get_absolute_url(self) -> str:
        return reverse("conversations:message_detail", args=[self.pk])

    @property
    def anchor(self) -> str:
        return f"message-{self.pk}"

    @property
    def page(self) -> int:
        return (self.position - 1) // settings.FORUM_CONVERSATION_MESSAGES_PER_PAGE + 1


class MessageRevision(models.Model):
    """A message's source as it was before an edit."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="revisions"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Revision of message {self.message_id}"


class MessageReport(models.Model):
    """A participant's report of a message, for the forum-wide moderators.

    The reported text is copied onto the report: moderators read what was
    reported, here and nowhere else, and the report outlives the conversation
    (deleted once everyone left it) and later edits.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        REJECTED = "rejected", "Rejected"

    message = models.ForeignKey(
        Message, null=True, on_delete=models.SET_NULL, related_name="reports"
    )
    # Kept as a plain number: the audited "view as moderator" starts from it, and
    # it must not stop the conversation from being deleted.
    conversation_id_at_report = models.BigIntegerField()
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who wrote the reported message.",
    )
    body = models.TextField()
    body_html = models.TextField()
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
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "message"],
                condition=Q(status="open"),
                name="conversation_report_one_open",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "-created_at"], name="conversation_report_q"
            ),
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk} of a message"

    def get_absolute_url(self) -> str:
        return reverse("conversations:report_detail", args=[self.pk])
