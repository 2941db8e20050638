"""Reply-with-quote, folded quotes and preview, as a member does them in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from forum import services
from tests.browser.helpers import log_in
from tests.factories import make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def discussion():
    alice = make_member("alice")
    make_member("bob")
    thread = make_thread(
        author=alice, title="Shade vegetables", body="Chard copes well."
    )
    return thread, thread.posts.get(position=1)


def test_reply_quotes_the_post_at_the_caret_and_links_back(
    browser, live_server, discussion
):
    thread, first = discussion
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    box = page.locator(".reply-box textarea[name=body]")
    box.fill("Intro line\n")
    page.locator(f"#post-{first.pk} .js-reply").click()
    expect(box).to_have_value(
        re.compile(rf'^Intro line\n\[QUOTE="alice, post: {first.pk}, member: \d+"\]')
    )
    expect(page).to_have_url(re.compile(r"-shade-vegetables/$"))  # no reload, no jump
    box.press("End")
    box.press("Control+End")
    box.type("Spinach too.")
    page.get_by_role("button", name="Post reply").click()
    expect(page).to_have_url(re.compile(r"#post-\d+$"))

    quote = page.locator("article.post").nth(1).locator("blockquote.bbquote")
    expect(quote.locator(".bbquote-header")).to_contain_text("alice said:")
    expect(quote).to_contain_text("Chard copes well.")
    quote.locator("a.bbquote-jump").click()
    expect(page).to_have_url(re.compile(rf"#post-{first.pk}$"))


def test_multi_quote_inserts_every_marked_post(browser, live_server, discussion):
    thread, first = discussion
    second = services.post_reply(
        thread=thread, author=thread.author, body="Lettuce bolts in heat."
    )
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.locator(f"#post-{first.pk} .js-multiquote").click()
    page.locator(f"#post-{second.pk} .js-multiquote").click()
    insert = page.locator(".js-insert-quotes")
    expect(insert).to_have_text("Insert quotes (2)")
    insert.click()
    box = page.locator(".reply-box textarea[name=body]")
    expect(box).to_have_value(re.compile(r"Chard copes well\.[\s\S]*Lettuce bolts"))
    expect(insert).to_be_hidden()


def test_reply_link_without_javascript_opens_a_prefilled_reply_page(
    browser, live_server, discussion
):
    thread, first = discussion
    page = browser.new_context(java_script_enabled=False).new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.locator(f"#post-{first.pk} .js-reply").click()
    expect(page).to_have_url(re.compile(rf"/reply/\?quote={first.pk}$"))
    expect(page.locator("textarea[name=body]")).to_have_value(
        re.compile(r'^\[QUOTE="alice, post: \d+, member: \d+"\]\nChard copes well\.')
    )


def test_long_quote_is_folded_and_expands_on_click(browser, live_server, discussion):
    thread, first = discussion
    long_body = "\n".join(f"Line {n} of a long answer." for n in range(1, 16))
    quoted = services.post_reply(thread=thread, author=thread.author, body=long_body)
    services.post_reply(
        thread=thread,
        author=make_member("carol"),
        body=f'[QUOTE="alice, post: {quoted.pk}, member: {quoted.author_id}"]'
        f"{long_body}[/QUOTE]Agreed.",
    )
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    fold = page.locator("article.post").nth(2).locator("details.bbquote-fold")
    # Its first lines show, faded, above the button; the rest is cut off.
    body = fold.locator(".bbquote-body")
    expect(body).to_contain_text("Line 1 of a long answer.")
    assert body.evaluate("b => b.scrollHeight > b.clientHeight + 20")
    fold.get_by_role("button", name="Click to expand…").click()
    assert body.evaluate("b => b.scrollHeight <= b.clientHeight + 1")
    expect(fold.get_by_text("Line 15 of a long answer.")).to_be_visible()
    expect(fold.get_by_role("button", name="Click to expand…")).to_have_count(0)


def test_preview_shows_the_rendered_post_without_posting(
    browser, live_server, discussion
):
    thread, _ = discussion
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.locator(".reply-box textarea[name=body]").fill(
        "[B]Bold claim[/B] and [I]aside[/I]"
    )
    page.locator(".reply-box").get_by_role("button", name="Preview").click()
    preview = page.locator(".reply-box .preview-box .preview")
    expect(preview.locator("strong, b")).to_have_text("Bold claim")
    expect(preview.locator("em, i")).to_have_text("aside")
    expect(page.locator("article.post")).to_have_count(1)
    expect(page.locator(".reply-box textarea[name=body]")).to_have_value(
        "[B]Bold claim[/B] and [I]aside[/I]"
    )
