"""Engagement end to end in Chromium: a reaction, a quote, its email, and coming back.

Alice reacts to Bob's post and Bob sees the alert and his score; Bob quotes Alice,
the real worker fans the reply out and mails Alice through a real SMTP server; Alice
comes back, finds the thread unread, jumps to the new post, and the bell counts down
as she reads. The mail's unsubscribe link works from the browser too.
"""

import re

import pytest
from playwright.sync_api import expect

from forum import alerts
from forum.models import Reaction
from tests.accounts.test_email_verification import smtp  # noqa: F401 (fixture)
from tests.browser.helpers import log_in
from tests.conftest import run_worker
from tests.factories import make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_react_quote_mail_and_come_back(
    browser,
    live_server,
    settings,
    database_queue,
    smtp,  # noqa: F811
):
    settings.FORUM_BASE_URL = live_server.url
    settings.FORUM_ALERT_EMAIL_DELAY_SECONDS = 0
    # Transactional tests flush the migration's reactions.
    Reaction.objects.get_or_create(name="Like", defaults={"emoji": "👍", "score": 1})
    alice, bob = make_member("alice"), make_member("bob")
    alerts.set_preference(alice, alerts.Kind.QUOTE, alerts.EMAIL)
    thread = make_thread(author=bob, title="Cold frames", body="Mine is glass.")
    bobs_post = thread.posts.get(position=1)
    thread_url = f"{live_server.url}{thread.get_absolute_url()}"

    # Alice reads the thread and likes Bob's post.
    as_alice = browser.new_context().new_page()
    log_in(as_alice, live_server.url, "alice")
    as_alice.goto(thread_url)
    bar = as_alice.locator(f"#reaction-bar-{bobs_post.pk}")
    bar.get_by_role("button", name="Like").click()
    expect(bar.get_by_role("button", name="Like")).to_have_attribute(
        "aria-pressed", "true"
    )
    as_alice.locator(".reply-box textarea[name=body]").fill(
        "Mine is polycarbonate, it never breaks."
    )
    as_alice.get_by_role("button", name="Post reply").click()
    # The quick reply posts through htmx: wait for the page to reach the post.
    expect(as_alice).to_have_url(re.compile(r"#post-\d+$"))
    alices_post = thread.posts.get(position=2)
    expect(as_alice.locator(f"#post-{alices_post.pk}")).to_be_visible()

    # Bob sees the reaction under his bell and the score on his card.
    as_bob = browser.new_context().new_page()
    log_in(as_bob, live_server.url, "bob")
    expect(as_bob.locator("#alert-count")).to_have_text("1")
    as_bob.goto(f"{live_server.url}/alerts/")
    expect(as_bob.locator("main")).to_contain_text("alice")
    as_bob.goto(thread_url)
    card = as_bob.locator(f"#post-{bobs_post.pk} .author-reaction-score")
    expect(card).to_have_text("1")

    # Bob quotes Alice; nothing is mailed until the worker runs.
    as_bob.locator(f"#post-{alices_post.pk} .js-reply").click()
    box = as_bob.locator(".reply-box textarea[name=body]")
    expect(box).to_have_value(re.compile(r'^\[QUOTE="alice, post: \d+'))
    box.press("Control+End")
    box.type("\nDoes it go cloudy?")
    as_bob.get_by_role("button", name="Post reply").click()
    expect(as_bob).to_have_url(re.compile(r"#post-\d+$"))
    bobs_reply = thread.posts.get(position=3)
    assert not smtp.messages
    run_worker()
    [message] = smtp.messages
    assert message["To"] == "alice@example.com"
    body = message.get_body(preferencelist=("plain",)).get_content()
    [alert_link] = re.findall(rf"{re.escape(live_server.url)}/alerts/\d+/", body)
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")

    # Alice comes back: the thread is unread and "New" lands on Bob's reply.
    as_alice.goto(f"{live_server.url}{thread.board.get_absolute_url()}")
    expect(as_alice.locator("#alert-count")).to_have_text("1")
    row = as_alice.locator(f'.thread-row[data-thread-id="{thread.pk}"]')
    expect(row).to_have_class(re.compile(r"\bis-unread\b"))
    row.get_by_role("link", name="New").click()
    expect(as_alice).to_have_url(f"{thread_url}#post-{bobs_reply.pk}")
    expect(as_alice.locator(f"#post-{bobs_reply.pk}")).to_contain_text(
        "Does it go cloudy?"
    )

    # The mail's link opens the alert, which reads it: the bell counts down.
    as_alice.goto(alert_link)
    expect(as_alice).to_have_url(re.compile(rf"#post-{bobs_reply.pk}$"))
    expect(as_alice.locator("#alert-count")).to_have_text("0")

    # Unsubscribing from the mail turns quote email off, alerts stay on the site.
    as_alice.goto(unsubscribe)
    as_alice.get_by_role("button", name="Stop these emails").click()
    expect(as_alice.locator("main")).to_contain_text("no more email for quotes")
    alice.refresh_from_db()
    assert alerts.preference(alice, alerts.Kind.QUOTE) == alerts.SITE
