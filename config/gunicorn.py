"""gunicorn settings shared by the Docker image and the benchmark.

Run with ``gunicorn -c config/gunicorn.py config.wsgi:application``. Everything an
operator tunes comes from the environment:

- ``PORT`` (8000) and ``BIND_HOST`` (0.0.0.0): where to listen;
- ``WEB_CONCURRENCY`` (2): worker processes, about one per core;
- ``GUNICORN_THREADS`` (2): threads per worker, so a worker waiting on the database
  or a slow client still serves another request;
- ``GUNICORN_ACCESS_LOG`` ("-", standard output): empty to switch the access log off;
- ``GUNICORN_MAX_REQUESTS`` (0, never): recycle a worker after this many requests;
- ``GUNICORN_RUNTIME_DIR``: this instance's own folder for its control socket, by
  default ``colloquy-<PORT>`` in ``$XDG_RUNTIME_DIR``, else ``colloquy-<uid>-<PORT>``
  in the temporary folder, so two instances on one host never share one;
- ``GUNICORN_CONTROL_SOCKET`` (``control.sock`` in that folder): the socket
  ``gunicornc`` talks to; empty switches it off;
- ``LOG_FORMAT`` (plain): ``json`` writes gunicorn's own lines as JSON objects too;
- ``METRICS_TOKEN``: when set, the workers count into a folder they share
  (``PROMETHEUS_MULTIPROC_DIR``, by default ``metrics`` in the runtime folder,
  emptied on start), so one scrape of /metrics adds up every worker.

Slow clients: gunicorn's threads read a request themselves, so a client that
trickles its headers holds a thread for as long as it trickles. In production
gunicorn sits behind nginx (docker/nginx/), which reads every request whole, and
answers, before passing them on over the private network: the threads here only
wait on Django. ``timeout`` (30 s) stays just below nginx's
``proxy_read_timeout`` (35 s).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

# gunicorn reads this file by path; the strict readers live beside it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.env import env_int, env_str  # noqa: E402 (needs the path above)

port = env_int("PORT", 8000, minimum=1)
bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{port}"
workers = env_int("WEB_CONCURRENCY", 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 2, minimum=1)
worker_class = "gthread" if threads > 1 else "sync"
# Import Django once in the master: workers fork with it loaded and start at once.
preload_app = True
keepalive = 5
timeout = 30
graceful_timeout = 30
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# The heartbeat file on a RAM disk: a container's overlay filesystem can stall it.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"


def _runtime_dir() -> Path:
    """This instance's own folder, made on first use; another user's is refused."""
    user_runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.environ.get("GUNICORN_RUNTIME_DIR"):
        folder = Path(os.environ["GUNICORN_RUNTIME_DIR"])
    elif user_runtime and Path(user_runtime).is_dir():
        folder = Path(user_runtime) / f"colloquy-{port}"
    else:
        folder = Path(tempfile.gettempdir()) / f"colloquy-{os.getuid()}-{port}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_uid != os.getuid():
        raise SystemExit(
            f"{folder} belongs to another user; set GUNICORN_RUNTIME_DIR to a folder "
            "of this instance's own."
        )
    return folder


# gunicorn's default control socket is one path per user (~/.gunicorn/gunicorn.ctl):
# a second instance on the host replaces the first one's socket, and removes it on
# exit. Each instance gets a folder of its own instead.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET")
if control_socket is None:
    control_socket = str(_runtime_dir() / "control.sock")
control_socket_disable = not control_socket

if env_str("LOG_FORMAT").strip().lower() == "json":
    # gunicorn's start, stop and error lines (and the access log, if on) as JSON.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
        "handlers": {
            "error": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        # Django's LOGGING takes the root logger over once the app is loaded.
        "root": {"handlers": ["error"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {
                "handlers": ["error"],
                "level": "INFO",
                "propagate": False,
            },
            "gunicorn.access": {
                "handlers": ["access"] if accesslog else [],
                "level": "INFO",
                "propagate": False,
            },
        },
    }

if env_str("METRICS_TOKEN").strip():
    # Read by prometheus_client when the app is imported, which is after this file.
    metrics_dir = Path(
        os.environ.setdefault(
            "PROMETHEUS_MULTIPROC_DIR", str(_runtime_dir() / "metrics")
        )
    )
    # Counts of a previous run would be added to this one's.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(mode=0o700, parents=True)


def child_exit(server, worker) -> None:
    """Fold a finished worker's live gauges out of the shared metrics folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker) -> None:
    """Write the thread view counts a worker still holds before it goes."""
    from django.apps import apps

    if not apps.ready or not apps.is_installed("forum"):
        return
    from django.db import connections

    from forum import viewcounts

    try:
        viewcounts.wait_for_background_flush()
        flushed = viewcounts.flush()
    except Exception:
        server.log.exception("Could not flush thread view counts")
    else:
        if flushed:
            server.log.info("Flushed view counts of %d threads", flushed)
    finally:
        connections.close_all()
