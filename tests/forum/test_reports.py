"""Reports of posts and members, and the moderators' queue."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from forum import reports
from forum.models import BoardPermission, ModerationAction, Report
from tests.conftest import count_queries
from tests.factories import make_board, make_member, make_posts, make_thread

pytestmark = pytest.mark.django_db
Audience = BoardPermission.Audience
QUEUE = "/moderation/reports/"


@pytest.fixture
def reply(thread, other_member):
    (post,) = make_posts(thread, 1, authors=[other_member])
    return post


@pytest.fixture
def board_mod(thread):
    """A member of a group granted "moderate" on the thread's board only."""
    group = Group.objects.create(name="Chat moderators")
    BoardPermission.objects.create(
        board=thread.board, audience=Audience.GROUP, group=group, moderate=True
    )
    mod = make_member("boardmod")
    mod.groups.add(group)
    return mod


def report_url(post) -> str:
    return reverse("forum:report_post", args=[post.pk])


def test_a_member_reports_a_post_through_the_form(client, member, reply):
    client.force_login(member)
    assert client.get(report_url(reply)).status_code == 200
    response = client.post(report_url(reply), {"reason": "  Selling watches.  "})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.reporter, report.post, report.member) == (
        member,
        reply,
        reply.author,
    )
    assert report.board_id == reply.thread.board_id
    assert report.reason == "Selling watches."
    assert report.status == Report.Status.OPEN
    audit = ModerationAction.objects.get(action="report_post")
    assert (audit.actor, audit.post, audit.target_user) == (
        member,
        reply,
        reply.author,
    )


def test_the_report_link_shows_beside_others_posts_only(client, member, reply):
    client.force_login(member)
    page = client.get(reply.thread.get_absolute_url()).content.decode()
    assert report_url(reply) in page
    # The thread's first post is the member's own.
    assert report_url(reply.thread.posts.get(position=1)) not in page


def test_reporting_ones_own_post_is_refused(client, member, thread):
    own = thread.posts.get(position=1)
    with pytest.raises(PermissionDenied):
        reports.report_post(post=own, reporter=member, reason="Oops")
    client.force_login(member)
    assert client.post(report_url(own), {"reason": "Oops"}).status_code == 403
    assert not Report.objects.exists()


def test_reporting_twice_is_refused_until_the_first_is_handled(
    member, reply, moderator
):
    first = reports.report_post(post=reply, reporter=member, reason="Spam")
    with pytest.raises(ValidationError):
        reports.report_post(post=reply, reporter=member, reason="Spam again")
    reports.reject_report(report=first, moderator=moderator)
    reports.report_post(post=reply, reporter=member, reason="Spam, really")
    assert Report.objects.filter(status=Report.Status.OPEN).count() == 1


def test_a_second_report_through_the_form_says_so(client, member, reply):
    client.force_login(member)
    client.post(report_url(reply), {"reason": "Spam"})
    response = client.post(report_url(reply), {"reason": "Spam"})
    assert response.status_code == 200
    assert "reported this post already" in response.content.decode()
    assert Report.objects.count() == 1


