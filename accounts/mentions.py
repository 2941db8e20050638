"""The member lookup the renderer's @mentions need, answered from the user table."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models.functions import Lower

from accounts.models import User


def members_in_database(names: Collection[str]) -> dict[str, str]:
    """Look up every candidate @name in one case-insensitive query."""
    usernames = (
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=list(names))
        .values_list("username", flat=True)
    )
    return {username.lower(): username for username in usernames}
