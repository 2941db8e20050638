"""``manage.py ensure_admin`` (run by ``make run``): one admin, its login printed."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def run(settings, tmp_path) -> str:
    settings.BASE_DIR = tmp_path  # the login file lands here, not in the checkout
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_ensure_admin_creates_one_superuser_and_prints_the_same_login(
    settings, tmp_path
):
    first = run(settings, tmp_path)
    password = (tmp_path / ".pgdata" / "admin-login.txt").read_text().strip()
    assert f"Admin login: admin / {password}" in first
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    assert run(settings, tmp_path) == first
    assert User.objects.filter(username="admin").count() == 1
