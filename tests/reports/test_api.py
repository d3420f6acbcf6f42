"""The report endpoints over real HTTP: the .xlsx files opened with openpyxl and checked cell by cell
against the month of conftest.py, the JSON, who may read what, and bad input naming the field."""

import io
import urllib.parse

import pytest
from openpyxl import load_workbook

from tests.api.helpers import assert_refused
from tests.supervision.clock import SHANGHAI
from yousu.evaluation import definitions

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(answer, filename: str):
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == XLSX
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{urllib.parse.quote(filename)}" in disposition
    return load_workbook(io.BytesIO(answer.raw))


def header(sheet) -> list:
    return [cell.value for cell in sheet[5] if cell.value is not None]


def rows_by_first_cell(sheet) -> dict:
    return {row[0].value: row for row in sheet.iter_rows(min_row=6) if row[0].value is not None}


def test_daily_brief_xlsx(api, october):
    sam = october.world.people.supervisor
    book = workbook(
        api.get("/api/v1/reports/daily/?date=2026-10-12&format=xlsx", sam), "每日简报-2026-10-12.xlsx"
    )
    assert book.sheetnames == ["每日简报", "渠道与类型", "热点事项", "回访", "超期工单", "指标说明"]
    brief = book["每日简报"]
    assert brief["A1"].value == "每日简报 2026-10-12"
    assert header(brief) == ["指标", "数值", "说明"]
    assert brief["A5"].font.bold and brief["A5"].fill.fgColor.rgb.endswith("D9E1F2")
    assert brief.freeze_panes == "A6" and brief.auto_filter.ref.startswith("A5:")
    assert brief.page_setup.orientation == "landscape" and brief.sheet_properties.pageSetUpPr.fitToPage
    figures = {row[0].value: row[1] for row in brief.iter_rows(min_row=6)}
    assert figures["受理诉求"].value == 3
    assert figures["当场答复"].value == 1
    assert figures["派单诉求"].value == 2
    assert figures["办结诉求"].value == 1
    assert figures["日终在办诉求"].value == 1
    assert figures["催办"].value == 1
    assert figures["当日满意率"].value == 1.0 and figures["当日满意率"].number_format == "0.0%"
    channels = {(row[0].value, row[1].value): row[2].value for row in book["渠道与类型"].iter_rows(min_row=6)}
    assert channels == {
        ("渠道", "12345 热线"): 2,
        ("渠道", "网站"): 1,
        ("诉求类型", "投诉"): 2,
        ("诉求类型", "咨询"): 1,
    }
    assert [c.value for c in book["热点事项"][6]] == ["D1-01-01", "餐饮油烟污染", 2]
    notes = {row[1].value for row in book["指标说明"].iter_rows(min_row=6)}
    assert {"受理诉求", "日终在办诉求", "当日满意率"} <= notes


def test_daily_brief_xlsx_lists_the_overdue_order_highlighted(api, october):
    sam = october.world.people.supervisor
    book = workbook(
        api.get("/api/v1/reports/daily/?date=2026-10-28&format=xlsx", sam), "每日简报-2026-10-28.xlsx"
    )
    sheet = book["超期工单"]
    assert header(sheet) == ["承办单位", "单位编码", "诉求编号", "标题", "办结时限"]
    row = [cell.value for cell in sheet[6]]
    assert row[:4] == ["东区生态环境局", "C-E-eco", october.b.appeal.code, "丙店油烟"]
    # Excel has no time zones: the deadline is written in the city's time.
    assert row[4] == october.b.completion_due.astimezone(SHANGHAI).replace(tzinfo=None)
    assert sheet["A6"].fill.fgColor.rgb.endswith("F8CBAD")
    assert sheet.max_row == 6


