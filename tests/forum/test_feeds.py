"""Atom feeds of the newest threads, and the tags that point readers to them."""

import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from forum import services
from forum.models import BoardPermission
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_thread

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
Audience = BoardPermission.Audience


@pytest.fixture
def private_board(db):
    board = make_board("Staff room")
    group = Group.objects.create(name="Team")
    for audience in (Audience.GUESTS, Audience.MEMBERS):
        BoardPermission.objects.create(board=board, audience=audience, view_board=False)
    BoardPermission.objects.create(
        board=board, audience=Audience.GROUP, group=group, view_board=True
    )
    insider = make_member("insider")
    insider.groups.add(group)
    make_thread(board=board, author=insider, title="Quarterly secrets")
    return board, insider


def entries(response) -> list[dict]:
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [
        {
            "title": e.findtext(f"{ATOM}title"),
            "link": e.find(f"{ATOM}link").get("href"),
            "summary": e.findtext(f"{ATOM}summary"),
            "author": e.findtext(f"{ATOM}author/{ATOM}name"),
        }
        for e in root.findall(f"{ATOM}entry")
    ]


def test_the_forum_feed_lists_the_newest_threads_first(client, board, member):
    first = make_thread(board=board, author=member, title="Older")
    second = make_thread(board=board, author=member, title="Newer & <b>bold</b>")
    items = entries(client.get(reverse("forum:feed")))
    assert [i["title"] for i in items] == ["Newer & <b>bold</b>", "Older"]
    assert items[0]["link"] == f"http://testserver{second.get_absolute_url()}"
    assert items[1]["link"].endswith(first.get_absolute_url())
    assert items[0]["author"] == "alice"


def test_a_feed_never_shows_what_a_guest_may_not_read(
    client, board, member, private_board, moderator
):
    make_thread(board=board, author=member, title="Public news")
    gone = make_thread(board=board, author=member, title="Deleted one")
    services.delete_thread(thread=gone, moderator=moderator, reason="spam")
    _, insider = private_board
    # Not even for a member who may read the private board: feeds are a guest's.
    client.force_login(insider)
    titles = [i["title"] for i in entries(client.get(reverse("forum:feed")))]
    assert titles == ["Public news"]


def test_a_private_boards_feed_is_a_404_for_everyone(client, private_board):
    board, insider = private_board
    url = reverse("forum:board_feed", args=[board.slug])
    assert client.get(url).status_code == 404
    client.force_login(insider)
    assert client.get(url).status_code == 404


def test_a_board_feed_has_that_boards_threads_only(client, board, member):
    other = make_board("Elsewhere")
    make_thread(board=board, author=member, title="Here")
    make_thread(board=other, author=member, title="There")
    url = reverse("forum:board_feed", args=[board.slug])
    assert [i["title"] for i in entries(client.get(url))] == ["Here"]


def test_an_entry_summary_is_the_opening_posts_words_without_quotes(client, board):
    author = make_member("writer")
    body = '[quote="someone"]Quoted words[/quote]My <own> words & more.'
    make_thread(board=board, author=author, title="Summary", body=body)
    (item,) = entries(client.get(reverse("forum:feed")))
    # The summary is HTML: the text comes back escaped once, tags and all.
    assert item["summary"] == "My &lt;own&gt; words &amp; more."


@pytest.mark.parametrize("slug", ["no-such-board", "a" * 500, "%00"])
def test_a_feed_for_a_board_that_is_not_there_is_a_404(client, slug):
    assert client.get(f"/boards/{slug}/feed/").status_code == 404


@pytest.mark.parametrize("name", ["forum", "board"])
def test_a_feed_costs_the_same_with_5_or_50_threads(client, board, name):
    authors = [make_member() for _ in range(3)]
    url = (
        reverse("forum:feed")
        if name == "forum"
        else reverse("forum:board_feed", args=[board.slug])
    )
    for n in range(5):
        make_thread(board=board, author=authors[n % 3], title=f"T{n}")
    few = count_queries(client, url)
    for n in range(45):
        make_thread(board=board, author=authors[n % 3], title=f"U{n}")
    assert count_queries(client, url) == few == (2 if name == "forum" else 3)
    assert len(entries(client.get(url))) == 20


def test_the_forum_list_and_board_pages_link_their_feeds(client, board):
    index = client.get("/").content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Latest threads" '
        f'href="{reverse("forum:feed")}">'
    ) in index
    page = client.get(board.get_absolute_url()).content.decode()
    feed = reverse("forum:board_feed", args=[board.slug])
    title = "General chat: latest threads"
    assert f'type="application/atom+xml" title="{title}" href="{feed}"' in page


def test_where_guests_see_titles_only_the_feed_and_sitemap_list_nothing(
    client, board, member
):
    make_thread(board=board, author=member, title="Members read this")
    BoardPermission.objects.create(audience=Audience.GUESTS, read_threads=False)
    assert entries(client.get(reverse("forum:feed"))) == []
    assert b"<loc>" not in client.get("/sitemap-threads.xml").content
