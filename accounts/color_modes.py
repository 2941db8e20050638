"""The colour theme a page is drawn in: "auto" (the device's light or dark setting),
"light" or "dark", chosen with the header's toggle.

A member's choice is kept on their row (``User.color_mode``), a guest's in a cookie;
the server writes it on ``<html>`` so the first paint is already right, and
static/js/color-mode.js turns "auto" into light or dark before the body is drawn.
Themes are CSS custom properties only: no cached fragment depends on them.
"""

from django.db import transaction
from django.http import HttpRequest

from accounts.http import viewer
from accounts.models import User

COOKIE = "color_mode"
COOKIE_MAX_AGE = 365 * 24 * 3600
MODES = User.ColorMode


def color_mode(request: HttpRequest) -> str:
    """The viewer's mode: the member's setting, else the guest's cookie, else auto."""
    # Error pages can be drawn for a request the middleware never saw (a refused
    # host): it has no user, and is a guest's.
    user = viewer(request) if hasattr(request, "user") else None
    if user is not None and user.is_authenticated:
        return user.color_mode if user.color_mode in MODES.values else MODES.AUTO
    chosen = request.COOKIES.get(COOKIE, "")
    return chosen if chosen in MODES.values else MODES.AUTO


@transaction.atomic
def set_color_mode(*, member: User, mode: str) -> None:
    """Keep a member's colour mode on their row (one of ``User.ColorMode``)."""
    User.objects.filter(pk=member.pk).update(color_mode=mode)
    member.color_mode = mode
