"""Account deletion: asking with the password, the grace period, the erasure itself,
the admin's action, and a scan of every column for what was personal."""

import re
import zipfile
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.services import register_member, send_email_confirmation
from forum.models import Board, ModerationAction, Post, Thread
from privacy import erasure
from privacy.models import DataExport, DeletionRequest
from tests.accounts.conftest import png_bytes
from tests.conftest import database_queue, run_worker  # noqa: F401 (fixture)
from tests.factories import PASSWORD, make_member, make_posts, make_thread
from tests.privacy.conftest import (
    EMAIL,
    LOGIN_IP,
    MESSAGE_IP,
    NAME,
    POST_IP,
    leave_footprint,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
DELETE_URL = "/accounts/delete/"


def test_a_wrong_password_deletes_nothing(client, member):
    client.force_login(member)
    response = client.post(DELETE_URL, {"password": "guess", "posts": "keep"})
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    member.refresh_from_db()
    assert member.deletion_due_at is None
    assert not DeletionRequest.objects.exists()


def test_password_guesses_here_count_towards_the_login_lockout(client, member):
    client.force_login(member)
    guesses = [
        client.post(DELETE_URL, {"password": f"guess {i}", "posts": "keep"})
        for i in range(6)
    ]
    assert guesses[0].status_code == 400
    assert guesses[-1].status_code == 429
    right = client.post(DELETE_URL, {"password": PASSWORD, "posts": "keep"})
    assert right.status_code == 429
    member.refresh_from_db()
    assert member.deletion_due_at is None


def test_asking_waits_out_the_grace_period_with_a_banner_to_cancel(
    client, member, settings
):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 7
    client.force_login(member)
    response = client.post(
        DELETE_URL, {"password": PASSWORD, "posts": "keep"}, follow=True
    )
    assert "Your account will be deleted on" in response.content.decode()
    member.refresh_from_db()
    due = member.deletion_due_at
    assert timedelta(days=6, hours=23) < due - timezone.now() <= timedelta(days=7)
    # Asking again (a double submit) keeps the first date.
    client.post(DELETE_URL, {"password": PASSWORD, "posts": "remove"})
    member.refresh_from_db()
    assert member.deletion_due_at == due
    assert DeletionRequest.objects.get(user=member).remove_posts is True
    # Nothing erased before the date; every page shows the way back.
    call_command("privacy_upkeep")
    member.refresh_from_db()
    assert member.erased_at is None
    page = client.get("/").content.decode()
    assert "deletion-notice" in page and "Keep my account" in page

    client.post("/accounts/delete/cancel/")
    member.refresh_from_db()
    assert member.deletion_due_at is None
    assert not DeletionRequest.objects.exists()
    assert "deletion-notice" not in client.get("/").content.decode()


def test_the_upkeep_erases_accounts_whose_date_has_passed(member, board):
    make_thread(board=board, author=member)
    erasure.request_deletion(member=member, remove_posts=False)
    User.objects.filter(pk=member.pk).update(
        deletion_due_at=timezone.now() - timedelta(minutes=1)
    )
    call_command("privacy_upkeep")
    member.refresh_from_db()
    assert member.erased_at is not None
    assert member.username == f"Deleted member {member.pk}"


def test_with_no_grace_period_the_account_goes_at_once(client, member, settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    client.force_login(member)
    response = client.post(
        DELETE_URL, {"password": PASSWORD, "posts": "keep"}, follow=True
    )
    assert "Your account is deleted. Goodbye!" in response.content.decode()
    assert "_auth_user_id" not in client.session  # logged out
    member.refresh_from_db()
    assert member.erased_at is not None


def test_deleting_needs_a_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(DELETE_URL, {"password": PASSWORD, "posts": "keep"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.deletion_due_at is None


def test_removing_posts_is_refused_where_the_setting_forbids_it(
    client, member, settings
):
    settings.FORUM_DELETION_MAY_REMOVE_POSTS = False
    client.force_login(member)
    assert 'value="remove"' not in client.get(DELETE_URL).content.decode()
    with pytest.raises(erasure.PermissionDenied):
        erasure.request_deletion(member=member, remove_posts=True)


def test_kept_posts_read_under_deleted_member_and_quotes_still_work(client, settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    trace = leave_footprint()
    member = trace.member
    old_password_client = Client()
    old_password_client.force_login(member)

    erasure.erase_member(member=member)

    member.refresh_from_db()
    assert (member.is_active, member.has_usable_password()) == (False, False)
    assert member.post_count == 2  # the posts stay, and count
    page = client.get(trace.thread.get_absolute_url()).content.decode()
    assert "A second lantern thought." in page
    assert "Deleted member" in page
    assert NAME not in page
    # The friend's quote names "Deleted member" and still links to the post.
    quoting = Post.objects.get(pk=trace.quoting.pk)
    assert f'[QUOTE="Deleted member, post: {trace.reply.pk}' in quoting.body
    assert f"/posts/{trace.reply.pk}/" in quoting.body_html
    assert "Deleted member" in quoting.body_html
    # No profile; no login; the old session is gone; the address is free again.
    assert client.get(f"/members/{member.pk}/").status_code == 404
    assert not Client().login(username=NAME, password=PASSWORD)
    response = old_password_client.get("/accounts/profile/")
    assert response.status_code == 302
    again = register_member(username="Quillfeather2", email=EMAIL, password="x y z 12")
    assert again.pk != member.pk
    # Audited, with nothing personal in the record.
    action = ModerationAction.objects.get(action="erase_member")
    assert (action.target_user_id, action.actor_id) == (member.pk, member.pk)
    assert action.reason == "posts kept"


def test_removed_posts_go_with_every_counter_right(other_member, board):
    member = make_member("leaver")
    own = make_thread(board=board, author=member, title="Mine")
    make_posts(own, count=2, authors=[other_member])
    elsewhere = make_thread(board=board, author=other_member, title="Theirs")
    make_posts(elsewhere, count=1, authors=[member])

    erasure.erase_member(member=member, remove_posts=True)

    member.refresh_from_db()
    other_member.refresh_from_db()
    assert member.post_count == 0
    assert Thread.objects.get(pk=own.pk).is_deleted
    # A deleted thread keeps its first post's flag: the thread hides it.
    live = Post.objects.filter(is_deleted=False, thread__is_deleted=False)
    assert not live.filter(author=member).exists()
    assert set(Post.objects.filter(author=member).values_list("body", flat=True)) == {
        ""
    }
    board.refresh_from_db()
    assert (board.thread_count, board.post_count) == (1, 1)
    assert Thread.objects.get(pk=elsewhere.pk).reply_count == 0
    # What recount computes from the rows is what the erasure left.
    call_command("recount", "--check")
    assert ModerationAction.objects.get(action="erase_member").reason == "posts removed"


def test_staff_erase_from_the_user_admin_after_confirming(staff_client, member):
    changelist = "/admin/accounts/user/"
    form = {"action": "erase_keeping_posts", "_selected_action": [member.pk]}
    response = staff_client.post(changelist, form)
    assert response.status_code == 200
    assert "This cannot be undone." in response.content.decode()
    member.refresh_from_db()
    assert member.erased_at is None

    response = staff_client.post(changelist, {**form, "confirm": "yes"}, follow=True)
    assert "Erased 1 member(s)." in response.content.decode()
    member.refresh_from_db()
    assert member.erased_at is not None
    action = ModerationAction.objects.get(action="erase_member")
    assert action.actor.username == "staffer"


def test_only_staff_erase_others_and_only_superusers_erase_superusers(
    member, other_member
):
    with pytest.raises(erasure.PermissionDenied):
        erasure.erase_member(member=member, actor=other_member)
    helper = make_member("helper", is_staff=True)
    boss = make_member("boss", is_staff=True, is_superuser=True)
    with pytest.raises(erasure.PermissionDenied):
        erasure.erase_member(member=boss, actor=helper)
    member.refresh_from_db()
    assert member.erased_at is None
    # A member's own page is no way in for someone else: it acts on the viewer.
    client = Client()
    client.force_login(other_member)
    client.post(DELETE_URL, {"password": PASSWORD, "posts": "keep"})
    member.refresh_from_db()
    assert member.deletion_due_at is None


TEXT_TYPES = (
    "text",
    "character varying",
    "character",
    "json",
    "jsonb",
    "inet",
    "cidr",
    "ARRAY",
)


def columns_holding(needles: list[str]) -> list[str]:
    """Every table.column in the database whose text holds any of ``needles``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type = ANY(%s)"
            " AND is_generated = 'NEVER'",
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        found = []
        quote = connection.ops.quote_name
        for table, column in columns:
            cursor.execute(
                f"SELECT 1 FROM {quote(table)} WHERE "
                + " OR ".join(
                    [f"strpos(lower({quote(column)}::text), %s) > 0"] * len(needles)
                )
                + " LIMIT 1",
                [needle.lower() for needle in needles],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


@pytest.mark.django_db(transaction=True)
def test_nothing_personal_is_left_in_any_table(client, database_queue):  # noqa: F811
    trace = leave_footprint()
    member = trace.member
    # A confirmation mail through the real queue (its row names the address), a
    # session, an admin edit (the log names the account), a data download.
    send_email_confirmation(member=member, email=EMAIL, site_root="http://testserver")
    client.post(
        "/accounts/login/",
        {"username": NAME, "password": PASSWORD},
        REMOTE_ADDR=LOGIN_IP,
    )
    client.post("/accounts/data/")
    run_worker()
    staff = make_member("staffer", is_staff=True, is_superuser=True)
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(member.pk),
        object_repr=str(member),
        action_flag=CHANGE,
    )
    needles = [NAME, EMAIL, POST_IP, MESSAGE_IP, LOGIN_IP]
    before = columns_holding(needles)
    assert {
        "accounts_user.username",
        "accounts_user.email",
        "forum_post.ip_address",
        "forum_post.body",  # the friend's quote names the member
        "conversations_message.ip_address",
        "axes_accessattempt.username",
        "axes_accessfailurelog.ip_address",
        "django_admin_log.object_repr",
        "django_tasks_database_dbtaskresult.args_kwargs",
    } <= set(before), sorted(before)

    erasure.erase_member(member=member, actor=staff)
    run_worker()

    assert columns_holding(needles) == []
    # The posts and the board they count in are still there.
    assert Post.objects.filter(author=member, is_deleted=False).count() == 2
    assert Board.objects.get(pk=trace.thread.board_id).post_count == 3
    assert re.fullmatch(r"Deleted member \d+", User.objects.get(pk=member.pk).username)


def test_the_avatar_is_in_the_download_and_gone_after_erasure(
    client, member, django_capture_on_commit_callbacks
):
    member.avatar.save("lantern.png", ContentFile(png_bytes()), save=True)
    stored = member.avatar.name
    client.force_login(member)
    client.post("/accounts/data/")
    export = DataExport.objects.get(user=member)
    with default_storage.open(export.archive) as archive_file:
        names = zipfile.ZipFile(archive_file).namelist()
    assert f"avatar/{stored.rsplit('/', 1)[-1]}" in names

    with django_capture_on_commit_callbacks(execute=True):
        erasure.erase_member(member=member)
    assert not default_storage.exists(stored)
    assert not default_storage.exists(export.archive)
    assert not DataExport.objects.exists()
