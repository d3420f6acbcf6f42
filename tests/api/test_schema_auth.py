"""The OpenAPI schema and the docs page, session login next to tokens, and `yousu token`."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

import pytest
import yaml
from rest_framework.authtoken.models import Token

from yousu.cli import main

APPEAL_PATHS = {
    "/api/v1/appeals/",
    "/api/v1/appeals/{code}/",
    "/api/v1/appeals/{code}/events/",
    "/api/v1/appeals/{code}/dispatch/",
    "/api/v1/appeals/{code}/link-duplicate/",
    "/api/v1/appeals/{code}/answer/",
}


def test_schema_is_openapi_json_and_yaml_listing_the_endpoints(api, world):
    as_json = api.get("/api/schema/?format=json")
    assert as_json.status == 200
    schema = as_json.body
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) >= APPEAL_PATHS
    assert {"post", "get"} <= set(schema["paths"]["/api/v1/appeals/"])
    for path in ("/api/v1/orders/{id}/accept/", "/api/v1/whistles/{id}/report-in/", "/api/v1/consultations/"):
        assert path in schema["paths"]
    as_yaml = api.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi"})
    assert as_yaml.status == 200
    assert yaml.safe_load(as_yaml.body)["paths"].keys() == schema["paths"].keys()


def test_docs_list_every_endpoint_without_fetching_anything_from_the_internet(api, world, live_server):
    docs = api.get("/api/docs/")
    assert docs.status == 200
    listed = {(e["method"], e["path"]) for e in docs.body["endpoints"]}
    assert ("POST", "/api/v1/appeals/") in listed and ("POST", "/api/v1/orders/{id}/review/") in listed
    page = api.get("/api/docs/", headers={"Accept": "text/html"})
    assert page.status == 200 and "/api/v1/appeals/{code}/dispatch/" in page.body
    links = re.findall(r'(?:src|href)="(https?://[^"]+)"', page.body)
    assert [link for link in links if not link.startswith(live_server.url)] == []


def test_browsable_pages_draw_the_input_form_of_each_action(api, world, handled):
    for path, status in (
        ("/api/v1/", 200),
        ("/api/v1/appeals/", 200),
        (f"/api/v1/orders/{handled.order.pk}/", 200),
        (f"/api/v1/appeals/{handled.appeal.code}/dispatch/", 405),  # POST only: the page shows its form
        (f"/api/v1/orders/{handled.order.pk}/reply/", 405),
        ("/api/v1/whistles/", 405),
    ):
        page = api.get(path, world.people.operator, headers={"Accept": "text/html"})
        assert page.status == status, path
        assert "<form" in page.body, path


def test_session_login_works_like_a_token(api, world, live_server):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = live_server.url + "/api/auth/login/"
    form = browser.open(login_url).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {
            "username": "alice",
            "password": "pw-alice-1",
            "csrfmiddlewaretoken": csrf,
            "next": "/api/v1/orders/",
        }
    ).encode()
    request = urllib.request.Request(login_url, data=data, headers={"Referer": login_url})
    with browser.open(request) as response:
        assert response.status == 200
    listed = urllib.request.Request(
        live_server.url + "/api/v1/appeals/", headers={"Accept": "application/json"}
    )
    with browser.open(listed) as response:
        assert json.loads(response.read())["count"] == 0


@pytest.fixture
def keep_test_connection(monkeypatch):
    # A command closes every connection when it ends; in-process that would end the test's own.
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)


def test_token_command_prints_the_same_token_each_time(api, world, capsys, keep_test_connection):
    assert main(["token", "bob"]) == 0
    key = capsys.readouterr().out.strip()
    assert key == Token.objects.get(user=world.people.east_market_handler).key
    assert main(["token", "bob"]) == 0
    assert capsys.readouterr().out.strip() == key
    answer = api.get("/api/v1/orders/", headers={"Authorization": f"Token {key}"})
    assert answer.status == 200


def test_token_command_refuses_an_unknown_user_in_one_line(world, capsys, keep_test_connection):
    assert main(["token", "nobody"]) != 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "nobody" in lines[0]
    assert "Traceback" not in captured.err
    assert not Token.objects.exists()
