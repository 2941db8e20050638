"""The board page's and the forum list's reads, compiled once per shape of query
(forum/querysets.py ``Listing``, accounts/prebuilt.py), read what Django would read,
and one viewer's shape never serves another."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import prebuilt
from forum import access, readstate, rendering, services
from forum.models import Board, BoardPermission, Thread
from forum.querysets import BoardPage, ForumList
from tests.factories import make_board, make_category, make_member, make_thread

pytestmark = pytest.mark.django_db

Audience = BoardPermission.Audience


def row(thread: Thread) -> tuple:
    last = thread.last_post
    return (
        thread.pk,
        thread.title,
        thread.slug,
        thread.is_sticky,
        thread.is_deleted,
        thread.reply_count,
        thread.last_post_at,
        thread.author.username,
        last.pk if last else None,
        last.author.username if last else None,
    )


def page_rows(board: Board, user, page: int, per_page: int) -> list[tuple]:
    offset = (page - 1) * per_page
    return [row(t) for t in BoardPage(board, user, offset, per_page)]


def expected_rows(board: Board, user, page: int, per_page: int) -> list[tuple]:
    offset = (page - 1) * per_page
    return [row(t) for t in Thread.objects.board_page(board, user, offset, per_page)]


@pytest.fixture
def threads(board, member, moderator):
    made = [make_thread(board=board, author=member, title=f"T{n}") for n in range(7)]
    services.set_thread_sticky(thread=made[2], moderator=moderator, sticky=True)
    services.delete_thread(thread=made[4], moderator=moderator, reason="spam")
    return made


@pytest.mark.parametrize("who", ["guest", "member", "moderator"])
def test_every_page_of_a_board_reads_what_board_page_reads(
    board, threads, who, member, moderator
):
    from django.contrib.auth.models import AnonymousUser

    user = {"guest": AnonymousUser(), "member": member, "moderator": moderator}[who]
    board.refresh_from_db()
    for page in (1, 2, 3):
        assert page_rows(board, user, page, 3) == expected_rows(board, user, page, 3)
    first = page_rows(board, user, 1, 3)
    assert first[0][1] == "T2"  # sticky first
    titles = {r[1] for p in (1, 2, 3) for r in page_rows(board, user, p, 3)}
    assert ("T4" in titles) is (who == "moderator")


def test_the_first_and_last_pages_are_compiled_once_and_read_once(board, threads):
    from django.contrib.auth.models import AnonymousUser

    guest = AnonymousUser()
    board.refresh_from_db()
    first, last = BoardPage(board, guest, 0, 4), BoardPage(board, guest, 4, 4)
    middle = BoardPage(board, guest, 2, 2)
    assert first.key is not None and last.key is not None and middle.key is None
    assert last.from_oldest and not first.from_oldest
    list(first)
    other = make_board("Other")
    make_thread(board=other, title="Elsewhere")
    other.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        rows = list(BoardPage(other, guest, 0, 4))
    assert [t.title for t in rows] == ["Elsewhere"]
    assert len(queries) == 1
    assert prebuilt._compiled[first.key] is not None


def test_a_moderators_board_page_is_not_a_members(board, threads, member, moderator):
    board.refresh_from_db()
    mine, theirs = BoardPage(board, moderator, 0, 25), BoardPage(board, member, 0, 25)
    assert mine.key != theirs.key
    assert "T4" in {t.title for t in mine}
    # Compiled for the moderator first: the member still misses the deleted one.
    assert "T4" not in {t.title for t in theirs}


def test_a_board_moderator_and_members_of_other_boards_get_their_own_shapes(
    board, threads, member
):
    from django.contrib.auth.models import Group

    mods = Group.objects.create(name="Chat mods")
    keeper = make_member("keeper")
    keeper.groups.add(mods)
    BoardPermission.objects.create(
        board=board, audience=Audience.GROUP, group=mods, moderate=True
    )
    board.refresh_from_db()
    keepers, members = BoardPage(board, keeper, 0, 25), BoardPage(board, member, 0, 25)
    assert keepers.key != members.key
    assert "T4" in {t.title for t in keepers}
    assert "T4" not in {t.title for t in members}


def test_a_board_page_row_reads_only_what_it_shows(board, threads):
    from django.contrib.auth.models import AnonymousUser

    board.refresh_from_db()
    thread = next(iter(BoardPage(board, AnonymousUser(), 0, 25)))
    assert {"search_vector", "board_id"} <= thread.get_deferred_fields()
    assert "password" in thread.author.get_deferred_fields()
    assert "body" in thread.last_post.get_deferred_fields()


def test_unread_markers_of_a_board_page_are_the_querysets(board, threads, member):
    reader = make_member("reader")
    board.refresh_from_db()
    page = BoardPage(board, reader, 0, 25)
    queryset = Thread.objects.board_page(board, reader, 0, 25)
    unread = readstate.unread_thread_ids(page, reader)
    assert unread == readstate.unread_thread_ids(queryset, reader)
    assert unread == {t.pk for t in threads if t.title != "T4"}
    # A middle page (built each time) narrows the same way.
    middle = BoardPage(board, reader, 2, 2)
    assert middle.key is None
    assert readstate.unread_thread_ids(middle, reader) == readstate.unread_thread_ids(
        Thread.objects.board_page(board, reader, 2, 2), reader
    )
    assert len(readstate.unread_thread_ids(middle, reader)) == 2
    readstate.mark_board_read(user=reader, board=board)
    assert readstate.unread_thread_ids(BoardPage(board, reader, 0, 25), reader) == set()
    # Compiled with the reader's id as a value: another member's are their own.
    other = make_member("other")
    assert readstate.unread_thread_ids(BoardPage(board, other, 0, 25), other) == unread


def test_the_forum_list_reads_what_for_index_reads(board, threads, member):
    hidden = make_board("Staff room", category=make_category("Back"))
    BoardPermission.objects.create(
        board=hidden, audience=Audience.MEMBERS, view_board=False
    )
    make_board("Empty", category=board.category)
    access.forget(member)

    def rows(boards):
        return [
            (b.pk, b.name, b.category.name, b.last_post_id, b.thread_count)
            for b in boards
        ]

    expected = rows(Board.objects.visible_to(member).for_index())
    assert rows(ForumList(Board, member)) == expected
    assert hidden.pk not in {r[0] for r in expected}
    reader = make_member("reader")
    assert readstate.unread_board_ids(ForumList(Board, reader), reader) == {board.pk}
    assert readstate.unread_board_ids(
        Board.objects.all(), reader
    ) == readstate.unread_board_ids(ForumList(Board, reader), reader)


def test_a_list_rendered_in_one_go_keeps_each_rows_html_apart(board, threads):
    from django.contrib.auth.models import AnonymousUser

    board.refresh_from_db()
    listed = list(BoardPage(board, AnonymousUser(), 0, 25))
    rows = rendering.thread_row_blocks(listed)
    assert [r.pk for r in rows] == [t.pk for t in listed]
    for thread, block in zip(listed, rows, strict=True):
        assert f"<bdi>{thread.title}</bdi>" in block.html
        assert block.html.count('class="row ') == 1
        assert "\x00" not in block.html
    boards = rendering.board_row_blocks([board, make_board("Second")])
    assert "General chat" in boards[0].html and "Second" in boards[1].html
