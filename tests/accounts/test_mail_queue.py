"""Mail that answers a request goes through the task queue, not the request."""

import re

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from accounts import tasks
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db

RESET_TASK = tasks.send_password_reset_mail.module_path


def test_reset_request_queues_the_same_task_for_known_and_unknown_addresses(
    client, member, database_queue
):
    known = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    queued = DBTaskResult.objects.order_by("enqueued_at")
    assert [row.task_path for row in queued] == [RESET_TASK, RESET_TASK]
    assert [row.args_kwargs["kwargs"]["email"] for row in queued] == [
        "alice@example.com",
        "nobody@example.com",
    ]
    assert mail.outbox == []  # nothing is sent inside the request


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_queued_reset_mail(client, member, database_queue):
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert mail.outbox == []
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert re.search(r"http://testserver/accounts/password/reset/\S+/", message.body)
    results = DBTaskResult.objects.order_by("enqueued_at")
    assert [row.status for row in results] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert [row.return_value for row in results] == [1, 0]
