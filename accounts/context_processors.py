from collections.abc import Callable

from django.http import HttpRequest

from accounts import color_modes


def color_mode(request: HttpRequest) -> dict[str, Callable[[], str]]:
    """The viewer's colour mode for base.html's ``<html data-bs-theme>``."""
    # A callable, which templates call when they print it: fragments that never
    # show it (htmx partials) do not load the user for it.
    return {"color_mode": lambda: color_modes.color_mode(request)}
