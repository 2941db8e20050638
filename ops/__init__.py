"""Operator tooling that runs next to the Django project (backups, restores)."""