def test_banned_members_and_guests_cannot_report(client, member, reply):
    member.is_banned = True
    member.save()
    with pytest.raises(PermissionDenied):
        reports.report_post(post=reply, reporter=member, reason="Spam")
    guest = client.post(report_url(reply), {"reason": "Spam"})
    assert guest.status_code == 302 and "/accounts/login/" in guest["Location"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("reason", ["", "   \n\t ", "x" * 2001])
def test_empty_and_huge_reasons_are_refused(client, member, reply, reason):
    with pytest.raises(ValidationError):
        reports.report_post(post=reply, reporter=member, reason=reason)
    client.force_login(member)
    response = client.post(report_url(reply), {"reason": reason})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not Report.objects.exists()


def test_a_post_in_a_board_one_cannot_see_cannot_be_reported(client, member, reply):
    BoardPermission.objects.create(
        board=reply.thread.board, audience=Audience.MEMBERS, view_board=False
    )
    client.force_login(member)
    assert client.get(report_url(reply)).status_code == 404
    assert client.post(report_url(reply), {"reason": "Spam"}).status_code == 404
    with pytest.raises(PermissionDenied):
        reports.report_post(post=reply, reporter=member, reason="Spam")
    assert not Report.objects.exists()


def test_deleted_posts_and_unknown_ids_are_not_found(client, member, reply, moderator):
    client.force_login(member)
    assert client.get("/posts/999999/report/").status_code == 404
    assert client.get("/posts/١٢/report/").status_code == 404
    from forum import services

    services.delete_post(post=reply, actor=moderator)
    assert client.get(report_url(reply)).status_code == 404


def test_reports_are_rate_limited_per_member(client, member, settings, board):
    settings.FORUM_REPORTS_PER_HOUR = 2
    posts = [make_thread(board=board).posts.get() for _ in range(3)]
    client.force_login(member)
    for post in posts[:2]:
        assert client.post(report_url(post), {"reason": "Spam"}).status_code == 302
    refused = client.post(report_url(posts[2]), {"reason": "Spam"})
    assert refused.status_code == 429
    assert "Try again in" in refused.content.decode()
    assert Report.objects.count() == 2


def test_posts_need_csrf_tokens(member, reply):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(report_url(reply), {"reason": "Spam"}).status_code == 403
    assert not Report.objects.exists()


def test_a_member_report_goes_to_forum_wide_moderators_only(
    client, member, other_member, board_mod, moderator
):
    url = reverse("forum:report_member", args=[other_member.pk])
    client.force_login(member)
    assert client.post(url, {"reason": "Impersonates staff"}).status_code == 302
    report = Report.objects.get()
    assert (report.post, report.member, report.board) == (None, other_member, None)
    assert list(reports.handled_by(board_mod)) == []
    assert list(reports.handled_by(moderator)) == [report]
    with pytest.raises(PermissionDenied):
        reports.resolve_report(report=report, moderator=board_mod)
    # Nobody reports themselves.
    self_url = reverse("forum:report_member", args=[member.pk])
    assert client.post(self_url, {"reason": "Me"}).status_code == 403


def test_members_without_a_queue_do_not_find_it(client, member, reply, other_member):
    report = reports.report_post(post=reply, reporter=member, reason="Spam")
    client.force_login(other_member)
    assert client.get(QUEUE).status_code == 404
    assert client.get(report.get_absolute_url()).status_code == 404
    assert (
        client.post(report.get_absolute_url(), {"action": "resolve"}).status_code == 404
    )
    with pytest.raises(PermissionDenied):
        reports.resolve_report(report=report, moderator=other_member)
    assert Report.objects.get().status == Report.Status.OPEN


def test_a_board_moderator_handles_only_their_boards_reports(
    client, member, reply, board_mod
):
    mine = reports.report_post(post=reply, reporter=member, reason="Spam")
    elsewhere_post = make_thread(board=make_board("Elsewhere")).posts.get()
    theirs = reports.report_post(post=elsewhere_post, reporter=member, reason="Rude")
    client.force_login(board_mod)
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert list(page.context["reports"]) == [mine]
    assert client.get(theirs.get_absolute_url()).status_code == 404
    refused = client.post(theirs.get_absolute_url(), {"action": "resolve"})
    assert refused.status_code == 404
    with pytest.raises(PermissionDenied):
        reports.resolve_report(report=theirs, moderator=board_mod)
    assert Report.objects.get(pk=theirs.pk).status == Report.Status.OPEN


def test_a_report_follows_its_thread_to_another_board(member, reply, board_mod):
    from forum import services

    report = reports.report_post(post=reply, reporter=member, reason="Spam")
    admin = make_member("root", is_staff=True)
    services.move_thread(
        thread=reply.thread, moderator=admin, board=make_board("Elsewhere")
    )
    assert list(reports.handled_by(board_mod)) == []
    with pytest.raises(PermissionDenied):
        reports.resolve_report(report=report, moderator=board_mod)


def test_resolving_records_who_when_and_the_comment(client, member, reply, board_mod):
    report = reports.report_post(post=reply, reporter=member, reason="Spam")
    client.force_login(board_mod)
    url = report.get_absolute_url()
    assert (
        client.post(url, {"action": "comment", "comment": "Looking"}).status_code == 302
    )
    response = client.post(url, {"action": "resolve", "comment": "Deleted it."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    assert report.handled_by == board_mod and report.handled_at is not None
    assert [c.body for c in report.comments.all()] == ["Looking", "Deleted it."]
    actions = ModerationAction.objects.filter(actor=board_mod).order_by("id")
    assert [a.action for a in actions] == ["comment_report", "resolve_report"]
    assert actions[1].post == reply and actions[1].reason == "Deleted it."
    # Closed once: a second close is refused with a message, not a 500.
    again = client.post(url, {"action": "reject", "comment": ""})
    assert again.status_code == 200
    assert "handled already" in again.content.decode()
    resolved = client.get(QUEUE, {"status": "resolved"}).content.decode()
    assert "Deleted it." in resolved and "boardmod" in resolved
    assert "No open reports" in client.get(QUEUE).content.decode()


def test_rejecting_and_bad_handling_input(client, member, reply, moderator):
    report = reports.report_post(post=reply, reporter=member, reason="Spam")
    client.force_login(moderator)
    url = report.get_absolute_url()
    for bad in (
        {"action": "comment", "comment": "  "},
        {"action": "explode"},
        {"action": "resolve", "comment": "x" * 2001},
    ):
        assert client.post(url, bad).status_code == 200
    assert Report.objects.get().status == Report.Status.OPEN
    assert client.post(url, {"action": "reject"}).status_code == 302
    assert Report.objects.get().status == Report.Status.REJECTED
    assert ModerationAction.objects.filter(action="reject_report").count() == 1
    for query in ("?status=nonsense", "?page=²", "?page=0", "?page=99999999"):
        assert client.get(QUEUE + query).status_code == 200


def test_the_header_counts_open_reports_for_moderators(
    client, member, reply, board_mod, other_member
):
    reports.report_post(post=reply, reporter=member, reason="Spam")
    reports.report_member(member=member, reporter=other_member, reason="Rude")
    client.force_login(board_mod)
    header = client.get("/").content.decode()
    assert f'href="{QUEUE}"' in header and "Reports <span" in header
    assert ">1</span>" in header
    assert 'href="/moderation/approval/"' in header
    client.force_login(member)
    assert QUEUE not in client.get("/").content.decode()
    assert "/moderation/approval/" not in client.get("/").content.decode()


def test_the_queue_costs_the_same_for_many_reports(client, moderator, board, settings):
    settings.FORUM_REPORTS_PER_HOUR = 0
    reporters = [make_member() for _ in range(3)]

    def file(count):
        for _ in range(count):
            post = make_thread(board=board).posts.get()
            for reporter in reporters:
                report = reports.report_post(post=post, reporter=reporter, reason="x")
            reports.comment_on_report(report=report, moderator=moderator, body="Hm")

    client.force_login(moderator)
    file(2)
    few = count_queries(client, QUEUE)
    file(10)
    assert count_queries(client, QUEUE) == few
    report = Report.objects.first()
    one = count_queries(client, report.get_absolute_url())
    reports.comment_on_report(report=report, moderator=moderator, body="More")
    assert count_queries(client, report.get_absolute_url()) == one


def test_admin_lists_reports_and_resolves_them(staff_client, member, reply):
    report = reports.report_post(post=reply, reporter=member, reason="Spam")
    assert staff_client.get("/admin/forum/report/").status_code == 200
    assert staff_client.get(f"/admin/forum/report/{report.pk}/change/").status_code == (
        200
    )
    staff_client.post(
        "/admin/forum/report/",
        {"action": "resolve", "_selected_action": [report.pk], "comment": "Done"},
    )
    report.refresh_from_db()
    assert report.status == Report.Status.RESOLVED
    assert report.comments.get().body == "Done"
