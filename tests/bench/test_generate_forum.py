from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Max, Min

from accounts.models import User
from bench.generator.management.commands.generate_forum import MEMBER_DOMAIN
from forum.management.commands.recount import recount_all
from forum.models import Board, Category, Post, Thread
from tests.factories import make_thread

pytestmark = pytest.mark.django_db

SMALL = {
    "users": 25,
    "categories": 2,
    "boards_per_category": 3,
    "threads": 40,
    "posts": 600,
    "hot_thread_posts": 90,
    "seed": 7,
    "batch_size": 100,
    "no_progress": True,
}


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_forum", **{**SMALL, **options}, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list]:
    """Everything generated except absolute times, which follow today's date."""
    return {
        "members": list(
            User.objects.filter(email__endswith=MEMBER_DOMAIN)
            .order_by("pk")
            .values_list("pk", "username", "post_count", "tier__name")
        ),
        "boards": list(
            Board.objects.order_by("pk").values_list(
                "pk", "slug", "thread_count", "post_count", "last_post_id"
            )
        ),
        "threads": list(
            Thread.objects.order_by("pk").values_list(
                "pk", "board_id", "author_id", "title", "reply_count", "last_post_id"
            )
        ),
        "posts": list(
            Post.objects.order_by("pk").values_list(
                "pk", "thread_id", "position", "author_id", "body", "body_html"
            )
        ),
    }


def test_generates_the_requested_amounts():
    out = generate()
    assert "Generated 25 members, 40 threads and 600 posts in" in out
    assert User.objects.filter(email__endswith=MEMBER_DOMAIN).count() == 25
    assert Category.objects.count() == 2
    assert Board.objects.count() == 6
    assert Thread.objects.count() == 40
    assert Post.objects.count() == 600
    assert Thread.objects.order_by("pk").first().last_position == 90


def test_counters_and_pointers_are_what_recount_computes():
    generate()
    assert set(recount_all().values()) == {0}
    # And independently of recount's SQL:
    for thread in Thread.objects.annotate(n=Count("posts"), top=Max("posts__id")):
        assert thread.reply_count == thread.n - 1
        assert thread.last_post_id == thread.top
        assert thread.last_post_at == Post.objects.get(pk=thread.top).created_at
    for board in Board.objects.annotate(n=Count("threads")):
        assert board.thread_count == board.n
        assert board.post_count == Post.objects.filter(thread__board=board).count()
        assert (
            board.last_post_id
            == (
                Post.objects.filter(thread__board=board).aggregate(top=Max("id"))["top"]
            )
        )
    for member in User.objects.annotate(n=Count("posts")):
        assert member.post_count == member.n


def test_positions_are_dense_and_times_grow_with_them():
    generate()
    for thread in Thread.objects.annotate(
        n=Count("posts"), low=Min("posts__position"), high=Max("posts__position")
    ):
        # Positions are unique per thread, so 1..n with n rows means dense.
        assert (thread.low, thread.high, thread.last_position) == (
            1,
            thread.n,
            thread.n,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT created_at, lag(created_at) OVER "
            "(PARTITION BY thread_id ORDER BY position) AS before FROM forum_post) p "
            "WHERE created_at <= before"
        )
        assert cursor.fetchone()[0] == 0
    first_posts = Post.objects.filter(position=1).select_related("thread")
    assert all(post.created_at == post.thread.created_at for post in first_posts)


def test_same_seed_gives_the_same_forum():
    generate()
    first = snapshot()
    generate(force=True)
    assert snapshot() == first
    generate(force=True, seed=8)
    assert snapshot()["posts"] != first["posts"]


def test_refuses_a_forum_with_posts_unless_forced(member):
    make_thread(author=member)
    with pytest.raises(CommandError, match="--force"):
        generate()
    generate(force=True)
    member.refresh_from_db()
    assert member.post_count == 0
    assert Post.objects.filter(author=member).count() == 0
    assert Thread.objects.count() == 40


def test_members_share_one_unusable_password():
    generate()
    passwords = set(
        User.objects.filter(email__endswith=MEMBER_DOMAIN).values_list(
            "password", flat=True
        )
    )
    assert len(passwords) == 1
    assert not User.objects.filter(email__endswith=MEMBER_DOMAIN)[
        0
    ].has_usable_password()
