"""sitemap.xml, robots.txt and what a thread or board page tells search engines."""

import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from django.contrib.auth.models import Group

from forum import services, sitemaps
from forum.models import BoardPermission, Thread
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
Audience = BoardPermission.Audience


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(sitemaps.ThreadSitemap, "limit", 3)


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
    return board, insider


def locations(response, tag: str = "url") -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return [e.findtext(f"{SM}loc") for e in root.findall(f"{SM}{tag}")]


def test_the_index_lists_a_page_per_range_of_thread_ids(client, board, small_pages):
    author = make_member()
    threads = [make_thread(board=board, author=author) for _ in range(7)]
    top = max(t.pk for t in threads)
    pages = -(-top // 3)
    listed = locations(client.get("/sitemap.xml"), tag="sitemap")
    base = "http://testserver/sitemap-threads.xml"
    assert listed == [
        "http://testserver/sitemap-boards.xml",
        base,
        *(f"{base}?p={n}" for n in range(2, pages + 1)),
    ]


def test_every_readable_thread_is_on_exactly_one_page(client, board, small_pages):
    author = make_member()
    threads = [make_thread(board=board, author=author) for _ in range(8)]
    found = []
    for n in range(1, -(-max(t.pk for t in threads) // 3) + 1):
        found += locations(client.get(f"/sitemap-threads.xml?p={n}"))
    assert sorted(found) == sorted(
        f"http://testserver{t.get_absolute_url()}" for t in threads
    )


def test_private_deleted_and_held_threads_stay_out(
    client, board, private_board, moderator, settings
):
    author = make_member()
    public = make_thread(board=board, author=author, title="Open")
    gone = make_thread(board=board, author=author, title="Gone")
    services.delete_thread(thread=gone, moderator=moderator)
    secret_board, insider = private_board
    make_thread(board=secret_board, author=insider, title="Secret")
    settings.FORUM_APPROVAL_POSTS = 5
    make_thread(board=board, author=make_member("newcomer"), title="Held")
    assert Thread.objects.filter(is_approved=False).exists()
    client.force_login(insider)
    urls = locations(client.get("/sitemap-threads.xml"))
    assert urls == [f"http://testserver{public.get_absolute_url()}"]
    boards = locations(client.get("/sitemap-boards.xml"))
    assert boards == [f"http://testserver{board.get_absolute_url()}"]


@pytest.mark.parametrize(
    "page", ["abc", "0", "-1", "99999", "1e3", "%00", "%D9%A1", "9" * 40, "", " 1"]
)
def test_a_page_that_is_not_there_is_a_404(client, board, page):
    make_thread(board=board, author=make_member())
    assert client.get(f"/sitemap-threads.xml?p={page}").status_code == 404


def test_an_unknown_section_is_a_404(client):
    assert client.get("/sitemap-members.xml").status_code == 404


def test_a_sitemap_page_costs_the_same_with_5_or_50_threads(client, board):
    author = make_member()
    for _ in range(5):
        make_thread(board=board, author=author)
    few = [count_queries(client, u) for u in ("/sitemap.xml", "/sitemap-threads.xml")]
    for _ in range(45):
        make_thread(board=board, author=author)
    many = [count_queries(client, u) for u in ("/sitemap.xml", "/sitemap-threads.xml")]
    # The index: board permissions, the highest id, the boards' latest post and
    # the board list; a page: permissions, the highest id and its rows.
    assert few == many == [4, 3]
    assert len(locations(client.get("/sitemap-threads.xml"))) == 50


def test_robots_txt_keeps_crawlers_to_public_pages_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/accounts/", "/admin/", "/moderation/", "/search/", "/posts/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert not any(line in {"Disallow: /threads/", "Disallow: /"} for line in lines)


def meta(html: str, key: str) -> str:
    """The attribute's text, whichever entity the template escaped a quote with."""
    found = re.search(rf'<meta (?:name|property)="{key}" content="([^"]*)"', html)
    return unescape(found.group(1)) if found else ""


def canonical(html: str) -> str:
    return re.search(r'<link rel="canonical" href="([^"]*)"', html).group(1)


def test_a_thread_page_describes_itself_from_its_opening_post(client, board):
    author = make_member()
    body = '[quote="x"]Not this[/quote]"Tea" & <cake> at  five.\n\nSee you.'
    thread = make_thread(board=board, author=author, title='Tea "party"', body=body)
    html = client.get(thread.get_absolute_url()).content.decode()
    url = f"http://testserver{thread.get_absolute_url()}"
    # Escaped in the attribute: the regex stops at the first raw quote.
    assert meta(html, "description") == '"Tea" & <cake> at five. See you.'
    assert "<cake>" not in html
    assert meta(html, "og:description") == meta(html, "description")
    assert meta(html, "og:title") == 'Tea "party"'
    assert meta(html, "og:type") == "article"
    assert meta(html, "og:url") == url == canonical(html)


def test_a_long_opening_post_is_trimmed(client, board):
    thread = make_thread(board=board, author=make_member(), body="word " * 2000)
    description = meta(
        client.get(thread.get_absolute_url()).content.decode(), "description"
    )
    assert 100 < len(description) <= 200 and description.endswith("…")


def test_a_later_page_is_canonical_to_itself(client, thread, settings):
    settings.FORUM_POSTS_PER_PAGE = 2
    make_posts(thread, count=3)
    html = client.get(f"{thread.get_absolute_url()}?page=2").content.decode()
    assert canonical(html) == f"http://testserver{thread.get_absolute_url()}?page=2"
    first = client.get(thread.get_absolute_url()).content.decode()
    assert canonical(first) == f"http://testserver{thread.get_absolute_url()}"


def test_a_deleted_opening_post_gives_no_description_of_it(client, thread, moderator):
    thread.posts.filter(position=1).update(is_deleted=True)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert meta(html, "description") == "A thread in General chat."


def test_board_pages_are_canonical(client, board, settings):
    settings.FORUM_THREADS_PER_PAGE = 2
    author = make_member()
    for _ in range(3):
        make_thread(board=board, author=author)
    url = f"http://testserver{board.get_absolute_url()}"
    assert canonical(client.get(board.get_absolute_url()).content.decode()) == url
    page2 = client.get(f"{board.get_absolute_url()}?page=2").content.decode()
    assert canonical(page2) == f"{url}?page=2"
