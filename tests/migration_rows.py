"""The rows the migrations write, kept so a test that empties the tables can put
them back (tests/conftest.py does after every transactional test).

Content types and permissions are left out: the flush that empties the tables
re-creates them itself (Django's post_migrate handlers), with new ids, which is
why foreign keys to them are kept as natural keys.
"""

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, transaction

# Rows every flush re-creates on its own.
RECREATED = {ContentType, Permission}


def snapshot() -> list[tuple[type, str]]:
    """Each model with rows in the freshly migrated database, and its rows."""
    rows = []
    for model in apps.get_models():
        if model in RECREATED or not model._meta.managed:
            continue
        queryset = model._base_manager.order_by("pk")
        if queryset.exists():
            data = serializers.serialize(
                "json", queryset, use_natural_foreign_keys=True
            )
            rows.append((model, data))
    return rows


@transaction.atomic
def restore(rows: list[tuple[type, str]]) -> None:
    """Write the snapshot's rows back into the tables that are empty again."""
    emptied = [
        (model, data) for model, data in rows if not model._base_manager.exists()
    ]
    for _model, data in emptied:
        for record in serializers.deserialize("json", data):
            record.save()
    if emptied:
        # The rows keep their ids; a test that restarted the sequences would
        # otherwise be handed those ids again.
        statements = connection.ops.sequence_reset_sql(
            no_style(), [model for model, _ in emptied]
        )
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
