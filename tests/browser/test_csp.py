"""The pages keep to their Content-Security-Policy in Chromium: nothing is refused,
and the editor's toolbar, the htmx preview and coloured post text still work."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium reports each refusal on the console; the page reports it as an event too,
# which this script (added by Playwright, outside the page's policy) logs as well.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watched_page(browser) -> tuple:
    """A page whose console errors and script errors are collected."""
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.add_init_script(REPORT_VIOLATIONS)
    return page, problems


@pytest.fixture
def thread():
    author = make_member("alice")
    make_member("bob")
    return make_thread(
        author=author,
        title="Colour in the garden",
        body="[COLOR=red]Red chard[/COLOR] and [SIZE=5]big leaves[/SIZE].",
    )


def test_thread_page_loads_without_a_policy_violation(browser, live_server, thread):
    page, problems = watched_page(browser)
    response = page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("article.post")).to_have_count(1)
    # The post's own colour and size survive: style attributes are allowed.
    red = page.locator(".post-body span", has_text="Red chard")
    expect(red).to_have_css("color", "rgb(255, 0, 0)")
    expect(page.locator(".reply-box")).to_contain_text("Log in or register to reply.")
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_editor_toolbar_and_preview_work_under_the_policy(browser, live_server, thread):
    page, problems = watched_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "bob")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("nav")).to_contain_text("bob")

    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    box = page.locator(".reply-box textarea[name=body]")
    toolbar = page.locator(".reply-box .editor-toolbar")
    expect(toolbar.get_by_role("button")).to_have_count(8)
    box.fill("Agreed")
    box.press("Control+a")
    toolbar.get_by_role("button", name="B", exact=True).click()
    expect(box).to_have_value("[B]Agreed[/B]")

    # htmx posts the preview and swaps it in: the page itself stays where it is.
    with page.expect_response(re.compile(r"/preview/$")) as preview_response:
        page.locator(".reply-box").get_by_role("button", name="Preview").click()
    assert preview_response.value.ok
    preview = page.locator(".reply-box .preview-box .preview")
    expect(preview.locator("strong, b")).to_have_text("Agreed")
    expect(page).to_have_url(f"{live_server.url}{thread.get_absolute_url()}")

    page.goto(f"{live_server.url}{thread.board.get_absolute_url()}new-thread/")
    expect(page.locator(".editor-toolbar").get_by_role("button")).to_have_count(8)
    page.wait_for_load_state("networkidle")
    assert problems == []
