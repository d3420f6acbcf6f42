"""A database briefly gone (PostgreSQL restarting) answers 503 with Retry-After, never 500, and
nothing is written; the client retries (bench/faults.py does it against a real restart)."""

from __future__ import annotations

from django.db import OperationalError

from yousu.appeals.models import Appeal

from ..api.helpers import Api

BODY = {
    "kind": "complaint",
    "channel": "app",
    "title": "小区门口垃圾堆积",
    "content": "东一社区门口垃圾三天没有清运。",
    "citizen_phone": "13700001111",
    "idempotency_key": "gone-1",
}


def gone(*args, **kwargs):
    raise OperationalError("server closed the connection unexpectedly")


def test_the_api_answers_503_with_retry_after_when_the_database_is_gone(live_server, world, monkeypatch):
    api = Api(live_server.url)
    monkeypatch.setattr("yousu.api.views.appeal_create", gone)
    answer = api.post("/api/v1/appeals/", world.people.operator, BODY)
    assert answer.status == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.error["code"] == "unavailable" and answer.error["field"] is None
    assert not Appeal.objects.exists()
    monkeypatch.undo()
    # The retry with the same key is received once.
    assert api.post("/api/v1/appeals/", world.people.operator, BODY).status == 201
    assert Appeal.objects.count() == 1


def test_a_page_answers_503_with_retry_after_when_the_database_is_gone(client, world, monkeypatch):
    monkeypatch.setattr("yousu.web.citizen.citizen_appeal_submit", gone)
    response = client.post(
        "/h5/submit/",
        {
            "kind": "inquiry",
            "content": "请问供暖费怎么缴纳？",
            "citizen_phone": "13900002222",
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "数据库暂时无法连接" in response.content.decode()
