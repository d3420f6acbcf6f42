"""/healthz (database, cache, queue, last sweep) and /metrics (Prometheus text, access by address or
token, figures from the database, the request histogram)."""

from __future__ import annotations

import datetime as dt
import socket
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.appeals.factories import at_eco, new_appeal
from yousu.dispatch.models import Order
from yousu.notifications.models import Notification
from yousu.org.services import area_create
from yousu.supervision.jobs import LAST_SWEEP_KEY


@pytest.fixture(autouse=True)
def no_sweep_yet():
    # The last sweep's time is kept in the cache, which outlives a test (Redis on the PostgreSQL run).
    cache.delete(LAST_SWEEP_KEY)
    yield
    cache.delete(LAST_SWEEP_KEY)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def swept(seconds_ago: float) -> None:
    cache.set(LAST_SWEEP_KEY, (timezone.now() - dt.timedelta(seconds=seconds_ago)).isoformat(), timeout=None)


def scrape(client, **extra) -> dict:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def samples(family, name=None) -> dict:
    return {
        tuple(sorted(s.labels.items())): s.value for s in family.samples if name is None or s.name == name
    }


# -- /healthz ----------------------------------------------------------------------------------------


def test_healthz_ok_without_a_broker_reports_every_check(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    swept(5)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and "failed" not in body
    assert (body["database"], body["cache"], body["queue"]) == ("ok", "ok", "in-process")
    assert body["last_sweep"]["stale"] is False and 4 <= body["last_sweep"]["age_seconds"] < 60
    assert response["Cache-Control"] == "no-store"


def test_healthz_before_the_first_sweep_says_never(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["last_sweep"] == "never"


def test_healthz_names_a_broker_that_does_not_answer(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    swept(5)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["queue"] and body["queue"].startswith("error")
    assert body["database"] == "ok" and body["cache"] == "ok"


def test_healthz_flags_a_stale_sweep(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    settings.YOUSU_SWEEP_INTERVAL = 60
    swept(181)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["last_sweep"] and body["last_sweep"]["stale"] is True


# -- /metrics ----------------------------------------------------------------------------------------


def test_metrics_report_appeals_orders_lag_and_notifications(client, world, settings):
    settings.CELERY_BROKER_URL = ""
    at_eco(world)
    at_eco(world)
    new_appeal(world, channel="web")
    # One order's time node is overdue by ten minutes and the sweep has not fired it.
    overdue = Order.objects.filter(next_node_at__isnull=False).first()
    Order.objects.filter(pk=overdue.pk).update(next_node_at=timezone.now() - dt.timedelta(minutes=10))
    swept(30)

    families = scrape(client)

    assert samples(families["yousu_appeals_received"], "yousu_appeals_received_total") == {
        (("channel", "hotline"),): 2.0,
        (("channel", "web"),): 1.0,
    }
    assert families["yousu_appeals_received"].type == "counter"
    by_status = dict(Order.objects.values_list("status").order_by().annotate(n=Count("id")))
    assert samples(families["yousu_orders"]) == {(("status", s),): float(n) for s, n in by_status.items()}
    assert by_status == {"forwarded": 2, "dispatched": 2}
    lag = samples(families["yousu_sweep_lag_seconds"])
    assert 29 <= lag[(("source", "last_sweep"),)] < 90
    assert 599 <= lag[(("source", "due_node"),)] < 700
    pending = Notification.objects.filter(status="pending").count()
    assert samples(families["yousu_notifications_pending"]) == {(): float(pending)}
    assert "yousu_queue_depth" not in families  # no broker, no queue


def test_metrics_without_a_sweep_and_nothing_due(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    families = scrape(client)
    assert samples(families["yousu_sweep_lag_seconds"]) == {(("source", "due_node"),): 0.0}
    assert samples(families["yousu_orders"]) == {}


def test_request_histogram_counts_a_request_by_route_name(client, db, settings):
    settings.CELERY_BROKER_URL = ""

    def count():
        family = scrape(client)["yousu_request_duration_seconds"]
        return samples(family, "yousu_request_duration_seconds_count").get(
            (("method", "GET"), ("route", "healthz")), 0.0
        )

    before = count()
    client.get("/healthz")
    client.get("/healthz")
    assert count() == before + 2
    # A path no URL names is counted under one label, never under its path.
    client.get("/no/such/page/12345")
    routes = {dict(s.labels).get("route") for s in scrape(client)["yousu_request_duration_seconds"].samples}
    assert "unmatched" in routes and not any("12345" in (r or "") for r in routes)


def test_metrics_refused_from_another_address_unless_the_token_is_given(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    settings.YOUSU_METRICS_ALLOWED = ["127.0.0.1", "::1"]
    settings.YOUSU_METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.YOUSU_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    assert "yousu_orders" in scrape(
        client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    # A network in the list admits its addresses.
    settings.YOUSU_METRICS_ALLOWED = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_metrics_check_the_address_the_trusted_proxy_passes(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    settings.YOUSU_METRICS_ALLOWED = ["127.0.0.1", "::1"]
    settings.YOUSU_METRICS_TOKEN = ""
    settings.YOUSU_CITIZEN_IP_HEADER = "HTTP_X_REAL_IP"
    settings.YOUSU_TRUSTED_PROXIES = ["127.0.0.1"]
    # Through nginx on the same machine: the connection is 127.0.0.1, the caller is not.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9").status_code == 403
    # A scrape of gunicorn itself from this machine.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    # A caller that is not a trusted proxy cannot claim to be this machine.
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_REAL_IP="127.0.0.1").status_code == 403


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)")
def test_with_a_redis_broker_the_queue_answers_and_its_depth_is_reported(client, db, settings):
    import redis

    settings.CELERY_BROKER_URL = django_settings.REDIS_URL
    swept(5)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["queue"] == "ok"
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.delete("celery")
    broker.rpush("celery", "one", "two", "three")
    try:
        assert samples(scrape(client)["yousu_queue_depth"]) == {(): 3.0}
    finally:
        broker.delete("celery")
        broker.close()


# -- /healthz: the working calendar ------------------------------------------------------------------


def test_healthz_names_an_undeclared_next_year_from_december_as_a_warning_not_a_failure(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    swept(5)
    area_create(code="H", name="健康市", kind="city")
    november = timezone.make_aware(dt.datetime(2026, 11, 30, 12, 0))
    december = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 0))
    with mock.patch("django.utils.timezone.now", return_value=november):
        body = client.get("/healthz").json()
    assert body["working_calendar"] == "ok" and "warnings" not in body
    with mock.patch("django.utils.timezone.now", return_value=december):
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and "failed" not in body
    assert body["working_calendar"] == [{"city": "H", "year": 2027, "state": "undeclared"}]
    assert body["warnings"] == ["working_calendar"]
