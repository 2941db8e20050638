"""Rate limits and flood control, counted in the cache (Redis in production).

Two shapes of limit: a *budget* allows so many events per subject in a window that
opens with the first of them (registrations per address per hour), and an
*interval* allows one event per subject every so many seconds (posts per member).
Either refuses by raising ``RateLimited``, which says when to try again.

Failed logins are counted by django-axes (its cache handler, configured in
settings); the hooks it calls live at the bottom of this module.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.cache import cache
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.backends import SessionUserMixin

HOUR = 3600


class RateLimited(Exception):
    """Refused for now; ``retry_after`` is how many seconds until it is allowed."""

    def __init__(self, reason: str, *, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(f"{reason} Try again in {wait_text(self.retry_after)}.")


def wait_text(seconds: int) -> str:
    """A wait as people say it: "40 seconds", "3 minutes", "2 hours"."""
    if seconds < 60:
        return _plural(seconds, "second")
    if seconds < HOUR:
        return _plural(math.ceil(seconds / 60), "minute")
    return _plural(math.ceil(seconds / HOUR), "hour")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _key(kind: str, subject: object) -> str:
    # Hashed: subjects are addresses and emails, which may be long or odd.
    digest = hashlib.sha256(str(subject).encode()).hexdigest()
    return f"ratelimit:{kind}:{digest}"


@dataclass(frozen=True)
class Budget:
    """At most ``settings.<setting>`` events per subject in ``window`` seconds."""

    kind: str
    setting: str
    window: int
    reason: str

    def spend(self, subject: object) -> None:
        """Count one event for ``subject``; raise RateLimited once it is spent."""
        limit = getattr(settings, self.setting)
        if limit <= 0:  # switched off
            return
        key = _key(self.kind, subject)
        now = time.time()
        # The window's end is kept beside the count, so a refusal can say when.
        cache.add(f"{key}:ends", now + self.window, self.window)
        if cache.add(key, 1, self.window):
            return
        try:
            count = cache.incr(key)
        except ValueError:  # the window closed between add() and incr()
            cache.set(f"{key}:ends", now + self.window, self.window)
            cache.set(key, 1, self.window)
            return
        if count > limit:
            ends = cache.get(f"{key}:ends") or now + self.window
            raise RateLimited(self.reason, retry_after=math.ceil(ends - now))


REGISTRATIONS = Budget(
    "register-address",
    "ACCOUNTS_REGISTRATIONS_PER_ADDRESS_PER_HOUR",
    HOUR,
    "Too many accounts were registered from your address.",
)
RESET_MAILS_PER_ADDRESS = Budget(
    "reset-address",
    "ACCOUNTS_RESET_MAILS_PER_ADDRESS_PER_HOUR",
    HOUR,
    "Too many password-reset mails were asked for from your address.",
)
RESET_MAILS_PER_EMAIL = Budget(
    "reset-email",
    "ACCOUNTS_RESET_MAILS_PER_EMAIL_PER_HOUR",
    HOUR,
    "Too many password-reset mails were asked for this email address.",
)
CONFIRMATION_MAILS = Budget(
    "confirm-member",
    "ACCOUNTS_CONFIRMATION_MAILS_PER_HOUR",
    HOUR,
    "You asked for several confirmation mails already.",
)


@dataclass(frozen=True)
class Interval:
    """One event per subject every ``settings.<setting>`` seconds."""

    kind: str
    setting: str
    reason: str

    @property
    def seconds(self) -> int:
        return getattr(settings, self.setting)


def claim(*intervals: Interval, subject: object) -> None:
    """Start every interval for ``subject``, or raise RateLimited if one still runs.

    All are checked before any is started, so a refusal costs no other interval.
    """
    now = time.time()
    active = [i for i in intervals if i.seconds > 0]
    running = [
        (ends - now, interval)
        for interval in active
        if (ends := cache.get(_key(interval.kind, subject)))
    ]
    if running:
        wait, interval = max(running, key=lambda pair: pair[0])
        raise RateLimited(interval.reason, retry_after=math.ceil(wait))
    for interval in active:
        # add() is atomic, so of two requests at once only one starts it.
        if not cache.add(
            _key(interval.kind, subject), now + interval.seconds, interval.seconds
        ):
            raise RateLimited(interval.reason, retry_after=interval.seconds)


# --- Logins (django-axes) ---------------------------------------------------------


def account_key(username: str) -> str:
    """The name django-axes counts an account's failures under."""
    # Prefixed: axes hashes the bare value, and a username may look like an
    # address. Lower-cased: "ALICE" is a guess at alice's password too.
    return "account:" + username.strip().lower()


def login_account_key(request: HttpRequest | None, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the account a login attempt is for."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return account_key(username) if username else ""


def unlock_account(username: str) -> None:
    """Forget an account's failed logins (after its password was reset)."""
    axes_reset(username=account_key(username))


class LoginLockoutBackend(SessionUserMixin, AxesStandaloneBackend):
    """django-axes' check, for logins over HTTP.

    A login without a request (the test client's ``login()``, a shell) has no
    address to count, so it passes through to the next backend. Sessions that
    name it (``force_login`` picks the first backend) read their member as
    ``MemberBackend``'s do.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_message() -> str:
    wait = wait_text(settings.LOGIN_LOCKOUT_MINUTES * 60)
    return (
        "Too many failed logins for this account or from your address. "
        f"Try again in {wait}, or reset your password to unlock your account."
    )


def login_lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login form again, saying when to try, as a 429."""
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if form is not None and isinstance(original_response, TemplateResponse):
        # The form reports a wrong password; the truth is that nothing was checked.
        form.errors[NON_FIELD_ERRORS] = form.error_class(
            [lockout_message()], error_class="nonfield", renderer=form.renderer
        )
        response = TemplateResponse(
            request, original_response.template_name, context, status=429
        )
    else:
        response = TemplateResponse(
            request,
            "registration/_message_page.html",
            {"heading": "Too many failed logins", "message": lockout_message()},
            status=429,
        )
    response["Retry-After"] = str(settings.LOGIN_LOCKOUT_MINUTES * 60)
    # Middleware runs after Django renders a view's response, so render it here.
    return response.render()
