"""Open311 posts may carry an idempotency key (issue 21, item 2; not in GeoReport v2): the same client
(API key) posting it again gets its first request back, another client is answered 409 with nothing of
that request; without a key every post is a new appeal, as the spec has it."""

from __future__ import annotations

import json

from django.test import Client

from yousu.appeals.models import Appeal
from yousu.open311.models import ServiceRequest
from yousu.open311.services import api_key_issue

from .test_api import fetch, form, refused


def test_a_key_is_the_clients_that_posted_it(world, live_open311, api_key):
    _other, other_key = api_key_issue(name="另一个客户端")
    status, (first,) = fetch(live_open311, "POST", "requests.json", form(api_key, idempotency_key="c-1"))
    assert status == 200, first
    code = first["service_request_id"]
    status, (again,) = fetch(live_open311, "POST", "requests.json", form(api_key, idempotency_key="c-1"))
    assert status == 200 and again["service_request_id"] == code
    assert Appeal.objects.count() == 1 and ServiceRequest.objects.count() == 1

    for fmt in ("json", "xml"):
        message = refused(
            live_open311,
            "POST",
            f"requests.{fmt}",
            409,
            form(other_key, idempotency_key="c-1", description="别的事"),
        )
        assert code not in message
    assert Appeal.objects.count() == 1

    # Without a key, each post is a new appeal.
    fetch(live_open311, "POST", "requests.json", form(api_key))
    fetch(live_open311, "POST", "requests.json", form(api_key))
    assert Appeal.objects.count() == 3


def test_the_key_may_come_as_a_header(world, api_key):
    _other, other_key = api_key_issue(name="另一个客户端")
    client = Client()
    first = client.post("/open311/v2/requests.json", form(api_key), HTTP_IDEMPOTENCY_KEY="h-1")
    assert first.status_code == 200, first.content
    again = client.post("/open311/v2/requests.json", form(api_key), HTTP_IDEMPOTENCY_KEY="h-1")
    assert json.loads(again.content) == json.loads(first.content)
    stranger = client.post("/open311/v2/requests.json", form(other_key), HTTP_IDEMPOTENCY_KEY="h-1")
    assert stranger.status_code == 409
    assert json.loads(first.content)[0]["service_request_id"] not in stranger.content.decode()
    assert Appeal.objects.count() == 1
