"""A member comes back, sees the thread unread and jumps to the first new post."""

import pytest
from playwright.sync_api import expect

from forum import services
from forum.models import Bookmark
from tests.browser.helpers import log_in
from tests.factories import make_member, make_posts, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_returning_member_jumps_to_the_first_new_post(browser, live_server, settings):
    settings.FORUM_POSTS_PER_PAGE = 5
    make_member("alice")
    bob = make_member("bob")
    thread = make_thread(author=bob, title="Winter sowing", body="Start here.")
    make_posts(thread, 3, authors=[bob])  # 4 posts: one page
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    expect(page.locator("article.post")).to_have_count(4)

    # While alice is away, bob writes three more: the sixth lands on page 2.
    news = [
        services.post_reply(thread=thread, author=bob, body=f"News {n}.")
        for n in range(3)
    ]
    page.goto(f"{live_server.url}{thread.board.get_absolute_url()}")
    row = page.locator(f'.thread-row[data-thread-id="{thread.pk}"]')
    expect(row).to_have_class("list-group-item thread-row is-unread")
    row.get_by_role("link", name="New").click()
    expect(page).to_have_url(
        f"{live_server.url}{thread.get_absolute_url()}#post-{news[0].pk}"
    )
    expect(page.locator(f"#post-{news[0].pk}")).to_contain_text("News 0.")
    page.goto(f"{live_server.url}{thread.page_url(2)}")

    # Read to the end now: no marker left.
    page.goto(f"{live_server.url}{thread.board.get_absolute_url()}")
    expect(row).to_have_class("list-group-item thread-row")
    expect(row.get_by_role("link", name="New")).to_have_count(0)


def test_bookmarking_works_with_and_without_javascript(browser, live_server):
    make_member("alice")
    thread = make_thread(author=make_member("bob"), title="Seed swaps")
    post = thread.posts.get(position=1)
    for javascript in (True, False):
        page = browser.new_context(java_script_enabled=javascript).new_page()
        log_in(page, live_server.url, "alice")
        page.goto(f"{live_server.url}{thread.get_absolute_url()}")
        if javascript:
            page.evaluate("window.stayed = true")
        control = page.locator(f"#post-{post.pk} .bookmark-control")
        control.get_by_role("button", name="Bookmark", exact=True).click()
        expect(control.get_by_role("button", name="Bookmarked")).to_be_visible()
        assert Bookmark.objects.filter(post=post).count() == 1
        if javascript:
            # htmx swapped the button in place: the page was never reloaded.
            assert page.evaluate("window.stayed === true")
        page.locator(f"#post-{post.pk} .bookmark-control").get_by_role(
            "button", name="Bookmarked"
        ).click()
        expect(
            page.locator(f"#post-{post.pk} .bookmark-control").get_by_role(
                "button", name="Bookmark", exact=True
            )
        ).to_be_visible()
        assert not Bookmark.objects.exists()
        page.context.close()
