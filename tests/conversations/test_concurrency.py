"""The unread counts stay exact when a new message and a read race each other.

A new message flips the other members' unread flags and a read clears the
reader's; both change the same participant row. The test holds that row in a
transaction of its own, lets both writers queue behind it (PostgreSQL reports
them blocked), then releases it: whichever order they commit in, each member's
count equals their unread rows.
"""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import User
from conversations import services
from conversations.models import Participant
from tests.factories import make_member
from tests.forum.test_concurrency import Writer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_message_and_a_read_of_the_same_row_keep_the_count_exact():
    ann, ben = make_member("ann"), make_member("ben")
    conversation = services.start_conversation(
        starter=ann, recipients=[ben], title="Race", body="First"
    )
    row = Participant.objects.get(conversation=conversation, user=ben)
    assert row.is_unread
    with transaction.atomic():
        Participant.objects.select_for_update().get(pk=row.pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            holder = cursor.fetchone()[0]
        message = Writer(
            lambda: services.post_message(
                conversation=conversation, author=ann, body="Second"
            )
        )
        message.wait_until_blocked_by(holder)
        read = Writer(lambda: services.mark_read(participant=row, seen_position=1))
        # The second waiter for a row queues behind the first one's tuple lock.
        read.wait_until_blocked_by(message.pid)
    message.finish()
    read.finish()
    ben.refresh_from_db()
    unread_rows = Participant.objects.filter(user=ben, is_unread=True).count()
    assert ben.conversations_unread == unread_rows
    assert User.objects.get(pk=ann.pk).conversations_unread == 0
    call_command("recount_conversations", "--check")
