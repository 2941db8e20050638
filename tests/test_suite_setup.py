"""The suite's own set-up: a fast password hasher in tests, the default elsewhere;
the migrations' rows written back after a flush."""

import importlib

import pytest
from django.conf import global_settings
from django.contrib.auth.models import Group
from django.db import connection

from accounts.models import Tier
from tests import migration_rows
from tests.factories import make_member


@pytest.mark.django_db
def test_members_made_by_the_factories_get_the_fast_hasher_and_can_log_in(client):
    member = make_member("hashed")
    assert member.password.startswith("md5$")
    assert client.login(username="hashed", password="correct horse 42")


def test_the_project_settings_keep_djangos_production_hasher():
    project = importlib.import_module("config.settings")
    hashers = getattr(project, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)
    assert hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


@pytest.mark.django_db
def test_the_migrations_rows_come_back_into_tables_a_flush_emptied():
    rows = migration_rows.snapshot()
    kept = {model._meta.label for model, _ in rows}
    assert {"accounts.Tier", "auth.Group", "forum.Reaction"} <= kept
    # A flush re-creates these itself, with new ids.
    assert not kept & {"contenttypes.ContentType", "auth.Permission"}

    ladder = list(Tier.objects.order_by("pk").values_list("pk", "name", "min_posts"))
    groups = list(Group.objects.order_by("pk").values_list("pk", "name"))
    Tier.objects.all().delete()
    with connection.cursor() as cursor:  # as a test with reset_sequences leaves it
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('accounts_tier', 'id'), 1, false)"
        )
    migration_rows.restore(rows)
    assert (
        list(Tier.objects.order_by("pk").values_list("pk", "name", "min_posts"))
        == ladder
    )
    # Tables that were not emptied are left as they are, not written twice.
    assert list(Group.objects.order_by("pk").values_list("pk", "name")) == groups
    # The id sequence was moved past the ids the rows came back with.
    extra = Tier.objects.create(name="Extra", min_posts=10**6, order=99)
    assert extra.pk > max(pk for pk, _, _ in ladder)
