"""Forum-wide figures that are not a count of rows: the most visitors online."""

from django.db import models


class OnlineRecord(models.Model):
    """The most visitors (members and guests) online at once: one row, pk 1.

    Raised by ``forum.online`` with a conditional UPDATE when a fresh snapshot of
    who is online beats it, so it only ever moves up and costs no write otherwise.
    """

    count = models.PositiveIntegerField(default=0)
    reached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=1), name="forum_onlinerecord_single_row"
            ),
        ]

    def __str__(self) -> str:
        return f"Most online: {self.count}"
