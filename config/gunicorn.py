"""gunicorn settings shared by the Docker image and the benchmark.

Run with ``gunicorn -c config/gunicorn.py config.wsgi:application``. Everything an
operator tunes comes from the environment:

- ``PORT`` (8000) and ``BIND_HOST`` (0.0.0.0): where to listen;
- ``WEB_CONCURRENCY`` (2): worker processes, about one per core;
- ``GUNICORN_THREADS`` (2): threads per worker, so a worker waiting on the database
  or a slow client still serves another request;
- ``GUNICORN_ACCESS_LOG`` ("-", standard output): empty to switch the access log off;
- ``GUNICORN_MAX_REQUESTS`` (0, never): recycle a worker after this many requests.
"""

import os
from pathlib import Path

bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
# Import Django once in the master: workers fork with it loaded and start at once.
preload_app = True
keepalive = 5
timeout = 30
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# The heartbeat file on a RAM disk: a container's overlay filesystem can stall it.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"


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
