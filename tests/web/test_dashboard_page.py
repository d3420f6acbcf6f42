"""The dashboard page without a browser: who may open it, what it carries for its script, and the
GeoJSON of area boundaries its map is drawn on."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from tests.appeals.factories import staff
from tests.conftest import box
from yousu.org.services import area_create


@pytest.fixture
def leader(world):
    return staff(world.units.platform, "lena", "leader")


def words_of(html: str) -> dict:
    found = re.search(r'<script id="dashboard-words" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page carries the script's words as JSON"
    return json.loads(found.group(1))


def test_a_leader_gets_the_page_with_its_filters_urls_and_words(client, world, leader):
    client.force_login(leader)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-summary-url="/api/v1/dashboard/summary/"' in html
    assert 'data-areas-url="/dashboard/areas.geojson"' in html
    assert 'data-poll-seconds="30"' in html
    # The district selector offers the city and its districts, by code.
    assert '<option value="C-E">东区</option>' in html and '<option value="C-W">西区</option>' in html
    assert 'value="C-E-1"' not in html
    for period in ("today", "7d", "month", "year", "custom"):
        assert f'data-period="{period}"' in html
    words = words_of(html)
    assert words["updated_at"] == "更新于 %(time)s"
    assert words["zones"] == {"red": "红区", "yellow": "黄区", "blue": "蓝区"}
    assert words["levels"]["district"] == "区/县/园区"
    # ECharts is served by the platform itself: no page asset comes from another host.
    assert '<script src="/static/vendor/echarts/echarts.min.js"></script>' in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


@pytest.mark.parametrize("who", ["supervisor", "admin", "dispatcher", "east_dispatcher"])
def test_assessors_and_platform_dispatchers_may_open_it(client, world, who):
    client.force_login(getattr(world.people, who))
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_unit_clerk_is_refused_with_a_page_that_says_why(client, world):
    client.force_login(world.people.east_market_handler)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'id="refused"' in html and "您无权查看数据看板" in html
    assert "data-summary-url" not in html and "echarts.min.js" not in html


def test_nobody_signed_in_is_sent_to_sign_in(client, world):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and "login" in response.headers["Location"]
    response = client.get(reverse("dashboard-areas"))
    assert response.status_code == 302


def test_the_page_answers_only_get(client, world, leader):
    client.force_login(leader)
    assert client.post(reverse("dashboard")).status_code == 405


def test_areas_of_the_city_are_its_districts_with_a_boundary(client, world, leader):
    area_create(code="C-N", name="北区", kind="district", parent=world.areas.city)  # no boundary
    client.force_login(leader)
    response = client.get(reverse("dashboard-areas"))
    assert response.status_code == 200
    geojson = response.json()
    assert geojson["type"] == "FeatureCollection"
    assert [f["properties"] for f in geojson["features"]] == [
        {"code": "C-E", "name": "东区"},
        {"code": "C-W", "name": "西区"},
    ]
    east = geojson["features"][0]
    assert east["type"] == "Feature" and east["geometry"] == box(101, 30, 102, 32)


def test_areas_of_a_district_are_its_streets_with_a_boundary(client, world, leader):
    area_create(
        code="C-E-2",
        name="东二街道",
        kind="street",
        parent=world.areas.east,
        boundary=box(101.5, 30, 102, 31),
    )
    area_create(
        code="C-W-2", name="西二街道", kind="street", parent=world.areas.west, boundary=box(100, 30, 101, 31)
    )
    client.force_login(leader)
    geojson = client.get(reverse("dashboard-areas"), {"district": "C-E"}).json()
    # 东一街道 has no boundary, the west's street is not the east's: only 东二街道 is drawn.
    assert [f["properties"]["code"] for f in geojson["features"]] == ["C-E-2"]
    assert geojson["features"][0]["geometry"]["type"] == "Polygon"


# A city is a scope too since one deployment may serve several (docs/jurisdictions.md): a street is not.
# A NUL character (found on PostgreSQL by tests/security) is an unknown code too, not a server error.
@pytest.mark.parametrize("code", ["NOPE", "C-E-1", "C-E\x00"])
def test_a_district_that_is_not_a_district_is_refused_naming_the_field(client, world, leader, code):
    client.force_login(leader)
    response = client.get(reverse("dashboard-areas"), {"district": code})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "district" and code in error["message"]


def test_a_unit_clerk_gets_no_boundaries(client, world):
    client.force_login(world.people.east_market_handler)
    response = client.get(reverse("dashboard-areas"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
