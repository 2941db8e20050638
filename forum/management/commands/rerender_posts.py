"""Re-render every stored post body, signature and about text with today's renderer."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.db.models import Q

import markup
from accounts.mentions import members_in_database
from accounts.models import User
from forum.models import Post
from markup.mentions import CachedLookup


class Command(BaseCommand):
    help = (
        "Re-render body_html of every post (and members' signature_html/about_html) "
        "from the stored source, for when the renderer changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows read, rendered and written per transaction (default 500).",
        )

    def handle(self, *args, batch_size: int, verbosity: int = 1, **options) -> None:
        if batch_size < 1:
            batch_size = 1
        # One lookup for the whole run: each @name costs at most one query.
        lookup = CachedLookup(members_in_database)
        posts = self._rerender(
            Post.objects.all(),
            {"body": "body_html"},
            batch_size=batch_size,
            lookup=lookup,
            label="Posts",
            quiet=verbosity == 0,
        )
        members = self._rerender(
            User.objects.filter(
                ~Q(signature="")
                | ~Q(about="")
                | ~Q(signature_html="")
                | ~Q(about_html="")
            ),
            {"signature": "signature_html", "about": "about_html"},
            batch_size=batch_size,
            lookup=lookup,
            label="Members",
            quiet=verbosity == 0,
        )
        self.stdout.write(
            f"Re-rendered {posts[0]} posts ({posts[1]} changed) and "
            f"{members[0]} members ({members[1]} changed)."
        )

    def _rerender(
        self,
        queryset: models.QuerySet,
        fields: dict[str, str],
        *,
        batch_size: int,
        lookup: CachedLookup,
        label: str,
        quiet: bool,
    ) -> tuple[int, int]:
        """Walk ``queryset`` in primary-key order, one locked batch at a time."""
        seen = changed = 0
        last_pk = 0
        columns = ["pk", *fields, *fields.values()]
        total = queryset.count()
        while True:
            with transaction.atomic():
                # Locked while rendering: an edit landing meanwhile waits, so its
                # fresh HTML is never overwritten with a stale render.
                batch = list(
                    queryset.filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only(*columns)
                    .select_for_update()[:batch_size]
                )
                if not batch:
                    break
                dirty = [row for row in batch if _render_row(row, fields, lookup)]
                queryset.bulk_update(dirty, list(fields.values()))
            seen += len(batch)
            changed += len(dirty)
            last_pk = batch[-1].pk
            if not quiet:
                _progress(label, seen, total)
        if not quiet:
            _progress(label, seen, total)
            sys.stderr.write("\n")
        return seen, changed


def _progress(label: str, done: int, total: int) -> None:
    """One progress line on stderr, rewritten in place after every batch."""
    percent = min(100, 100 * done // total) if total else 100
    sys.stderr.write(f"\r{label}: {percent}% ({done:,} of {total:,} rows)")
    sys.stderr.flush()


def _render_row(
    row: models.Model, fields: dict[str, str], lookup: CachedLookup
) -> bool:
    """Set each HTML field from its source; say whether any of them changed."""
    dirty = False
    for source_field, html_field in fields.items():
        source = getattr(row, source_field)
        html = markup.render(source, known_members=lookup) if source.strip() else ""
        if html != getattr(row, html_field):
            setattr(row, html_field, html)
            dirty = True
    return dirty
