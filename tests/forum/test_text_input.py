"""Control and bidi characters in what members type: titles refuse them with a clear
error, bodies keep only tab and newline of the control characters."""

import pytest
from django.urls import reverse

from forum.forms import EditPostForm, ReplyForm, ThreadForm
from forum.models import Thread
from tests.factories import make_member, make_thread

pytestmark = pytest.mark.django_db

TITLE_CHARACTERS = [
    "\x01",
    "\x1b",
    "\x7f",
    "\x85",  # NEXT LINE
    "\x9b",
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202a",
    "\u2067",  # RIGHT-TO-LEFT ISOLATE
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u061c",
    "\t",
]


@pytest.mark.parametrize("character", TITLE_CHARACTERS)
def test_titles_with_control_or_bidi_characters_are_refused(character):
    title = f"Price list {character}for 2026"
    for form in (
        ThreadForm({"title": title, "body": "Body"}),
        EditPostForm({"title": title, "body": "Body"}, can_rename=True),
    ):
        assert not form.is_valid()
        assert f"U+{ord(character):04X}" in form.errors["title"][0]


# The issue's range: every C0 control, DEL and NEXT LINE.
ISSUE_CONTROLS = [chr(code) for code in range(0x01, 0x20)] + ["\x7f", "\x85"]


def test_every_control_of_the_issue_is_refused_in_titles_and_dropped_from_bodies():
    for character in ISSUE_CONTROLS:
        title = ThreadForm({"title": f"Price {character}list", "body": "Body"})
        assert not title.is_valid(), f"U+{ord(character):04X}"
        body = ReplyForm({"body": f"Price {character}list"})
        assert body.is_valid(), f"U+{ord(character):04X}"
        kept = body.cleaned_data["body"]
        assert kept in ("Price list", "Price \tlist", "Price \nlist"), repr(kept)


def test_title_error_keeps_what_was_typed(client, board, member):
    client.force_login(member)
    url = reverse("forum:thread_create", args=[board.slug])
    response = client.post(
        url, {"title": "Sale \u202egnp.exe", "body": "Precious text"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in html
    assert "Precious text" in html
    assert not Thread.objects.exists()


def test_titles_may_be_written_right_to_left_without_controls():
    form = ThreadForm({"title": "שלום עולם, مرحبا", "body": "Body"})
    assert form.is_valid(), form.errors


def test_a_tower_of_combining_marks_in_a_title_is_refused():
    form = ThreadForm({"title": "Z" + "\u0301" * 50 + "algo", "body": "Body"})
    assert not form.is_valid()
    assert "combining marks" in form.errors["title"][0]
    assert ThreadForm({"title": "Tiếng Việt", "body": "Body"}).is_valid()


def test_bodies_keep_tab_and_newline_only():
    typed = "a\x00b\x01c\td\r\ne\rf\x1bg\x7fh\x85i\x9fj\u202ek\n"
    form = ReplyForm({"body": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == "abc\td\ne\nfghij\u202ek"


def test_a_body_of_control_characters_only_is_empty(client, thread, other_member):
    client.force_login(other_member)
    url = reverse("forum:reply", args=[thread.pk])
    response = client.post(url, {"body": "\x01\x02\x03"})
    assert response.status_code == 200
    assert "Please write a message" in response.content.decode()


def test_stored_body_has_no_control_characters(client, thread, other_member):
    client.force_login(other_member)
    url = reverse("forum:reply", args=[thread.pk])
    client.post(url, {"body": "Hello\x07 there\x85\r\nfriend"})
    post = thread.posts.order_by("-position").first()
    assert post.body == "Hello there\nfriend"
    assert "\x07" not in post.body_html and "\x85" not in post.body_html


def test_member_text_is_isolated_next_to_interface_text(client, board):
    author = make_member("\u0639\u0645\u0631")
    thread = make_thread(board=board, author=author, title="\u05e9\u05dc\u05d5\u05dd 2")
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f"<title>&#x2068;{thread.title}&#x2069; · " in page
    assert f'aria-current="page"><bdi>{thread.title}</bdi></li>' in page
    assert f'Started by <a href="{author.get_absolute_url()}"><bdi>' in page
    assert f"<bdi>{author.username}</bdi></a></div>" in page  # the author card
    listing = client.get(board.get_absolute_url()).content.decode()
    assert f"<bdi>{thread.title}</bdi></a>" in listing
    assert f"<bdi>{author.username}</bdi> · " in listing
