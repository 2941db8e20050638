"""Per-request member state read from the user row: when members were last seen
(without a write on most requests), their time zone, their pending consents."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import empty
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from accounts import timezones
from accounts.online import record_guest
from accounts.services import record_last_seen


class LastSeenMiddleware:
    """After the response, write last_seen_at if the stored one is a few minutes old.

    The user row is already loaded by then (the page needed it), so the check costs
    no query; the write is one UPDATE at most every LAST_SEEN_INTERVAL per member.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Only look at a user the request already loaded: touching the lazy object
        # here would add a session and user query to pages that never needed them.
        loaded = getattr(getattr(request, "user", None), "_wrapped", empty)
        if loaded is not empty and loaded.is_authenticated:
            record_last_seen(user=loaded, now=timezone.now())
        elif response.status_code < 400 and (
            loaded is not empty or settings.SESSION_COOKIE_NAME not in request.COOKIES
        ):
            # A guest for who's online (accounts/online.py): a visitor whose user was
            # not loaded but who has a session may be a member, and is left out
            # rather than costing this request a session and user query.
            record_guest(request, timezone.now())
        return response


class TimeZoneMiddleware:
    """Show every date of the request in the member's own time zone.

    The zone is on the user row, which a page with a session loads anyway (its
    navigation names the member), so this costs no query; a visitor without a
    session is never looked up and gets the site's ``TIME_ZONE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = request.user
            if user.is_authenticated and user.time_zone:
                zone = timezones.zone(user.time_zone)
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)


class ConsentMiddleware:
    """Send a member with a new terms or privacy version to the agree page.

    ``User.consent_due`` is set in bulk when a version is published
    (accounts/consents.py), so the check reads the user row the page loads anyway:
    no query when nothing changed. Only GET and HEAD are redirected: a form sent
    just after a new version was published still goes through with what was typed,
    and the page it leads to asks. The agree page, the documents themselves, the
    admin, logging out and static files are never redirected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        due = request.method in ("GET", "HEAD") and self._due(request)
        if due and not self._exempt(request.path):
            target = reverse("accounts:agree")
            if request.get_full_path() != "/":
                target += "?" + urlencode({"next": request.get_full_path()})
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target)
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _due(request: HttpRequest) -> bool:
        # Asked first: a guest's request, or a member's with nothing due, costs
        # neither a user lookup (no session cookie) nor the exempt paths' reverses.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        user = request.user
        return user.is_authenticated and bool(user.consent_due)

    @staticmethod
    def _exempt(path: str) -> bool:
        free = (
            reverse("accounts:agree"),
            reverse("accounts:terms"),
            reverse("accounts:privacy_policy"),
            reverse("logout"),
            reverse("admin:index"),
            "/" + settings.STATIC_URL.lstrip("/"),
            "/" + settings.MEDIA_URL.lstrip("/"),
        )
        return path.startswith(free)
