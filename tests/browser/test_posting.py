"""A visitor registers, starts a thread, and a second member replies — in Chromium."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from forum.models import Thread
from tests.factories import make_board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def register(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/register/")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.com")
    page.fill("input[name=password1]", "a long and unusual pass 93")
    page.fill("input[name=password2]", "a long and unusual pass 93")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("nav")).to_contain_text(username)
    # New members confirm their address before they post: follow the mailed link.
    (message,) = [m for m in mail.outbox if m.to == [f"{username}@example.com"]]
    link = re.search(r"https?://\S+/accounts/email/confirm/\S+/", message.body)
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm this address").click()
    expect(page.locator(".alert-success")).to_contain_text("is confirmed")


def test_register_start_thread_and_reply(browser, live_server):
    board = make_board("Workshop talk")
    first = browser.new_context().new_page()
    register(first, live_server.url, "newcomer")
    first.goto(f"{live_server.url}{board.get_absolute_url()}")
    first.click("text=Post thread")
    first.fill("input[name=title]", "My first bench build")
    first.fill("textarea[name=body]", "Ash legs, beech top.\nAdvice welcome.")
    first.get_by_role("button", name="Post thread").click()
    expect(first.locator("h1")).to_contain_text("My first bench build")
    thread = Thread.objects.get(title="My first bench build")

    second = browser.new_context().new_page()
    second.goto(f"{live_server.url}{thread.get_absolute_url()}")
    expect(second.locator(".reply-box")).to_contain_text("Log in or register to reply.")
    register(second, live_server.url, "helper")
    second.goto(f"{live_server.url}{thread.get_absolute_url()}")
    second.fill(".reply-box textarea[name=body]", "Drawbore the joints.")
    second.get_by_role("button", name="Post reply").click()
    expect(second).to_have_url(re.compile(r"#post-\d+$"))

    posts = second.locator("article.post")
    expect(posts).to_have_count(2)
    expect(posts.nth(0).locator(".post-body")).to_contain_text("Ash legs, beech top.")
    expect(posts.nth(0).locator(".author-card")).to_contain_text("newcomer")
    expect(posts.nth(0).locator(".author-card")).to_contain_text("Joined")
    expect(posts.nth(1).locator(".post-body")).to_contain_text("Drawbore the joints.")
    expect(posts.nth(1).locator(".author-card")).to_contain_text("helper")
    expect(posts.nth(1).locator(".author-card")).to_contain_text("New Member")
    expect(second.locator("article.post").nth(1)).to_be_in_viewport()
