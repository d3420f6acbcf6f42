"""The cache is an optimisation: with Redis unreachable (REDIS_URL at a port nobody listens on) dispatch,
the citizen portal, Open311, the dashboard API and /metrics answer as usual, the limits go on counting
in the process, /healthz names the cache as down, and Redis is not asked again on every call."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from django.core.cache import cache, caches
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.appeals.factories import new_appeal, staff
from yousu.appeals.models import Appeal
from yousu.core import cache as resilient
from yousu.core.ratelimit import window_give_back, window_take
from yousu.dispatch.models import Order
from yousu.open311.services import api_key_issue

from .test_health_metrics import closed_port

PHONE = "13912340000"
FUMES = "D1-01-01"


@pytest.fixture(scope="module")
def unreachable_cache() -> dict:
    """CACHES as the settings build them from REDIS_URL, with REDIS_URL at a closed port."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    environment["REDIS_URL"] = f"redis://127.0.0.1:{closed_port()}/0"
    loaded = subprocess.run(
        [sys.executable, "-c", "import json, yousu.settings.base as s; print(json.dumps(s.CACHES))"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=True,
    )
    return json.loads(loaded.stdout)


@pytest.fixture
def redis_down(settings, unreachable_cache):
    resilient._skip_until.clear()
    resilient.process_local().clear()
    settings.CACHES = unreachable_cache
    settings.CELERY_BROKER_URL = ""
    yield
    resilient._skip_until.clear()
    resilient.process_local().clear()


def token_client(person) -> Client:
    key = Token.objects.get_or_create(user=person)[0].key
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT="application/json")


# -- the backend ---------------------------------------------------------------------------------------


def test_an_unreachable_redis_is_an_empty_cache_that_keeps_nothing(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="yousu.core.cache"):
        assert cache.get("k", "default") == "default"
        assert cache.add("k", 1) is False
        assert cache.set("k", 1) is None
        assert cache.get_many(["k", "l"]) == {}
        assert cache.set_many({"k": 1, "l": 2}) == ["k", "l"]
        assert cache.has_key("k") is False and cache.delete("k") is False and cache.touch("k") is False
        assert cache.get_or_set("k", 5) == 5
        with pytest.raises(ValueError):
            cache.incr("k")
        with pytest.raises(ValueError):
            cache.decr("k")
    # One warning for the failure, then Redis is left alone for a while: not one line per call.
    warnings = [r for r in caplog.records if r.name == "yousu.core.cache"]
    assert len(warnings) == 1 and "ConnectionError" in warnings[0].getMessage()
    assert resilient.reachable(caches["default"]) is False


def test_after_the_pause_redis_is_tried_again(redis_down, monkeypatch):
    assert cache.get("k") is None
    assert resilient.reachable(caches["default"]) is False
    now = resilient.time.monotonic()
    monkeypatch.setattr(resilient.time, "monotonic", lambda: now + resilient.RETRY_SECONDS + 1)
    assert resilient.reachable(caches["default"]) is True


def test_the_settings_use_the_resilient_backend_with_short_timeouts(unreachable_cache):
    assert unreachable_cache["default"]["BACKEND"] == "yousu.core.cache.ResilientRedisCache"
    backend = resilient.ResilientRedisCache("redis://127.0.0.1:1/0", {})
    assert backend._options["socket_connect_timeout"] == resilient.SOCKET_TIMEOUTS["socket_connect_timeout"]


def test_limits_count_in_the_process_while_the_cache_is_unavailable(redis_down):
    # Not failing open: a script meets the limit in each process; a refused attempt gives its place back.
    assert [window_take("yousu:test:limit", 60) for _ in range(3)] == [1, 2, 3]
    window_give_back("yousu:test:limit")
    assert window_take("yousu:test:limit", 60) == 3


