"""Reacting to a post in Chromium: with htmx in place, and with JavaScript off."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from forum.models import PostReaction, Reaction
from tests.browser.helpers import log_in
from tests.factories import make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def discussion():
    # Transactional tests flush the migration's reactions: make sure of two.
    Reaction.objects.get_or_create(name="Like", defaults={"emoji": "👍", "score": 1})
    Reaction.objects.get_or_create(
        name="Love", defaults={"emoji": "❤️", "score": 1, "position": 1}
    )
    alice = make_member("alice")
    make_member("bob")
    thread = make_thread(author=alice, title="Shade vegetables", body="Chard.")
    return thread, thread.posts.get(position=1), alice


def test_a_reaction_swaps_in_place_and_changes_without_a_reload(
    browser, live_server, discussion
):
    thread, post, alice = discussion
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    # A marker on the window: a reload would lose it.
    page.evaluate("window.stayed = true")
    bar = page.locator(f"#reaction-bar-{post.pk}")
    like = bar.get_by_role("button", name="Like")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(bar.get_by_role("button", name="Like")).to_have_attribute(
        "aria-pressed", "true"
    )
    counts = page.locator(f"#reaction-counts-{post.pk}")
    expect(counts).to_contain_text("1")
    bar.get_by_role("button", name="Love").click()
    expect(bar.get_by_role("button", name="Love")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(bar.get_by_role("button", name="Like")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(counts.get_by_role("img", name="Love")).to_be_visible()
    assert page.evaluate("window.stayed") is True
    assert PostReaction.objects.get().reaction.name == "Love"
    assert User.objects.get(pk=alice.pk).reaction_score == 1
    # Pressed again, it is taken back.
    bar.get_by_role("button", name="Love").click()
    expect(bar.get_by_role("button", name="Love")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(counts.get_by_role("img")).to_have_count(0)
    assert not PostReaction.objects.exists()


def test_without_javascript_the_form_posts_and_comes_back(
    browser, live_server, discussion
):
    thread, post, _ = discussion
    page = browser.new_context(java_script_enabled=False).new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.locator(f"#reaction-bar-{post.pk}").get_by_role("button", name="Like").click()
    expect(page).to_have_url(f"{live_server.url}{post.get_thread_url()}")
    expect(
        page.locator(f"#reaction-bar-{post.pk}").get_by_role("button", name="Like")
    ).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#reaction-counts-{post.pk}")).to_contain_text("1")
