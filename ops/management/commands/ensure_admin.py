"""Create the development admin account once and print its login every time."""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = "Create an 'admin' superuser if none exists and print how to log in."

    def handle(self, *args, **options) -> None:
        password_file = Path(settings.BASE_DIR) / ".pgdata" / "admin-login.txt"
        if not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", "admin@example.com", password)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password)
        password = (
            password_file.read_text().strip() if password_file.exists() else "(as set)"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login: admin / {password}  (http://127.0.0.1:8000/admin/)"
            )
        )
