"""The index "what's new" seeks new threads by (forum/views/whatsnew.py).

Built concurrently, so a busy forum keeps taking threads while PostgreSQL builds
it; that needs a migration outside a transaction.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("forum", "0010_search"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="thread",
            index=models.Index(
                fields=["created_at", "id"], name="forum_thread_created"
            ),
        ),
    ]
