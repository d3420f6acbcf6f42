"""The proactive-handling figures (未诉先办) as the dashboard, the monthly report and the API show them:
rows per area from `yousu.grid.selectors.proactive_figures`, their totals, the departments' on-the-spot
acceptances, and what every figure means.

The figures are read from the grid's rows and the appeals' orders; the dashboard asks for them every
half minute, so `proactive_cached` keeps an answer for the dashboard's cache seconds, or until the
grid's rows change.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import Max
from django.utils.translation import gettext as _

from yousu.grid.models import DailyReport, FoundProblem, MissingDailyReport
from yousu.grid.selectors import FIGURE_LEVELS, on_spot_acceptances, proactive_figures, proactive_totals
from yousu.org.choices import Level
from yousu.org.models import Area

MAX_DAYS = 366
# The counts of a row, in the order the tables and the workbook show them.
COUNTS = (
    "found",
    "from_grid_reports",
    "from_daily_reports",
    "before_complaint",
    "dropped",
    "solved",
    "solved_self",
    "solved_assisted",
    "solved_joint",
    "daily_reports",
    "daily_reports_on_time",
    "daily_reports_missing",
    "whistles",
    "report_ins",
    "report_ins_answered",
    "report_ins_on_time",
)
MODES = ("solved_self", "solved_assisted", "solved_joint")
SHARES = ("before_complaint_share", "solved_share")
HOURS = ("median_hours_to_solve", "mean_hours_to_solve")
# The columns of a table of rows (the monthly report's page and workbook), in order.
TABLE = (
    "found",
    "from_grid_reports",
    "from_daily_reports",
    "before_complaint",
    "before_complaint_share",
    "dropped",
    "solved",
    "solved_share",
    *MODES,
    *HOURS,
    "daily_reports",
    "daily_reports_on_time",
    "daily_reports_missing",
    "whistles",
    "report_ins",
    "report_ins_answered",
    "report_ins_on_time",
)


def column_names() -> dict[str, str]:
    return {
        "found": _("发现问题"),
        "from_grid_reports": _("网格员上报"),
        "from_daily_reports": _("日报告上报"),
        "before_complaint": _("未诉先办"),
        "before_complaint_share": _("未诉先办占比"),
        "dropped": _("不予立项"),
        "solved": _("已解决"),
        "solved_share": _("解决率"),
        "solved_self": _("自办解决"),
        "solved_assisted": _("协办解决"),
        "solved_joint": _("联办解决"),
        "median_hours_to_solve": _("解决用时中位数（小时）"),
        "mean_hours_to_solve": _("平均解决用时（小时）"),
        "daily_reports": _("日报告"),
        "daily_reports_on_time": _("按时报送"),
        "daily_reports_missing": _("缺报"),
        "whistles": _("吹哨"),
        "report_ins": _("应报到"),
        "report_ins_answered": _("已报到"),
        "report_ins_on_time": _("按时报到"),
    }


def definitions() -> dict[str, str]:
    return {
        "found": _(
            "发现问题：统计期内（按发现时间）网格员上报和社区发现问题日报告列出的问题数，按发现社区所在区域归属。"
        ),
        "before_complaint": _(
            "未诉先办：发现时，此前一段时间内同一社区没有群众就同一事项（或内容相近）提出诉求的问题数；"
            "占比 = 未诉先办 ÷ 发现问题。"
        ),
        "solved": _(
            "已解决：其诉求目前已办结或结案的问题数，按办理方式分为自办、协办、联办；"
            "解决率 = 已解决 ÷（发现问题 − 不予立项）。"
        ),
        "hours_to_solve": _("解决用时：从发现到主办工单办结的小时数（自然时间），取中位数和平均数。"),
        "daily_reports": _(
            "日报告：统计期内各社区报送的发现问题日报告份数，其中按时报送的份数；缺报为到期未报且至今未补报的天数。"
        ),
        "whistles": _("吹哨报到：统计期内街道、社区吹哨的次数，被召集部门应报到、已报到和按时报到的次数。"),
        "on_spot": _(
            "现场签收：统计期内各部门驻格、巡格人员在网格现场签收的诉求数及其中已办结的，计入部门工作量；"
            "选定区域时只计该区域网格内的现场签收。"
        ),
    }


def definition_names() -> dict[str, str]:
    """The name of each entry of `definitions`."""
    return {
        "found": _("发现问题"),
        "before_complaint": _("未诉先办"),
        "solved": _("已解决"),
        "hours_to_solve": _("解决用时"),
        "daily_reports": _("日报告"),
        "whistles": _("吹哨报到"),
        "on_spot": _("现场签收"),
    }


def display_values(row: dict) -> list:
    """A row's values in `TABLE` order for a page: shares as percentages, unknown hours as a dash."""
    values = []
    for key in TABLE:
        value = row.get(key)
        if key in SHARES:
            values.append("—" if value is None else f"{value * 100:.1f}%")
        elif key in HOURS:
            values.append("—" if value is None else value)
        else:
            values.append(value)
    return values


