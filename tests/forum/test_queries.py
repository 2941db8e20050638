"""Every main page's SQL query count, pinned, for guests and members.

Counts are taken with an empty cache (the worst case: every fragment is rendered) and
again with it warm; both must not grow with the number of items on the page. A page
costs at most 6 queries for a guest and 8 for a member. Each test grows its page just
past one full page (20 posts, 25 threads, 10 profile items): more rows than that are
never read by the page, only slower to create.
"""

import pytest
from django.core.cache import cache, caches
from django.urls import reverse

from forum.models import OnlineRecord
from tests.conftest import count_queries
from tests.factories import make_board, make_category, make_member, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    caches["online"].clear()
    yield
    cache.clear()
    caches["online"].clear()


@pytest.fixture(autouse=True)
def _standing_online_record(db):
    # No page here beats it, so none saves a new one: a new record costs its first
    # member page one upsert (tests/forum/test_online.py).
    OnlineRecord.objects.create(pk=1, count=10**6)


def cold_and_warm(client, url: str) -> tuple[int, int]:
    cache.clear()
    # Who's online and the member figures (forum/online.py) are a snapshot there.
    caches["online"].clear()
    cold = count_queries(client, url)
    warm = count_queries(client, url)
    return cold, warm


@pytest.fixture
def reader(db):
    return make_member("reader")


@pytest.fixture(params=["guest", "member"])
def visitor(request, client, reader):
    if request.param == "member":
        client.force_login(reader)
    return request.param


def grow_thread(thread, authors, count: int) -> None:
    from forum import services

    for n in range(count):
        services.post_reply(
            thread=thread, author=authors[n % len(authors)], body=f"Reply {n}."
        )


# (page, guest cold, guest warm, member cold, member warm). A guest's include one
# query for their board permissions (forum/access.py); a member's come with the
# member behind the session, in its query. A member's forum list
# and board page read their unread markers in one query; a member's first view of a
# thread page (cold, here) adds READ_PROGRESS, one upsert (forum/readstate.py).
# A member's thread page reads their own reactions to the page's posts in one query
# (forum/reactions.py, for_viewer); a guest's reads none.
EXPECTED = {
    # Member figures and who's online: one snapshot a minute (forum/online.py).
    "forum list": (4, 2, 6, 4),
    # A board without sub-boards skips their query (its row says it has none).
    "board": (4, 3, 6, 5),
    "thread": (4, 3, 6, 4),
    "thread last page": (4, 3, 6, 4),
    "member profile": (4, 4, 5, 5),
    # Search (forum/search.py): the board filter's choices, the planner's estimate
    # (EXPLAIN), the ranked ids, then the page's rows with their snippets.
    "search": (5, 5, 6, 6),
}


READ_PROGRESS = 1


def expected(page: str, visitor: str) -> tuple[int, int]:
    guest_cold, guest_warm, member_cold, member_warm = EXPECTED[page]
    return (
        (guest_cold, guest_warm) if visitor == "guest" else (member_cold, member_warm)
    )


def test_forum_list_queries_do_not_grow_with_boards(client, visitor):
    category = make_category()
    authors = [make_member() for _ in range(3)]
    for n in range(5):
        board = make_board(f"Board {n}", category=category)
        make_thread(board=board, author=authors[n % 3])
    few = cold_and_warm(client, "/")
    for n in range(5, 20):
        board = make_board(f"Board {n}", category=make_category(f"Cat {n % 7}"))
        make_thread(board=board, author=authors[n % 3])
    assert cold_and_warm(client, "/") == few == expected("forum list", visitor)


def test_board_page_queries_do_not_grow_with_threads(client, visitor, board):
    authors = [make_member() for _ in range(3)]
    for n in range(5):
        make_thread(board=board, author=authors[n % 3], title=f"Thread {n}")
    url = board.get_absolute_url()
    few = cold_and_warm(client, url)
    for n in range(5, 30):
        make_thread(board=board, author=authors[n % 3], title=f"Thread {n}")
    assert cold_and_warm(client, url) == few == expected("board", visitor)
    assert cold_and_warm(client, f"{url}?page=2") == few


def test_thread_page_queries_do_not_grow_with_posts(client, visitor, thread):
    authors = [make_member() for _ in range(5)]
    grow_thread(thread, authors, 4)
    url = thread.get_absolute_url()
    few = cold_and_warm(client, url)
    grow_thread(thread, authors, 20)
    assert cold_and_warm(client, url) == few == expected("thread", visitor)


def test_thread_page_with_the_cache_off_reads_posts_once(
    client, visitor, thread, settings
):
    settings.FORUM_FRAGMENT_SECONDS = 0
    authors = [make_member() for _ in range(5)]
    grow_thread(thread, authors, 4)
    url = thread.get_absolute_url()
    few = count_queries(client, url)
    grow_thread(thread, authors, 20)
    guest_warm, member_warm = EXPECTED["thread"][1], EXPECTED["thread"][3]
    assert count_queries(client, url) == few
    # Each count shows the member new posts: both move their read state forward.
    assert few == (guest_warm if visitor == "guest" else member_warm + READ_PROGRESS)


