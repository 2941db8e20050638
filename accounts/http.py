from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString

from accounts.models import User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class AuthedRequest(HttpRequest):
    """A request from a logged-in member (views behind ``login_required``)."""

    user: User


def page_csrf_token(request: HttpRequest) -> str:
    """The CSRF token for this response's forms, masked once.

    Django's Jinja2 backend gives templates ``csrf_input`` as a lazy value that
    masks the token again each time it is printed (a page of posts prints it
    for every form); Django templates' own ``csrf_token`` is masked once per page
    like this. Asking for it still gives the response its CSRF cookie.
    """
    token = getattr(request, "_page_csrf_token", None)
    if token is None:
        token = request._page_csrf_token = get_token(request)
    return token


def page_csrf_input(request: HttpRequest) -> SafeString:
    """The hidden CSRF field with :func:`page_csrf_token`."""
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
        page_csrf_token(request),
    )


def lazy_csrf(request: HttpRequest) -> dict[str, SimpleLazyObject]:
    """``csrf_input`` and ``csrf_token`` for a template, masked once and only
    when printed: a page without a form sets no CSRF cookie."""
    return {
        "csrf_input": SimpleLazyObject(lambda: page_csrf_input(request)),
        "csrf_token": SimpleLazyObject(lambda: page_csrf_token(request)),
    }


def client_ip(request: HttpRequest) -> str | None:
    """The address of whoever sent the request, or None when it cannot be known.

    Without BEHIND_PROXY it is the connection's peer; X-Forwarded-For is ignored,
    since anyone can send one. Behind a proxy the peer is the proxy, and each of the
    PROXY_HOPS trusted proxies appended the address it was connected from: the
    client's is that many entries from the right, and anything further left is
    whatever the client wrote. A request with fewer entries did not come through all
    the proxies, so its peer is the best answer.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        hops = [hop.strip() for hop in forwarded if hop.strip()]
        if len(hops) >= settings.PROXY_HOPS:
            address = hops[-settings.PROXY_HOPS]
    # A zone ("fe80::1%eth0") means nothing off this host, and PostgreSQL refuses it.
    address = address.partition("%")[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def viewer(request: HttpRequest) -> User | AnonymousUser:
    """The user behind ``request.user``, loaded now if it is not yet.

    AuthenticationMiddleware leaves a lazy proxy on the request, and every
    attribute read through it costs a proxied lookup: a thread page reads its
    viewer a couple of thousand times (each post's permission checks), a few
    percent of a cold page. Code that reads the user that often takes it from here;
    ``request.user`` stays the proxy, which middleware checks for "loaded yet".
    """
    user = request.user
    if isinstance(user, SimpleLazyObject):
        user.is_authenticated  # noqa: B018 (loads the user behind the proxy)
        return user._wrapped
    return user


def safe_next(request: HttpRequest, target: str, default: str) -> str:
    """``target`` when it is a path or URL on this site, else ``default`` (a path or
    a URL name for ``redirect``): a posted ``next`` never sends anyone elsewhere."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def redirect_back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page a form came from (its posted ``next``), else ``default``."""
    return redirect(safe_next(request, request.POST.get("next", ""), default))