def test_the_portal_limit_still_holds_with_redis_down(world, redis_down, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR = 2
    citizen = Client()
    answers = [portal_submit(citizen).status_code for _ in range(3)]
    assert answers == [302, 302, 429]
    assert Appeal.objects.filter(channel="web").count() == 2


# -- the platform without it ---------------------------------------------------------------------------


def test_dispatch_forward_and_accept_work_without_redis(world, redis_down):
    p = world.people
    appeal = new_appeal(world)
    dispatched = token_client(p.dispatcher).post(
        f"/api/v1/appeals/{appeal.code}/dispatch/", {}, content_type="application/json"
    )
    assert dispatched.status_code == 201, dispatched.content
    order = Order.objects.get(appeal=appeal)
    forwarded = token_client(p.east_dispatcher).post(
        f"/api/v1/orders/{order.pk}/forward/", {}, content_type="application/json"
    )
    assert forwarded.status_code == 201, forwarded.content
    eco = Order.objects.get(appeal=appeal, unit=world.units.east_eco)
    accepted = token_client(p.east_eco_handler).post(
        f"/api/v1/orders/{eco.pk}/accept/", {}, content_type="application/json"
    )
    assert accepted.status_code == 200, accepted.content
    eco.refresh_from_db()
    assert eco.status == "accepted" and eco.completion_due > eco.dispatched_at


def portal_submit(citizen: Client):
    page = citizen.get("/h5/submit/")
    assert page.status_code == 200
    return citizen.post(
        "/h5/submit/",
        {
            "kind": "complaint",
            "content": "小区门口的餐馆油烟直排，晚上窗户都不敢开。",
            "citizen_phone": PHONE,
            "address": "东一社区幸福路 8 号",
            "idempotency_key": page.context["form"]["idempotency_key"].value(),
        },
    )


def test_the_citizen_portal_submits_and_tracks_without_redis(world, redis_down):
    citizen = Client()
    submitted = portal_submit(citizen)
    assert submitted.status_code == 302, submitted.content.decode()
    appeal = Appeal.objects.get(channel="web")
    tracked = Client().post("/h5/track/", {"code": appeal.code, "phone": PHONE})
    assert tracked.status_code in (200, 302)
    page = citizen.get(tracked["Location"]) if tracked.status_code == 302 else tracked
    assert page.status_code == 200 and appeal.code in page.content.decode()


def test_open311_posts_and_reads_without_redis(world, redis_down):
    _key, raw = api_key_issue(name="测试客户端")
    client = Client()
    posted = client.post(
        "/open311/v2/requests.json",
        {"api_key": raw, "service_code": FUMES, "lat": "31.3", "long": "101.3", "description": "油烟直排"},
    )
    assert posted.status_code == 200, posted.content.decode()
    code = posted.json()[0]["service_request_id"]
    listed = client.get("/open311/v2/requests.json")
    one = client.get(f"/open311/v2/requests/{code}.json")
    assert listed.status_code == 200 and code in {r["service_request_id"] for r in listed.json()}
    assert one.status_code == 200 and one.json()[0]["service_request_id"] == code


def test_the_dashboard_api_answers_without_redis(world, redis_down):
    new_appeal(world)
    leader = staff(world.units.platform, "lena", "leader")
    answer = token_client(leader).get("/api/v1/dashboard/summary/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["totals"]["received"] == 1


def test_metrics_answer_without_redis_and_say_the_cache_is_down(world, redis_down, client):
    new_appeal(world)
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.content
    text = answer.content.decode()
    assert 'yousu_appeals_received_total{channel="hotline"} 1.0' in text
    assert "yousu_cache_up 0.0" in text


def test_metrics_say_the_cache_is_up_when_it_is(client, db):
    assert "yousu_cache_up 1.0" in client.get("/metrics").content.decode()


def test_healthz_reports_the_cache_down_without_failing(db, redis_down, client):
    answer = client.get("/healthz")
    # 200: every web server shares the one Redis, and the platform works on without it.
    assert answer.status_code == 200
    body = answer.json()
    assert body["cache"] == "down" and body["database"] == "ok"
    assert "cache" in body["warnings"] and "failed" not in body
    # The last sweep's time is kept in the cache: unknown now, not "never".
    assert body["last_sweep"] == "unknown"