def test_monthly_report_xlsx(api, october):
    sam = october.world.people.supervisor
    book = workbook(
        api.get("/api/v1/reports/monthly/?month=2026-10&format=xlsx", sam), "月度考评报告-2026-10.xlsx"
    )
    assert book.sheetnames == ["考评结果", "基层减负", "未诉先办", "现场签收", "指标说明"]
    results = book["考评结果"]
    assert results["A1"].value == "月度考评报告 2026-10"
    # Computed at 03:00 on 1 November: the order of 30 October is still inside its sign-for limit.
    assert "第 1 版（当前版本，暂定）" in results["A2"].value
    assert october.run.scheme.name in results["A3"].value
    columns = header(results)
    assert columns[:4] == ["单位编码", "单位名称", "派单数", "考核工单数"]
    assert columns[-3:] == ["同类排名", "同类参评单位数", "红黄蓝区"]
    at = {name: index for index, name in enumerate(columns)}
    rows = list(results.iter_rows(min_row=6))
    start = next(i for i, row in enumerate(rows) if row[0].value == "区/县/园区 · 职能部门")
    eco, market = rows[start + 1], rows[start + 2]
    assert (eco[0].value, market[0].value) == ("C-E-eco", "C-E-market")
    assert eco[at["派单数"]].value == 2 and eco[at["已办结数"]].value == 1
    assert eco[at["办结率"]].value == pytest.approx(0.5) and eco[at["办结率"]].number_format == "0.0%"
    assert eco[at["综合得分"]].value == pytest.approx(90)
    assert market[at["综合得分"]].value == pytest.approx(80)
    assert (eco[at["同类排名"]].value, eco[at["同类参评单位数"]].value) == (1, 2)
    assert eco[at["红黄蓝区"]].value == "蓝区" and eco[at["红黄蓝区"]].fill.fgColor.rgb.endswith("BDD7EE")
    subtotal = next(row for row in rows[start + 1 :] if row[0].value == "小计")
    assert subtotal[1].value == "区/县/园区 · 职能部门" and subtotal[0].font.bold
    assert subtotal[at["派单数"]].value == 3  # A, B, M
    assert subtotal[at["应办结数"]].value == 3 and subtotal[at["已办结数"]].value == 2
    assert subtotal[at["办结率"]].value == pytest.approx(2 / 3)  # from the sums, not the mean 0.75
    assert subtotal[at["解决率"]].value == pytest.approx(1 / 2)
    assert subtotal[at["综合得分"]].value is None

    burden = book["基层减负"]
    columns = header(burden)
    assert columns[:3] == ["单位编码", "街道或社区", "类型"]
    assert [str(entry["name"]) for entry in definitions.BURDEN.values()] == columns[3:]
    at = {name: index for index, name in enumerate(columns)}
    by_unit = rows_by_first_cell(burden)
    assert by_unit["C-E-1"][at["接收工单"]].value == 2
    assert by_unit["C-E-1-1"][at["拒绝违反准入清单派单"]].value == 1
    total = by_unit["合计"]
    assert total[at["接收工单"]].value == 3
    assert total[at["拒绝违反准入清单派单"]].value == 1
    assert total[at["减负工时（估算）"]].value == pytest.approx(4.0)

    explained = book["指标说明"]
    assert header(explained) == ["类别", "指标", "定义", "计算公式"]
    texts = {row[2].value for row in explained.iter_rows(min_row=6)}
    for group in (definitions.RATES, definitions.COUNTS, definitions.BURDEN):
        assert {str(entry["definition"]) for entry in group.values()} <= texts
    assert str(definitions.ZONE["definition"]) in texts


def test_unit_sheet_xlsx(api, october):
    bob = october.world.people.east_market_handler
    path = "/api/v1/reports/unit/?month=2026-10&unit=C-E-market&format=xlsx"
    book = workbook(api.get(path, bob), "单位月度工作单-2026-10-C-E-market.xlsx")
    assert book.sheetnames == ["考评结果", "同类排名", "失分明细", "本月工单", "指标说明"]
    figures = {row[0].value: row for row in book["考评结果"].iter_rows(min_row=6)}
    assert figures["派单数"][1].value == 1 and figures["解决率"][1].value == 0
    assert figures["满意率"][1].number_format == "0.0%"
    assert figures["同类排名"][1].value == "2/2"
    assert figures["满意率"][2].value.startswith(str(definitions.RATES["satisfaction_rate"]["definition"]))
    peers = [[c.value for c in row] for row in book["同类排名"].iter_rows(min_row=6)]
    assert [row[:3] for row in peers] == [
        [1, "C-E-eco", "东区生态环境局"],
        [2, "C-E-market", "东区市场监督管理局"],
    ]
    orders = book["本月工单"]
    assert header(orders) == [
        "诉求编号",
        "标题",
        "派单时间",
        "办结时限",
        "办结时间",
        "按时办结",
        "回访满意度",
        "超期",
    ]
    row = [c.value for c in orders[6]]
    assert row[0] == october.m.appeal.code and row[5] == "是" and row[6] == "基本满意" and row[7] is None
    assert orders["C6"].number_format == "yyyy-mm-dd hh:mm"

    sam = october.world.people.supervisor
    eco = workbook(
        api.get("/api/v1/reports/unit/?month=2026-10&unit=C-E-eco&format=xlsx", sam),
        "单位月度工作单-2026-10-C-E-eco.xlsx",
    )
    late = [row for row in eco["本月工单"].iter_rows(min_row=6) if row[7].value == "是"]
    assert [row[0].value for row in late] == [october.b.appeal.code]
    assert late[0][0].fill.fgColor.rgb.endswith("F8CBAD")


