"""The alert bell in Chromium: the htmx dropdown, and the count going down."""

import pytest
from playwright.sync_api import expect

from forum import alerts
from tests.browser.helpers import log_in
from tests.factories import make_member, make_posts, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bell_counts_down_as_alerts_are_read(browser, live_server):
    alice, bob = make_member("alice"), make_member("bob")
    thread = make_thread(author=alice, title="Shade vegetables", body="Chard.")
    first, second = make_posts(thread, 2, authors=[bob])
    alerts.notify(alice.pk, alerts.Kind.QUOTE, actor=bob, post=first)
    alerts.notify(alice.pk, alerts.Kind.MENTION, actor=bob, post=second)
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "alice")
    count = page.locator("#alert-count")
    expect(count).to_have_text("2")
    # Opening the bell loads the latest alerts into it (htmx).
    page.locator("#alert-bell summary").click()
    menu = page.locator("#alert-bell .alert-menu")
    link = menu.get_by_role("link", name="bob quoted your post in Shade vegetables")
    link.click()
    expect(page).to_have_url(
        f"{live_server.url}{thread.get_absolute_url()}#post-{first.pk}"
    )
    expect(count).to_have_text("1")
    page.goto(f"{live_server.url}/alerts/")
    page.get_by_role("button", name="Mark all read").click()
    expect(count).to_have_text("0")
