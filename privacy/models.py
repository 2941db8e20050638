from django.conf import settings
from django.db import models
from django.db.models import Q


class DataExport(models.Model):
    """A member's request for their data, and the archive the worker built for it.

    One request waits at a time per member (a partial unique constraint, so a double
    submit cannot queue two); a built archive stays in the default storage until
    ``expires_at``, when the daily upkeep deletes the file and this row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The archive's name in the default storage (a random name: S3 too).
    archive = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="privacy_dataexport_one_pending",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(expires_at__isnull=False),
                name="privacy_dataexport_expires",
            ),
        ]

    def __str__(self) -> str:
        return f"Data export #{self.pk} of member {self.user_id}"


class DeletionRequest(models.Model):
    """A member asked for their account to be erased; what to do with their posts.

    The date lives on the user row (``User.deletion_due_at``), which every page
    reads anyway for the banner that offers to cancel.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    remove_posts = models.BooleanField(default=False)
    requested_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Deletion request of member {self.user_id}"