def _blank_totals() -> dict:
    return {
        **dict.fromkeys(COUNTS, 0),
        "before_complaint_share": None,
        "solved_share": None,
    }


def _scope_totals(*, start: dt.date, end: dt.date, level: str, within: Area | None, rows: list[dict]) -> dict:
    """The totals of the whole scope: the one row of `within` (or of the city) at its own level, so
    a street's whistles count in its district's totals even when the rows are its communities, and
    the median is exact."""
    scope_level = within.level if within is not None and within.level in FIGURE_LEVELS else Level.CITY
    scope = (
        rows
        if level == scope_level
        else proactive_figures(start=start, end=end, level=scope_level, within=within)
    )
    totals = {**_blank_totals(), **proactive_totals(scope)}
    totals["median_hours_to_solve"] = totals["mean_hours_to_solve"] = None
    if len(scope) == 1:
        totals["median_hours_to_solve"] = scope[0]["median_hours_to_solve"]
        totals["mean_hours_to_solve"] = scope[0]["mean_hours_to_solve"]
    return totals


def proactive_report(*, start: dt.date, end: dt.date, level: str, within: Area | None = None) -> dict:
    """The figures of the problems found from `start` to `end`: one row per area of `level` under
    `within`, the totals of the scope and the departments' on-the-spot acceptances (numbers and
    names only: the definitions are added by the caller, in the reader's language)."""
    rows = proactive_figures(start=start, end=end, level=level, within=within)
    totals = _scope_totals(start=start, end=end, level=level, within=within, rows=rows)
    return {
        "start": start,
        "end": end,
        "level": level,
        "area": {"code": within.code, "name": within.name} if within is not None else None,
        "rows": rows,
        "totals": totals,
        "on_spot": on_spot_acceptances(start=start, end=end, within=within),
    }


def _version() -> tuple:
    """What changes when the grid's own rows do: a found problem, a study or dispatch, a daily report,
    a missing flag. The appeals' progress (solved, whistles answered, on-the-spot acceptances) is not
    in it: the event log grows every second in a busy city and would make every read a new one; those
    show within the cache's seconds instead, as the dashboard's counters do."""
    problems = FoundProblem.objects.aggregate(
        id=Max("id"), studied=Max("street_decided_at"), dispatched=Max("district_decided_at")
    )
    return (
        problems["id"],
        problems["studied"],
        problems["dispatched"],
        DailyReport.objects.aggregate(n=Max("id"))["n"],
        MissingDailyReport.objects.aggregate(n=Max("id"))["n"],
    )


def proactive_cached(*, start: dt.date, end: dt.date, level: str, within: Area | None, seconds: int) -> dict:
    """`proactive_report`, kept in the cache for at most `seconds`, and read again at once when the
    grid's rows change."""
    if not seconds:
        return proactive_report(start=start, end=end, level=level, within=within)
    read_from = repr((_version(), start, end, level, within.pk if within else None))
    key = "yousu:proactive:" + hashlib.sha256(read_from.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = proactive_report(start=start, end=end, level=level, within=within)
        cache.set(key, found, seconds)
    return found
