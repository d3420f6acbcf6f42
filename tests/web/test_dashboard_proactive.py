"""未诉先办 on the leader's dashboard: the summary carries the period's proactive figures (totals, a row
per street or per community of the chosen district, the departments' on-the-spot acceptances), the
page has the section its script fills, and the figures are read once until something changes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.appeals.factories import staff
from yousu.dispatch.services import order_accept, order_reply, order_review
from yousu.dispatch.whistles import whistle_blow
from yousu.grid.models import ReportKind
from yousu.grid.services import daily_report_submit, grid_report_create, problem_study, stationed_accept
from yousu.reports import proactive as proactive_module

from .test_dashboard_page import words_of

pytestmark = pytest.mark.django_db


def build_proactive(grid) -> SimpleNamespace:
    """In the east community's grid, at the time of the call:

    solved   a grid worker's self-handled report (楼道堆物), solved by the community, approved by the
             district platform;
    on_spot  a grid worker's assisted report (油烟), signed for on the spot by the environment bureau's
             stationed officer, still in handling;
    dropped  a daily-report problem the street drops;
    whistle  the street blows the whistle, summoning the environment and market bureaus.
    """
    world = grid.world
    a, u, p = world.areas, world.units, world.people
    g = grid
    pollution, sanitation = grid.pollution, grid.sanitation

    g.solved = grid_report_create(
        by=g.worker, kind=sanitation, text="3 号楼楼道堆放杂物", mode="self", grid=a.grid
    )
    order = g.solved.appeal.orders.get()
    order_accept(order=order, by=p.east_community_handler)
    order_reply(
        order=order,
        by=p.east_community_handler,
        text="已劝导住户清理楼道杂物，消防通道已畅通。联系人：东一社区，电话 12345。",
        result="solved",
    )
    order_review(order=order, by=p.east_dispatcher, approve=True, note="同意", confirm_low_score=True)

    g.on_spot = grid_report_create(
        by=g.worker, kind=pollution, text="沿街餐馆油烟直排", mode="assisted", grid=a.grid
    )
    stationed_accept(appeal=g.on_spot.appeal, by=g.stationed)

    report = daily_report_submit(
        community=u.east_community,
        day=timezone.localdate(),
        by=p.east_community_handler,
        problems=[{"text": "小区门口路灯不亮", "area": a.grid}],
    )
    g.dropped = problem_study(
        problem=report.problems.get(), by=p.street_leader, decision="drop", reason="已由物业修复"
    )
    whistle_blow(
        by=p.street_leader,
        problem="东一路油烟扰民，请环境、市场部门到场",
        departments=[u.east_eco, u.east_market],
    )
    return g


@pytest.fixture
def leader(world):
    return staff(world.units.platform, "lena", "leader")


def summary_of(client, **params) -> dict:
    response = client.get(reverse("api-dashboard-summary"), {"period": "today", **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_summary_carries_the_periods_proactive_figures_per_street(client, grid, world, leader):
    build_proactive(grid)
    client.force_login(leader)
    figures = summary_of(client)["proactive"]
    assert figures["level"] == "street"
    totals = figures["totals"]
    assert (totals["found"], totals["before_complaint"], totals["before_complaint_share"]) == (3, 3, 1.0)
    assert (totals["dropped"], totals["solved"], totals["solved_share"]) == (1, 1, 0.5)
    assert (totals["solved_self"], totals["solved_assisted"], totals["solved_joint"]) == (1, 0, 0)
    assert totals["median_hours_to_solve"] is not None and totals["median_hours_to_solve"] >= 0
    assert (totals["daily_reports"], totals["daily_reports_missing"]) == (1, 0)
    assert (totals["whistles"], totals["report_ins"], totals["report_ins_answered"]) == (1, 2, 0)
    (row,) = figures["rows"]
    assert (row["area_code"], row["area"], row["found"], row["from_grid_reports"]) == (
        "C-E-1",
        "东一街道",
        3,
        2,
    )
    assert figures["on_spot"] == [
        {"unit": "东区生态环境局", "unit_code": "C-E-eco", "accepted_on_spot": 1, "solved": 0}
    ]
    assert figures["columns"]["before_complaint_share"] == "未诉先办占比"
    assert "未诉先办" in figures["definitions"]["before_complaint"]


def test_a_chosen_district_is_shown_per_community_and_another_district_has_nothing(
    client, grid, world, leader
):
    build_proactive(grid)
    client.force_login(leader)
    east = summary_of(client, district="C-E")["proactive"]
    assert east["level"] == "community"
    assert [(r["area_code"], r["found"]) for r in east["rows"]] == [("C-E-1-1", 3)]
    assert east["totals"]["found"] == 3
    # The street's whistle is not a community's, but it is the district's.
    assert east["rows"][0]["whistles"] == 0 and east["totals"]["whistles"] == 1
    assert [r["unit_code"] for r in east["on_spot"]] == ["C-E-eco"]
    west = summary_of(client, district="C-W")["proactive"]
    assert west["rows"] == [] and west["on_spot"] == []
    assert (west["totals"]["found"], west["totals"]["before_complaint_share"]) == (0, None)
    assert west["totals"]["median_hours_to_solve"] is None
    # A period before anything was found.
    custom = summary_of(client, period="custom", start="2026-01-01", end="2026-01-31")["proactive"]
    assert custom["rows"] == [] and custom["totals"]["found"] == 0


def test_the_figures_are_read_once_until_something_changes(
    client, grid, world, leader, settings, monkeypatch
):
    settings.YOUSU_DASHBOARD_CACHE_SECONDS = 300
    cache.clear()  # a shared cache (Redis) may hold an answer of an earlier run of the same rows
    g = build_proactive(grid)
    client.force_login(leader)
    reads = []
    real = proactive_module.proactive_report

    def counted(**kwargs):
        reads.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(proactive_module, "proactive_report", counted)
    assert summary_of(client)["proactive"]["totals"]["found"] == 3
    assert summary_of(client)["proactive"]["totals"]["found"] == 3
    assert len(reads) == 1
    grid_report_create(
        by=g.worker,
        kind=ReportKind.objects.get(code="sanitation"),
        text="又见楼道堆物",
        mode="assisted",
        grid=world.areas.grid,
    )
    assert summary_of(client)["proactive"]["totals"]["found"] == 4
    assert len(reads) == 2


def test_the_page_has_the_section_the_script_fills(client, world, leader):
    client.force_login(leader)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'id="proactive"' in html and "未诉先办" in html
    for node in (
        "fig-proactive-found",
        "fig-proactive-before",
        "fig-proactive-solved",
        "fig-proactive-hours",
        "fig-proactive-missing",
        "fig-proactive-whistles",
        "chart-proactive-modes",
        "proactive-rows",
        "proactive-on-spot",
    ):
        assert f'id="{node}"' in html, node
    words = words_of(html)
    assert words["proactive_modes"] == {"self": "自办", "assisted": "协办", "joint": "联办"}
    assert words["proactive_by_community"] == "各社区"


def test_a_unit_clerk_gets_no_figures(client, grid, world):
    build_proactive(grid)
    client.force_login(world.people.east_market_handler)
    assert client.get(reverse("api-dashboard-summary")).status_code == 403
