"""export_forum and import_forum: the public forum out to JSON lines and back.

The round trip renders every public page of a generated forum (plus the awkward
cases factories add: sub-boards, quotes, edits, deleted posts, custom titles),
exports, empties the forum tables, imports, and renders the same pages again.
"""

import difflib
import gzip
import json
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import timezone

from accounts.models import Tier, User
from forum import services
from forum.management.commands.recount import find_drift
from forum.models import Board, BoardPermission, Category, Post, Thread
from ops.forum_export import FORMAT, PLACEHOLDER_DOMAIN, VERSION
from tests.factories import make_board, make_member, make_thread

pytestmark = pytest.mark.django_db

SMALL = {
    "users": 12,
    "categories": 2,
    "boards_per_category": 2,
    "threads": 12,
    "posts": 150,
    "hot_thread_posts": 45,
    "seed": 3,
    "batch_size": 100,
    "no_progress": True,
}
SECRETS = ("SECRET-PRIVATE", "SECRET-DELETED", "SECRET-HELD", "SECRET-REMOVED")
ADDRESS = "203.0.113.9"
# A time is shown relative to now ("3 minutes ago"); compare the absolute one.
RELATIVE_TIME = re.compile(r'(<time datetime="[^"]*"[^>]*>)[^<]*(</time>)')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def forum(settings):
    """A generated forum with the cases a thread page draws differently."""
    call_command("generate_forum", **SMALL)
    staff = make_member("root", is_staff=True, is_superuser=True)
    alice = make_member("alice", custom_title="Resident Owl")
    alice.signature, alice.signature_html = "[b]hoot[/b]", "<b>hoot</b>"
    alice.save()
    bob = make_member("bob")
    bob.pinned_tier = Tier.objects.order_by("-min_posts").first()
    bob.save()
    parent = Board.objects.order_by("pk").first()
    sub = make_board("Sub board", category=parent.category, parent=parent)
    thread = make_thread(board=sub, author=alice, title="Quotes and edits")
    first = thread.posts.get()
    quoted = services.post_reply(
        thread=thread,
        author=bob,
        body=f'[QUOTE="alice, post: {first.pk}, member: {alice.pk}"]Hi[/QUOTE]Yes!',
        ip_address=ADDRESS,
    )
    services.edit_post(post=quoted, editor=bob, body=quoted.body + " (edited)")
    removed = services.post_reply(thread=thread, author=alice, body="SECRET-REMOVED")
    services.delete_post(post=removed, actor=staff)
    services.post_reply(thread=thread, author=bob, body="After the gap.")
    settings.FORUM_APPROVAL_POSTS = 100
    services.post_reply(thread=thread, author=make_member("newbie"), body="SECRET-HELD")
    settings.FORUM_APPROVAL_POSTS = 0
    services.set_thread_sticky(thread=thread, moderator=staff, sticky=True)
    services.set_thread_locked(thread=thread, moderator=staff, locked=True)

    # What a guest cannot read, which must not leave the database.
    private = make_board("Staff room")
    BoardPermission.objects.create(
        board=private, audience=BoardPermission.Audience.GUESTS, view_board=False
    )
    BoardPermission.objects.create(
        board=private, audience=BoardPermission.Audience.MEMBERS, view_board=False
    )
    make_thread(board=private, author=staff, body="SECRET-PRIVATE")
    gone = make_thread(board=sub, author=bob, body="SECRET-DELETED")
    services.delete_thread(thread=gone, moderator=staff)
    # Three days old: no page says "just now" on one side of a minute and not the other.
    for model in (Post, Thread):
        model.objects.filter(created_at__gt=timezone.now() - timedelta(hours=1)).update(
            created_at=F("created_at") - timedelta(days=3)
        )
    Post.objects.filter(edited_at__isnull=False).update(
        edited_at=F("edited_at") - timedelta(days=3)
    )
    call_command("recount")
    return {"thread": thread, "quoted": quoted, "first": first, "alice": alice}


def public_urls() -> list[str]:
    urls = ["/"]
    urls += [board.get_absolute_url() for board in Board.objects.all()]
    for thread in Thread.objects.filter(is_deleted=False, is_approved=True):
        urls += [thread.page_url(page) for page in range(1, thread.page_count + 1)]
    urls += [member.get_absolute_url() for member in User.objects.all()]
    return urls


