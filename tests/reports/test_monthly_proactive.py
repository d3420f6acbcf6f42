"""未诉先办 in the monthly report (October 2026 of conftest.py, with grid work added): the data, the
printable page and the Excel file opened with openpyxl — a row per district and per street, the city's
totals, and the departments' on-the-spot acceptances."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from tests.supervision.clock import at, frozen
from yousu.dispatch.services import order_accept, order_reply, order_review
from yousu.dispatch.whistles import whistle_blow
from yousu.grid.services import daily_report_submit, grid_report_create, problem_study, stationed_accept
from yousu.org.services import person_create
from yousu.reports import documents
from yousu.reports.xlsx import monthly_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid_month(october, grid):
    """On 20 October in the east community's grid:

    sanitation  a grid worker's self-handled report (09:00), solved by the community (reply 14:00,
                approved 15:00: six hours from finding to completion);
    fumes       a grid worker's assisted report (09:00), signed for on the spot by the environment
                bureau's stationed officer (10:00), open; the citizens complained of fumes there on
                12 and 13 October, so it was not found before a complaint;
    lamp        a daily-report problem (09:00) the street drops;
    a whistle   blown by the street (09:00) summoning two bureaus.
    On 21 October the west community reports a problem in its daily report; on 2 November the east
    community reports one that October does not count.
    """
    world = october.world
    a, u, p = world.areas, world.units, world.people
    g = SimpleNamespace(world=world, run=october.run)
    worker, stationed = grid.worker, grid.stationed
    west_clerk = person_create(
        username="wendy", full_name="西一社区承办人", unit=u.west_community, roles=["unit_handler"]
    )
    fumes, sanitation = grid.pollution, grid.sanitation

    with frozen(at(2026, 10, 20, 9, 0)):
        g.solved = grid_report_create(
            by=worker, kind=sanitation, text="3 号楼楼道堆物", mode="self", grid=a.grid
        )
        g.on_spot = grid_report_create(
            by=worker, kind=fumes, text="沿街餐馆油烟直排", mode="assisted", grid=a.grid
        )
        report = daily_report_submit(
            community=u.east_community,
            day=at(2026, 10, 20, 9, 0).date(),
            by=p.east_community_handler,
            problems=[{"text": "小区门口路灯不亮", "area": a.grid}],
        )
        problem_study(problem=report.problems.get(), by=p.street_leader, decision="drop", reason="物业已修复")
        whistle_blow(by=p.street_leader, problem="东一路油烟扰民", departments=[u.east_eco, u.east_market])
    order = g.solved.appeal.orders.get()
    with frozen(at(2026, 10, 20, 10, 0)):
        order_accept(order=order, by=p.east_community_handler)
        stationed_accept(appeal=g.on_spot.appeal, by=stationed)
    with frozen(at(2026, 10, 20, 14, 0)):
        order_reply(
            order=order,
            by=p.east_community_handler,
            text="已劝导住户清理楼道杂物，消防通道已畅通。联系人：东一社区，电话 12345。",
            result="solved",
        )
    with frozen(at(2026, 10, 20, 15, 0)):
        order_review(order=order, by=p.east_dispatcher, approve=True, note="同意", confirm_low_score=True)
    with frozen(at(2026, 10, 21, 9, 0)):
        daily_report_submit(
            community=u.west_community,
            day=at(2026, 10, 21, 9, 0).date(),
            by=west_clerk,
            problems=[{"text": "西一社区健身器材损坏"}],
        )
    with frozen(at(2026, 11, 2, 9, 0)):
        daily_report_submit(
            community=u.east_community,
            day=at(2026, 11, 2, 9, 0).date(),
            by=p.east_community_handler,
            problems=[{"text": "十一月发现的问题"}],
        )
    return g


def test_the_monthly_report_counts_octobers_proactive_figures(grid_month):
    assert grid_month.on_spot.prior_complaint is not None  # the citizens complained first
    data = documents.monthly_report(grid_month.run)["proactive"]
    assert (data["start"].isoformat(), data["end"].isoformat()) == ("2026-10-01", "2026-10-31")
    districts = {row["area_code"]: row for row in data["districts"]}
    assert set(districts) == {"C-E", "C-W"}
    east, west = districts["C-E"], districts["C-W"]
    assert (east["found"], east["from_grid_reports"], east["from_daily_reports"]) == (3, 2, 1)
    assert (east["before_complaint"], east["dropped"], east["solved"], east["solved_self"]) == (2, 1, 1, 1)
    assert east["median_hours_to_solve"] == pytest.approx(6.0)
    assert (east["whistles"], east["report_ins"], east["daily_reports"]) == (1, 2, 1)
    assert (west["found"], west["before_complaint"], west["solved"]) == (1, 1, 0)
    streets = {row["area_code"]: row for row in data["streets"]}
    assert set(streets) == {"C-E-1", "C-W-1"}
    assert (streets["C-E-1"]["district"], streets["C-E-1"]["found"]) == ("东区", 3)
    totals = data["totals"]
    assert (totals["found"], totals["before_complaint"], totals["dropped"], totals["solved"]) == (4, 3, 1, 1)
    assert totals["before_complaint_share"] == pytest.approx(0.75)
    assert totals["solved_share"] == pytest.approx(1 / 3, abs=1e-4)  # rounded to four places
    # One district solved anything: its median is the city's.
    assert totals["median_hours_to_solve"] == pytest.approx(6.0)
    assert data["on_spot"] == [
        {"unit": "东区生态环境局", "unit_code": "C-E-eco", "accepted_on_spot": 1, "solved": 0}
    ]


def test_the_monthly_workbook_has_the_proactive_sheets(grid_month):
    buffer = io.BytesIO()
    monthly_workbook(documents.monthly_report(grid_month.run)).save(buffer)
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == ["考评结果", "基层减负", "未诉先办", "现场签收", "指标说明"]
    sheet = book["未诉先办"]
    assert sheet["A1"].value == "未诉先办 2026-10"
    assert "2026-10-01 至 2026-10-31" in sheet["A2"].value
    header = [cell.value for cell in sheet[5] if cell.value is not None]
    assert header[:6] == ["层级", "所属区县", "区域编码", "区域", "发现问题", "网格员上报"]
    at = {name: index for index, name in enumerate(header)}
    rows = {row[2].value or row[0].value: row for row in sheet.iter_rows(min_row=6)}
    east, street, total = rows["C-E"], rows["C-E-1"], rows["合计"]
    assert (east[0].value, east[3].value, east[at["发现问题"]].value) == ("区县", "东区", 3)
    assert (street[0].value, street[1].value, street[3].value) == ("街道", "东区", "东一街道")
    assert east[at["未诉先办占比"]].value == pytest.approx(2 / 3, abs=1e-4)
    assert east[at["未诉先办占比"]].number_format == "0.0%"
    assert east[at["解决用时中位数（小时）"]].value == pytest.approx(6.0)
    assert (east[at["自办解决"]].value, east[at["吹哨"]].value, east[at["应报到"]].value) == (1, 1, 2)
    assert rows["C-W"][at["发现问题"]].value == 1
    assert total[at["发现问题"]].value == 4 and total[0].font.bold
    assert total[at["未诉先办占比"]].value == pytest.approx(0.75)
    assert sheet.freeze_panes == "A6"

    on_spot = book["现场签收"]
    assert [cell.value for cell in on_spot[5]] == ["单位编码", "部门", "现场签收", "其中已办结"]
    assert [cell.value for cell in on_spot[6]] == ["C-E-eco", "东区生态环境局", 1, 0]

    explained = {row[1].value: row[2].value for row in book["指标说明"].iter_rows(min_row=6)}
    assert "未诉先办" in explained and "从发现到主办工单办结" in explained["解决用时"]


def test_the_monthly_page_shows_the_proactive_section(client, grid_month):
    client.force_login(grid_month.world.people.supervisor)
    html = client.get("/reports/monthly/?month=2026-10").content.decode()
    assert 'id="proactive"' in html and 'id="proactive-on-spot"' in html
    assert "东区 · 东一街道" in html and "东区生态环境局" in html
    assert "66.7%" in html  # the east district's share found before a complaint
    assert 'id="proactive-definitions"' in html
