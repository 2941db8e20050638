"""The index IP retention walks (forum/retention.py): posts by age, address set.

Built concurrently, so a forum with a million posts keeps taking replies while
PostgreSQL builds it; that needs a migration outside a transaction.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("forum", "0008_online_record"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="post",
            index=models.Index(
                condition=models.Q(("ip_address__isnull", False)),
                fields=["created_at"],
                name="forum_post_ip_created",
            ),
        ),
    ]
