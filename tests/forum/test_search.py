"""Full-text search: stored vectors, what /search/ finds and what it never shows."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from forum import search, services
from forum.models import BoardPermission, Post, Thread
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_thread

pytestmark = pytest.mark.django_db

Audience = BoardPermission.Audience
URL = reverse("forum:search")


def vector(post: Post) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM forum_post WHERE id = %s", [post.pk]
        )
        return cursor.fetchone()[0]


def found(client, **params) -> list[int]:
    """Post ids of the results, in order."""
    response = client.get(URL, params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return [hit.post.pk for hit in response.context["results"].hits]


def first_post(thread: Thread) -> Post:
    return thread.posts.get(position=1)


@pytest.fixture
def staff_room(db):
    """A private board only the group Team sees."""
    board = make_board("Staff room")
    group = Group.objects.create(name="Team")
    for audience in (Audience.GUESTS, Audience.MEMBERS):
        BoardPermission.objects.create(board=board, audience=audience, view_board=False)
    BoardPermission.objects.create(
        board=board, audience=Audience.GROUP, group=group, view_board=True
    )
    return board, group


# --- The stored vectors -----------------------------------------------------------


def test_own_words_weigh_b_and_quoted_words_d_however_nested(thread, member):
    post = services.post_reply(
        thread=thread,
        author=member,
        body=(
            '[b]Lathe[/b] [QUOTE="bob, post: 1, member: 2"]Spindle '
            "[quote]gearbox[/quote] chuck[/QUOTE] tailstock [/quote] fence"
        ),
    )
    text = vector(post)
    assert re.search(r"'lath':\d+B", text)
    assert re.search(r"'tailstock':\d+B", text)
    # A stray closing tag is text, and what follows it the author's own.
    assert re.search(r"'fenc':\d+B", text)
    for quoted in ("spindl", "gearbox", "chuck"):
        assert re.search(rf"'{quoted}':\d+(,\d+)*( |$)", text), (quoted, text)
    # Tags and the quote's attribution are not words.
    assert "'b'" not in text and "bob" not in text and "quot" not in text


def test_an_edit_and_a_rename_change_the_vectors_at_once(thread, member):
    post = first_post(thread)
    services.edit_post(post=post, editor=member, body="Carburettor trouble")
    services.rename_thread(thread=thread, actor=member, title="Sidecar questions")
    assert "carburettor" in vector(post)
    thread_vector = Thread.objects.values_list("search_vector", flat=True).get(
        pk=thread.pk
    )
    assert "'sidecar':1A" in thread_vector


# --- Finding things ---------------------------------------------------------------


def test_a_word_finds_the_post_and_quoting_it_ranks_lower(client, board, member):
    thread = make_thread(board=board, author=member, title="Workshop", body="Hello")
    original = services.post_reply(
        thread=thread, author=member, body="My bandsaw blade snapped."
    )
    quoting = services.post_reply(
        thread=thread,
        author=member,
        body="[quote]My bandsaw blade snapped.[/quote]\nOuch, sorry to hear.",
    )
    services.post_reply(thread=thread, author=member, body="Nothing relevant.")
    assert found(client, q="bandsaw") == [original.pk, quoting.pk]


def test_a_title_match_lifts_the_thread_s_first_post(client, board, member):
    titled = make_thread(board=board, author=member, title="Dovetail jigs", body="Any?")
    other = make_thread(board=board, author=member, title="Tools", body="Hi")
    reply = services.post_reply(thread=other, author=member, body="A dovetail jig.")
    hits = found(client, q="dovetail jig", show="threads")
    assert hits == [first_post(titled).pk, reply.pk]


def test_websearch_syntax_phrases_or_and_excluded_words(client, thread, member):
    a = services.post_reply(thread=thread, author=member, body="red kettle boils")
    b = services.post_reply(thread=thread, author=member, body="kettle red paint")
    c = services.post_reply(thread=thread, author=member, body="blue teapot")
    assert found(client, q='"red kettle"') == [a.pk]
    assert set(found(client, q="teapot OR boils")) == {a.pk, c.pk}
    assert found(client, q="kettle -paint") == [a.pk]
    assert set(found(client, q="kettle", sort="date")) == {a.pk, b.pk}


def test_snippets_mark_the_words_and_escape_everything_else(client, thread, member):
    services.post_reply(
        thread=thread,
        author=member,
        body='the gasket <script>alert("x")</script> 1 < 2 & "seal" leak',
    )
    # Markers smuggled straight into the row (no form lets them in) stay inert.
    Post.objects.filter(thread=thread, position=2).update(
        body='the gasket <script>alert("x")</script> \x02<b>\x03 1 < 2 & "seal" leak'
    )
    response = client.get(URL, {"q": "gasket"})
    snippet = str(response.context["results"].hits[0].snippet)
    assert "<mark>gasket</mark>" in snippet
    # ts_headline drops what looks like a tag; the rest is escaped text.
    assert "<script" not in snippet and "alert(&quot;x&quot;)" in snippet
    assert "1 &lt; 2 &amp; &quot;seal&quot;" in snippet
    assert "<b>" not in snippet and snippet.count("<mark>") == 1
    assert "<script>alert" not in response.content.decode()
    # What was typed is shown back escaped, in the form and the title.
    response = client.get(URL, {"q": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_the_result_links_to_the_post_with_the_words_to_highlight(
    client, thread, member
):
    post = services.post_reply(thread=thread, author=member, body="Rusty hinges.")
    hit = client.get(URL, {"q": "hinge"}).context["results"].hits[0]
    assert hit.post.pk == post.pk
    assert hit.url == f"{thread.get_absolute_url()}?highlight=hinges#post-{post.pk}"
    page = client.get(hit.url)
    assert page.status_code == 200
    # The server ignores the parameter (the script marks the words in the
    # browser): the shared post blocks never see it.
    assert "<mark" not in page.content.decode()


# --- Filters ----------------------------------------------------------------------


def test_filters_board_author_thread_and_titles(client, member, other_member):
    one, two = make_board("One"), make_board("Two")
    t1 = make_thread(board=one, author=member, title="Pumps", body="pump seals")
    t2 = make_thread(board=two, author=other_member, title="Valves", body="pump work")
    reply = services.post_reply(thread=t1, author=other_member, body="pump noise")
    first1, first2 = first_post(t1).pk, first_post(t2).pk
    assert set(found(client, q="pump", board=[two.slug])) == {first2}
    assert set(found(client, q="pump", board=[one.slug, two.slug])) == {
        first1,
        first2,
        reply.pk,
    }
    assert set(found(client, q="pump", author="BOB")) == {first2, reply.pk}
    assert set(found(client, q="pump", thread=t1.pk)) == {first1, reply.pk}
    assert found(client, q="valves", titles_only="on") == [first2]
    assert found(client, q="seals", titles_only="on") == []


def test_a_date_range_keeps_posts_of_those_days(client, thread, member):
    old = services.post_reply(thread=thread, author=member, body="lantern one")
    new = services.post_reply(thread=thread, author=member, body="lantern two")
    Post.objects.filter(pk=old.pk).update(created_at="2020-03-05T12:00:00Z")
    assert found(client, q="lantern", until="2020-03-05") == [old.pk]
    assert found(client, q="lantern", since="2020-03-06") == [new.pk]
    assert found(client, q="lantern", since="2020-03-05", until="2020-03-05") == [
        old.pk
    ]


def test_posts_of_a_member_without_words_come_newest_first(client, thread, member):
    replies = [
        services.post_reply(thread=thread, author=member, body=f"reply {n}")
        for n in range(3)
    ]
    hits = found(client, author=member.username)
    assert hits[:3] == [p.pk for p in reversed(replies)]


def test_by_date_pages_seek_past_the_last_result(client, thread, member, settings):
    posts = [
        services.post_reply(thread=thread, author=member, body=f"walrus {n}")
        for n in range(search.PER_PAGE + 5)
    ]
    # Two posts at one instant: the id breaks the tie, none is skipped or repeated.
    Post.objects.filter(pk=posts[3].pk).update(created_at=posts[4].created_at)
    first = client.get(URL, {"q": "walrus", "sort": "date"})
    results = first.context["results"]
    assert len(results.hits) == search.PER_PAGE and results.next_before
    assert f"before={results.next_before}" in first.content.decode()
    second = found(client, q="walrus", sort="date", before=results.next_before)
    seen = [h.post.pk for h in results.hits] + second
    assert sorted(seen) == sorted(p.pk for p in posts)
    assert len(seen) == len(set(seen))


def test_relevance_pages_stop_at_the_cap(client, thread, member, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 6)
    monkeypatch.setattr(search, "PER_PAGE", 3)
    monkeypatch.setattr(search, "MAX_RELEVANCE_PAGES", 2)
    for n in range(8):
        services.post_reply(thread=thread, author=member, body=f"otter {n}")
    page1 = client.get(URL, {"q": "otter"}).context["results"]
    page2 = client.get(URL, {"q": "otter", "page": 2}).context["results"]
    assert page1.next_page == 2 and len(page1.hits) == 3
    assert page2.next_page is None and page2.capped and len(page2.hits) == 3
    response = client.get(URL, {"q": "otter", "page": 3})
    assert response.status_code == 400
    assert "sort by date" in response.content.decode()


# --- What never shows -------------------------------------------------------------


def test_private_boards_show_only_to_their_group(client, staff_room, member):
    board, group = staff_room
    insider = make_member("insider")
    insider.groups.add(group)
    make_thread(board=board, author=insider, title="Payroll", body="salary review")
    assert found(client, q="salary") == []
    assert found(client, q="payroll", titles_only="on") == []
    client.force_login(member)
    assert found(client, q="salary") == []
    response = client.get(URL, {"q": "salary", "board": board.slug})
    assert response.status_code == 400
    client.force_login(insider)
    assert len(found(client, q="salary")) == 1


def test_deleted_and_held_posts_never_show(client, thread, member, moderator, settings):
    gone = services.post_reply(thread=thread, author=member, body="zeppelin one")
    services.delete_post(post=gone, actor=member)
    settings.FORUM_APPROVAL_POSTS = 5
    newcomer = make_member("newcomer")
    held = services.post_reply(thread=thread, author=newcomer, body="zeppelin two")
    assert not held.is_approved
    for who in (None, member, newcomer, moderator):
        if who:
            client.force_login(who)
        assert found(client, q="zeppelin") == [], who
    services.approve_post(post=held, moderator=moderator)
    services.restore_post(post=gone, actor=moderator)
    assert set(found(client, q="zeppelin")) == {gone.pk, held.pk}


def test_a_deleted_or_moved_thread_leaves_the_results(client, staff_room, member):
    board, _group = staff_room
    thread = make_thread(author=member, title="Kayak", body="paddle talk")
    moderator = make_member("boss", is_moderator=True)
    assert len(found(client, q="paddle")) == 1
    services.delete_thread(thread=thread, moderator=moderator)
    assert found(client, q="paddle") == []
    assert found(client, q="kayak", titles_only="on") == []
    services.restore_thread(thread=thread, moderator=moderator)
    services.move_thread(thread=thread, moderator=moderator, board=board)
    assert found(client, q="paddle") == []


def test_a_hidden_thread_cannot_be_searched_by_id(client, staff_room, moderator):
    board, _group = staff_room
    secret = make_thread(board=board, author=moderator, title="Secret", body="x")
    response = client.get(URL, {"q": "x", "thread": secret.pk})
    assert response.status_code == 400
    assert "not there to search" in response.content.decode()


# --- Hostile input and limits -----------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 201}, "under 200 characters"),
        ({"q": "nul\x00byte"}, "Null characters are not allowed"),
        ({"q": "a", "since": "99999-01-01"}, "Enter a valid date"),
        ({"q": "a", "since": "2024-02-30"}, "Enter a valid date"),
        ({"q": "a", "since": "2024-05-02", "until": "2024-05-01"}, "comes before"),
        ({"q": "a", "before": "9" * 20 + "-1"}, "does not exist"),
        ({"q": "a", "before": "12-x"}, "Enter a valid value"),
        ({"q": "a", "page": "0"}, "stop at page"),
        ({"q": "a", "page": "²"}, "Enter a valid value"),
        ({"q": "a", "thread": "1" * 19}, "Enter a valid value"),
        ({"q": "a", "board": "no-such-board"}, "Select a valid choice"),
        ({"q": "a", "sort": "random"}, "Select a valid choice"),
        ({"q": "a", "author": "nobody-at-all"}, "No member is called"),
        ({"q": "   "}, "Type a word or a phrase"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, params, message):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "q",
    ['"', "-", "OR", "a & b | !c", "(((", "':*", "\\", "the of and", "🙂 ünïcode"],
)
def test_odd_queries_answer_without_error(client, thread, q):
    assert client.get(URL, {"q": q}).status_code == 200


def test_extreme_but_valid_dates_answer(client, thread):
    for since, until in [("0001-01-01", "9999-12-31"), ("1900-01-01", "8999-12-31")]:
        assert (
            client.get(URL, {"q": "a", "since": since, "until": until}).status_code
            == 200
        )


def test_search_answers_only_get(client):
    assert client.post(URL, {"q": "a"}).status_code == 405


def test_the_empty_form_is_a_page_not_an_error(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


def test_guests_are_rate_limited_members_are_not(client, thread, member, settings):
    settings.FORUM_SEARCH_GUEST_PER_MINUTE = 2
    assert client.get(URL, {"q": "first"}).status_code == 200
    assert client.get(URL, {"q": "first"}).status_code == 200
    refused = client.get(URL, {"q": "first"})
    assert refused.status_code == 429
    assert "log in to search more" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    client.force_login(member)
    for _ in range(3):
        assert client.get(URL, {"q": "first"}).status_code == 200


def test_the_header_and_the_thread_and_board_pages_offer_search(client, thread):
    html = client.get(thread.get_absolute_url()).content.decode()
    assert f'action="{URL}"' in html
    assert f'name="thread" value="{thread.pk}"' in html
    html = client.get(thread.board.get_absolute_url()).content.decode()
    assert f'name="board" value="{thread.board.slug}"' in html


# --- Query counts -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"q": "gizmo"},
        {"q": "gizmo", "sort": "date"},
        {"q": "gizmo", "show": "threads"},
        {"q": "gizmo", "titles_only": "on"},
    ],
)
def test_a_search_page_costs_the_same_for_3_or_20_results(client, member, params):
    board = make_board("Gadgets")
    threads = [
        make_thread(board=board, author=member, title=f"Gizmo {n}", body="gizmo")
        for n in range(3)
    ]
    url = f"{URL}?{'&'.join(f'{k}={v}' for k, v in params.items())}"
    few = count_queries(client, url)
    for n in range(20):
        services.post_reply(thread=threads[n % 3], author=member, body=f"gizmo {n}")
        make_thread(board=board, author=member, title=f"Gizmo x{n}", body="gizmo")
    assert count_queries(client, url) == few


def test_the_bench_generator_s_bulk_load_is_searchable(client):
    # COPY with triggers off: the generated columns are filled all the same.
    call_command(
        "generate_forum",
        users=10,
        categories=1,
        boards_per_category=2,
        threads=10,
        posts=60,
        hot_thread_posts=0,
        seed=3,
        no_progress=True,
        stdout=StringIO(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM forum_post WHERE search_vector = ''")
        assert cursor.fetchone()[0] == 0
    body = re.sub(r"\[[^\]]*\]", " ", Post.objects.order_by("pk").first().body)
    word = re.findall(r"\b[a-z]{5,}\b", body)[0]
    assert found(client, q=word)


def test_common_words_look_through_the_newest_posts_and_go_on(
    client, thread, member, monkeypatch
):
    # Any estimate counts as common here: the window is the newest 5 posts.
    monkeypatch.setattr(search, "EXACT_ROWS", -1)
    monkeypatch.setattr(search, "WINDOW", 5)
    posts = [
        services.post_reply(
            thread=thread, author=member, body="heron" if n % 2 else "other"
        )
        for n in range(9)
    ]
    herons = [p.pk for p in reversed(posts) if p.body == "heron"]
    first = client.get(URL, {"q": "heron", "sort": "date"}).context["results"]
    # The newest five posts hold two herons; the page offers to look further.
    assert [h.post.pk for h in first.hits] == herons[:2]
    assert first.capped and first.next_before
    second = found(client, q="heron", sort="date", before=first.next_before)
    assert second == herons[2:4]
    ranked = client.get(URL, {"q": "heron"}).context["results"]
    assert {h.post.pk for h in ranked.hits} == set(herons[:2]) and ranked.capped
