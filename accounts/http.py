import ipaddress

from django.conf import settings
from django.http import HttpRequest

from accounts.models import User


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
