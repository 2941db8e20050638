"""Which @names are members: one query per render, or none with a stub or a cache."""

from __future__ import annotations

from collections.abc import Callable, Collection

# Maps lower-cased candidate names to the usernames of members who exist.
MemberLookup = Callable[[Collection[str]], dict[str, str]]

MAX_MENTIONS = 50


def members_in_database(names: Collection[str]) -> dict[str, str]:
    """Look up every candidate in one case-insensitive query."""
    from django.db.models.functions import Lower

    from accounts.models import User

    usernames = (
        User.objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=list(names))
        .values_list("username", flat=True)
    )
    return {username.lower(): username for username in usernames}


class CachedLookup:
    """Remembers answers across renders (a batch re-render asks only for new names)."""

    def __init__(self, lookup: MemberLookup = members_in_database) -> None:
        self._lookup = lookup
        self._known: dict[str, str | None] = {}

    def __call__(self, names: Collection[str]) -> dict[str, str]:
        missing = [name for name in names if name not in self._known]
        if missing:
            found = self._lookup(missing)
            self._known.update({name: found.get(name) for name in missing})
        return {
            name: username
            for name in names
            if (username := self._known.get(name)) is not None
        }
