"""IP retention: post and login addresses are forgotten after the retention days."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from forum import retention, services
from forum.models import Post
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db

OLD, RECENT = "203.0.113.7", "198.51.100.1"


def post_from(thread, author, address, *, days_ago: int) -> Post:
    post = services.post_reply(
        thread=thread, author=author, body="Hello.", ip_address=address
    )
    Post.objects.filter(pk=post.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return post


def addresses_seen(client, member) -> set[str]:
    response = client.get(reverse("forum:member_addresses", args=[member.pk]))
    assert response.status_code == 200
    return {row["ip_address"] for row in response.context["addresses"]}


def test_old_post_addresses_are_blanked_and_moderators_see_only_the_kept(
    client, settings, thread, member, moderator
):
    settings.FORUM_IP_RETENTION_DAYS = 30
    old = post_from(thread, member, OLD, days_ago=31)
    recent = post_from(thread, member, RECENT, days_ago=29)
    client.force_login(moderator)
    assert addresses_seen(client, member) == {OLD, RECENT}

    call_command("prune_ip_addresses")

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.ip_address is None and old.body == "Hello."
    assert recent.ip_address == RECENT
    assert addresses_seen(client, member) == {RECENT}


def test_the_admin_post_page_shows_no_pruned_address(
    staff_client, settings, thread, member
):
    settings.FORUM_IP_RETENTION_DAYS = 30
    old = post_from(thread, member, OLD, days_ago=40)
    url = reverse("admin:forum_post_change", args=[old.pk])
    assert OLD in staff_client.get(url).content.decode()
    call_command("prune_ip_addresses")
    assert OLD not in staff_client.get(url).content.decode()


def test_pruning_works_in_batches_until_every_old_address_is_gone(thread, member):
    for _ in range(5):
        post_from(thread, member, OLD, days_ago=100)
    post_from(thread, member, RECENT, days_ago=1)
    cutoff = retention.retention_cutoff()
    assert retention.prune_post_addresses(cutoff=cutoff, batch_size=2) == 5
    assert retention.prune_post_addresses(cutoff=cutoff, batch_size=2) == 0
    kept = Post.objects.filter(ip_address__isnull=False)
    assert list(kept.values_list("ip_address", flat=True)) == [RECENT]


def test_the_batch_query_can_walk_the_retention_index(thread, member):
    post_from(thread, member, OLD, days_ago=100)
    # Tiny test tables favour a sequential scan; without it the planner must pick
    # an index the predicate matches, or fall back to a (penalised) seq scan.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM forum_post WHERE ip_address IS NOT NULL "
            "AND created_at < now() ORDER BY created_at LIMIT 5000"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The partial index of posts that still have an address, or the search's
    # (created_at, id) index: on a tiny table the planner may take either, as a
    # walk or a bitmap; what matters is that the predicate is served by an index.
    assert re.search(
        r"\b(on|using) forum_post_(ip_created|created)\b",
        plan,
    )


def test_old_login_records_are_deleted(settings):
    settings.FORUM_IP_RETENTION_DAYS = 30
    long_ago = timezone.now() - timedelta(days=31)
    for model, extra in (
        (AccessAttempt, {"failures_since_start": 1}),
        (AccessFailureLog, {}),
    ):
        old = model.objects.create(
            username="alice", ip_address=OLD, user_agent="x", **extra
        )
        model.objects.filter(pk=old.pk).update(attempt_time=long_ago)
        model.objects.create(username="bob", ip_address=RECENT, user_agent="y", **extra)

    pruned = retention.prune_ip_addresses()

    assert pruned.login_records == 2
    for model in (AccessAttempt, AccessFailureLog):
        assert list(model.objects.values_list("ip_address", flat=True)) == [RECENT]


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_daily_job_and_queues_the_next_day(
    database_queue, thread, member
):
    old = post_from(thread, member, OLD, days_ago=365)
    assert retention.schedule_ip_pruning() is True
    # A second worker starting up queues nothing more.
    call_command("prune_ip_addresses", "--schedule")
    queued = DBTaskResult.objects.filter(
        task_path=retention.prune_ip_addresses_daily.module_path
    )
    assert queued.count() == 1

    run_worker()

    old.refresh_from_db()
    assert old.ip_address is None
    assert queued.filter(status="SUCCESSFUL").count() == 1
    tomorrow = queued.get(status="READY")
    assert tomorrow.run_after > timezone.now() + timedelta(hours=23)
    # Tomorrow's run waits for tomorrow.
    run_worker()
    assert queued.filter(status="READY").count() == 1


def test_with_a_queue_that_cannot_wait_nothing_is_scheduled():
    # The suite's immediate backend stands for any queue without deferred tasks.
    assert retention.schedule_ip_pruning() is False
