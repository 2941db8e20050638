from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class AuthedRequest(HttpRequest):
    """A request from a logged-in member (views behind ``login_required``)."""

    user: User


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
