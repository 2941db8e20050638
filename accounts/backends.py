"""Logging in, and the member behind a session, read on every logged-in request.

``MemberBackend`` is Django's ``ModelBackend`` with one change: the user row of a
session is read with SQL compiled once per process (``accounts/prebuilt.py``)
instead of a ``get()`` built and compiled on each request, which cost twice the
query's round trip. Sessions made before it name ``ModelBackend``, which stays
listed after it (``config/settings.py``) so nobody is logged out by an upgrade.
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Expression

from accounts import prebuilt

# What the apps above this one read with the member on every logged-in request, as
# annotations of the session's user query (name: a function building the
# expression; the user row is the query's "accounts_user"). Filled in when the apps
# load: the forum adds the member's board permissions (forum/access.py), so a
# page reads them with the member instead of in a query of their own.
SESSION_USER_EXTRAS: dict[str, Callable[[], Expression]] = {}


def session_user(user_id):
    """The active member with this id, or None: what ``ModelBackend.get_user`` gives."""
    model = get_user_model()

    def build(pk):
        users = model._default_manager.filter(pk=pk)
        return users.annotate(**{name: e() for name, e in SESSION_USER_EXTRAS.items()})

    key = ("session user", *SESSION_USER_EXTRAS)
    found = prebuilt.fetch(key, build, user_id)
    return found[0] if found and found[0].is_active else None


class SessionUserMixin:
    """``get_user`` from the SQL compiled once."""

    def get_user(self, user_id):
        return session_user(user_id)


class MemberBackend(SessionUserMixin, ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username, password, **kwargs)
        if user is None and password is not None:
            # Refused here, refused by the ModelBackend listed after this one for
            # old sessions: stop rather than hash the password a second time.
            raise PermissionDenied
        return user
