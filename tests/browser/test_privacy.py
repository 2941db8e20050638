"""A member's own data in Chromium: they download it and find their posts in it;
they delete their account and their posts read "Deleted member"."""

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.accounts.test_email_verification import smtp  # noqa: F401 (fixture)
from tests.browser.helpers import log_in
from tests.conftest import run_worker
from tests.factories import PASSWORD, make_member, make_posts, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_downloads_their_data_and_finds_their_posts(
    page,
    live_server,
    settings,
    tmp_path,
    database_queue,
    smtp,  # noqa: F811
):
    settings.FORUM_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    member = make_member("wren")
    make_thread(author=member, title="Nest boxes", body="Mine faces [i]north[/i].")
    log_in(page, live_server.url, "wren")

    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_role("link", name="Download your data").click()
    page.get_by_role("button", name="Prepare my data").click()
    expect(page.locator(".alert-success")).to_contain_text("We are preparing")
    # Asked once: the button waits for the worker.
    expect(page.get_by_role("button", name="Prepare my data")).to_be_disabled()

    run_worker()
    [message] = smtp.messages
    assert message["To"] == "wren@example.com"
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://\S+/accounts/data/\S+/", body).group(0)
    assert link.startswith(live_server.url)

    # The mailed link, opened in the member's browser, downloads the archive.
    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url }", link)
    path = download_info.value.path()
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    data = json.loads(archive.read("data.json"))
    assert [post["body"] for post in data["posts"]] == ["Mine faces [i]north[/i]."]
    assert data["threads"][0]["title"] == "Nest boxes"
    assert "Mine faces [i]north[/i]." in archive.read("index.html").decode()


def test_a_member_deletes_their_account_and_their_posts_show_deleted_member(
    page, live_server, settings
):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    host = make_member("heron")
    leaver = make_member("plover")
    thread = make_thread(author=host, title="Estuary walk", body="Who is coming?")
    make_posts(thread, count=1, authors=[leaver])
    log_in(page, live_server.url, "plover")

    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_role("link", name="Delete your account").click()
    page.get_by_label("Your password").fill("not it")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("main form")).to_contain_text("That is not your password.")

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label('Keep them, under the name "Deleted member"').check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".alert-success")).to_contain_text("Your account is deleted")
    expect(page.locator("nav")).to_contain_text("Log in")

    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    reply = page.locator("article.post").nth(1)
    expect(reply).to_contain_text("Reply number 0.")
    expect(reply.locator(".author-card")).to_have_text("? Deleted member")
    expect(page.locator("main")).not_to_contain_text("plover")
    # And the account is closed for good.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "plover")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("nav")).not_to_contain_text("plover")
