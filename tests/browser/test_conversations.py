"""A private conversation from start to finish, as its members do it in Chromium."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from conversations.models import Conversation
from tests.browser.helpers import log_in
from tests.factories import make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_member(browser, base_url: str, username: str):
    """A browser already logged in as ``username``: the session is made on the
    server side (logging in through the form is tested elsewhere, and five form
    logins would double this test's time)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    context = browser.new_context()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base_url}/")
    return page


def header_count(page):
    return page.locator("nav .nav-conversations")


def test_start_reply_with_quote_leave_invite_and_nobody_else_gets_in(
    browser, live_server
):
    for name in ("anna", "boris", "chloe", "dmitri", "outsider"):
        make_member(name)
    base = live_server.url

    # A logs in and starts a conversation with B and C.
    anna = browser.new_context().new_page()
    log_in(anna, base, "anna")
    anna.goto(f"{base}/conversations/")
    anna.get_by_role("link", name="Start a conversation").click()
    anna.fill("input[name=recipients]", "boris, chloe")
    anna.fill("input[name=title]", "Garden rota")
    anna.fill("textarea[name=body]", "Who waters the [b]tomatoes[/b] in May?")
    anna.get_by_role("button", name="Start conversation").click()
    expect(anna.locator("h1")).to_have_text("Garden rota")
    conversation = Conversation.objects.get()
    first = conversation.messages.get()

    # B sees it counted in the header, opens it and replies quoting A.
    boris = as_member(browser, base, "boris")
    expect(header_count(boris)).to_contain_text("1")
    header_count(boris).click()
    boris.get_by_role("link", name="Garden rota").click()
    expect(boris.locator(f"#message-{first.pk} .message-new")).to_be_visible()
    expect(header_count(boris).locator(".conversations-unread")).to_have_count(0)
    boris.locator(f"#message-{first.pk}").get_by_role("link", name="Reply").click()
    box = boris.locator("textarea[name=body]")
    expect(box).to_have_value(re.compile(r'^\[QUOTE="anna"\]\nWho waters'))
    box.press("Control+End")
    box.type("I will, on Tuesdays.")
    boris.get_by_role("button", name="Send reply").click()
    expect(boris).to_have_url(re.compile(r"#message-\d+$"))
    reply = boris.locator("article.post").nth(1)
    expect(reply.locator(".bbquote-header")).to_contain_text("anna said:")
    expect(reply).to_contain_text("I will, on Tuesdays.")

    # C leaves.
    chloe = as_member(browser, base, "chloe")
    chloe.goto(f"{base}{conversation.get_absolute_url()}")
    chloe.get_by_role("link", name="Leave").click()
    chloe.get_by_role("button", name="Leave the conversation").click()
    expect(chloe.locator(".alert-success")).to_contain_text("You left")
    expect(chloe.locator(".conversation-list")).to_contain_text("No conversations yet")

    # A invites D, who sees the whole history.
    anna.goto(f"{base}{conversation.get_absolute_url()}")
    anna.get_by_role("link", name="Invite").click()
    anna.fill("input[name=members]", "dmitri")
    anna.get_by_role("button", name="Invite").click()
    expect(anna.locator(".alert-success")).to_contain_text("Invited: dmitri")
    expect(anna.locator(".conversation-members")).not_to_contain_text("chloe")
    anna.locator(".reply-box textarea[name=body]").fill("Welcome, Dmitri.")
    anna.get_by_role("button", name="Send reply").click()
    expect(anna.locator("article.post")).to_have_count(3)

    dmitri = as_member(browser, base, "dmitri")
    expect(header_count(dmitri)).to_contain_text("1")
    dmitri.goto(f"{base}/conversations/")
    dmitri.get_by_role("link", name="Garden rota").click()
    messages = dmitri.locator("article.post")
    expect(messages).to_have_count(3)
    expect(messages.nth(0)).to_contain_text("Who waters the tomatoes in May?")
    expect(messages.nth(1)).to_contain_text("I will, on Tuesdays.")
    expect(messages.nth(2)).to_contain_text("Welcome, Dmitri.")

    # C sees nothing new: no count, no conversation, and its pages are closed.
    chloe.goto(f"{base}/conversations/")
    expect(header_count(chloe).locator(".conversations-unread")).to_have_count(0)
    expect(chloe.locator(".conversation-list")).to_contain_text("No conversations yet")
    assert chloe.goto(f"{base}{conversation.get_absolute_url()}").status == 404

    # A member outside it gets 404 on every URL of it.
    outsider = as_member(browser, base, "outsider")
    message_ids = list(conversation.messages.values_list("pk", flat=True))
    urls = [
        reverse(f"conversations:{name}", args=[conversation.pk])
        for name in (
            "conversation_detail",
            "conversation_unread",
            "conversation_reply",
            "conversation_invite",
            "conversation_leave",
            "conversation_moderate",
        )
    ] + [
        reverse(f"conversations:{name}", args=[pk])
        for pk in message_ids
        for name in (
            "message_detail",
            "message_edit",
            "message_history",
            "message_report",
        )
    ]
    # The browser's own session, without loading each page's styles and scripts.
    for url in urls:
        response = outsider.request.get(f"{base}{url}")
        assert response.status == 404, url
        assert "Garden rota" not in response.text()
