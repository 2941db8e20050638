"""Load the demo forum in demo_forum.toml, through the posting services."""

import tomllib
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Tier, User
from accounts.services import register_member
from forum import services
from forum.models import Board, Category, Post, Thread

DEMO_FILE = Path(__file__).with_name("demo_forum.toml")
DEMO_SETTINGS = {
    "FORUM_POST_INTERVAL_SECONDS": 0,
    "FORUM_THREAD_INTERVAL_SECONDS": 0,
    "FORUM_APPROVAL_POSTS": 0,
    "FORUM_APPROVAL_LINK_POSTS": 0,
    "FORUM_SPAM_PHRASES": [],
}


class Command(BaseCommand):
    help = "Load the demo forum into a forum that has no boards yet."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Skip quietly if boards exist."
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        # The demo is written by the operator, all at once: flood control and the
        # approval queue, which stand between strangers and the forum, stay out of it.
        with override_settings(**DEMO_SETTINGS), transaction.atomic():
            self._load(if_empty=if_empty)

    def _load(self, *, if_empty: bool) -> None:
        if Board.objects.exists():
            if if_empty:
                self.stdout.write("The forum has boards already; demo not loaded.")
                return
            raise CommandError(
                "The forum has boards already; refusing to load the demo."
            )
        demo = tomllib.loads(DEMO_FILE.read_text())
        members = self._members(demo["members"])
        for c_pos, category_data in enumerate(demo["categories"]):
            category = Category.objects.create(
                name=category_data["name"],
                slug=slugify(category_data["name"].replace("&", "and")),
                description=category_data.get("description", ""),
                position=c_pos,
            )
            for b_pos, board_data in enumerate(category_data.get("boards", [])):
                board = Board.objects.create(
                    category=category,
                    name=board_data["name"],
                    slug=slugify(board_data["name"]),
                    description=board_data.get("description", ""),
                    position=b_pos,
                )
                for thread_data in board_data.get("threads", []):
                    self._thread(board, thread_data, members)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {Board.objects.count()} boards, {Thread.objects.count()} "
                f"threads, {Post.objects.count()} posts and {len(members)} members."
            )
        )

    def _members(self, rows: list[dict]) -> dict[str, User]:
        now = timezone.now()
        tiers = {tier.name: tier for tier in Tier.objects.all()}
        members = {}
        for row in rows:
            user = register_member(
                username=row["username"],
                email=f"{row['username']}@example.com",
                password=None,
            )
            user.date_joined = now - timedelta(days=365 * row["years"] + 40)
            user.pinned_tier = tiers.get(row.get("pinned_tier", ""))
            user.custom_title = row.get("custom_title", "")
            # Demo members cannot follow a mailed link; they stand for confirmed ones.
            user.email_verified = True
            user.save()
            members[user.username] = user
        return members

    def _thread(self, board: Board, data: dict, members: dict[str, User]) -> None:
        (starter, first), *replies = data["posts"]
        thread = services.start_thread(
            board=board, author=members[starter], title=data["title"], body=first
        )
        for author, body in replies:
            services.post_reply(thread=thread, author=members[author], body=body)
        if data.get("sticky"):
            Thread.objects.filter(pk=thread.pk).update(is_sticky=True)