def render(urls: list[str]) -> dict[str, tuple[int, str]]:
    cache.clear()
    guest = Client()
    pages = {}
    for url in urls:
        response = guest.get(url)
        text = response.content.decode()
        text = CSRF.sub('name="csrfmiddlewaretoken"', text)
        pages[url] = (response.status_code, RELATIVE_TIME.sub(r"\1\2", text))
    return pages


def empty_the_forum() -> None:
    """What a freshly migrated database holds: the groups' forum-wide rights too."""
    groups = list(BoardPermission.objects.filter(board=None, group__isnull=False))
    tables = [User, Category, Board, Thread, Post]
    names = ", ".join(model._meta.db_table for model in tables)
    with connection.cursor() as cursor:
        # Inside the test's transaction: run the deferred key checks first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {names} CASCADE")
    BoardPermission.objects.bulk_create(groups)


def export(path: Path) -> list[dict]:
    call_command("export_forum", str(path), verbosity=0)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def test_the_round_trip_gives_identical_pages(forum, tmp_path):
    urls = public_urls()
    before = render(urls)
    # The private board's pages are 404 for guests, before and after.
    assert sorted(status for status, _ in before.values()).count(404) == 2
    path = tmp_path / "forum.jsonl.gz"
    records = export(path)
    assert records[0]["format"] == FORMAT and records[0]["version"] == VERSION
    assert records[-1] == {"type": "end", "counts": records[0]["counts"]}

    empty_the_forum()
    assert render(["/"])["/"] != before["/"]
    call_command("import_forum", str(path), verbosity=0)

    after = render(urls)
    for url in urls:
        # Members whose only posts were private or held show what is public.
        if url in {
            u.get_absolute_url()
            for u in User.objects.filter(username__in=["root", "newbie"])
        }:
            continue
        assert after[url] == before[url], "\n".join(
            difflib.unified_diff(
                before[url][1].splitlines(), after[url][1].splitlines(), lineterm=""
            )
        )
    assert find_drift() == []


