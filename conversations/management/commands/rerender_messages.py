"""Re-render every stored conversation message, and reported copies, with today's
renderer: rerender_posts for the private side of the forum."""

from __future__ import annotations

from accounts.mentions import members_in_database
from conversations.models import Message, MessageReport
from forum.management.commands import rerender_posts
from markup.mentions import CachedLookup


class Command(rerender_posts.Command):
    help = (
        "Re-render body_html of every conversation message and reported message "
        "from the stored source, for when the renderer changes."
    )

    def handle(self, *args, batch_size: int, verbosity: int = 1, **options) -> None:
        lookup = CachedLookup(members_in_database)
        counts = [
            self._rerender(
                queryset,
                {"body": "body_html"},
                batch_size=max(batch_size, 1),
                lookup=lookup,
                label=label,
                quiet=verbosity == 0,
            )
            for queryset, label in [
                (Message.objects.all(), "Messages"),
                (MessageReport.objects.all(), "Reported messages"),
            ]
        ]
        (messages, changed), (reports, reports_changed) = counts
        self.stdout.write(
            f"Re-rendered {messages} messages ({changed} changed) and "
            f"{reports} reported messages ({reports_changed} changed)."
        )