def test_thread_last_page_costs_what_the_first_does(client, visitor, thread):
    authors = [make_member() for _ in range(5)]
    grow_thread(thread, authors, 24)
    thread.refresh_from_db()
    last = thread.page_url(thread.page_count)
    assert thread.page_count == 2
    assert cold_and_warm(client, last) == expected("thread last page", visitor)
    assert cold_and_warm(client, last) == cold_and_warm(
        client, thread.get_absolute_url()
    )


def test_member_profile_queries_do_not_grow_with_posts(client, visitor, board):
    author = make_member("prolific")
    thread = make_thread(board=board, author=author)
    grow_thread(thread, [author], 4)
    url = reverse("member_detail", args=[author.pk])
    few = cold_and_warm(client, url)
    grow_thread(thread, [author], 20)
    assert cold_and_warm(client, url) == few == expected("member profile", visitor)


def test_a_thread_page_of_reacted_posts_costs_what_one_reacted_post_does(
    client, visitor, reader, thread
):
    from forum import reactions
    from forum.models import Reaction

    like, love = Reaction.objects.all()[:2]
    fans = [make_member() for _ in range(2)]
    url = thread.get_absolute_url()
    # The reader's own reactions too: they are the per-viewer part of the page.
    for fan in (*fans, reader):
        reactions.react(user=fan, post=thread.posts.get(), reaction=like)
    one = cold_and_warm(client, url)
    grow_thread(thread, fans, 19)
    for n, post in enumerate(thread.posts.filter(position__gt=1)):
        for fan in (*fans, reader):
            if fan.pk != post.author_id:
                reactions.react(user=fan, post=post, reaction=(like, love)[n % 2])
    assert cold_and_warm(client, url) == one == expected("thread", visitor)


@pytest.mark.parametrize("count", [5, 30])
def test_new_thread_form_costs_a_fixed_number_of_queries(client, reader, board, count):
    for n in range(count):
        make_thread(board=board, author=reader, title=f"Thread {n}")
    client.force_login(reader)
    url = reverse("forum:thread_create", args=[board.slug])
    # The session, the member with their board permissions, the board with the
    # draft.
    assert count_queries(client, url) == 3


@pytest.mark.parametrize("count", [5, 25])
def test_reply_form_costs_a_fixed_number_of_queries(client, reader, thread, count):
    grow_thread(thread, [reader], count - 1)
    client.force_login(reader)
    url = reverse("forum:reply", args=[thread.pk])
    assert count_queries(client, url) == 3


# Alerts and watching (forum/alerts.py, forum/watching.py). The header's bell reads
# the member's own row (no query); the thread and board pages read the viewer's
# watch inside the thread's or board's own query (no query).
ALERT_PAGES = {"alerts": 3, "alert menu": 3, "watched": 4, "alert settings": 3}


def test_the_bell_and_watch_buttons_cost_no_query(client, reader, thread, board):
    from forum import alerts, watching

    client.force_login(reader)
    urls = [thread.get_absolute_url(), board.get_absolute_url()]
    counts = [cold_and_warm(client, url)[1] for url in urls]
    watching.watch_thread(user=reader, thread=thread, email=True)
    watching.watch_board(user=reader, board=board)
    posts = [make_thread(board=board).posts.get() for _ in range(3)]
    for post in posts:
        alerts.notify(reader.pk, alerts.Kind.MENTION, post=post)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert 'data-count="3"' in page and "Watching with email" in page
    assert [cold_and_warm(client, url)[1] for url in urls] == counts


@pytest.mark.parametrize("page", list(ALERT_PAGES))
def test_alert_pages_do_not_grow_with_alerts(client, reader, board, page):
    from forum import alerts, watching

    client.force_login(reader)
    url = {
        "alerts": reverse("forum:alert_list"),
        "alert menu": reverse("forum:alert_menu"),
        "watched": reverse("forum:watched"),
        "alert settings": reverse("forum:alert_preferences"),
    }[page]

    def add(n):
        for _ in range(n):
            thread = make_thread(board=board)
            watching.watch_thread(user=reader, thread=thread)
            alerts.notify(reader.pk, alerts.Kind.REPLY, post=thread.posts.get())

    add(2)
    few = count_queries(client, url)
    add(12)
    assert count_queries(client, url) == few == ALERT_PAGES[page]


def test_search_queries_do_not_grow_with_results(client, visitor, board):
    author = make_member()
    make_thread(board=board, author=author, title="Widgets", body="widget talk")
    url = f"{reverse('forum:search')}?q=widget"
    few = cold_and_warm(client, url)
    for n in range(25):
        make_thread(board=board, author=author, title=f"Widget {n}", body="widget")
    assert cold_and_warm(client, url) == few == expected("search", visitor)