def test_quotes_and_links_keep_their_post_ids(forum, tmp_path):
    path = tmp_path / "forum.jsonl"
    export(path)
    empty_the_forum()
    call_command("import_forum", str(path), verbosity=0)
    quoted = Post.objects.get(pk=forum["quoted"].pk)
    assert f"post: {forum['first'].pk}" in quoted.body
    assert f'href="/posts/{forum["first"].pk}/"' in quoted.body_html
    response = Client().get(f"/posts/{forum['first'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith(forum["thread"].get_absolute_url())


def test_nothing_private_leaves_the_database(forum, tmp_path):
    path = tmp_path / "forum.jsonl"
    export(path)
    text = path.read_text(encoding="utf-8")
    for secret in (*SECRETS, ADDRESS, "@example.com", "md5$", '"password"', '"email"'):
        assert secret not in text, secret
    kinds = [json.loads(line).get("type") for line in text.splitlines()[1:]]
    assert "Staff room" not in text
    assert kinds.count("member") == User.objects.count()


def test_an_imported_forum_takes_new_members_and_replies(forum, tmp_path):
    path = tmp_path / "forum.jsonl"
    export(path)
    empty_the_forum()
    call_command("import_forum", str(path), verbosity=0)
    top_post = Post.objects.order_by("-pk").values_list("pk", flat=True).first()
    alice = User.objects.get(username="alice")
    assert alice.email == f"member-{alice.pk}@{PLACEHOLDER_DOMAIN}"
    assert not alice.has_usable_password()
    assert alice.title == "Resident Owl"
    open_thread = Thread.objects.filter(is_locked=False).order_by("pk").first()
    reply = services.post_reply(
        thread=open_thread,
        author=make_member("carol"),
        body="Fresh after the move.",
    )
    assert reply.pk > top_post


def test_the_commands_report_what_they_moved(forum, tmp_path):
    path = tmp_path / "forum.jsonl"
    out = StringIO()
    call_command("export_forum", str(path), stdout=out)
    assert f"{Category.objects.count()} categories" in out.getvalue()
    empty_the_forum()
    out = StringIO()
    call_command("import_forum", str(path), stdout=out)
    assert f"{Thread.objects.count():,} threads" in out.getvalue()


def test_import_refuses_a_forum_that_is_not_empty(forum, tmp_path):
    path = tmp_path / "forum.jsonl"
    export(path)
    posts = Post.objects.count()
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_forum", str(path), verbosity=0)
    assert Post.objects.count() == posts


def write_lines(path: Path, lines: list) -> Path:
    path.write_text(
        "".join(
            (line if isinstance(line, str) else json.dumps(line)) + "\n"
            for line in lines
        ),
        encoding="utf-8",
    )
    return path


HEADER = {"format": FORMAT, "version": VERSION, "counts": {}}
MEMBER = {
    "type": "member",
    "id": 5,
    "username": "zed",
    "date_joined": "2020-01-02T03:04:05+00:00",
    "last_seen_at": None,
}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "empty"),
        ([{"format": "phpbb"}], "not a colloquy-forum export"),
        ([{**HEADER, "version": 2}], "version 2"),
        ([HEADER, "{not json"], "line 2: not JSON"),
        ([HEADER, MEMBER], "cut short"),
        ([HEADER, {"type": "poll"}, {"type": "end"}], "unknown record type"),
        ([HEADER, {**MEMBER, "id": "5"}, {"type": "end"}], "'id' has the wrong type"),
        ([HEADER, {**MEMBER, "date_joined": "yesterday"}], "'date_joined' is not"),
        ([HEADER, {**MEMBER, "username": "a\x00b"}], "NUL"),
        ([HEADER, MEMBER, MEMBER, {"type": "end"}], "do not fit together"),
        (
            [
                HEADER,
                MEMBER,
                {
                    "type": "tier",
                    "id": 1,
                    "name": "x",
                    "min_posts": 0,
                    "style": "plain",
                    "order": 0,
                },
            ],
            "tier records come before member",
        ),
        (
            [
                HEADER,
                {
                    "type": "thread",
                    "id": 1,
                    "board": 99,
                    "author": 5,
                    "title": "t",
                    "slug": "t",
                    "created_at": "2020-01-02T03:04:05+00:00",
                },
                {"type": "end"},
            ],
            "do not fit together",
        ),
    ],
)
def test_a_bad_file_imports_nothing_and_says_why(tmp_path, lines, message):
    path = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("import_forum", str(path), verbosity=0)
    assert not User.objects.exists() and not Thread.objects.exists()
    assert Tier.objects.exists()  # the default ladder survives a failed import


def test_a_file_that_is_not_gzip_or_not_there_is_refused(tmp_path):
    fake = tmp_path / "forum.jsonl.gz"
    fake.write_text("plain text", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_forum", str(fake), verbosity=0)
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_forum", str(tmp_path / "missing.jsonl"), verbosity=0)


def test_imported_html_is_sanitised_again(tmp_path):
    lines = [
        HEADER,
        {
            **MEMBER,
            "about": "hi",
            "about_html": '<p onclick="x()">hi</p><script>bad()</script>',
        },
        {"type": "category", "id": 1, "name": "C", "slug": "c", "position": 0},
        {
            "type": "board",
            "id": 1,
            "category": 1,
            "parent": None,
            "name": "B",
            "slug": "b",
            "position": 0,
        },
        {
            "type": "thread",
            "id": 1,
            "board": 1,
            "author": 5,
            "title": "T",
            "slug": "t",
            "created_at": "2020-01-02T03:04:05+00:00",
        },
        {
            "type": "post",
            "id": 7,
            "thread": 1,
            "author": 5,
            "position": 1,
            "created_at": "2020-01-02T03:04:05+00:00",
            "body": "[b]source only[/b]",
        },
        {"type": "end"},
    ]
    call_command(
        "import_forum", str(write_lines(tmp_path / "f.jsonl", lines)), verbosity=0
    )
    about = User.objects.get(pk=5).about_html
    assert "onclick" not in about and "<script" not in about
    post = Post.objects.get(pk=7)
    assert (
        "<strong>source only</strong>" in post.body_html
        or "<b>source only</b>" in post.body_html
    )
    thread = Thread.objects.get(pk=1)
    assert (thread.last_post_id, thread.reply_count) == (7, 0)
    assert User.objects.get(pk=5).post_count == 1
