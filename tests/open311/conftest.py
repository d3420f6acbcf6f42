"""Fixtures of the Open311 tests: the test city's fumes service asking for extra fields, a client key,
and a caller that speaks to /open311/v2/ of a live server over real HTTP."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.cache import cache

from yousu.open311.models import ServiceAttribute
from yousu.open311.services import api_key_issue

BASE = "/open311/v2/"
# Ask the server directly: a proxy configured in the environment must not stand between the test and it.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def attribute(item, **fields) -> ServiceAttribute:
    row = ServiceAttribute(item=item, **fields)
    row.full_clean()
    row.save()
    return row


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Every test starts with unused allowances: the counters live in the (per-process) cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(world):
    """The shared test city, with the fields 餐饮油烟污染 asks for when a request is posted."""
    fumes = world.items.fumes
    attribute(
        fumes,
        code="source",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="油烟来自哪里？",
        values=[{"key": "restaurant", "name": "餐馆"}, {"key": "stall", "name": "露天烧烤摊"}],
    )
    attribute(
        fumes,
        code="hours",
        datatype="multivaluelist",
        order=2,
        description="什么时段最严重？",
        values=[
            {"key": "noon", "name": "中午"},
            {"key": "evening", "name": "晚上"},
            {"key": "night", "name": "深夜"},
        ],
    )
    attribute(fumes, code="since", datatype="datetime", order=3, description="从什么时候开始？")
    attribute(fumes, code="floor", datatype="number", order=4, description="您住几楼？")
    attribute(
        fumes,
        code="notice",
        variable=False,
        datatype="text",
        order=5,
        description="请尽量写明餐馆或摊位的名称。",
    )
    return world


@pytest.fixture
def api_key(world) -> str:
    """The raw key of a client application, as the client would hold it."""
    _key, raw = api_key_issue(name="测试客户端")
    return raw


@pytest.fixture
def live_open311(live_server):
    """live_open311(method, path, data=None) -> (status, content_type, body): `path` below /open311/v2/
    (query string included); `data` is posted form-encoded (a list value repeats its name)."""

    def call(method: str, path: str, data: dict | None = None) -> tuple[int, str, bytes]:
        url = live_server.url + (path if path.startswith("/") else BASE + path)
        body = None
        headers = {}
        if data is not None or method == "POST":
            body = urllib.parse.urlencode(data or {}, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with OPENER.open(request, timeout=30) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers.get("Content-Type", ""), error.read()

    return call
