"""SQL compiled once per process (accounts/prebuilt.py) reads what Django would read,
and links reversed once per name (config/jinja2.py ``url``) are the links reverse
gives."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix

from accounts import prebuilt
from config.jinja2 import url
from forum.models import Post
from forum.querysets import PostPage
from tests.factories import make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db


def fields(post: Post) -> tuple:
    author = post.author
    tier = author.tier
    return (
        post.pk,
        post.position,
        post.body_html,
        post.created_at,
        post.reaction_counts,
        post.reaction_catalogue,
        author.pk,
        author.username,
        author.date_joined,
        tier.name if tier else None,
        post.edited_by,
        post.get_deferred_fields(),
    )


def test_a_post_page_reads_the_posts_page_of_reads(board):
    thread = make_thread(board=board, author=make_member("opener"))
    make_posts(thread, count=25)
    for page in (1, 2):
        expected = list(Post.objects.page_of(thread, page, 20))
        posts = list(PostPage(thread, page, 20))
        assert [fields(p) for p in posts] == [fields(p) for p in expected]
        assert all(post.thread is thread for post in posts)
    assert len(list(PostPage(thread, 3, 20))) == 0


def test_a_post_page_compiles_once_and_reads_once(board):
    thread = make_thread(board=board, author=make_member("opener"))
    make_posts(thread, count=3)
    list(PostPage(thread, 1, 20))
    shape = prebuilt._compiled[("post page", 20)]
    other = make_thread(board=board, author=make_member("second"), title="Other")
    make_posts(other, count=2)
    with CaptureQueriesContext(connection) as queries:
        posts = list(PostPage(other, 1, 20))
    assert prebuilt._compiled[("post page", 20)] is shape
    assert len(queries) == 1
    assert {post.thread_id for post in posts} == {other.pk}
    assert len(posts) == 3  # the opening post and two replies


def test_the_fingerprint_ids_of_a_post_page_are_its_posts_in_order(board):
    thread = make_thread(board=board, author=make_member("opener"))
    make_posts(thread, count=4)
    sql, params = PostPage(thread, 1, 3).ids()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    assert ids == [post.pk for post in Post.objects.page_of(thread, 1, 3)]


def test_url_gives_what_reverse_gives():
    assert url("forum:post_edit", 7) == reverse("forum:post_edit", args=[7])
    assert url("forum:post_edit", 123456) == "/posts/123456/edit/"
    assert url("forum:index") == reverse("forum:index")
    # Not an int: reversed as usual, quoting included.
    assert url("forum:board_detail", "a-b") == reverse(
        "forum:board_detail", args=["a-b"]
    )


def test_url_follows_the_script_prefix():
    try:
        set_script_prefix("/forum/")
        assert url("forum:post_edit", 5) == "/forum/posts/5/edit/"
    finally:
        set_script_prefix("/")
    assert url("forum:post_edit", 5) == "/posts/5/edit/"


class _Elsewhere:
    """A router that sends reads to another database alias (never connected to)."""

    def db_for_read(self, model, **hints):
        return "elsewhere"


def test_a_compiled_shape_reads_where_the_router_says_at_each_run(board):
    # Compiled during one request (say, on the read replica), the shape must not
    # keep that database for a request that has to read the primary.
    thread = make_thread(board=board, author=make_member("opener"))
    list(PostPage(thread, 1, 20))
    shape = prebuilt._compiled[("post page", 20)]
    assert shape.db == "default"
    with override_settings(DATABASE_ROUTERS=[_Elsewhere()]):
        assert shape.db == "elsewhere"
    assert shape.db == "default"
