"""A member reports a post; a board moderator resolves it in the queue (Chromium)."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from forum.models import BoardPermission, ModerationAction, Report
from tests.browser.helpers import log_in
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_reports_a_post_and_a_board_moderator_resolves_it(
    browser, live_server
):
    board = make_board("Workshop talk")
    thread = make_thread(board=board, author=make_member("starter"), title="Benches")
    (spam,) = make_posts(thread, 1, authors=[make_member("spammer")])
    make_member("reader")
    group = Group.objects.create(name="Workshop moderators")
    BoardPermission.objects.create(
        board=board,
        audience=BoardPermission.Audience.GROUP,
        group=group,
        moderate=True,
    )
    make_member("warden").groups.add(group)

    reader = browser.new_context().new_page()
    log_in(reader, live_server.url, "reader")
    reader.goto(f"{live_server.url}{thread.get_absolute_url()}")
    post = reader.locator(f"#post-{spam.pk}")
    post.get_by_role("link", name="Report").click()
    reader.fill("textarea[name=reason]", "Advertises cheap watches.")
    reader.get_by_role("button", name="Send report").click()
    expect(reader.locator(".alert-success")).to_contain_text("moderators will look")

    warden = browser.new_context().new_page()
    log_in(warden, live_server.url, "warden")
    header_link = warden.locator("nav").get_by_role("link", name="Reports")
    expect(header_link).to_contain_text("1")
    header_link.click()
    row = warden.locator(".report-list li").first
    expect(row).to_contain_text("Advertises cheap watches.")
    expect(row).to_contain_text("reader")
    row.get_by_role("link", name="Handle").click()
    warden.select_option("select[name=action]", "resolve")
    warden.fill("textarea[name=comment]", "Deleted the post.")
    warden.get_by_role("button", name="Save").click()
    expect(warden.locator(".alert-success")).to_contain_text("resolved")
    expect(warden.locator("h1")).to_contain_text("Resolved")
    expect(warden.locator(".report-comment")).to_contain_text("Deleted the post.")
    warden.goto(f"{live_server.url}/moderation/reports/")
    expect(warden.locator("main")).to_contain_text("No open reports")

    report = Report.objects.get()
    assert report.status == Report.Status.RESOLVED
    assert report.handled_by.username == "warden"
    assert ModerationAction.objects.filter(action="resolve_report").count() == 1
