"""Duplicates and hot issues over real HTTP: `duplicates/`, `hot-issues/`, `hot-issues/{id}/` and
`hot-issues/{id}/dispatch/` under /api/v1/intelligence/."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import override_settings

from tests.api.helpers import Api, assert_refused, make_appeal
from yousu.appeals.choices import AppealStatus
from yousu.dispatch.models import Order
from yousu.intelligence.hot_issues import hot_issues_absorb
from yousu.intelligence.models import HotIssue, HotIssueStatus

URL = "/api/v1/intelligence/"
FUMES = [
    ("幸福小区烧烤店油烟扰民", "幸福小区楼下烧烤店每天晚上油烟直排，烟味很大，居民无法开窗。"),
    ("投诉幸福小区烧烤店油烟", "幸福小区门口烧烤店油烟直排扰民，晚上烟味大，请查处。"),
    ("幸福小区烧烤油烟直排", "烧烤店油烟直排到幸福小区楼里，烟味呛人，晚上更严重。"),
]
AGAIN = "幸福小区楼下的烧烤店油烟直排，晚上烟味很大"


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture
def gathered(world):
    appeals = [make_appeal(world, title=title, content=content) for title, content in FUMES]
    hot_issues_absorb(appeals)
    return HotIssue.objects.get(), appeals


def test_duplicates_by_get_and_post(api, world, gathered):
    _hot, appeals = gathered
    operator = world.people.operator
    answer = api.get(
        f"{URL}duplicates/?{urlencode({'text': AGAIN, 'area': world.areas.grid.code})}", operator
    )
    assert answer.status == 200, answer.body
    found = answer.body["duplicates"]
    assert {row["code"] for row in found} == {a.code for a in appeals}
    assert all(row["same_place"] and row["score"] >= row["text_score"] for row in found)
    assert found[0]["area"] == {"code": world.areas.grid.code, "name": world.areas.grid.name}
    answer = api.post(f"{URL}duplicates/", operator, {"text": AGAIN, "exclude": appeals[0].code, "limit": 1})
    assert answer.status == 200, answer.body
    (row,) = answer.body["duplicates"]
    assert row["code"] != appeals[0].code and row["place"] == "unknown"


def test_duplicates_refuse_bad_input_and_strangers(api, world):
    operator = world.people.operator
    for body, field in (
        ({}, "text"),
        ({"text": AGAIN, "area": "NOPE"}, "area"),
        ({"text": AGAIN, "exclude": "NOPE"}, "exclude"),
        ({"text": AGAIN, "limit": 0}, "limit"),
        ({"text": "   "}, "text"),
    ):
        answer = api.post(f"{URL}duplicates/", operator, body)
        assert answer.status == 400, (body, answer.body)
        assert answer.error["field"] == field
    assert_refused(api.post(f"{URL}duplicates/", None, {"text": AGAIN}), (401, 403))


def test_a_unit_sees_only_the_duplicates_it_could_open(api, world, gathered):
    answer = api.post(f"{URL}duplicates/", world.people.west_market_handler, {"text": AGAIN})
    assert answer.status == 200, answer.body
    assert answer.body["duplicates"] == []


def test_hot_issues_are_listed_and_shown(api, world, gathered):
    hot, appeals = gathered
    leader = world.people.supervisor
    answer = api.get(f"{URL}hot-issues/", leader)
    assert answer.status == 200, answer.body
    (row,) = answer.body["hot_issues"]
    assert row["id"] == hot.pk and row["name"] == hot.name and row["appeal_count"] == 3
    assert row["appeals"] == [a.code for a in appeals]
    assert row["area"]["code"] == world.areas.grid.code and row["status"] == "open"
    assert row["heat"] == hot.heat and row["first_at"] <= row["last_at"]
    assert api.get(f"{URL}hot-issues/?district={world.areas.west.code}", leader).body["hot_issues"] == []
    with override_settings(YOUSU_HOT_ISSUE_MIN_APPEALS=4):
        assert api.get(f"{URL}hot-issues/", leader).body["hot_issues"] == []
    assert api.get(f"{URL}hot-issues/?status=closed", leader).body["hot_issues"] == []
    detail = api.get(f"{URL}hot-issues/{hot.pk}/", leader)
    assert detail.status == 200 and detail.body["appeals"] == row["appeals"]
    assert api.get(f"{URL}hot-issues/?status=nonsense", leader).error["field"] == "status"
    assert api.get(f"{URL}hot-issues/?district=C-E-1", leader).error["field"] == "district"
    assert_refused(api.get(f"{URL}hot-issues/999999/", leader), (404,))
    assert_refused(api.get(f"{URL}hot-issues/", world.people.east_market_handler), (403,))


def test_a_hot_issue_is_dispatched_as_one_over_http(api, world, gathered):
    hot, appeals = gathered
    url = f"{URL}hot-issues/{hot.pk}/dispatch/"
    # A refusal names the field and leaves everything as it was.
    refused = api.post(
        url, world.people.dispatcher, {"unit": world.units.east_community.code, "reason": "就近"}
    )
    assert refused.status == 400 and refused.error["field"] == "unit"
    assert Order.objects.count() == 0
    assert_refused(api.post(url, world.people.east_market_handler, {}), (403, 404))
    assert api.post(url, world.people.dispatcher, {"primary": "NOPE"}).error["field"] == "primary"

    answer = api.post(url, world.people.dispatcher, {"primary": appeals[1].code})
    assert answer.status == 201, answer.body
    assert answer.body["primary"] == appeals[1].code
    assert answer.body["order"]["unit"] == world.units.east_platform.code
    assert answer.body["linked"] == [appeals[0].code, appeals[2].code]
    assert answer.body["hot_issue"]["status"] == "dispatched"
    assert answer.body["hot_issue"]["primary_appeal"] == appeals[1].code
    for linked in (appeals[0], appeals[2]):
        linked.refresh_from_db()
        assert linked.status == AppealStatus.LINKED and linked.duplicate_of_id == appeals[1].pk
    assert HotIssue.objects.get(pk=hot.pk).status == HotIssueStatus.DISPATCHED
    again = api.post(url, world.people.dispatcher, {})
    assert again.status == 400 and again.error["field"] == "status"
