"""Prometheus metrics: requests, latencies, queries, cache hits, the task queue.

django-prometheus counts requests and their latency (its two middlewares) and every
query (its PostgreSQL backend, which wraps the cursor: it counts, it never queries).
The cache classes below count hits and misses of ``get`` and ``get_many``, which the
forum's fragment cache uses. ``TaskQueueCollector`` reads django-tasks-db's table when
Prometheus scrapes, never on a page.

The endpoint is not public: ``/metrics`` answers 404 unless ``METRICS_TOKEN`` is set,
and then only to ``Authorization: Bearer <token>``. Like the health probes it is
answered before the HTTPS redirect and the host check (config.health's
middleware answers it), so Prometheus can scrape
``http://web:8000/metrics`` inside the compose network. Under gunicorn each worker is
a process of its own; config/gunicorn.py points ``PROMETHEUS_MULTIPROC_DIR`` at a
folder they share, and a scrape adds up what every worker counted.
"""

import hmac
import os
from datetime import timedelta

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django_prometheus.cache.metrics import (
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

_MISSING = object()


class _CountedCache:
    """Counts gets, hits and misses under the backend's name.

    The labelled counters are looked up once per cache object, not per call: a
    thread page reads its twenty post blocks in one ``get_many``.
    """

    metric_backend = ""

    @cached_property
    def _counters(self):
        return tuple(
            metric.labels(backend=self.metric_backend)
            for metric in (
                django_cache_get_total,
                django_cache_hits_total,
                django_cache_misses_total,
            )
        )

    def _count(self, asked: int, found: int) -> None:
        gets, hits, misses = self._counters
        gets.inc(asked)
        if found:
            hits.inc(found)
        if asked > found:
            misses.inc(asked - found)

    def get(self, key, default=None, version=None):
        value = super().get(key, _MISSING, version=version)
        self._count(1, value is not _MISSING)
        return default if value is _MISSING else value

    def get_many(self, keys, version=None):
        keys = list(keys)
        found = self._get_many(keys, version)
        self._count(len(keys), len(found))
        return found

    def _get_many(self, keys, version):
        return super().get_many(keys, version=version)


class CountedRedisCache(_CountedCache, RedisCache):
    metric_backend = "redis"


class CountedLocMemCache(_CountedCache, LocMemCache):
    metric_backend = "locmem"

    def _get_many(self, keys, version):
        # Django's get_many for this backend calls get per key, which would count
        # each key twice.
        found = {}
        for key in keys:
            value = LocMemCache.get(self, key, _MISSING, version=version)
            if value is not _MISSING:
                found[key] = value
        return found


class TaskQueueCollector:
    """Tasks due and not yet taken, tasks running, how long the oldest has waited."""

    def collect(self):
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult, get_date_max

        now = timezone.now()
        due = Q(status=TaskResultStatus.READY) & (
            Q(run_after=get_date_max()) | Q(run_after__lte=now)
        )
        query = (
            DBTaskResult.objects.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
            )
            .values("queue_name")
            .annotate(
                due=Count("pk", filter=due),
                running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
                oldest=Min("enqueued_at", filter=due),
            )
            .order_by("queue_name")
        )
        try:
            rows = list(query)
        except DatabaseError:
            # The database is away: /readyz says so; the request metrics still go out.
            return
        waiting = GaugeMetricFamily(
            "colloquy_tasks_waiting",
            "Tasks due to run that no worker has taken yet.",
            labels=["queue"],
        )
        running = GaugeMetricFamily(
            "colloquy_tasks_running", "Tasks a worker is running.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "colloquy_tasks_oldest_waiting_seconds",
            "How long the oldest task due to run has waited.",
            labels=["queue"],
        )
        queues = {"default": {"due": 0, "running": 0, "oldest": None}}
        queues.update({row.pop("queue_name"): row for row in rows})
        for queue, row in queues.items():
            waiting.add_metric([queue], row["due"])
            running.add_metric([queue], row["running"])
            waited = (now - row["oldest"]) if row["oldest"] else timedelta(0)
            age.add_metric([queue], max(waited.total_seconds(), 0.0))
        yield from (waiting, running, age)


class _ThisProcess:
    """This process's own metrics (the default registry), beside the queue's."""

    def collect(self):
        yield from REGISTRY.collect()


def render_metrics() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # What every gunicorn worker wrote to the shared folder, added up.
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(TaskQueueCollector())
    return generate_latest(registry)


def metrics_response(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("Unauthorized", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
