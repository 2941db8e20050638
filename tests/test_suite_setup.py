"""The suite's own set-up: a fast password hasher in tests, the default elsewhere."""

import importlib

import pytest
from django.conf import global_settings

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
