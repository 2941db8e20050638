"""Health probes and the page shown while the database is unreachable.

``/healthz`` says the process is up and touches nothing else. ``/readyz`` asks the
database (every alias in DATABASES), Redis when REDIS_URL is set and the default file
storage, and answers 503 naming the one that failed. Both are answered by the first
middleware, before the HTTPS redirect, the host check, sessions, CSRF or metrics, so
a load balancer or `docker compose` can probe over plain HTTP on the container's own
address, and a probe costs no more than the checks it runs. Nothing in them is cached.

While PostgreSQL is down (restarting, crashed, the network gone) a page answers 503
with ``Retry-After`` and a static page that says so, instead of a 500: the root
URLconf's ``handler500`` looks at the exception Django caught and, when it is a lost
or refused connection, renders ``templates/503.html`` without touching the database,
the session or the member. The next request after the server is back connects afresh
(Django closes a connection that raised, and ``CONN_HEALTH_CHECKS`` replaces a
persistent one that died between requests), so nobody has to restart the site.
"""

import json
import logging
import os
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from config.metrics import metrics_response

logger = logging.getLogger("colloquy.health")

RETRY_AFTER_SECONDS = 15
# SQLSTATEs that mean the server went away or refuses connections for now:
# class 08 (connection exception), and admin shutdown, crash shutdown, "the
# database system is starting up". A deadlock or a cancelled statement is an
# OperationalError too, but the database is there: that stays a 500.
_GONE_STATES = ("57P01", "57P02", "57P03")


def database_unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` means the database cannot be reached (not a query's fault)."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    state = getattr(error.__cause__, "sqlstate", None)
    # psycopg gives no SQLSTATE when it never got an answer: refused, reset, timed out.
    return state is None or state.startswith("08") or state in _GONE_STATES


def database_unavailable_response() -> HttpResponse:
    response = HttpResponse(
        render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 while the database is unreachable, else the usual 500 page."""
    if database_unreachable(sys.exc_info()[1]):
        return database_unavailable_response()
    return defaults.server_error(request)


def _check_databases() -> None:
    for alias in settings.DATABASES:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")


def _check_redis() -> None:
    import redis

    client = redis.Redis.from_url(
        os.environ["REDIS_URL"], socket_timeout=3, socket_connect_timeout=3
    )
    try:
        client.ping()
    finally:
        client.close()


def _check_storage() -> None:
    if isinstance(default_storage, FileSystemStorage):
        # exists() never fails on a local folder; uploads need it to be writable.
        location = default_storage.location
        if not (os.path.isdir(location) and os.access(location, os.W_OK)):
            raise OSError(f"{location} is not a writable folder")
    else:
        # One cheap request to the object store (a HEAD for S3).
        default_storage.exists("readyz-probe")


def checks() -> dict[str, Callable[[], None]]:
    found = {"database": _check_databases}
    if os.environ.get("REDIS_URL"):
        found["redis"] = _check_redis
    found["storage"] = _check_storage
    return found


def readiness() -> tuple[bool, dict[str, str]]:
    """Run every check; return whether all answered and each one's word."""
    results = {}
    for name, check in checks().items():
        try:
            check()
        except Exception as error:  # noqa: BLE001 (each failure is reported)
            logger.warning(
                "readyz: %s failed: %s: %s", name, type(error).__name__, error
            )
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    return all(word == "ok" for word in results.values()), results


def _json(payload: dict, status: int) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok"}, 200)


def readyz(request: HttpRequest) -> HttpResponse:
    ready, results = readiness()
    return _json(
        {"status": "ok" if ready else "unavailable", "checks": results},
        200 if ready else 503,
    )


# Paths answered before any other middleware, and what answers them.
ENDPOINTS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_response}


class HealthMiddleware:
    """Answers /healthz, /readyz and /metrics before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if endpoint := ENDPOINTS.get(request.path):
            return endpoint(request)
        return self.get_response(request)
