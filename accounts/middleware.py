"""Record when members were last seen, without a write on most requests."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import empty

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
        return response
