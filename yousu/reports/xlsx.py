"""The three reports as Excel workbooks (openpyxl): Chinese headers in a bold filled row, frozen
panes, widths, number formats, an auto-filter, landscape pages fitted to the width, and the
definitions of the figures in the file itself. Every cell is written through core.tabular.write_cell,
so no text in them (titles, names, definitions) is ever a formula; the platform writes none.

Every sheet has the same shape so a reader (and a test) finds things in the same place: a title in
row 1, what the sheet is about in rows 2–3, the header in row 5 and the data from row 6.
"""

from __future__ import annotations

import datetime as dt
import io
import urllib.parse

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from yousu.core.tabular import write_cell
from yousu.evaluation.assessment import COUNT_FIELDS, RATE_FIELDS

from .documents import TOP_ITEMS
from .proactive import HOURS, SHARES, TABLE, definition_names

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_ROW = 5
PERCENT = "0.0%"
DATE_TIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
SCORE = "0.00"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
GROUP_FILL = PatternFill("solid", fgColor="EDEDED")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
OVERDUE_FILL = PatternFill("solid", fgColor="F8CBAD")
# The zone colours of the assessment (红黄蓝区), light enough to print in black and white.
ZONE_FILLS = {
    "red": PatternFill("solid", fgColor="FFC7CE"),
    "yellow": PatternFill("solid", fgColor="FFEB9C"),
    "blue": PatternFill("solid", fgColor="BDD7EE"),
}
WRAP = Alignment(wrap_text=True, vertical="top")


