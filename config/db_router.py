"""Page reads from a read replica, with read-your-writes for whoever just wrote.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database (a streaming
standby of the primary), this router and its middleware. Only a request the
middleware marks reads from the replica: a GET or HEAD from a browser that has not
written in the last ``DATABASE_REPLICA_PIN_SECONDS``. Everything else uses the
primary, "default": every write, every read inside a transaction, sessions (a
logout must end a session at once, whatever the replica's lag), requests that may
write (POST and the other unsafe methods), migrations, management commands and the
task worker, which run outside any request.

A request that wrote to the primary (a reply, a profile edit, the last-seen touch
of a member's GET) answers with a short signed cookie; while it lasts, that browser
reads from the primary, so a member sees their own reply at once even when the
replica is seconds behind, on whichever web node serves them next. Checking the
cookie costs an HMAC, never a query; guests, whose GETs never write, never get it.
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
PIN_COOKIE = "primary_reads"
PIN_SALT = "colloquy.db_router.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Statements that never change data; anything else run on the primary counts as a
# write (INSERT, UPDATE, DELETE, a data-changing WITH, a lock).
READ_ONLY_VERBS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "SHOW")
# Apps whose rows are always read from the primary (see the module docstring).
PRIMARY_APPS = frozenset({"sessions"})

# True only while the middleware serves a request that may read from the replica.
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


class ReplicaRouter:
    """Reads to the replica when the current request allows it; all else to the
    primary."""

    def db_for_read(self, model, **hints) -> str:
        if (
            not _replica_reads.get()
            or model._meta.app_label in PRIMARY_APPS
            # A read inside a transaction must see that transaction's own writes.
            or connections[PRIMARY].in_atomic_block
        ):
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY


class _WriteDetector:
    """An execute wrapper on the primary's connection that notes any write."""

    def __init__(self) -> None:
        self.wrote = False

    def __call__(self, execute, sql, params, many, context):
        if not self.wrote and not sql.lstrip()[:9].upper().startswith(READ_ONLY_VERBS):
            self.wrote = True
        return execute(sql, params, many, context)


class ReplicaMiddleware:
    """Let a request read from the replica unless it may write or its browser just
    wrote; pin a browser whose request wrote to the primary for a few seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.pin_seconds = settings.DATABASE_REPLICA_PIN_SECONDS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        replica_ok = request.method in SAFE_METHODS and not self._pinned(request)
        token = _replica_reads.set(replica_ok)
        detector = _WriteDetector()
        try:
            with connections[PRIMARY].execute_wrapper(detector):
                response = self.get_response(request)
        finally:
            _replica_reads.reset(token)
        if detector.wrote:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=self.pin_seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def _pinned(self, request: HttpRequest) -> bool:
        if PIN_COOKIE not in request.COOKIES:
            return False
        # The signature's own timestamp bounds the window: an old, forged or
        # altered cookie reads as absent.
        value = request.get_signed_cookie(
            PIN_COOKIE, default=None, salt=PIN_SALT, max_age=self.pin_seconds
        )
        return value is not None
