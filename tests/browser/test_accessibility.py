"""Accessibility in Chromium: axe-core finds nothing on the main pages, light and
dark, wide and narrow; the skip links, focus ring and tap targets work for a person
on a keyboard or a phone; the colour theme follows the system or the header's toggle
without a flash of the wrong one; a board fits six threads on a phone screen.

axe-core comes bundled in the axe-playwright-python package (requirements-dev.txt):
nothing is fetched from the internet. Each variant (theme × width) seeds one small
forum and loads every page once per viewer in one browser context per viewer.
"""

import re
from pathlib import Path

import axe_playwright_python
import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from conversations import services as conversation_services
from forum import reactions, services
from forum.models import Reaction
from tests.factories import make_board, make_category, make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SCRIPT = Path(axe_playwright_python.__file__).with_name("axe.min.js")
# Every rule axe-core runs by default, best practices included, and WCAG 2.2's
# target size (24 × 24 px), which it leaves off by default.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"target-size": {"enabled": True}},
}
# The dark theme changes custom properties only, never the page's elements or
# layout, so in dark only the rules that read colours can find anything new.
AXE_COLOUR_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]},
}
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

QUOTED_BODY = "\n".join(f"Line {n} of a long answer." for n in range(1, 13))


def seed_forum() -> dict:
    """A small forum with one of everything the main pages show."""
    alice = make_member("alice", signature="[i]Gardening since 1998[/i]")
    bob = make_member("bob")
    mod = make_member("mod", is_moderator=True)
    category = make_category("Outdoors")
    board = make_board("Gardening", category=category, description="Soil and seeds")
    make_board("Tools", category=category)
    thread = make_thread(
        board=board,
        author=alice,
        title="Tomatoes in a cold spring",
        body=f"[b]When[/b] do you plant out?\n\n{QUOTED_BODY}",
    )
    first = thread.first_post if hasattr(thread, "first_post") else None
    first = first or thread.posts.order_by("position").first()
    reply = services.post_reply(
        thread=thread,
        author=bob,
        body=(
            f'[QUOTE="alice, post: {first.pk}, member: {alice.pk}"]{QUOTED_BODY}'
            "[/QUOTE]\nAfter the last frost, @alice.\n[CODE]soil_temp >= 10[/CODE]"
            "\n[SPOILER]Mine froze.[/SPOILER]"
        ),
    )
    doomed = services.post_reply(thread=thread, author=bob, body="Wrong thread.")
    services.delete_post(post=doomed, actor=mod, reason="Off topic")
    services.post_reply(thread=thread, author=mod, body="Keep it on tomatoes.")
    # Reactions come from a migration, and transactional tests flush them.
    like, _ = Reaction.objects.get_or_create(name="Like", defaults={"emoji": "👍"})
    reactions.react(user=alice, post=reply, reaction=like)
    make_thread(board=board, author=bob, title="Seed swaps")
    conversation = conversation_services.start_conversation(
        starter=bob, recipients=[alice], title="Seeds", body="Want some basil?"
    )
    return {
        "alice": alice,
        "mod": mod,
        "board": board,
        "thread": thread,
        "conversation": conversation,
    }


def signed_in_context(browser, live_server, user: User | None, **options):
    """A browser context for a guest, or for ``user`` with a session made here."""
    context = browser.new_context(**options)
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
    return context


def violations_on(page, path: str) -> list[str]:
    """axe-core's findings on ``path`` at each width, light and dark, one line per
    rule and element.

    The page loads once; the window then narrows and the system turns dark, which
    the CSS and static/js/color-mode.js follow on the open page as they do for a
    person, so each variant costs an axe run and not a page load as well.
    """
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    found = []
    for viewport in (WIDE, PHONE):
        page.set_viewport_size(viewport)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
            results = page.evaluate(
                "options => axe.run(document, options)",
                AXE_OPTIONS if scheme == "light" else AXE_COLOUR_OPTIONS,
            )
            found += [
                f"{path} {viewport['width']}px {scheme} [{v['impact']}] {v['id']}: "
                f"{node['target']} {node['failureSummary']}"
                for v in results["violations"]
                for node in v["nodes"]
            ]
    return found


def test_main_pages_have_no_axe_violations(browser, live_server):
    forum = seed_forum()
    thread, board = forum["thread"], forum["board"]
    pages = {
        None: [
            "/",
            board.get_absolute_url(),
            thread.get_absolute_url(),
            forum["alice"].get_absolute_url(),
            "/members/",
            "/whats-new/",
            "/search/?q=tomatoes",
            "/accounts/login/",
            "/accounts/register/",
        ],
        forum["alice"]: [
            "/",
            thread.get_absolute_url(),
            f"/threads/{thread.pk}/reply/",
            f"{board.get_absolute_url()}new-thread/",
            "/accounts/profile/",
            "/alerts/",
            "/conversations/",
            forum["conversation"].get_absolute_url(),
            "/account/bookmarks/",
        ],
        forum["mod"]: [
            thread.get_absolute_url(),
            "/moderation/reports/",
        ],
    }
    found = []
    for viewer, paths in pages.items():
        context = signed_in_context(
            browser,
            live_server,
            viewer,
            base_url=live_server.url,
            # No transitions: axe must not read a colour halfway to the dark one.
            reduced_motion="reduce",
        )
        context.add_init_script(path=AXE_SCRIPT)
        page = context.new_page()
        page.set_default_timeout(10_000)
        for path in paths:
            found += violations_on(page, path)
        context.close()
    assert not found, "\n".join(found)


