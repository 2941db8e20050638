"""Sessions in the database, read with one plain statement.

Django's database store looks a session up with ``objects.get()``, a queryset built
and compiled on every logged-in request; that cost about twice the query's round
trip. This store is the same table and rows, read with SQL written once; saving,
deleting and clearing stay Django's. ``SESSION_ENGINE`` names it when sessions live
in the database (no Redis); with Redis, the cached store reads the database only
on a miss.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, expire_date FROM {table} "  # noqa: S608 (the table's own name)
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's store does: a key that matches nothing is forgotten.
            self._session_key = None
            return None
        return model(
            session_key=self.session_key, session_data=row[0], expire_date=row[1]
        )
