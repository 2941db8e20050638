"""What a member does in Chromium with drafts, times, multi-quote, the quick reply's
errors and a moderator's thread deletion."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from forum import services
from forum.models import Draft
from tests.browser.helpers import log_in
from tests.factories import make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def discussion():
    alice = make_member("alice")
    make_member("bob", time_zone="Asia/Tokyo")
    thread = make_thread(author=alice, title="Shade vegetables", body="Chard copes.")
    long_body = "\n".join(f"Line {n} of a long answer." for n in range(1, 16))
    for n in range(12):
        services.post_reply(thread=thread, author=alice, body=f"Reply {n}.")
    quoted = services.post_reply(thread=thread, author=alice, body=long_body)
    services.post_reply(
        thread=thread,
        author=alice,
        body=f'[QUOTE="alice, post: {quoted.pk}, member: {alice.pk}"]'
        f"{long_body}[/QUOTE]Agreed.",
    )
    return thread


def test_a_draft_follows_the_member_to_another_browser_and_goes_when_posted(
    browser, live_server, discussion
):
    url = f"{live_server.url}{discussion.get_absolute_url()}"
    laptop = browser.new_context().new_page()
    log_in(laptop, live_server.url, "bob")
    laptop.goto(url)
    # Times in shared blocks are put in bob's zone by the script; his own are
    # in it from the server.
    expect(laptop.locator("article.post time[data-shown]").first).to_have_attribute(
        "title", re.compile(r"^\d+ \w{3} \d{4}, \d\d:\d\d GMT\+9$")
    )
    header = laptop.locator("header time").first
    expect(header).to_have_attribute("title", re.compile(r" JST$"))
    expect(header).to_have_text(re.compile(r"just now|minutes? ago"))

    laptop.locator(".reply-box textarea[name=body]").fill("Beets too, half-")
    expect(laptop.locator(".reply-box .draft-status")).to_contain_text("Draft saved")

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(phone, live_server.url, "bob")
    phone.goto(url)
    box = phone.locator(".reply-box textarea[name=body]")
    expect(box).to_have_value("Beets too, half-")
    box.fill("Beets too, half-shade suits them.")
    phone.get_by_role("button", name="Post reply").click()
    expect(phone).to_have_url(re.compile(r"#post-\d+$"))
    expect(phone.locator("article.post").last).to_contain_text("half-shade suits")

    laptop.reload()
    expect(laptop.locator(".reply-box textarea[name=body]")).to_have_value("")
    assert not Draft.objects.exists()


def test_on_a_phone_quotes_float_errors_stay_and_previews_show(
    browser, live_server, discussion
):
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{discussion.get_absolute_url()}")

    # A long quote shows its first lines above "Click to expand…".
    fold = page.locator("details.bbquote-fold").last
    fold.scroll_into_view_if_needed()
    expect(fold.get_by_text("Line 1 of a long answer.")).to_be_visible()
    body = fold.locator(".bbquote-body")
    assert body.evaluate("b => b.scrollHeight > b.clientHeight + 20")
    fold.get_by_role("button", name="Click to expand…").click()
    assert body.evaluate("b => b.scrollHeight <= b.clientHeight + 1")

    # Multi-quote: the bar floats in view far above the reply box.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("article.post .js-multiquote").first.click()
    bar = page.get_by_role("button", name="Insert quotes (1)")
    expect(bar).to_be_in_viewport()
    bar.click()
    box = page.locator(".reply-box textarea[name=body]")
    expect(box).to_have_value(re.compile(r'^\[QUOTE="alice, post: \d+'))
    expect(bar).to_be_hidden()

    # An empty reply: the error in place, on the same page, nothing posted.
    box.fill("")
    page.get_by_role("button", name="Post reply").click()
    error = page.locator(".reply-box").get_by_text("Please write a message")
    expect(error).to_be_visible()
    expect(page).to_have_url(re.compile(r"-shade-vegetables/(\?page=\d+)?$"))
    # The swapped-in box still previews, and the preview scrolls into view.
    page.locator(".reply-box textarea[name=body]").fill("[B]Kale[/B] under trees")
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".reply-box").get_by_role("button", name="Preview").click()
    preview = page.locator(".reply-box .preview")
    expect(preview.locator("strong, b")).to_have_text("Kale")
    expect(preview).to_be_in_viewport()
    assert discussion.posts.count() == 15


def test_registration_takes_the_browsers_time_zone(browser, live_server):
    page = browser.new_context(timezone_id="America/Sao_Paulo").new_page()
    page.goto(f"{live_server.url}/accounts/register/")
    expect(page.locator("input[name=time_zone]")).to_have_value("America/Sao_Paulo")


def test_a_moderator_confirms_a_thread_deletion_with_a_reason(browser, live_server):
    thread = make_thread(author=make_member("alice"), title="Old news")
    make_member("mod", is_moderator=True)
    page = browser.new_context().new_page()
    log_in(page, live_server.url, "mod")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.get_by_role("link", name="Delete thread…").click()
    expect(page.get_by_role("heading")).to_contain_text("Delete the thread")
    page.get_by_role("button", name="Delete thread").click()
    expect(page.get_by_text("Give a reason")).to_be_visible()
    page.get_by_label("Reason").fill("Superseded by the spring thread")
    page.get_by_role("button", name="Delete thread").click()
    expect(page.locator(".alert-success")).to_contain_text("The thread was deleted")
    thread.refresh_from_db()
    assert thread.is_deleted
    assert (
        User.objects.get(username="alice")
        .alerts.filter(summary__contains="Superseded by the spring thread")
        .exists()
    )
