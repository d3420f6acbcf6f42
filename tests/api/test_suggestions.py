"""The suggestion endpoints over real HTTP: as the operator types, an appeal's kept suggestion, the
withdrawal of an automatic dispatch, and the first-try accuracy."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.intelligence.test_suggestions import FUMES, WATER, examples
from yousu.dispatch.services import appeal_dispatch
from yousu.intelligence import services
from yousu.org.services import person_create

from .helpers import assert_refused, make_appeal

URL = "/api/v1/intelligence/suggestions/"


@pytest.fixture
def model(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return services.model_train(examples=examples(), activate=True)


def test_operator_gets_items_units_place_and_duplicates_as_they_type(api, world, model):
    open_one = make_appeal(world, title="饭店油烟", content=FUMES)
    body = {"title": "饭店油烟", "content": FUMES, "longitude": 101.3, "latitude": 31.3}
    answer = api.post(URL, world.people.operator, body)
    assert answer.status == 200, answer.body
    result = answer.body
    assert result["model"] == {"version": model.version}
    assert [entry["label"] for entry in result["items"]][:1] == ["D1-01-01"]
    assert len(result["items"]) == 3
    top = result["items"][0]
    assert top["item"]["code"] == "D1-01-01" and top["unit"]["code"] == world.units.east_eco.code
    # The point is inside the east community's grid: the unit is looked up for it.
    assert result["grid"]["code"] == world.areas.grid.code
    assert result["area"]["code"] == world.areas.grid.code
    assert "place" in result and "ambiguous" in result["place"]
    assert [d["code"] for d in result["duplicates"]] == [open_one.code]
    assert result["took_ms"] >= 0

    # GET carries the same, and an explicit area wins over the text.
    query = urlencode({"content": WATER, "area": world.areas.east_community.code})
    got = api.get(f"{URL}?{query}", world.people.dispatcher)
    assert got.status == 200, got.body
    assert got.body["items"][0]["unit"]["code"] == world.units.water.code
    assert got.body["area"]["code"] == world.areas.east_community.code


def test_without_an_active_model_only_place_and_duplicates_are_offered(api, world):
    answer = api.post(URL, world.people.operator, {"content": FUMES, "area": world.areas.grid.code})
    assert answer.status == 200, answer.body
    assert answer.body["model"] is None and answer.body["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": " ", "content": ""}, "content"),
        ({"content": FUMES, "longitude": 101.3}, "latitude"),
        ({"content": FUMES, "longitude": 500, "latitude": 31.3}, "longitude"),
        ({"content": FUMES, "area": "NO-SUCH"}, "area"),
        ({"content": "很长" * 2001}, "content"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, world, model, body, field):
    answer = api.post(URL, world.people.operator, body)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field


def test_only_staff_of_a_unit_get_suggestions(api, world, model):
    assert api.post(URL, None, {"content": FUMES}).status in (401, 403)
    loose = person_create(username="nounit", full_name="无单位", unit=None, roles=[])
    assert_refused(api.post(URL, loose, {"content": FUMES}), (403,))


def test_an_appeals_kept_suggestion_is_the_first_one_and_visible_only_to_those_who_see_it(api, world, model):
    appeal = make_appeal(world, title="饭店油烟", content=FUMES)
    path = f"/api/v1/intelligence/appeals/{appeal.code}/suggestion/"
    first = api.get(path, world.people.dispatcher)
    assert first.status == 200, first.body
    assert first.body["items"][0]["label"] == "D1-01-01" and first.body["chosen"] is None
    assert api.get(path, world.people.dispatcher).body["made_at"] == first.body["made_at"]
    appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    chosen = api.get(path, world.people.dispatcher).body["chosen"]
    assert chosen["item"] == "D1-01-01" and chosen["agreed"] is True and chosen["auto_dispatched"] is False
    # A unit that has nothing to do with the appeal cannot learn it exists.
    assert_refused(api.get(path, world.people.west_market_handler), (404,), appeal.code)


def test_dispatcher_withdraws_an_automatic_dispatch_over_http(api, world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    appeal = make_appeal(world, content=FUMES, item=None)
    # The live server's database commits, so the hook after intake has dispatched it already.
    appeal.refresh_from_db()
    assert appeal.status == "dispatched" and appeal.dispatch_suggestion.auto_dispatched
    path = f"/api/v1/intelligence/appeals/{appeal.code}/withdraw-auto-dispatch/"
    missing = api.post(path, world.people.dispatcher, {})
    assert missing.status == 400 and missing.error["field"] == "reason"
    assert_refused(api.post(path, world.people.operator, {"reason": "判断有误"}), (403,))
    answer = api.post(path, world.people.dispatcher, {"reason": "判断有误"})
    assert answer.status == 200, answer.body
    assert answer.body == {"appeal": appeal.code, "status": "received"}
    again = api.post(path, world.people.dispatcher, {"reason": "判断有误"})
    assert again.status == 400 and again.error["field"] == "appeal"


def test_first_try_accuracy_for_the_city_platform(api, world, model):
    appeal_dispatch(appeal=make_appeal(world, content=FUMES), by=world.people.dispatcher)
    answer = api.get("/api/v1/intelligence/accuracy/", world.people.supervisor)
    assert answer.status == 200, answer.body
    assert answer.body["overall"]["dispatched"] == 1 and answer.body["overall"]["agreed_rate"] == 1.0
    assert answer.body["fields"][0]["code"] == "D1"
    assert_refused(api.get("/api/v1/intelligence/accuracy/", world.people.east_market_handler), (403,))
    backwards = api.get(
        "/api/v1/intelligence/accuracy/?start=2026-11-02&end=2026-11-01", world.people.supervisor
    )
    assert backwards.status == 400 and backwards.error["field"] == "start"
    too_long = api.get(
        "/api/v1/intelligence/accuracy/?start=2024-01-01&end=2026-11-01", world.people.supervisor
    )
    assert too_long.status == 400 and too_long.error["field"] == "start"
    bad = api.get("/api/v1/intelligence/accuracy/?start=yesterday", world.people.supervisor)
    assert bad.status == 400 and bad.error["field"] == "start"
