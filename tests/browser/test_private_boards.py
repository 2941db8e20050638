"""A private board in Chromium: a member outside its group finds it on no page,
a member of the group reads and replies."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from forum.models import BoardPermission
from tests.browser.helpers import log_in
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Audience = BoardPermission.Audience


def test_a_private_board_stays_invisible_outside_its_group(page, live_server):
    make_thread(board=make_board("Open lounge"), author=make_member("host"))
    private = make_board("Moderators' den")
    team = Group.objects.create(name="Team")
    for audience in (Audience.GUESTS, Audience.MEMBERS):
        BoardPermission.objects.create(
            board=private, audience=audience, view_board=False
        )
    BoardPermission.objects.create(
        board=private, audience=Audience.GROUP, group=team, view_board=True
    )
    insider = make_member("insider")
    insider.groups.add(team)
    secret = make_thread(board=private, author=insider, title="Rota for December")
    make_posts(secret, count=1, authors=[insider])
    make_member("outsider")

    log_in(page, live_server.url, "outsider")
    for path in ["/", insider.get_absolute_url(), "/boards/open-lounge/"]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).not_to_contain_text("Moderators' den")
        expect(page.locator("main")).not_to_contain_text("Rota for December")
    for path in [private.get_absolute_url(), secret.get_absolute_url()]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404
        expect(page.locator("main")).not_to_contain_text("Rota for December")

    page.context.clear_cookies()
    log_in(page, live_server.url, "insider")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Moderators' den").click()
    page.get_by_role("link", name="Rota for December").click()
    page.fill(".reply-box textarea[name=body]", "I can take the 24th.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post").last).to_contain_text("I can take the 24th.")
