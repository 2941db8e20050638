"""Which @names are members: the caller says, the renderer never asks a database.

The renderer is a library below both apps, so it cannot know where members are
kept; whoever renders passes a ``MemberLookup`` (the apps use
``accounts.mentions.members_in_database``), and ``CachedLookup`` wraps one for a
batch of renders.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

# Maps lower-cased candidate names to the usernames of members who exist.
MemberLookup = Callable[[Collection[str]], dict[str, str]]

MAX_MENTIONS = 50


class CachedLookup:
    """Remembers answers across renders (a batch re-render asks only for new names)."""

    def __init__(self, lookup: MemberLookup) -> None:
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
