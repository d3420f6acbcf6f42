"""`GET /api/v1/intelligence/place/` over real HTTP: the resolution, the grid of a point, and bad input
answered 400 with the field named."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.api.helpers import Api
from yousu.intelligence.places import place_name_create
from yousu.org.services import area_create, person_create

URL = "/api/v1/intelligence/place/"


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture
def roads(world):
    a = world.areas
    for street in (a.east_street, a.west_street):
        place_name_create(area=street, name="人民路", kind="road")
    place_name_create(area=a.east_community, name="东一花园", kind="compound")
    return a


def get(api, person, **query):
    return api.get(f"{URL}?{urlencode(query)}", person)


def test_resolves_an_address(api, world, roads):
    answer = get(api, world.people.operator, address="东区人民路8号")
    assert answer.status == 200, answer.body
    place = answer.body["place"]
    assert place["area"]["code"] == roads.east_street.code
    assert place["ambiguous"] is False
    assert answer.body["point"] is None


def test_reports_ambiguity(api, world, roads):
    answer = get(api, world.people.dispatcher, address="人民路8号", text="路灯不亮")
    assert answer.status == 200, answer.body
    place = answer.body["place"]
    assert place["ambiguous"] is True
    assert place["area"] is None
    assert sorted(c["area"]["code"] for c in place["candidates"]) == sorted(
        [roads.east_street.code, roads.west_street.code]
    )
    assert place["reason"]


def test_text_deepens_and_point_gives_the_grid(api, world, roads):
    answer = get(api, world.people.operator, address="东一街道", text="东一花园门口积水", lat=31.3, lng=101.3)
    assert answer.status == 200, answer.body
    assert answer.body["place"]["area"]["code"] == roads.east_community.code
    point = answer.body["point"]
    assert point["grid"]["code"] == roads.grid.code
    assert point["community"]["code"] == roads.east_community.code
    assert point["street"]["code"] == roads.east_street.code
    assert point["district"]["code"] == roads.east.code


def test_a_point_outside_every_grid(api, world, roads):
    answer = get(api, world.people.operator, lat=30.5, lng=100.5)
    assert answer.status == 200, answer.body
    assert answer.body["point"]["grid"] is None
    assert answer.body["place"]["area"] is None


def test_only_the_callers_city(api, world, roads):
    other = area_create(code="O", name="乙市", kind="city")
    district = area_create(code="O-1", name="北区", kind="district", parent=other)
    street = area_create(code="O-1-1", name="北一街道", kind="street", parent=district)
    place_name_create(area=street, name="人民路", kind="road")
    answer = get(api, world.people.operator, address="人民路")
    codes = {m["area"] for m in answer.body["place"]["matches"]}
    assert codes == {roads.east_street.code, roads.west_street.code}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"lat": 95, "lng": 101}, "lat"),
        ({"lat": 31, "lng": -181}, "lng"),
        ({"lat": "北纬", "lng": 101}, "lat"),
        ({"lat": 31}, "lng"),
        ({"lng": 101}, "lat"),
        ({"address": "路" * 301}, "address"),
        ({}, "address"),
    ],
)
def test_bad_input_names_the_field(api, world, query, field):
    answer = get(api, world.people.operator, **query)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field, answer.body


def test_who_may_ask(api, world, roads):
    assert get(api, None, address="人民路").status in (401, 403)
    nobody = person_create(username="nounit", full_name="无单位", unit=None, roles=[])
    refused = get(api, nobody, address="人民路")
    assert refused.status == 403, refused.body
    # A handler of any unit may ask: the place of an appeal is not confidential.
    assert get(api, world.people.east_market_handler, address="东一街道").status == 200
