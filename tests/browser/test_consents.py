"""A new terms version in Chromium: the member is asked on their next visit, agrees,
and carries on where they were going."""

import re

import pytest
from playwright.sync_api import expect

from accounts import consents
from accounts.models import LegalDocument
from tests.browser.helpers import log_in
from tests.factories import make_member, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def publish(kind: str, title: str, body: str) -> LegalDocument:
    draft = consents.save_draft(
        document=LegalDocument(kind=kind, title=title, body=body)
    )
    return consents.publish_document(document=draft)


def test_a_new_terms_version_is_accepted_on_the_next_visit(page, live_server):
    reader = make_member("reader")
    thread = make_thread(author=make_member("host"), title="Summer meetup")
    publish("terms", "Forum rules", "Be kind.")
    publish("privacy", "Privacy policy", "We keep little.")
    consents.record_agreement(user=reader, versions="privacy:1,terms:1")
    log_in(page, live_server.url, "reader")

    publish("terms", "Forum rules, 2027", "Be kind, and [b]stay on topic[/b].")
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The terms and rules changed"
    )
    expect(page.locator("article")).to_contain_text("stay on topic")
    page.get_by_label("I have read these and agree to them.").check()
    page.get_by_role("button", name="Agree and continue").click()

    expect(page).to_have_url(re.compile(re.escape(thread.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Summer meetup")
    reader.refresh_from_db()
    assert (reader.agreed_terms_version, reader.consent_due) == (2, False)
    assert reader.agreements.filter(document__version=2).exists()
    # And the next page is an ordinary one again.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/")