def test_json_is_the_documents_data(api, october):
    sam = october.world.people.supervisor
    daily = api.get("/api/v1/reports/daily/?date=2026-10-12", sam)
    assert daily.status == 200 and daily.body["date"] == "2026-10-12"
    assert daily.body["received"]["total"] == 3 and daily.body["callbacks"]["satisfaction_rate"] == 1.0
    monthly = api.get("/api/v1/reports/monthly/?month=2026-10&format=json", sam)
    assert monthly.status == 200 and monthly.body["run"]["version"] == 1
    group = next(g for g in monthly.body["groups"] if g["label"] == "区/县/园区 · 职能部门")
    assert group["totals"]["completed"] == 2
    assert monthly.body["definitions"]["rates"]["completion_rate"]["name"] == "办结率"
    unit = api.get("/api/v1/reports/unit/?month=2026-10&unit=C-E-eco", sam)
    assert unit.status == 200 and [o["overdue"] for o in unit.body["orders"]] == [False, True]


def test_who_may_download(api, october):
    p = october.world.people
    daily = "/api/v1/reports/daily/?date=2026-10-12&format=xlsx"
    monthly = "/api/v1/reports/monthly/?month=2026-10&format=xlsx"
    for person in (p.supervisor, p.admin, p.east_dispatcher):
        assert api.get(daily, person).status == 200
        assert api.get(monthly, person).status == 200
    for person in (p.east_market_handler, p.operator, p.street_leader):
        assert_refused(api.get(daily, person), (403,))
        assert_refused(api.get(monthly, person), (403,))
    assert api.get(daily).status in (401, 403)
    own = "/api/v1/reports/unit/?month=2026-10&unit=C-E-market"
    other = "/api/v1/reports/unit/?month=2026-10&unit=C-E-eco"
    assert api.get(own, p.east_market_handler).status == 200
    refused = api.get(other, p.east_market_handler)
    assert_refused(refused, (403,), "甲店油烟")
    assert refused.error["field"] == "unit"
    assert_refused(api.get(other, p.east_dispatcher), (403,))


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/v1/reports/daily/?date=2026-13-01", 400, "date"),
        ("/api/v1/reports/daily/?date=2099-01-01", 400, "date"),
        ("/api/v1/reports/daily/?date=2026-10-12&format=pdf", 400, "format"),
        ("/api/v1/reports/monthly/", 400, "month"),
        ("/api/v1/reports/monthly/?month=2026-13", 400, "month"),
        ("/api/v1/reports/monthly/?month=2026-09", 404, "month"),
        ("/api/v1/reports/monthly/?month=2026-10&format=csv", 400, "format"),
        ("/api/v1/reports/unit/?month=2026-10", 400, "unit"),
        ("/api/v1/reports/unit/?month=2026-10&unit=NO-SUCH", 404, "unit"),
        ("/api/v1/reports/unit/?unit=C-E-eco", 400, "month"),
        ("/api/v1/reports/unit/?month=2026-09&unit=C-E-eco", 404, "month"),
        # The city platform handled nothing itself: not assessed, so no sheet.
        ("/api/v1/reports/unit/?month=2026-10&unit=P", 404, "unit"),
    ],
)
def test_bad_input_names_the_field(api, october, path, status, field):
    answer = api.get(path, october.world.people.supervisor)
    assert answer.status == status, answer.body
    assert answer.error["field"] == field


def test_the_endpoints_are_in_the_schema(api, world):
    schema = api.get("/api/schema/?format=json").body
    for name in ("daily", "monthly", "unit"):
        operation = schema["paths"][f"/api/v1/reports/{name}/"]["get"]
        assert {"format"} <= {parameter["name"] for parameter in operation["parameters"]}
    monthly = schema["paths"]["/api/v1/reports/monthly/"]["get"]
    assert {"month", "format"} == {parameter["name"] for parameter in monthly["parameters"]}
