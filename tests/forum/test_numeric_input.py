"""Numbers in paths and query strings are ASCII digits; anything else is a 404 or the
first page, never a 500 and never another address of the same row."""

import pytest
from django.urls import reverse

from forum.pagination import resolve_page
from forum.quoting import parse_ids
from tests.factories import make_posts

pytestmark = pytest.mark.django_db

# Superscript two, circled one, Arabic-Indic 12, fullwidth 12, and forms int() reads.
NOT_ASCII_NUMBERS = ["²", "①", "١٢", "１２", " 1", "1_0", "+1", "٣"]


@pytest.mark.parametrize("raw", ["²", "①", "١٢", "１２"])
def test_member_path_of_unicode_digits_is_not_found(client, member, raw):
    assert client.get(f"/members/{raw}/").status_code == 404


def test_member_path_of_arabic_digits_does_not_reach_that_id(client, member):
    arabic = str(member.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get(f"/members/{arabic}/").status_code == 404
    assert client.get(f"/members/{member.pk}/").status_code == 200


@pytest.mark.parametrize("raw", NOT_ASCII_NUMBERS)
def test_profile_pages_of_unicode_digits_show_the_first_page(client, member, raw):
    url = member.get_absolute_url()
    for name, first in (
        ("posts_page", "No posts yet."),
        ("threads_page", "No threads yet."),
    ):
        response = client.get(url, {name: raw})
        assert response.status_code == 200
        # A later page would say "No more …" and link back to newer ones.
        assert first in response.content.decode()
        assert 'rel="prev"' not in response.content.decode()


@pytest.mark.parametrize("raw", NOT_ASCII_NUMBERS)
def test_thread_page_of_unicode_digits_redirects_to_first_page(client, thread, raw):
    make_posts(thread, 25)  # two pages: "١٢" must not be read as a page past the end
    response = client.get(thread.get_absolute_url(), {"page": raw})
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()


@pytest.mark.parametrize("raw", NOT_ASCII_NUMBERS)
def test_board_page_of_unicode_digits_redirects_to_first_page(client, board, raw):
    response = client.get(board.get_absolute_url(), {"page": raw})
    assert response.status_code == 302
    assert response["Location"] == board.get_absolute_url()


@pytest.mark.parametrize("raw", ["٢", "２", "²"])
def test_resolve_page_reads_only_ascii(raw):
    assert resolve_page(raw, num_pages=5) == (1, True)
    assert resolve_page("2", num_pages=5) == (2, False)


@pytest.mark.parametrize(
    "path",
    [
        "/threads/١٢-x/",
        "/threads/١٢/",
        "/threads/²/reply/",
        "/posts/①/",
        "/posts/١٢/edit/",
    ],
)
def test_unicode_digit_ids_in_forum_paths_are_not_found(client, member, path):
    client.force_login(member)
    assert client.get(path).status_code == 404


def test_quote_ids_of_unicode_digits_are_ignored(client, thread, other_member):
    post = thread.posts.get()
    client.force_login(other_member)
    url = reverse("forum:reply", args=[thread.pk])
    response = client.get(url, {"quote": ["²", "①", f"١{post.pk}"]})
    assert response.status_code == 200
    assert "[QUOTE=" not in response.content.decode()
    assert parse_ids(["²", "①", "١٢", str(post.pk)]) == [post.pk]


@pytest.mark.parametrize("suffix", ["change/", "delete/", "history/", "password/"])
def test_admin_pages_of_unicode_digit_ids_find_no_member(staff_client, member, suffix):
    arabic = str(member.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for raw in (arabic, "²", "①", f" {member.pk}"):
        url = f"/admin/accounts/user/{raw}/{suffix}"
        response = staff_client.get(url)
        # Django's answers for an id that matches no row: back to the admin index,
        # or a 404 from the password form.
        if suffix == "password/":
            assert response.status_code == 404, url
        else:
            assert response.status_code == 302, url
            assert response["Location"] == reverse("admin:index")
    ascii_url = f"/admin/accounts/user/{member.pk}/{suffix}"
    assert staff_client.get(ascii_url).status_code == 200


def test_admin_pages_of_other_models_read_ascii_ids_only(staff_client, thread):
    arabic = str(thread.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = staff_client.get(f"/admin/forum/thread/{arabic}/change/")
    assert response.status_code == 302
    assert (
        staff_client.get(f"/admin/forum/thread/{thread.pk}/change/").status_code == 200
    )
    group = staff_client.get("/admin/auth/group/١/change/")
    assert group.status_code == 302
