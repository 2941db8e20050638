"""Bookmarks: keep a post with a note, list, edit, remove; private to their member."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from forum import bookmarks, services
from forum.models import BoardPermission, Bookmark
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db
LIST = reverse("forum:bookmark_list")


def bookmark_url(post) -> str:
    return reverse("forum:bookmark_post", args=[post.pk])


def test_a_member_bookmarks_a_post_from_the_thread_page(client, member, thread):
    post = thread.posts.get(position=1)
    client.force_login(member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert f'action="{bookmark_url(post)}"' in html
    assert 'aria-pressed="false">Bookmark</button>' in html
    response = client.post(bookmark_url(post))
    assert response.status_code == 302
    assert response["Location"] == post.get_thread_url()
    assert Bookmark.objects.filter(user=member, post=post).exists()
    html = client.get(thread.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in html
    # Pressing it again removes the bookmark.
    client.post(bookmark_url(post), {"remove": "1"})
    assert not Bookmark.objects.exists()


def test_htmx_gets_the_button_back_without_a_reload(client, member, thread):
    post = thread.posts.get(position=1)
    client.force_login(member)
    response = client.post(bookmark_url(post), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<form method="post"') and 'aria-pressed="true"' in html
    assert "csrfmiddlewaretoken" in html
    response = client.post(
        bookmark_url(post), {"remove": "1"}, headers={"HX-Request": "true"}
    )
    assert 'aria-pressed="false"' in response.content.decode()


def test_the_bookmark_button_is_per_viewer(client, member, other_member, thread):
    post = thread.posts.get(position=1)
    bookmarks.bookmark_post(user=member, post=post)
    client.force_login(other_member)
    html = client.get(thread.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' not in html
    client.logout()
    html = client.get(thread.get_absolute_url()).content.decode()
    assert bookmark_url(post) not in html


def test_the_thread_page_costs_no_query_for_bookmarks(client, member, thread):
    posts = make_posts(thread, 4, authors=[member])
    client.force_login(member)
    client.get(thread.get_absolute_url())
    few = count_queries(client, thread.get_absolute_url())
    for post in posts:
        bookmarks.bookmark_post(user=member, post=post)
    assert count_queries(client, thread.get_absolute_url()) == few


def test_notes_are_kept_edited_and_listed(client, member, thread):
    post = thread.posts.get(position=1)
    client.force_login(member)
    client.post(bookmark_url(post), {"note": "  Read again  "})
    bookmark = Bookmark.objects.get()
    assert bookmark.note == "Read again"
    # The plain button (no note field) never wipes a note.
    client.post(bookmark_url(post))
    assert Bookmark.objects.get().note == "Read again"
    edit = reverse("forum:bookmark_edit", args=[bookmark.pk])
    assert "Read again" in client.get(edit).content.decode()
    assert client.post(edit, {"note": "Cite this"}).status_code == 302
    html = client.get(LIST).content.decode()
    assert "Cite this" in html and thread.title in html


def test_a_too_long_note_keeps_what_was_typed(client, member, thread):
    post = thread.posts.get(position=1)
    bookmark = bookmarks.bookmark_post(user=member, post=post, note="Short")
    client.force_login(member)
    edit = reverse("forum:bookmark_edit", args=[bookmark.pk])
    typed = "x" * 251
    response = client.post(edit, {"note": typed})
    assert response.status_code == 200
    assert typed in response.content.decode()
    assert Bookmark.objects.get().note == "Short"
    response = client.post(bookmark_url(post), {"note": typed})
    assert response.status_code == 302
    assert Bookmark.objects.get().note == "Short"


def test_other_members_bookmarks_are_404(client, member, other_member, thread):
    bookmark = bookmarks.bookmark_post(
        user=member, post=thread.posts.get(position=1), note="mine"
    )
    client.force_login(other_member)
    edit = reverse("forum:bookmark_edit", args=[bookmark.pk])
    delete = reverse("forum:bookmark_delete", args=[bookmark.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"note": "hijacked"}).status_code == 404
    assert client.post(delete).status_code == 404
    assert "mine" not in client.get(LIST).content.decode()
    assert Bookmark.objects.get().note == "mine"
    assert client.get(reverse("forum:bookmark_edit", args=[10**17])).status_code == 404


def test_bookmarks_of_posts_you_can_no_longer_see_are_hidden(
    client, member, other_member, moderator, thread
):
    reply = services.post_reply(thread=thread, author=other_member, body="Soon gone.")
    kept = bookmarks.bookmark_post(user=member, post=reply, note="gone soon")
    client.force_login(member)
    assert "gone soon" in client.get(LIST).content.decode()
    services.delete_post(post=reply, actor=moderator, reason="rules")
    assert "gone soon" not in client.get(LIST).content.decode()
    edit = reverse("forum:bookmark_edit", args=[kept.pk])
    assert client.get(edit).status_code == 404
    # The member can still drop it.
    client.post(reverse("forum:bookmark_delete", args=[kept.pk]))
    assert not Bookmark.objects.exists()


def test_a_post_on_a_private_board_cannot_be_bookmarked_by_outsiders(client, member):
    private = make_board("Staff room")
    BoardPermission.objects.create(board=private, audience="members", view_board=False)
    secret = make_thread(board=private, author=make_member(is_staff=True))
    client.force_login(member)
    response = client.post(bookmark_url(secret.posts.get(position=1)))
    assert response.status_code == 404
    assert not Bookmark.objects.exists()


def test_guests_and_forged_requests_cannot_bookmark(member, thread):
    post = thread.posts.get(position=1)
    assert Client().post(bookmark_url(post)).status_code == 302  # to log in
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(bookmark_url(post)).status_code == 403
    assert strict.get(LIST).status_code == 200
    assert Client().get(LIST).status_code == 302
    assert not Bookmark.objects.exists()


def test_a_double_submit_keeps_one_bookmark(client, member, thread):
    post = thread.posts.get(position=1)
    client.force_login(member)
    client.post(bookmark_url(post), {"note": "once"})
    client.post(bookmark_url(post), {"note": "once"})
    assert Bookmark.objects.count() == 1


def test_the_list_seeks_through_ties_and_costs_the_same_per_page(
    client, member, thread, monkeypatch
):
    from forum.views import bookmarks as views

    monkeypatch.setattr(views, "PER_PAGE", 4)
    posts = [thread.posts.get(position=1), *make_posts(thread, 9, authors=[member])]
    for post in posts:
        bookmarks.bookmark_post(user=member, post=post, note=f"note {post.pk}")
    same = timezone.now() - timedelta(hours=1)
    Bookmark.objects.filter(post__in=posts[2:8]).update(created_at=same)
    expected = list(
        Bookmark.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    )
    client.force_login(member)
    seen, query, costs = [], "", set()
    for _ in range(5):
        costs.add(count_queries(client, LIST + query))
        html = client.get(LIST + query).content.decode()
        seen += [pk for pk in expected if f'id="bookmark-{pk}"' in html]
        if 'rel="next"' not in html:
            break
        cursor = html.split('rel="next" href="?before=')[1].split('"')[0]
        query = f"?before={cursor.replace('%2C', ',')}"
    assert seen == expected
    assert len(costs) == 1
    assert client.get(LIST, {"before": "nonsense"}).status_code == 400