def test_keyboard_skip_links_focus_ring_and_tap_targets(browser, live_server):
    forum = seed_forum()
    context = signed_in_context(
        browser, live_server, forum["alice"], base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(forum["thread"].get_absolute_url())

    # The first Tab reaches "Skip to content", shown on screen once focused.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] >= 24
    # The second, "Skip to the reply box": from there the next Tab is in the box.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the reply box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#reply$"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.reply-box') !== null")

    # A focus ring shows on the header's links, light and dark.
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.locator(".site-nav .navbar-brand").focus()
        page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
        ring = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"
        )
        assert ring[0] == "solid" and ring[1] >= 2, ring
        assert page.evaluate("!!document.activeElement.closest('.site-nav')")

    # Each post is an article named by its number and author; permalinks are
    # 24 px at least.
    expect(
        page.get_by_role("article", name="Post #2 by bob", exact=True)
    ).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Post #1 by alice")).to_have_count(
        1
    )
    for permalink in page.locator("a.permalink").all():
        box = permalink.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, box
    context.close()


FIRST_BODY = """() => new Promise((resolve) => {
  new MutationObserver((changes, observer) => {
    if (document.body) {
      observer.disconnect();
      resolve(document.documentElement.dataset.bsTheme);
    }
  }).observe(document, {childList: true, subtree: true});
})"""
# Recorded the moment <body> is parsed, before anything in it is drawn.
THEME_AT_FIRST_BODY = f"window.__themeAtBody = ({FIRST_BODY})();"


def test_theme_follows_the_system_and_the_toggle_without_a_flash(browser, live_server):
    forum = seed_forum()
    guest = browser.new_context(base_url=live_server.url, color_scheme="dark")
    guest.add_init_script(THEME_AT_FIRST_BODY)
    page = guest.new_page()
    page.set_default_timeout(10_000)
    page.goto("/")
    # Auto, on a dark system: dark before the body is drawn.
    assert page.evaluate("window.__themeAtBody") == "dark"
    toggle = page.locator("#color-mode-button")
    expect(toggle).to_contain_text("Auto")

    # With htmx the page changes in place: no reload.
    page.evaluate("window.__notReloaded = true")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    expect(toggle).to_contain_text("Light")
    assert page.evaluate("window.__notReloaded") is True
    # The new toggle keeps the keyboard's place: Enter again goes on to dark.
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.keyboard.press("Enter")  # and back to the device's setting
    expect(toggle).to_contain_text("Auto")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    # On reload the server writes light into the first HTML, on the system's dark.
    response = page.reload()
    assert re.search(r'<html [^>]*data-bs-theme="light"', response.text())
    assert page.evaluate("window.__themeAtBody") == "light"
    guest.close()

    # A member's choice follows them to another browser; without JavaScript the
    # toggle is a form post.
    for javascript in (False, True):
        context = signed_in_context(
            browser,
            live_server,
            forum["alice"],
            base_url=live_server.url,
            java_script_enabled=javascript,
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(forum["board"].get_absolute_url())
        expected = "dark" if javascript else "light"
        if not javascript:
            page.locator("#color-mode-button").click()  # auto → light
            page.locator("#color-mode-button").click()  # light → dark
            expect(page).to_have_url(re.compile(forum["board"].get_absolute_url()))
            expected = "dark"
        expect(page.locator("html")).to_have_attribute("data-bs-theme", expected)
        context.close()
    forum["alice"].refresh_from_db()
    assert forum["alice"].color_mode == "dark"


def test_a_board_shows_six_threads_on_a_phone_screen(browser, live_server):
    forum = seed_forum()
    for n in range(8):
        make_thread(
            board=forum["board"],
            author=forum["alice"],
            title=f"Which compost suits a raised bed, number {n}?",
        )
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.goto(forum["board"].get_absolute_url())
    rows = page.locator(".thread-list .thread-row")
    # The rows that fit on one screen, from the first row down.
    heights = rows.evaluate_all(
        """rows => {
          const top = rows[0].getBoundingClientRect().top;
          return rows.map(row => row.getBoundingClientRect())
            .filter(box => box.bottom - top <= innerHeight)
            .map(box => box.height);
        }"""
    )
    assert len(heights) >= 6, heights
    context.close()


def test_admin_moderation_actions_work_on_a_phone(browser, live_server):
    seed_forum()
    staff = make_member("staffer", is_staff=True, is_superuser=True)
    context = signed_in_context(
        browser, live_server, staff, base_url=live_server.url, viewport=PHONE
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_contain_text("Colloquy")
    for url in ("/admin/forum/post/", "/admin/accounts/user/"):
        page.goto(url)
        menu = page.locator("#changelist .actions select[name=action]")
        assert menu.bounding_box()["width"] >= 150, url
        for field in page.locator("#changelist .actions input[type=text]").all():
            assert field.bounding_box()["width"] >= 150, url
    # Ban bob from the member list, on a phone.
    page.locator("tr", has_text="bob").locator("input.action-select").check()
    page.locator("select[name=action]").select_option("ban_members")
    page.locator("#changelist .actions input[name=reason]").fill("Spam links")
    page.locator("#changelist .actions button[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("Banned 1 member(s).")
    assert User.objects.get(username="bob").is_currently_banned
    context.close()
