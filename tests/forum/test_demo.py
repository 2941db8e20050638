import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from accounts.models import User
from forum.models import Board, Post, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_gates(settings):
    # The suite switches these off; make run loads the demo with them on.
    settings.FORUM_POST_INTERVAL_SECONDS = 15
    settings.FORUM_THREAD_INTERVAL_SECONDS = 120
    settings.FORUM_APPROVAL_POSTS = 1
    settings.FORUM_APPROVAL_LINK_POSTS = 5


def test_demo_forum_loads_with_consistent_counters_and_tiers(client):
    call_command("load_demo_forum")
    assert not Post.objects.filter(is_approved=False).exists()
    assert Board.objects.count() >= 6
    assert Thread.objects.filter(is_sticky=True).exists()
    for board in Board.objects.annotate(
        n_threads=Count("threads", distinct=True), n_posts=Count("threads__posts")
    ):
        assert (board.thread_count, board.post_count) == (
            board.n_threads,
            board.n_posts,
        )
    for member in User.objects.annotate(
        n_posts=Count("posts", filter=Q(posts__is_deleted=False))
    ):
        assert member.post_count == member.n_posts
    titles = set(
        User.objects.exclude(pinned_tier=None).values_list(
            "pinned_tier__name", flat=True
        )
    )
    assert {"Platinum Member", "Gold Member"} <= titles
    html = client.get("/").content.decode()
    assert (
        "Woodworking" in html
        and f"Posts: <strong>{Post.objects.count()}</strong>" in html
    )


def test_demo_forum_is_not_loaded_twice():
    call_command("load_demo_forum")
    boards = Board.objects.count()
    call_command("load_demo_forum", if_empty=True)
    with pytest.raises(CommandError):
        call_command("load_demo_forum")
    assert Board.objects.count() == boards
