"""Grid governance over real HTTP (未诉先办): report kinds, a grid worker's reports (JSON, multipart with a
photo, idempotent resubmission), a community's daily report, the street's study, the district's
dispatch, the figures, and what each refuses (bad input names the field, the wrong person gets 403)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yousu.appeals.models import Appeal
from yousu.grid.models import DailyReport, FoundProblem, ReportKind
from yousu.org.services import person_create

from .helpers import assert_refused

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GRID = "C-E-1-1-G1"


@pytest.fixture
def grid(grid):
    """The shared grid fixture, with a retired report kind as well."""
    grid.retired, _ = ReportKind.objects.get_or_create(code="retired", defaults={"name": "已停用类别"})
    grid.retired.is_active = False
    grid.retired.save()
    return grid


def report(**overrides) -> dict:
    body = {"kind": "pollution", "text": "沿街餐馆油烟直排，外墙熏黑", "mode": "assisted", "grid": GRID}
    body.update(overrides)
    return body


def test_kinds_lists_the_active_kinds_with_their_catalog_item(api, grid):
    answer = api.get("/api/v1/grid/kinds/", grid.worker)
    assert answer.status == 200, answer.body
    by_code = {kind["code"]: kind for kind in answer.body}
    assert by_code["pollution"]["item"] == {"code": "D1-01-01", "name": "餐饮油烟污染"}
    assert by_code["sanitation"]["item"]["code"] == "D2-01-01"
    assert "retired" not in by_code
    assert api.get("/api/v1/grid/kinds/").status == 401


def test_a_grid_report_becomes_an_appeal_and_a_resubmission_returns_the_same(api, grid):
    headers = {"Idempotency-Key": "gwen-2026-001"}
    first = api.post("/api/v1/grid/reports/", grid.worker, report(address="东一路 8 号"), headers=headers)
    assert first.status == 201, first.body
    appeal = Appeal.objects.get(code=first.body["appeal"])
    assert (appeal.channel, appeal.status, appeal.item.code) == ("grid_report", "received", "D1-01-01")
    assert first.body["source"] == "grid_report"
    assert (first.body["community"], first.body["area"], first.body["kind"]) == ("C-E-1-1", GRID, "pollution")
    assert first.body["mode"] == "assisted" and first.body["before_complaint"] is True
    assert first.body["state"] == "待区级研判派单"

    again = api.post("/api/v1/grid/reports/", grid.worker, report(text="重复提交"), headers=headers)
    assert again.status == 200, again.body
    assert (again.body["id"], again.body["appeal"]) == (first.body["id"], first.body["appeal"])
    # The key may also travel in the body, as the appeal API takes it.
    by_field = api.post("/api/v1/grid/reports/", grid.worker, report(idempotency_key="gwen-2026-001"))
    assert by_field.status == 200 and by_field.body["appeal"] == first.body["appeal"]
    assert FoundProblem.objects.count() == 1

    mine = api.get("/api/v1/grid/reports/", grid.worker)
    assert mine.status == 200
    assert [row["appeal"] for row in mine.body["results"]] == [first.body["appeal"]]
    assert api.get("/api/v1/grid/reports/", grid.world.people.street_leader).body["results"] == []


def test_multipart_carries_photos_and_self_handling_goes_to_the_community(api, grid):
    form = {
        "kind": "sanitation",
        "text": "3 号楼楼道堆放杂物",
        "mode": "self",
        "longitude": "101.3",
        "latitude": "31.3",
    }
    answer = api.call(
        "POST",
        "/api/v1/grid/reports/",
        grid.worker,
        form=form,
        files=[("attachments", "photo.png", PNG, "image/png")],
        headers={"Idempotency-Key": "gwen-photo-1"},
    )
    assert answer.status == 201, answer.body
    appeal = Appeal.objects.get(code=answer.body["appeal"])
    assert appeal.attachments.count() == 1
    assert appeal.area == grid.world.areas.grid
    assert answer.body["mode"] == "self"
    assert appeal.orders.get().unit == grid.world.units.east_community


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": None}, "text"),
        ({"text": "   "}, "text"),
        ({"kind": "no-such-kind"}, "kind"),
        ({"kind": "retired"}, "kind"),
        ({"mode": "somehow"}, "mode"),
        ({"grid": "C-E-1-1"}, "grid"),
        ({"grid": None, "longitude": 101.3}, "latitude"),
        ({"grid": None, "longitude": 100.1, "latitude": 30.1}, "grid"),
        ({"longitude": "east"}, "longitude"),
    ],
)
def test_bad_grid_reports_are_refused_naming_the_field(api, grid, change, field):
    body = report(**change)
    body = {name: value for name, value in body.items() if value is not None}
    answer = api.post("/api/v1/grid/reports/", grid.worker, body)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field, answer.body
    assert not FoundProblem.objects.exists()


def test_only_a_grid_worker_on_the_grid_may_report(api, grid):
    answer = api.post("/api/v1/grid/reports/", grid.world.people.east_market_handler, report())
    assert_refused(answer, (403,))
    assert answer.error["field"] == "by"
    stranger = person_create(
        username="wally", full_name="西区网格员", unit=grid.world.units.west_community, roles=["grid_worker"]
    )
    answer = api.post("/api/v1/grid/reports/", stranger, report())
    assert_refused(answer, (403,))
    assert answer.error["field"] == "grid"
    assert not FoundProblem.objects.exists()


def daily(**overrides) -> dict:
    body = {
        "problems": [
            {
                "kind": "pollution",
                "grid": GRID,
                "text": "东一社区第1网格餐馆油烟直排，尚无居民投诉",
                "address": "东一路 8 号",
                "longitude": 101.3,
                "latitude": 31.3,
            }
        ],
        "note": "今日巡查",
    }
    body.update(overrides)
    return body


def test_daily_report_study_and_dispatch_over_http(api, grid):
    w = grid.world
    p = w.people
    answer = api.post("/api/v1/grid/daily-reports/", p.east_community_handler, daily())
    assert answer.status == 201, answer.body
    assert answer.body["community"] == "C-E-1-1" and answer.body["day"] == timezone.localdate().isoformat()
    (problem,) = answer.body["problems"]
    assert (problem["kind"], problem["area"], problem["appeal"]) == ("pollution", GRID, None)
    assert problem["state"] == "待街道研判"

    listed = api.get("/api/v1/grid/daily-reports/", p.east_community_handler)
    assert [r["id"] for r in listed.body["results"]] == [answer.body["id"]]
    # The street sees its communities' reports; another district's department sees none.
    assert len(api.get("/api/v1/grid/daily-reports/", p.street_leader).body["results"]) == 1
    assert api.get("/api/v1/grid/daily-reports/", p.west_market_handler).body["results"] == []

    # One report a day.
    twice = api.post("/api/v1/grid/daily-reports/", p.east_community_handler, daily(problems=[]))
    assert twice.status == 400 and twice.error["field"] == "day"

    study = f"/api/v1/grid/problems/{problem['id']}/study/"
    body = {"decision": "send_up", "reason": "涉及餐饮油烟执法"}
    # The community sees its problem but may not study it; another district does not see it at all.
    assert_refused(api.post(study, p.east_community_handler, body), (403,))
    assert_refused(api.post(study, p.west_market_handler, body), (404,))
    bad = api.post(study, p.street_leader, {"decision": "later"})
    assert bad.status == 400 and bad.error["field"] == "decision"
    dropped_without_reason = api.post(study, p.street_leader, {"decision": "drop"})
    assert dropped_without_reason.status == 400 and dropped_without_reason.error["field"] == "reason"
    studied = api.post(study, p.street_leader, body)
    assert studied.status == 200, studied.body
    assert studied.body["street_decision"] == "send_up" and studied.body["appeal"]
    assert studied.body["state"] == "待区级研判派单"
    again = api.post(study, p.street_leader, body)
    assert again.status == 400 and again.error["field"] == "decision"

    dispatch = f"/api/v1/grid/problems/{problem['id']}/dispatch/"
    joint = {"units": ["C-E-eco", "C-E-market"], "mode": "joint"}
    assert_refused(api.post(dispatch, p.street_leader, joint), (403,))
    for wrong, field in (
        ({**joint, "mode": "self"}, "mode"),
        ({**joint, "units": ["C-E-eco"]}, "units"),
        ({**joint, "units": ["NOPE"]}, "units"),
    ):
        answer = api.post(dispatch, p.east_dispatcher, wrong)
        assert answer.status == 400 and answer.error["field"] == field, answer.body
    sent = api.post(dispatch, p.east_dispatcher, joint)
    assert sent.status == 201, sent.body
    assert [(o["unit"], o["role"]) for o in sent.body["orders"]] == [
        ("C-E-eco", "lead"),
        ("C-E-market", "joint"),
    ]
    assert sent.body["problem"]["mode"] == "joint"
    assert sent.body["problem"]["appeal_status"] == "dispatched"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"problems": [{"text": "没有写清"}, {"grid": GRID}]}, "problems.1.text"),
        ({"problems": [{"text": "  "}]}, "problems[0].text"),
        ({"problems": [{"text": "在别处", "grid": "C-W-1-1"}]}, "problems[0].area"),
        ({"problems": [{"text": "坐标不全", "longitude": 101.3}]}, "problems[0].longitude"),
        ({"problems": [{"text": "未知类别", "kind": "nope"}]}, "problems.0.kind"),
        ({"problems": "none"}, "problems"),
        ({"day": "2026-13-01"}, "day"),
        ({"day": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}, "day"),
    ],
)
def test_bad_daily_reports_name_the_field(api, grid, change, field):
    answer = api.post(
        "/api/v1/grid/daily-reports/", grid.world.people.east_community_handler, daily(**change)
    )
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field, answer.body
    assert not DailyReport.objects.exists()


def test_only_community_staff_report_daily(api, grid):
    p = grid.world.people
    answer = api.post("/api/v1/grid/daily-reports/", p.east_market_handler, daily())
    assert_refused(answer, (400, 403))
    assert answer.error["field"] == "community"
    answer = api.post("/api/v1/grid/daily-reports/", p.street_leader, daily())
    assert answer.status == 400 and answer.error["field"] == "community"
    assert not DailyReport.objects.exists()


def test_figures_count_the_problems_found_per_street(api, grid):
    p = grid.world.people
    api.post("/api/v1/grid/reports/", grid.worker, report())
    posted = api.post("/api/v1/grid/daily-reports/", p.east_community_handler, daily())
    problem = posted.body["problems"][0]["id"]
    api.post(
        f"/api/v1/grid/problems/{problem}/study/", p.street_leader, {"decision": "drop", "reason": "已整改"}
    )
    today = timezone.localdate().isoformat()

    answer = api.get(f"/api/v1/grid/figures/?start={today}&end={today}", p.supervisor)
    assert answer.status == 200, answer.body
    assert answer.body["level"] == "street" and answer.body["area"] is None
    (row,) = answer.body["rows"]
    assert (row["area_code"], row["found"], row["from_grid_reports"], row["from_daily_reports"]) == (
        "C-E-1",
        2,
        1,
        1,
    )
    assert (row["before_complaint"], row["before_complaint_share"], row["dropped"]) == (2, 1.0, 1)
    assert (row["daily_reports"], row["daily_reports_on_time"] + 0 >= 0) == (1, True)
    assert answer.body["totals"]["found"] == 2 and answer.body["totals"]["solved"] == 0
    assert answer.body["on_spot"] == []
    assert "found" in answer.body["definitions"]

    communities = api.get(
        f"/api/v1/grid/figures/?start={today}&end={today}&level=community&area=C-E", p.east_dispatcher
    )
    assert communities.status == 200
    assert [r["area_code"] for r in communities.body["rows"]] == ["C-E-1-1"]
    assert communities.body["area"] == {"code": "C-E", "name": "东区"}
    # Without dates: the month so far; by city: one row, the exact total.
    month = api.get("/api/v1/grid/figures/?level=city", p.supervisor)
    assert month.status == 200, month.body
    assert month.body["start"] == timezone.localdate().replace(day=1).isoformat()
    assert month.body["end"] == today
    assert [(r["area_code"], r["found"]) for r in month.body["rows"]] == [("C", 2)]
    west = api.get(f"/api/v1/grid/figures/?start={today}&end={today}&area=C-W", p.supervisor)
    assert west.body["rows"] == [] and west.body["totals"]["found"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("end=2026-11-31", "end"),
        ("start=2026-11-31&end=2026-12-01", "start"),
        ("start=2026-11-01&end=2026-10-01", "end"),
        ("start=2025-01-01&end=2026-11-30", "end"),
        ("start=2026-11-01&end=2026-11-30&level=grid", "level"),
        ("start=2026-11-01&end=2026-11-30&area=NOPE", "area"),
    ],
)
def test_bad_figure_queries_name_the_parameter(api, grid, query, field):
    answer = api.get(f"/api/v1/grid/figures/?{query}", grid.world.people.supervisor)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field


def test_figures_are_for_those_who_may_read_the_dashboard(api, grid):
    query = "/api/v1/grid/figures/?start=2026-11-01&end=2026-11-30"
    for person in (grid.worker, grid.world.people.east_market_handler, grid.world.people.street_leader):
        assert_refused(api.get(query, person), (403,))
    assert api.get(query, grid.world.people.east_dispatcher).status == 200
    assert api.get(query).status == 401


def test_the_schema_lists_every_grid_endpoint_with_its_serializer(api, world):
    schema = api.get("/api/schema/?format=json").body
    paths = schema["paths"]
    assert {"get"} <= set(paths["/api/v1/grid/kinds/"])
    assert {"get", "post"} <= set(paths["/api/v1/grid/reports/"])
    assert {"get", "post"} <= set(paths["/api/v1/grid/daily-reports/"])
    assert "post" in paths["/api/v1/grid/problems/{id}/study/"]
    assert "post" in paths["/api/v1/grid/problems/{id}/dispatch/"]
    assert "get" in paths["/api/v1/grid/figures/"]
    post = paths["/api/v1/grid/reports/"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    components = schema["components"]["schemas"]
    for name in (
        "GridReportInRequest",
        "FoundProblemOut",
        "DailyReportInRequest",
        "DailyReportOut",
        "StudyInRequest",
    ):
        assert name in components, name
    assert {"rows", "totals", "on_spot"} <= set(components["FiguresOut"]["properties"])
    parameters = {p["name"] for p in paths["/api/v1/grid/figures/"]["get"]["parameters"]}
    assert {"start", "end", "level", "area"} <= parameters
