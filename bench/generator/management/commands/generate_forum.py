"""Load a large, deterministic forum for benchmarks: COPY in bulk, counters afterwards.

The whole forum is planned in memory first (who posts what, when, in which thread),
then written with PostgreSQL COPY: members, threads, posts in the order they were
written, so post ids grow with time as on a real forum. Counters and last-post pointers
are then set with the set-based UPDATEs of ``manage.py recount``. Post bodies come from
a small pool of generated texts rendered once by ``markup.render``, so the load is
bound by the database, not by rendering.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

import markup
from accounts.mentions import members_in_database
from accounts.models import User
from forum.management.commands.recount import recount_all
from forum.models import Board, Category, Post, Thread, make_slug

# Generated members are recognised by this e-mail domain, so --force removes them.
MEMBER_DOMAIN = "generated.colloquy.invalid"
BODY_POOL_SIZE = 400
HISTORY_DAYS = 5 * 365


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


WORDS = _words(
    "about above account actually after again against agree almost already always "
    "amount answer anyone anything around asked audio average backup battery before "
    "better between bike bought brake budget build cable camera careful change cheap "
    "check choice clean clear coffee cold company compare control cost could couple "
    "damage decent design detail different dinner doing engine enough error even "
    "every exactly experience fairly field filter finally first fixed found friend "
    "garden given going good guess handle happy hardware heavy honestly house idea "
    "install instead issue kitchen known large later least light little local long "
    "looking manual maybe measure might model month morning motor never night noise "
    "number often older order original other paint part people perhaps picture "
    "plenty point power pretty price probably problem quality quite rather really "
    "reason recent repair replace result right route sense service setting short "
    "should simple since small software something sound spare speed start still "
    "store strange suggest summer support sure system taken test thanks thing think "
    "though through today together tried trouble update usual value version wait "
    "warranty water weather week weight while window winter without wonder worked "
    "worth would wrong year yesterday"
)
ADJECTIVES = _words(
    "amber bold brave bright calm clever cosy crisp daring eager fuzzy gentle golden "
    "happy hidden jolly keen lively lucky mellow misty nimble noble plucky quiet "
    "rapid rustic shiny silent silver snowy sunny swift tidy witty"
)
NOUNS = _words(
    "badger beacon canyon cedar comet falcon fern harbor heron juniper lantern maple "
    "meadow otter pebble pine quill raven ridge river robin sparrow spruce summit "
    "thistle tiger walrus willow wren"
)
CATEGORY_NAMES = [
    "Announcements & Community",
    "Hardware",
    "Software",
    "Workshop",
    "Off Topic",
    "Marketplace",
    "Regional",
    "Archive",
]
BOARD_NAMES = _words(
    "General discussion, Introductions, Help desk, Show and tell, Buying advice, "
    "Repairs, Tools, Projects, Guides, News, Events, Questions, Reviews, Deals, "
    "Troubleshooting, Beginners, Advanced, Classifieds, Photography, Travel, Books, "
    "Music, Games, Cooking, Gardening, Cycling, Electronics, Woodworking, Audio, "
    "Networking, Linux, Mobile, Retro, Science, Sports, Movies, Pets, Home, Cars",
    sep=", ",
)


class Command(BaseCommand):
    help = "Generate a large forum (deterministic for a seed) with PostgreSQL COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=20_000)
        parser.add_argument("--categories", type=int, default=5)
        parser.add_argument("--boards-per-category", type=int, default=6)
        parser.add_argument("--threads", type=int, default=50_000)
        parser.add_argument("--posts", type=int, default=1_000_000)
        parser.add_argument(
            "--hot-thread-posts",
            type=int,
            default=10_000,
            help="Posts in one very long thread (0 for none).",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--batch-size", type=int, default=50_000, help="Rows per COPY statement."
        )
        parser.add_argument(
            "--password",
            default="",
            help="One password shared by every generated member (default: unusable).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Empty the forum tables and remove generated members first.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        plan = ForumPlan(
            users=options["users"],
            categories=options["categories"],
            boards_per_category=options["boards_per_category"],
            threads=options["threads"],
            posts=options["posts"],
            hot_thread_posts=options["hot_thread_posts"],
            seed=options["seed"],
        )
        if Post.objects.exists() or Category.objects.exists():
            if not options["force"]:
                raise CommandError(
                    "The forum already has data; run with --force to empty the forum "
                    "tables and replace them with generated data."
                )
            self._empty_forum()
        self.stdout.write(
            f"Planning {plan.users:,} members, {plan.board_count} boards, "
            f"{plan.threads:,} threads and {plan.posts:,} posts (seed {plan.seed})…"
        )
        plan.build()
        loader = Loader(
            plan,
            batch_size=max(1, options["batch_size"]),
            password=options["password"],
            progress=not options["no_progress"],
        )
        loader.load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {plan.users:,} members, {plan.threads:,} threads and "
                f"{plan.posts:,} posts in {time.monotonic() - started:.1f} s."
            )
        )

    def _empty_forum(self) -> None:
        self.stdout.write("Emptying the forum tables (--force)…")
        tables = [
            model._meta.db_table
            for model in connection.introspection.installed_models(
                connection.introspection.table_names()
            )
            if model._meta.app_label == "forum"
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            # Checks deferred by earlier writes in an enclosing transaction (a
            # test's) must run before TRUNCATE will.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "TRUNCATE {} RESTART IDENTITY CASCADE".format(
                    ", ".join(connection.ops.quote_name(t) for t in tables)
                )
            )
            # Other rows may point at generated members (sessions are not rows with
            # a key); the ORM's delete follows every relation other apps add.
            User.objects.filter(email__endswith="@" + MEMBER_DOMAIN).delete()
            User.objects.update(post_count=0)


class ForumPlan:
    """Who writes what, where and when: plain lists, built from one seeded RNG."""

    def __init__(
        self,
        *,
        users: int,
        categories: int,
        boards_per_category: int,
        threads: int,
        posts: int,
        hot_thread_posts: int,
        seed: int,
    ) -> None:
        if min(users, categories, boards_per_category) < 1:
            raise CommandError("Users, categories and boards per category must be ≥ 1.")
        if threads < 0 or posts < threads:
            raise CommandError(
                "Every thread needs a post: --posts must be ≥ --threads."
            )
        if threads and hot_thread_posts > posts - (threads - 1):
            raise CommandError(
                "--hot-thread-posts leaves too few posts for the other threads."
            )
        self.users = users
        self.categories = categories
        self.boards_per_category = boards_per_category
        self.board_count = categories * boards_per_category
        self.threads = threads
        self.posts = posts
        self.hot_thread_posts = hot_thread_posts if threads else 0
        self.seed = seed
        self.rng = random.Random(seed)
        # Times are laid out back from midnight today (UTC), in seconds.
        today = (
            timezone.now()
            .astimezone(UTC)
            .replace(hour=0, minute=0, second=0, microsecond=0)
        )
        self.end = today.timestamp()
        self.start = self.end - HISTORY_DAYS * 86_400

    def build(self) -> None:
        rng = self.rng
        self.usernames = self._usernames()
        self.thread_board = self._thread_boards()
        sizes = self._thread_sizes()
        # Some members write far more than others: weight by rank, ranks shuffled.
        ranks = list(range(self.users))
        rng.shuffle(ranks)
        author_weights = list(itertools.accumulate(1 / (rank + 50) for rank in ranks))
        thread_rows = []
        post_plan: list[tuple[float, int, int, int, int]] = []
        first_post_at = [math.inf] * self.users
        authors = iter(
            rng.choices(range(self.users), cum_weights=author_weights, k=self.posts)
        )
        for index, size in enumerate(sizes):
            if index == 0 and self.hot_thread_posts:
                begin = self.end - 365 * 86_400
                span = 365 * 86_400 - 600.0
            else:
                begin = rng.uniform(self.start, self.end - 3_600)
                span = min(self.end - begin - 60, size * rng.expovariate(1 / 20_000))
            step = span / size
            starter = next(authors)
            for position in range(1, size + 1):
                # Jitter within each step keeps times rising with position; the
                # first post is the thread's own creation time.
                at = begin + (position - 1 + rng.random() * 0.9) * step
                if position == 1:
                    at = begin
                author = starter if position == 1 else next(authors)
                if at < first_post_at[author]:
                    first_post_at[author] = at
                post_plan.append(
                    (at, index, position, author, rng.randrange(BODY_POOL_SIZE))
                )
            thread_rows.append(
                (
                    self.thread_board[index],
                    starter,
                    self._title(),
                    begin,
                    rng.random() < 0.02,  # locked
                    rng.random() < 0.002,  # sticky
                    int(size * rng.uniform(3, 30)),  # views
                )
            )
        # Written in time order, as a real forum's rows are.
        post_plan.sort()
        self.thread_rows = thread_rows
        self.post_plan = post_plan
        self.joined = [
            at - rng.uniform(3_600, 90 * 86_400)
            if at != math.inf
            else rng.uniform(self.start, self.end)
            for at in first_post_at
        ]
        self.bodies = self._bodies()

    def _usernames(self) -> list[str]:
        rng = self.rng
        return [
            f"{rng.choice(ADJECTIVES)}_{rng.choice(NOUNS)}{n}"
            for n in range(1, self.users + 1)
        ]

    def _thread_boards(self) -> list[int]:
        # Board n gets a share proportional to 1/n: the first board is the big one,
        # and the hot thread (thread 0) lives there.
        weights = list(
            itertools.accumulate(1 / (n + 1) for n in range(self.board_count))
        )
        boards = self.rng.choices(
            range(self.board_count), cum_weights=weights, k=self.threads
        )
        if boards:
            boards[0] = 0
        return boards

    def _thread_sizes(self) -> list[int]:
        """Posts per thread: at least one each, the rest spread with a long tail."""
        rng = self.rng
        sizes = [1] * self.threads
        if not self.threads:
            return sizes
        others = (
            range(1, self.threads) if self.hot_thread_posts else range(self.threads)
        )
        if self.hot_thread_posts:
            sizes[0] = self.hot_thread_posts
        extra = self.posts - sum(sizes)
        if extra and len(others):
            weights = list(
                itertools.accumulate(rng.lognormvariate(0, 1.2) for _ in others)
            )
            total = weights[-1]
            for _ in range(extra):
                slot = bisect.bisect(weights, rng.random() * total)
                sizes[others[min(slot, len(others) - 1)]] += 1
        elif extra:
            sizes[0] += extra
        return sizes

    def _sentence(self, low: int = 6, high: int = 16) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(low, high))
        return " ".join(words).capitalize() + self.rng.choice(".!?..")

    def _title(self) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(3, 8))
        return " ".join(words).capitalize()

    def _bodies(self) -> list[tuple[str, str]]:
        """A pool of distinct bodies with some BBCode, each rendered once."""
        rng = self.rng
        pool = []
        for n in range(BODY_POOL_SIZE):
            paragraphs = [
                " ".join(self._sentence() for _ in range(rng.randint(1, 4)))
                for _ in range(rng.randint(1, 4))
            ]
            if n % 7 == 1:
                paragraphs[0] = f"[b]{paragraphs[0]}[/b]"
            if n % 11 == 2:
                quoted = self.usernames[rng.randrange(self.users)]
                paragraphs.insert(0, f"[quote={quoted}]{self._sentence()}[/quote]")
            if n % 13 == 3:
                paragraphs.append(f"See https://example.com/{rng.choice(WORDS)} too.")
            body = "\n\n".join(paragraphs)
            pool.append((body, markup.render(body, known_members=members_in_database)))
        return pool


class Loader:
    """Writes a plan with COPY inside one transaction, then sets counters."""

    def __init__(
        self, plan: ForumPlan, *, batch_size: int, password: str, progress: bool
    ) -> None:
        self.plan = plan
        self.batch_size = batch_size
        self.password_hash = make_password(password or None)
        self.progress = tqdm(
            total=plan.users + plan.threads + plan.posts,
            unit=" rows",
            unit_scale=True,
            disable=not progress,
            smoothing=0.05,
        )

    def load(self) -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Rows are consistent by construction; skip per-row FK triggers
                # when allowed (a superuser, as the embedded server's user is).
                cursor.execute(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                )
                if cursor.fetchone()[0]:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            member_ids = self._members()
            board_ids = self._boards()
            thread_ids = self._threads(member_ids, board_ids)
            self._posts(member_ids, thread_ids)
            self.progress.close()
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            self._step("Resetting id sequences", self._reset_sequences)
            self._step("Setting counters and last posts", recount_all)
        self._step("Vacuuming and analysing", self._vacuum)

    def _step(self, label: str, action: Any) -> None:
        began = time.monotonic()
        action()
        tqdm.write(f"{label}: {time.monotonic() - began:.1f} s")

    def _next_id(self, model: type[models.Model]) -> int:
        top = model.objects.aggregate(top=models.Max("pk"))["top"]
        return (top or 0) + 1

    def _members(self) -> list[int]:
        plan = self.plan
        first_id = self._next_id(User)
        tier_rows = list(
            User._meta.get_field("tier").related_model.objects.order_by("min_posts")
        )
        lowest_tier = tier_rows[0].pk if tier_rows else None

        # Ids follow join times, as on a real forum, where the newest member is the
        # one with the highest id.
        by_joining = sorted(range(plan.users), key=plan.joined.__getitem__)
        member_ids = [0] * plan.users
        for rank, n in enumerate(by_joining):
            member_ids[n] = first_id + rank

        def rows() -> Iterator[tuple]:
            for n in by_joining:
                username = plan.usernames[n]
                yield (
                    member_ids[n],
                    username,
                    f"{username}@{MEMBER_DOMAIN}",
                    self.password_hash,
                    _timestamp(plan.joined[n]),
                    lowest_tier,
                )

        self._copy(
            User,
            ["id", "username", "email", "password", "date_joined", "tier_id"],
            rows(),
        )
        return member_ids

    def _boards(self) -> list[int]:
        plan = self.plan
        rng = random.Random(plan.seed + 1)
        board_names = itertools.cycle(BOARD_NAMES)
        # Ids are given, like every generated row's, so a seed gives the same ids.
        category_id = self._next_id(Category)
        board_id = self._next_id(Board)
        categories, boards = [], []
        for c in range(plan.categories):
            name = CATEGORY_NAMES[c % len(CATEGORY_NAMES)]
            if c >= len(CATEGORY_NAMES):
                name = f"{name} {c // len(CATEGORY_NAMES) + 1}"
            categories.append(
                Category(
                    pk=category_id + c,
                    name=name,
                    slug=f"{make_slug(name, 'category')}-{c + 1}",
                    description=f"Everything about {name.lower()}.",
                    position=c,
                )
            )
            for b in range(plan.boards_per_category):
                board_name = next(board_names)
                boards.append(
                    Board(
                        pk=board_id + len(boards),
                        category_id=category_id + c,
                        name=board_name,
                        slug=f"{make_slug(board_name, 'board')}-{c + 1}-{b + 1}",
                        description=" ".join(rng.choices(WORDS, k=8)).capitalize()
                        + ".",
                        position=b,
                    )
                )
        Category.objects.bulk_create(categories)
        Board.objects.bulk_create(boards)
        return [board.pk for board in boards]

    def _threads(self, member_ids: list[int], board_ids: list[int]) -> list[int]:
        plan = self.plan
        first_id = self._next_id(Thread)

        def rows() -> Iterator[tuple]:
            for n, (board, starter, title, begin, locked, sticky, views) in enumerate(
                plan.thread_rows
            ):
                at = _timestamp(begin)
                yield (
                    first_id + n,
                    board_ids[board],
                    member_ids[starter],
                    title,
                    make_slug(title),
                    at,
                    locked,
                    sticky,
                    False,
                    views,
                    at,
                )

        self._copy(
            Thread,
            [
                "id",
                "board_id",
                "author_id",
                "title",
                "slug",
                "created_at",
                "is_locked",
                "is_sticky",
                "is_deleted",
                "view_count",
                "last_post_at",
            ],
            rows(),
        )
        return [first_id + n for n in range(plan.threads)]

    def _posts(self, member_ids: list[int], thread_ids: list[int]) -> None:
        plan = self.plan
        first_id = self._next_id(Post)
        bodies = plan.bodies

        def rows() -> Iterator[tuple]:
            for n, (at, thread, position, author, body) in enumerate(plan.post_plan):
                source, html = bodies[body]
                yield (
                    first_id + n,
                    thread_ids[thread],
                    member_ids[author],
                    position,
                    source,
                    html,
                    _timestamp(at),
                    f"10.{author >> 16 & 255}.{author >> 8 & 255}.{author & 255}",
                    False,
                )

        self._copy(
            Post,
            [
                "id",
                "thread_id",
                "author_id",
                "position",
                "body",
                "body_html",
                "created_at",
                "ip_address",
                "is_deleted",
            ],
            rows(),
        )

    def _copy(
        self, model: type[models.Model], columns: list[str], rows: Iterable[tuple]
    ) -> None:
        """COPY rows into the model's table; other columns get their defaults."""
        # Generated columns (the search vectors) are PostgreSQL's to fill.
        rest = [
            f
            for f in model._meta.concrete_fields
            if f.column not in columns and not f.generated
        ]
        defaults = tuple(_column_default(field) for field in rest)
        names = ", ".join(
            connection.ops.quote_name(c) for c in [*columns, *(f.column for f in rest)]
        )
        table = connection.ops.quote_name(model._meta.db_table)
        statement = f"COPY {table} ({names}) FROM STDIN"
        connection.ensure_connection()
        rows = iter(rows)
        with connection.connection.cursor() as cursor:
            while batch := list(itertools.islice(rows, self.batch_size)):
                with cursor.copy(statement) as copy:
                    for row in batch:
                        copy.write_row(row + defaults)
                self.progress.update(len(batch))

    def _reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(
            no_style(), [User, Category, Board, Thread, Post]
        )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def _vacuum(self) -> None:
        # VACUUM sets the visibility map, so index-only scans work at once; it
        # cannot run inside a transaction (as under a test), where ANALYZE must do.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        tables = [m._meta.db_table for m in (User, Board, Thread, Post)]
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{command} {connection.ops.quote_name(table)}")


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _column_default(field: models.Field) -> Any:
    """The value a generated row stores in a column the generator does not set."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value = timezone.now()
    else:
        # A field without a default gives "" when empty strings are allowed.
        value = field.get_default()
    if value is None and not field.null:
        raise CommandError(
            f"generate_forum cannot fill {field.model.__name__}.{field.name}: "
            "give it a default or teach the generator about it."
        )
    return field.get_db_prep_save(value, connection)