def _cell_value(value):
    """Excel has no time zones: datetimes are written in the platform's local time."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return value


class _Sheet:
    """A worksheet that knows its last written row: openpyxl's `max_row` scans every cell, so asking
    it before each row would make a sheet of n rows cost n² (seconds for a few thousand orders)."""

    def __init__(self, worksheet: Worksheet):
        self.worksheet = worksheet
        self.last_row = HEADER_ROW

    def __getattr__(self, name):
        return getattr(self.worksheet, name)


def _sheet(workbook: Workbook, title: str) -> _Sheet:
    sheet = _Sheet(workbook.create_sheet(title[:31]))  # Excel refuses sheet names over 31 characters
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return sheet


def _heading(sheet: _Sheet, title: str, *lines: str) -> None:
    write_cell(sheet.cell(row=1, column=1), title).font = TITLE
    for offset, line in enumerate(lines[:3], start=2):
        write_cell(sheet.cell(row=offset, column=1), line)


def _table(
    sheet: _Sheet,
    header: list[str],
    widths: list[int],
) -> None:
    """Header row at HEADER_ROW: bold on a fill, frozen below it, repeated on every printed page."""
    for column, (name, width) in enumerate(zip(header, widths, strict=True), start=1):
        cell = write_cell(sheet.cell(row=HEADER_ROW, column=column), name)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.worksheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.worksheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _append(
    sheet: _Sheet,
    values: list,
    *,
    formats: dict[int, str] | None = None,
    fill: PatternFill | None = None,
    bold: bool = False,
) -> int:
    """Write a row below the last one; `formats` maps a column number to its number format. Text is
    written as text (core.tabular.write_cell): a title a citizen typed as =HYPERLINK(…) is no formula."""
    sheet.last_row += 1
    row = sheet.last_row
    formats = formats or {}
    for column, value in enumerate(values, start=1):
        cell = write_cell(sheet.cell(row=row, column=column), _cell_value(value))
        if column in formats:
            cell.number_format = formats[column]
        elif isinstance(value, dt.datetime):
            cell.number_format = DATE_TIME
        elif isinstance(value, dt.date):
            cell.number_format = DATE
        if fill is not None:
            cell.fill = fill
        if bold:
            cell.font = BOLD
    return row


def _filter(sheet: _Sheet, columns: int, last_row: int) -> None:
    last_row = max(last_row, HEADER_ROW)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(columns)}{last_row}"


def _definitions_sheet(workbook: Workbook, entries: list[tuple[str, str, str, str]]) -> _Sheet:
    """指标说明: what each number in the file means, as the platform defines it."""
    sheet = _sheet(workbook, _("指标说明"))
    _heading(sheet, _("指标说明"), _("本文件中各项数字的含义和计算方法，与平台的计算口径一致。"))
    _table(sheet, [_("类别"), _("指标"), _("定义"), _("计算公式")], [14, 22, 80, 50])
    for entry in entries:
        row = _append(sheet, list(entry))
        for column in (3, 4):
            sheet.cell(row=row, column=column).alignment = WRAP
    _filter(sheet, 4, sheet.last_row)
    return sheet


def _assessment_definitions(data: dict) -> list[tuple[str, str, str, str]]:
    entries = []
    for code in RATE_FIELDS:
        entry = data["rates"][code]
        entries.append((_("率"), entry["name"], entry["definition"], entry["formula"]))
    for entry in data["counts"].values():
        entries.append((_("数量"), entry["name"], entry["definition"], ""))
    for key in ("score", "rank", "zone"):
        entries.append((_("得分与排名"), data[key]["name"], data[key]["definition"], ""))
    for entry in data["burden"].values():
        entries.append((_("基层减负"), entry["name"], entry["definition"], ""))
    return entries


# ---------------------------------------------------------------- daily brief


def daily_workbook(brief: dict) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    day = brief["date"].isoformat()
    as_of = timezone.localtime(brief["as_of"]).strftime("%Y-%m-%d %H:%M")
    names = brief["definitions"]
    callbacks = brief["callbacks"]

    sheet = _sheet(workbook, _("每日简报"))
    _heading(sheet, _("每日简报 %(day)s") % {"day": day}, _("数据截至 %(as_of)s") % {"as_of": as_of})
    _table(sheet, [_("指标"), _("数值"), _("说明")], [18, 12, 90])
    figures = [
        ("received", brief["received"]["total"]),
        ("answered_at_intake", brief["answered_at_intake"]),
        ("dispatched", brief["dispatched"]),
        ("completed", brief["completed"]),
        ("open_at_end", brief["open_at_end"]),
        ("overdue", brief["overdue"]["count"]),
        ("callbacks_done", callbacks["done"]),
        ("satisfaction_rate", callbacks["satisfaction_rate"]),
        ("urges", brief["urges"]),
        ("supervision_orders", brief["supervision_orders"]),
    ]
    for code, value in figures:
        row = _append(sheet, [names[code]["name"], value, names[code]["definition"]])
        sheet.cell(row=row, column=3).alignment = WRAP
        if code == "satisfaction_rate":
            sheet.cell(row=row, column=2).number_format = PERCENT
    _filter(sheet, 3, sheet.last_row)

    sheet = _sheet(workbook, _("渠道与类型"))
    _heading(sheet, _("当日受理诉求：按渠道和诉求类型"), day)
    _table(sheet, [_("分组"), _("名称"), _("诉求数")], [14, 24, 12])
    for entry in brief["received"]["by_channel"]:
        _append(sheet, [_("渠道"), entry["name"], entry["count"]])
    for entry in brief["received"]["by_kind"]:
        _append(sheet, [_("诉求类型"), entry["name"], entry["count"]])
    _filter(sheet, 3, sheet.last_row)

    sheet = _sheet(workbook, _("热点事项"))
    _heading(sheet, _("当日诉求最多的事项（前 %(n)s 位）") % {"n": TOP_ITEMS}, day)
    _table(sheet, [_("事项编码"), _("事项"), _("诉求数")], [16, 30, 12])
    for entry in brief["top_items"]:
        _append(sheet, [entry["code"], entry["name"], entry["count"]])
    _filter(sheet, 3, sheet.last_row)

    sheet = _sheet(workbook, _("回访"))
    _heading(sheet, _("当日回访"), names["satisfaction_rate"]["definition"])
    _table(sheet, [_("项目"), _("数值")], [24, 12])
    for label, value in (
        (_("回访完成"), callbacks["done"]),
        (_("已解决"), callbacks["solved"]),
        (_("满意及基本满意"), callbacks["satisfied"]),
        (_("不满意"), callbacks["unsatisfied"]),
        (_("其中非单位原因"), callbacks["unsatisfied_not_unit"]),
        (_("无法联系"), callbacks["unreachable"]),
    ):
        _append(sheet, [label, value])
    row = _append(sheet, [names["satisfaction_rate"]["name"], callbacks["satisfaction_rate"]])
    sheet.cell(row=row, column=2).number_format = PERCENT
    _filter(sheet, 2, sheet.last_row)

    sheet = _sheet(workbook, _("超期工单"))
    shown = len(brief["overdue"]["orders"])
    _heading(
        sheet,
        _("超期工单（共 %(count)s 件）") % {"count": brief["overdue"]["count"]},
        names["overdue"]["definition"],
        _("按办结时限先后列出前 %(shown)s 件") % {"shown": shown}
        if shown < brief["overdue"]["count"]
        else "",
    )
    _table(
        sheet, [_("承办单位"), _("单位编码"), _("诉求编号"), _("标题"), _("办结时限")], [24, 14, 22, 40, 18]
    )
    for order in brief["overdue"]["orders"]:
        _append(
            sheet,
            [order["unit_name"], order["unit"], order["appeal"], order["title"], order["completion_due"]],
            fill=OVERDUE_FILL,
        )
    _filter(sheet, 5, sheet.last_row)

    _definitions_sheet(
        workbook, [(_("每日简报"), entry["name"], entry["definition"], "") for entry in names.values()]
    )
    return workbook


# ---------------------------------------------------------------- monthly assessment report


def _run_lines(run: dict) -> list[str]:
    computed = timezone.localtime(run["computed_at"]).strftime("%Y-%m-%d %H:%M")
    state = _("当前版本") if run["is_current"] else _("历史版本")
    if run.get("is_provisional"):
        # Marked in the title lines, as on the pages: a provisional month is not the verdict.
        state = _("%(state)s，暂定") % {"state": state}
    return [
        _("第 %(version)s 版（%(state)s），计算时间 %(computed)s")
        % {"version": run["version"], "state": state, "computed": computed},
        _("考评方案：%(scheme)s（%(since)s 起）")
        % {"scheme": run["scheme"], "since": run["scheme_valid_from"]},
        (_("说明：%(note)s") % {"note": run["note"]}) if run["note"] else "",
    ]


def _assessment_columns(columns: dict) -> tuple[list[str], list[int], dict[int, str]]:
    header = [_("单位编码"), _("单位名称")]
    widths = [14, 26]
    formats: dict[int, str] = {}
    for name in COUNT_FIELDS:
        header.append(columns[name])
        widths.append(10)
    for name in RATE_FIELDS:
        header.append(columns[name])
        widths.append(10)
        formats[len(header)] = PERCENT
    for name in ("deduction", "score"):
        header.append(columns[name])
        widths.append(10)
        formats[len(header)] = SCORE
    header += [columns["rank"], columns["peers"], columns["zone"]]
    widths += [10, 12, 10]
    return header, widths, formats


def _assessment_values(row: dict) -> list:
    values = [row.get("unit", ""), row.get("unit_name", "")]
    values += [row[name] for name in COUNT_FIELDS]
    values += [row[name] for name in RATE_FIELDS]
    values += [
        row.get("deduction"),
        row.get("score"),
        row.get("rank"),
        row.get("peers"),
        row.get("zone_label"),
    ]
    return values


def monthly_workbook(report: dict) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    run = report["run"]
    title = _("月度考评报告 %(month)s") % {"month": run["month"]}

    sheet = _sheet(workbook, _("考评结果"))
    _heading(sheet, title, *_run_lines(run))
    header, widths, formats = _assessment_columns(report["columns"])
    _table(sheet, header, widths)
    zone_column = len(header)
    for group in report["groups"]:
        group_row = _append(sheet, [group["label"]] + [None] * (len(header) - 1), fill=GROUP_FILL, bold=True)
        sheet.cell(row=group_row, column=1).alignment = Alignment(horizontal="left")
        for entry in group["rows"]:
            row = _append(sheet, _assessment_values(entry), formats=formats)
            if entry["zone"] in ZONE_FILLS:
                sheet.cell(row=row, column=zone_column).fill = ZONE_FILLS[entry["zone"]]
        totals = {**group["totals"], "unit": _("小计"), "unit_name": group["label"]}
        _append(sheet, _assessment_values(totals), formats=formats, fill=TOTAL_FILL, bold=True)
    _filter(sheet, len(header), sheet.last_row)

    burden = report["burden"]
    sheet = _sheet(workbook, _("基层减负"))
    _heading(sheet, _("基层减负 %(month)s") % {"month": run["month"]}, *_run_lines(run)[:2])
    codes = list(burden["columns"])
    header = [_("单位编码"), _("街道或社区"), _("类型"), *burden["columns"].values()]
    formats = {len(header): "0.0"} if codes and codes[-1] == "hours_saved" else {}
    _table(sheet, header, [14, 26, 10] + [12] * len(codes))
    for entry in burden["rows"]:
        values = [entry["unit"], entry["unit_name"], entry["kind_label"], *(entry[c] for c in codes)]
        _append(sheet, values, formats=formats)
    last = sheet.last_row
    totals = [_("合计"), "", "", *(burden["totals"][c] for c in codes)]
    _append(sheet, totals, formats=formats, fill=TOTAL_FILL, bold=True)
    _filter(sheet, len(header), last)

    entries = _assessment_definitions(report["definitions"])
    if "proactive" in report:
        _proactive_sheets(workbook, report["proactive"], run)
        names = definition_names()
        entries += [
            (_("未诉先办"), names.get(code, code), text, "")
            for code, text in report["proactive"]["definitions"].items()
        ]
    _definitions_sheet(workbook, entries)
    return workbook


def _proactive_sheets(workbook: Workbook, data: dict, run: dict) -> None:
    """未诉先办: a row per district and per street, the city's totals; and the departments' on-the-spot
    acceptances."""
    columns = data["columns"]
    span = _("统计期 %(start)s 至 %(end)s（按发现时间），解决情况截至报告生成时") % {
        "start": data["start"].isoformat(),
        "end": data["end"].isoformat(),
    }
    sheet = _sheet(workbook, _("未诉先办"))
    _heading(sheet, _("未诉先办 %(month)s") % {"month": run["month"]}, span)
    header = [_("层级"), _("所属区县"), _("区域编码"), _("区域"), *(columns[key] for key in TABLE)]
    formats = {}
    for position, key in enumerate(TABLE, start=5):
        if key in SHARES:
            formats[position] = PERCENT
        elif key in HOURS:
            formats[position] = "0.0"
    _table(sheet, header, [8, 14, 14, 20] + [10] * len(TABLE))
    district_label, street_label = _("区县"), _("街道")
    for row in data["districts"]:
        _append(
            sheet,
            [district_label, "", row["area_code"], row["area"], *(row[k] for k in TABLE)],
            formats=formats,
        )
    for row in data["streets"]:
        _append(
            sheet,
            [street_label, row["district"], row["area_code"], row["area"], *(row[k] for k in TABLE)],
            formats=formats,
        )
    last = sheet.last_row
    totals = data["totals"]
    _append(
        sheet,
        [_("合计"), "", "", _("全市"), *(totals.get(k) for k in TABLE)],
        formats=formats,
        fill=TOTAL_FILL,
        bold=True,
    )
    _filter(sheet, len(header), last)

    sheet = _sheet(workbook, _("现场签收"))
    _heading(sheet, _("部门驻格、巡格现场签收 %(month)s") % {"month": run["month"]}, span)
    _table(sheet, [_("单位编码"), _("部门"), _("现场签收"), _("其中已办结")], [16, 28, 12, 12])
    for row in data["on_spot"]:
        _append(sheet, [row["unit_code"], row["unit"], row["accepted_on_spot"], row["solved"]])
    _filter(sheet, 4, sheet.last_row)


# ---------------------------------------------------------------- a unit's monthly sheet


def unit_workbook(sheet_data: dict) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    run, unit, result = sheet_data["run"], sheet_data["unit"], sheet_data["result"]
    columns, data = sheet_data["columns"], sheet_data["definitions"]
    title = _("单位月度工作单 %(month)s") % {"month": run["month"]}

    sheet = _sheet(workbook, _("考评结果"))
    _heading(sheet, title, f"{unit['name']}（{unit['code']}）· {unit['group']}", _run_lines(run)[0])
    _table(sheet, [_("指标"), _("数值"), _("定义")], [20, 12, 90])
    explained = {**data["counts"], **data["rates"]}
    for name in (*COUNT_FIELDS, *RATE_FIELDS):
        definition = explained.get(name, {}).get("definition", "")
        formula = explained.get(name, {}).get("formula", "")
        row = _append(sheet, [columns[name], result[name], f"{definition} {formula}".strip()])
        sheet.cell(row=row, column=3).alignment = WRAP
        if name in RATE_FIELDS:
            sheet.cell(row=row, column=2).number_format = PERCENT
    for name, value, key in (
        ("deduction", result["deduction"], "score"),
        ("score", result["score"], "score"),
        ("rank", f"{result['rank']}/{result['peers']}" if result["rank"] else "", "rank"),
        ("zone", result["zone_label"], "zone"),
    ):
        row = _append(sheet, [columns[name], value, data[key]["definition"]])
        sheet.cell(row=row, column=3).alignment = WRAP
        if name == "zone" and result["zone"] in ZONE_FILLS:
            sheet.cell(row=row, column=2).fill = ZONE_FILLS[result["zone"]]
    _filter(sheet, 3, sheet.last_row)

    sheet = _sheet(workbook, _("同类排名"))
    _heading(sheet, _("同类排名：%(group)s") % {"group": unit["group"]}, data["rank"]["definition"])
    _table(
        sheet, [_("名次"), _("单位编码"), _("单位名称"), _("综合得分"), _("红黄蓝区")], [8, 14, 26, 10, 10]
    )
    for peer in sheet_data["peers"]:
        row = _append(
            sheet,
            [peer["rank"], peer["unit"], peer["unit_name"], peer["score"], peer["zone_label"]],
            bold=peer["is_self"],
        )
        sheet.cell(row=row, column=4).number_format = SCORE
        if peer["zone"] in ZONE_FILLS:
            sheet.cell(row=row, column=5).fill = ZONE_FILLS[peer["zone"]]
    _filter(sheet, 5, sheet.last_row)

    sheet = _sheet(workbook, _("失分明细"))
    _heading(sheet, _("失分明细"), _("拉低本月各率或被扣分的每一件工单、每一次召集和通报。"))
    _table(sheet, [_("失分原因"), _("诉求编号")], [30, 22])
    for entry in sheet_data["lost_points"]:
        _append(sheet, [entry["label"], entry["appeal"] or (_("吹哨召集") if entry["whistle_id"] else "")])
    _filter(sheet, 2, sheet.last_row)

    sheet = _sheet(workbook, _("本月工单"))
    _heading(sheet, data["orders"]["name"], data["orders"]["definition"])
    header = [
        _("诉求编号"),
        _("标题"),
        _("派单时间"),
        _("办结时限"),
        _("办结时间"),
        _("按时办结"),
        _("回访满意度"),
        _("超期"),
    ]
    _table(sheet, header, [22, 40, 17, 17, 17, 10, 12, 8])
    yes, no = _("是"), _("否")
    for order in sheet_data["orders"]:
        on_time = "" if order["on_time"] is None else (yes if order["on_time"] else no)
        _append(
            sheet,
            [
                order["appeal"],
                order["title"],
                order["dispatched_at"],
                order["completion_due"],
                order["completed_at"],
                on_time,
                order["satisfaction_label"],
                yes if order["overdue"] else "",
            ],
            fill=OVERDUE_FILL if order["overdue"] else None,
        )
    _filter(sheet, len(header), sheet.last_row)

    _definitions_sheet(workbook, _assessment_definitions(data))
    return workbook


# ---------------------------------------------------------------- files


def filename_of(document: dict) -> str:
    if document["report"] == "daily":
        return _("每日简报-%(day)s.xlsx") % {"day": document["date"].isoformat()}
    if document["report"] == "monthly":
        return _("月度考评报告-%(month)s.xlsx") % {"month": document["run"]["month"]}
    return _("单位月度工作单-%(month)s-%(unit)s.xlsx") % {
        "month": document["run"]["month"],
        "unit": document["unit"]["code"],
    }


def workbook_of(document: dict) -> Workbook:
    builders = {"daily": daily_workbook, "monthly": monthly_workbook, "unit": unit_workbook}
    return builders[document["report"]](document)


def xlsx_response(document: dict) -> HttpResponse:
    """The document as an .xlsx download; the Chinese file name travels as RFC 5987 `filename*`,
    with an ASCII name for clients that do not read it."""
    buffer = io.BytesIO()
    workbook_of(document).save(buffer)
    name = filename_of(document)
    fallback = "".join(c for c in name if (c.isascii() and c.isalnum()) or c in "-._").lstrip("-")
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"report-{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name)}"
    )
    return response
