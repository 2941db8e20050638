"""Time zones members may choose, and the one a request shows its dates in.

A member's zone is a name from the IANA database on their own row (``""`` follows
the site's ``TIME_ZONE``), so showing it costs no query: the page loads the row
anyway. The list of names and each ``ZoneInfo`` are built once per process.
"""

import functools
import zoneinfo
from datetime import tzinfo

# Longer than any IANA name; a name past it is refused before it is looked up.
MAX_NAME_LENGTH = 64


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every zone this machine's database knows, sorted, without the legacy
    aliases that only exist for old systems ("EST5EDT", "Etc/GMT+3"...)."""
    names = zoneinfo.available_timezones()
    regional = (
        name
        for name in names
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/"))
    )
    return ("UTC", *sorted(regional))


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(zone_names())


def is_valid_zone(name: str) -> bool:
    """Whether ``name`` is a zone a member may pick."""
    return isinstance(name, str) and len(name) <= MAX_NAME_LENGTH and name in _known()


@functools.cache
def zone(name: str) -> tzinfo | None:
    """The ``ZoneInfo`` for a stored name, or ``None`` for the site default (an
    empty or no longer known name)."""
    if not is_valid_zone(name):
        return None
    return zoneinfo.ZoneInfo(name)
