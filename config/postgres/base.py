"""The PostgreSQL backend: django-prometheus's counting one, with a health check
that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django makes sure a persistent connection still works
before a request first uses it, by running ``SELECT 1``: one more round trip on
every page view, as many as a guest's whole thread page otherwise makes. A server
that ends a connection (a restart, a failover, ``pg_terminate_backend``, an idle
timeout) tells the client first or closes the socket, and either leaves the idle
connection's socket readable, where a healthy idle connection has nothing to read.
So an idle connection whose socket is not readable is usable, and one whose socket
is readable is dropped and opened again; a connection in any other state is
checked Django's way. A connection the network lost without a word passes, as it
would answer ``SELECT 1`` only after the connect timeout anyway.
"""

import select

from django_prometheus.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        # Anything waiting (a notice of the shutdown, end of file) means the server
        # is done with this connection, or at least it's safest to start anew.
        return not readable
