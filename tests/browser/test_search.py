"""Searching as a person does: the header box, a result, the post it lands on."""

import re

import pytest
from playwright.sync_api import expect

from forum import services
from tests.browser.helpers import log_in
from tests.factories import make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_phrase_leads_to_its_post_highlighted_edits_and_deletes_show_at_once(
    browser, live_server
):
    alice = make_member("alice")
    thread = make_thread(author=alice, title="Greenhouse", body="Tomatoes again.")
    post = services.post_reply(
        thread=thread, author=alice, body="The copper watering can leaks badly."
    )
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "alice")

    box = page.get_by_role("searchbox", name="Search the forum")
    box.fill('"copper watering"')
    box.press("Enter")
    result = page.locator(".search-result")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text(["copper", "watering"])
    result.locator(".search-result-link").click()
    expect(page).to_have_url(re.compile(rf"highlight=.*#post-{post.pk}$"))
    marks = page.locator(f"#post-{post.pk} .post-body mark.search-hit")
    expect(marks).to_have_text(["copper", "watering"])
    # Only the post the search led to is marked.
    expect(page.locator(".post-body mark")).to_have_count(2)

    # An edit is found at once: the vector is rewritten with the body.
    services.edit_post(post=post, editor=alice, body="The brass sprinkler leaks.")
    page.goto(f"{live_server.url}/search/?q=%22copper+watering%22")
    expect(page.locator(".search-result")).to_have_count(0)
    expect(page.get_by_text("Nothing matched")).to_be_visible()
    page.goto(f"{live_server.url}/search/?q=sprinkler")
    expect(page.locator(".search-result")).to_have_count(1)

    # A deleted post leaves the results.
    services.delete_post(post=post, actor=alice)
    page.reload()
    expect(page.locator(".search-result")).to_have_count(0)


def test_search_this_thread_finds_only_its_posts(browser, live_server):
    alice = make_member("alice")
    here = make_thread(author=alice, title="Bees", body="The hive swarmed.")
    make_thread(author=alice, title="Wasps", body="A hive under the roof.")
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}{here.get_absolute_url()}")
    form = page.locator("form.search-here")
    form.get_by_role("searchbox").fill("hive")
    form.get_by_role("button", name="Search").click()
    expect(page.locator(".search-result")).to_have_count(1)
    expect(page.locator(".search-result")).to_contain_text("Bees")
