"""Health and Prometheus metrics: the checks behind /healthz, the /metrics endpoint, and the middleware
that times every request (docs/operations.md, "Health and metrics").

The database-backed figures (appeals, orders, sweep lag, pending notifications, queue depth) are
computed when Prometheus scrapes, by a collector, so every worker reports the same values. The request
histogram lives in the process: with several gunicorn workers each worker reports its own share, unless
PROMETHEUS_MULTIPROC_DIR names a directory, in which case prometheus_client's multiprocess mode adds
the workers' histograms together (the directory must be emptied when the server starts).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import os
import time
import uuid

from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .cache import UNAVAILABLE
from .ratelimit import client_ip

# The queue Celery sends to unless told otherwise: a Redis list of that name on the broker.
CELERY_QUEUE = "celery"
# Seconds a health or metrics probe waits for the broker before it reports it down.
BROKER_TIMEOUT = 2.0
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUEST_DURATION = Histogram(
    "yousu_request_duration_seconds",
    "Time to answer a request, by HTTP method and URL name (not the path, to keep the labels few).",
    ["method", "route"],
    registry=None,
)

logger = logging.getLogger(__name__)


# -- health ------------------------------------------------------------------------------------------


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    """Write, read back and delete a key; raises when the cache cannot, even though the platform's own
    reads and writes go on without it (yousu.core.cache)."""
    key = f"yousu:healthz:{uuid.uuid4().hex}"
    backend = caches["default"]
    if hasattr(backend, "check"):
        backend.check(key)
        return
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return the value just written")
    finally:
        cache.delete(key)


def check_queue() -> str:
    """ "in-process" without a broker; else the broker must answer within BROKER_TIMEOUT."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return "in-process"
    from kombu import Connection

    with Connection(url, connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
    return "ok"


def sweep_state(now: dt.datetime | None = None) -> dict | str:
    """The last sweep's time and age, stale when older than three sweep intervals; "never" before the
    first one (a fresh installation, or a cache that was emptied)."""
    from yousu.supervision.jobs import last_sweep

    at = last_sweep()
    if at is None:
        return "never"
    age = max(0.0, ((now or timezone.now()) - at).total_seconds())
    return {
        "at": at.isoformat(),
        "age_seconds": round(age, 1),
        "stale": age > 3 * settings.YOUSU_SWEEP_INTERVAL,
    }


def _failure(exc: Exception) -> str:
    # The endpoint is unauthenticated: it names the kind of failure; the details (hosts, ports) go to
    # the log, where the operator reads them.
    logger.warning("health check failed", exc_info=exc)
    return f"error: {type(exc).__name__}"


def cache_state() -> str:
    """ "ok", "down" (Redis cannot be reached or keeps nothing) or the failure's kind."""
    try:
        check_cache()
    except UNAVAILABLE as exc:
        logger.warning("health check: cache down (%s)", type(exc).__name__)
        return "down"
    except Exception as exc:
        return _failure(exc)
    return "ok"


def health() -> tuple[dict, bool]:
    """The checks of /healthz as a JSON-ready dict, and whether all the required ones passed. No
    personal data: only states, ages and error classes.

    The cache is reported but never required: the platform works on without it (yousu.core.cache),
    and every web server shares the one Redis, so a 503 would make a load balancer take them all out.
    A cache that is not "ok" is named under `warnings` (and yousu_cache_up is 0 on /metrics)."""
    report: dict = {}
    failed: list[str] = []
    warnings: list[str] = []
    for name, check in (("database", check_database), ("queue", check_queue)):
        try:
            report[name] = check() or "ok"
        except Exception as exc:  # report, do not crash: this is what a monitor polls
            report[name] = _failure(exc)
            failed.append(name)
    report["cache"] = cache_state()
    if report["cache"] != "ok":
        warnings.append("cache")
    try:
        # The last sweep's time is kept in the cache only: without it, it is not known.
        report["last_sweep"] = sweep_state() if report["cache"] == "ok" else "unknown"
        if isinstance(report["last_sweep"], dict) and report["last_sweep"]["stale"]:
            failed.append("last_sweep")
    except Exception as exc:
        report["last_sweep"] = _failure(exc)
        failed.append("last_sweep")
    ok = not failed
    result = {"status": "ok" if ok else "error", **report}
    if failed:
        result["failed"] = failed
    if warnings:
        result["warnings"] = warnings
    return result, ok


# -- metrics -----------------------------------------------------------------------------------------


def queue_depth() -> int | None:
    """Messages waiting in Celery's default queue on a Redis broker; None without one (or another
    kind of broker, or a broker that does not answer)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    client = redis.Redis.from_url(url, socket_timeout=BROKER_TIMEOUT, socket_connect_timeout=BROKER_TIMEOUT)
    try:
        return int(client.llen(CELERY_QUEUE))
    except redis.RedisError:
        return None
    finally:
        client.close()


class YousuCollector(Collector):
    """Figures read from the database when Prometheus scrapes: a few indexed aggregates, no row scans
    beyond the counts."""

    def collect(self):
        from yousu.appeals.models import Appeal
        from yousu.dispatch.models import Order
        from yousu.notifications.choices import NotificationStatus
        from yousu.notifications.models import Notification

        now = timezone.now()
        appeals = CounterMetricFamily(
            "yousu_appeals_received",
            "Appeals received since the platform started, by channel.",
            labels=["channel"],
        )
        for channel, n in Appeal.objects.order_by().values_list("channel").annotate(n=Count("id")):
            appeals.add_metric([channel], n)
        yield appeals

        orders = GaugeMetricFamily("yousu_orders", "Orders in each state.", labels=["status"])
        for status, n in Order.objects.order_by().values_list("status").annotate(n=Count("id")):
            orders.add_metric([status], n)
        yield orders

        lag = GaugeMetricFamily(
            "yousu_sweep_lag_seconds",
            "How far the sweep is behind: the age of the last sweep (source=last_sweep, absent before the "
            "first) and how long the oldest due but unfired time node has waited (source=due_node, 0 when "
            "none is due). Alert on the max of the two.",
            labels=["source"],
        )
        state = sweep_state(now)
        if isinstance(state, dict):
            lag.add_metric(["last_sweep"], state["age_seconds"])
        oldest = Order.objects.filter(next_node_at__lte=now).aggregate(oldest=Min("next_node_at"))["oldest"]
        lag.add_metric(["due_node"], (now - oldest).total_seconds() if oldest else 0.0)
        yield lag

        pending = Notification.objects.filter(status=NotificationStatus.PENDING).count()
        yield GaugeMetricFamily(
            "yousu_notifications_pending",
            "Notifications waiting to be sent (new or to retry).",
            value=pending,
        )

        yield GaugeMetricFamily(
            "yousu_cache_up",
            "1 when the cache (Redis) answers; 0 when the platform is working without it.",
            value=1 if cache_state() == "ok" else 0,
        )

        depth = queue_depth()
        if depth is not None:
            yield GaugeMetricFamily(
                "yousu_queue_depth", f"Messages waiting in the Celery queue {CELERY_QUEUE!r}.", value=depth
            )


def build_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_DURATION)
    registry.register(YousuCollector())
    return registry


REGISTRY = build_registry()


def _allowed_networks():
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.YOUSU_METRICS_ALLOWED]


def metrics_allowed(request) -> bool:
    """From an allowed address, or with `Authorization: Bearer <YOUSU_METRICS_TOKEN>` when a token is set.
    The address is the caller's as the limits see it (client_ip), not the connection's: through the
    platform's nginx every connection comes from 127.0.0.1, which is allowed."""
    token = settings.YOUSU_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks())


def metrics_view(request):
    if not metrics_allowed(request):
        return HttpResponseForbidden(
            "metrics: address not allowed and no valid token\n", content_type="text/plain"
        )
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Times every request into yousu_request_duration_seconds, labelled by method and the resolved URL
    name ("unmatched" for a path no URL names, e.g. a 404 or a static file)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        try:
            return self.get_response(request)
        finally:
            match = getattr(request, "resolver_match", None)
            route = (match.view_name or "unnamed") if match is not None else "unmatched"
            method = request.method if request.method in METHODS else "other"
            REQUEST_DURATION.labels(method, route).observe(time.perf_counter() - start)
