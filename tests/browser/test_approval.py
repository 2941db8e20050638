"""A new member's reply waits for approval until a moderator approves it."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import log_in
from tests.factories import make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_members_reply_waits_until_a_moderator_approves_it(
    browser, live_server, settings
):
    starter = make_member("starter")
    thread = make_thread(author=starter, title="Sharpening chisels")
    make_member("newcomer")
    make_member("watchman", is_moderator=True)
    settings.FORUM_APPROVAL_POSTS = 1
    url = f"{live_server.url}{thread.get_absolute_url()}"

    author = browser.new_context().new_page()
    log_in(author, live_server.url, "newcomer")
    author.goto(url)
    author.fill(".reply-box textarea[name=body]", "Try a leather strop.")
    author.get_by_role("button", name="Post reply").click()
    held = author.locator("article.post.is-held")
    expect(held.locator(".post-body")).to_contain_text("Try a leather strop.")
    expect(held).to_contain_text("Awaiting approval")
    expect(held.get_by_role("button", name="Approve")).to_have_count(0)

    guest = browser.new_context().new_page()
    guest.goto(url)
    expect(guest.locator("article.post")).to_have_count(1)
    expect(guest.locator("main")).not_to_contain_text("leather strop")

    moderator = browser.new_context().new_page()
    log_in(moderator, live_server.url, "watchman")
    moderator.goto(f"{live_server.url}/moderation/approval/")
    expect(moderator.locator(".approval-queue")).to_contain_text("Try a leather strop.")
    moderator.get_by_role("button", name="Approve").click()
    expect(moderator.locator("main")).to_contain_text("Nothing is waiting for approval")

    guest.reload()
    posts = guest.locator("article.post")
    expect(posts).to_have_count(2)
    expect(posts.nth(1).locator(".post-body")).to_contain_text("Try a leather strop.")
    expect(posts.nth(1).locator(".permalink")).to_have_text("#2")
    author.reload()
    expect(author.locator("article.post.is-held")).to_have_count(0)
