"""The public API: cases and ranking without login; publishing and withdrawing for supervisors, with
errors that name the field."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import CITIZEN_NAME, CITIZEN_PHONE
from tests.appeals.factories import at_eco
from yousu.public.models import TypicalCase

from .helpers import district_departments_run, settled_appeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def body(appeal, /, **overrides):
    return {
        "appeal": appeal.code,
        "title": "油烟扰民解决了",
        "summary": "市民反映油烟。",
        "outcome": "已整改",
        **overrides,
    }


def test_publish_then_read_without_login_then_withdraw(api, world):
    appeal = settled_appeal(world)
    api.force_authenticate(world.people.supervisor)
    made = api.post(
        "/api/v1/public/cases/",
        body(appeal, summary=f"{CITIZEN_NAME}反映，电话{CITIZEN_PHONE}"),
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["summary"] == "王某反映，电话【电话】"
    assert made.json()["street"] == "东一街道" and "appeal" not in made.json()
    api.force_authenticate(None)
    listed = api.get("/api/v1/public/cases/")
    assert listed.status_code == 200 and [case["title"] for case in listed.json()] == ["油烟扰民解决了"]
    assert CITIZEN_PHONE not in listed.content.decode() and CITIZEN_NAME not in listed.content.decode()
    api.force_authenticate(world.people.admin)
    gone = api.post(f"/api/v1/public/cases/{made.json()['id']}/withdraw/", {"reason": "改写"}, format="json")
    assert gone.status_code == 200 and gone.json()["withdrawal_reason"] == "改写"
    api.force_authenticate(None)
    assert api.get("/api/v1/public/cases/").json() == []


def test_cases_of_a_month(api, world):
    appeal = settled_appeal(world)
    api.force_authenticate(world.people.supervisor)
    month = api.post("/api/v1/public/cases/", body(appeal), format="json").json()["month"]
    api.force_authenticate(None)
    assert len(api.get("/api/v1/public/cases/", {"month": month}).json()) == 1
    assert api.get("/api/v1/public/cases/", {"month": "2020-01"}).json() == []
    bad = api.get("/api/v1/public/cases/", {"month": "2026-1"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "month"


def test_publishing_is_refused_naming_the_field(api, world):
    appeal = settled_appeal(world)
    api.force_authenticate(world.people.operator)
    refused = api.post("/api/v1/public/cases/", body(appeal), format="json")
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "by"
    api.force_authenticate(world.people.supervisor)
    phone = api.post(
        "/api/v1/public/cases/", body(appeal, outcome="已回电一三八零零零零五六七八告知"), format="json"
    )
    assert phone.status_code == 400 and phone.json()["error"]["field"] == "outcome"
    missing = api.post("/api/v1/public/cases/", {"appeal": appeal.code, "title": "t"}, format="json")
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "summary"
    unknown = api.post("/api/v1/public/cases/", body(appeal, appeal="NOPE"), format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "appeal"
    _city, order = at_eco(world)
    open_one = api.post("/api/v1/public/cases/", body(order.appeal), format="json")
    assert open_one.status_code == 400 and open_one.json()["error"]["field"] == "appeal"
    assert not TypicalCase.objects.exists()


def test_an_anonymous_caller_may_read_but_not_publish(api, world):
    appeal = settled_appeal(world)
    answer = api.post("/api/v1/public/cases/", body(appeal), format="json")
    assert answer.status_code in (401, 403) and answer.json()["error"]["field"] == "authorization"
    assert not TypicalCase.objects.exists()


def test_withdrawing_an_unknown_case_or_without_reason(api, world):
    api.force_authenticate(world.people.supervisor)
    assert api.post("/api/v1/public/cases/999/withdraw/", {"reason": "x"}, format="json").status_code == 404
    appeal = settled_appeal(world)
    case_id = api.post("/api/v1/public/cases/", body(appeal), format="json").json()["id"]
    no_reason = api.post(f"/api/v1/public/cases/{case_id}/withdraw/", {"reason": " "}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["error"]["field"] == "reason"


def test_ranking_without_login(api, world):
    district_departments_run(world)
    answer = api.get("/api/v1/public/ranking/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["month"] == "2026-10" and data["version"] == 1
    assert data["burden"] == {"hours_saved": 28.5, "pushdowns_refused": 3, "access_list_refused": 3}
    (group,) = data["groups"]
    assert [(u["name"], u["rank"], u["zone"]) for u in group["units"]] == [
        ("东区生态环境局", 1, "blue"),
        ("西区生态环境局", 2, "yellow"),
        ("东区市场监督管理局", 3, "yellow"),
        ("西区市场监督管理局", 4, "red"),
    ]
    # Only names, scores, ranks and zones: no unit's own counts.
    assert set(group["units"][0]) == {"name", "score", "rank", "peers", "zone"}
    assert data["headline"]["zones"] == {"red": 1, "yellow": 2, "blue": 1}
    assert "response_rate" in data["definitions"]["rates"]
    bad = api.get("/api/v1/public/ranking/", {"month": "2026-13"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "month"
    none = api.get("/api/v1/public/ranking/", {"month": "2025-01"})
    assert none.status_code == 404 and none.json()["error"]["field"] == "month"
