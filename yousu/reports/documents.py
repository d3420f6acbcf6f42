"""The contents of the three reports as plain data: the daily brief (每日简报), the monthly assessment
report (月度考评报告) and a unit's monthly sheet (单位月度工作单).

Each builder returns dicts and lists of numbers, strings, dates and datetimes: the API sends them as
JSON, `xlsx.py` lays them out in a workbook and `views.py` in a printable page, so the three always
show the same figures. Who may read which report is decided here too, never in the views.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yousu.appeals.choices import OPEN_APPEAL_STATUSES, Channel
from yousu.appeals.models import Appeal, Event
from yousu.callbacks.choices import Satisfaction
from yousu.catalog.choices import AppealKind
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.models import Order
from yousu.evaluation import definitions
from yousu.evaluation.assessment import (
    COUNT_FIELDS,
    RATE_FIELDS,
    month_bounds,
    next_month,
    parse_month,
    rates_of,
)
from yousu.evaluation.choices import Zone
from yousu.evaluation.models import AssessmentRun, UnitAssessment
from yousu.evaluation.publication import lost_points
from yousu.evaluation.selectors import is_assessor, run_of
from yousu.grid.selectors import proactive_figures
from yousu.org.choices import LEVEL_DEPTH, PLATFORM_KINDS, Level, RoleCode, UnitKind
from yousu.org.models import Area, Person, Unit
from yousu.org.selectors import scope_within, units_visible_to
from yousu.supervision.models import SupervisionOrder, Urge

from . import proactive

# Orders their unit no longer holds: sent on down (三级派单) or given back (退单获准).
LET_GO = (OrderStatus.FORWARDED, OrderStatus.RETURNED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
TOP_ITEMS = 10
# The brief lists the overdue orders one by one; past this many it gives the count and the worst ones.
OVERDUE_LISTED = 500
INDEX_DAYS = 14

# What every figure of the daily brief means, shown next to it as the assessment's definitions are.
DAILY = {
    "received": {
        "name": gettext_lazy("受理诉求"),
        "definition": gettext_lazy("当日（0 时至 24 时，本市时间）受理的诉求数，含并案和当场答复的。"),
    },
    "answered_at_intake": {
        "name": gettext_lazy("当场答复"),
        "definition": gettext_lazy("当日由接线员当场答复办结、无需派单的诉求数。"),
    },
    "dispatched": {
        "name": gettext_lazy("派单诉求"),
        "definition": gettext_lazy("当日有派单的诉求数；同一诉求逐级转派或派多个单位只计一次。"),
    },
    "completed": {
        "name": gettext_lazy("办结诉求"),
        "definition": gettext_lazy("当日主办工单经审核办结的诉求数；同一天退回重办后再次办结只计一次。"),
    },
    "open_at_end": {
        "name": gettext_lazy("日终在办诉求"),
        "definition": gettext_lazy(
            "当日结束前受理、到日终仍待派单或在办理中的诉求数（未办结、未当场答复、未并案），"
            "按事件记录还原日终时的状态。"
        ),
    },
    "overdue": {
        "name": gettext_lazy("超期工单"),
        "definition": gettext_lazy(
            "日终在办诉求中、到日终仍未办结且已过办结时限的主办工单（不含已转派下级或退单获准的）；"
            "当天的简报截至查询时刻。清单列出承办单位、诉求编号和办结时限。"
        ),
    },
    "callbacks_done": {
        "name": gettext_lazy("回访完成"),
        "definition": gettext_lazy("当日完成的回访次数；无法联系的另计。"),
    },
    "satisfaction_rate": {
        "name": gettext_lazy("当日满意率"),
        "definition": gettext_lazy(
            "当日回访中满意和基本满意的比例；经核实不满意并非承办单位造成的不计入分母，口径同月度考评。"
        ),
    },
    "urges": {
        "name": gettext_lazy("催办"),
        "definition": gettext_lazy("当日发出的催办数，含时间节点自动催办。"),
    },
    "supervision_orders": {
        "name": gettext_lazy("督办单"),
        "definition": gettext_lazy("当日下发的督办单数，含超期自动督办和吹哨召集后超时未报到的督办。"),
    },
}
ORDER_LIST = {
    "name": gettext_lazy("本月主办工单"),
    "definition": gettext_lazy(
        "本月派给本单位、或此前派来而月初仍未办结的主办工单（不含转派下级和退单获准的）。"
        "办结时间晚于月末的按月末未办结列出；已过办结时限仍未办结或逾期办结的标为超期。"
    ),
}


def plain(group: dict) -> dict:
    return {code: {key: str(text) for key, text in entry.items()} for code, entry in group.items()}


# ---------------------------------------------------------------- who may read what


def may_read_city_reports(person: Person) -> bool:
    """Assessors (leaders, supervisors, administrators) and the dispatchers of the platforms."""
    if not person.is_active:
        return False
    if is_assessor(person):
        return True
    unit = person.unit if person.unit_id else None
    return unit is not None and unit.kind in PLATFORM_KINDS and person.has_role(RoleCode.DISPATCHER)


def check_may_read_city_reports(person: Person) -> None:
    if not may_read_city_reports(person):
        raise PermissionRefused(_("只有领导、督办员、系统管理员和平台派单员可以查看每日简报和月度考评报告"))


def check_may_read_unit_sheet(person: Person, unit: Unit) -> None:
    assessor_here = is_assessor(person) and units_visible_to(person).filter(pk=unit.pk).exists()
    if not person.is_active or not (assessor_here or person.unit_id == unit.pk):
        raise PermissionRefused(_("只有本单位人员和考评人员可以查看单位月度工作单"), field="unit")


# ---------------------------------------------------------------- input


def parse_day(text: str | None, *, today: dt.date | None = None) -> dt.date:
    """'2026-11-29' → that date; empty → yesterday; a future date or anything else is refused."""
    today = today or timezone.localdate()
    if text is None or not text.strip():
        return today - dt.timedelta(days=1)
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(
            _("日期格式应为 YYYY-MM-DD，例如 2026-11-29，而不是“%(text)s”") % {"text": text[:40]},
            field="date",
        ) from None
    if day > today:
        raise DomainError(_("%(day)s 还没有到，不能出简报") % {"day": day.isoformat()}, field="date")
    return day


def parse_report_month(text: str | None) -> dt.date:
    if text is None or not text.strip():
        raise DomainError(_("请给出月份 month，格式为 YYYY-MM"), field="month")
    return parse_month(text)


def unit_of(code: str | None) -> Unit:
    if code is None or not code.strip():
        raise DomainError(_("请给出单位编码 unit"), field="unit")
    unit = Unit.objects.filter(code=code.strip()).first()
    if unit is None:
        raise NotFound(_("没有编码为“%(code)s”的单位") % {"code": code.strip()[:40]}, field="unit")
    return unit


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day's first and the next day's first moment in the platform's time zone."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


# ---------------------------------------------------------------- daily brief


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _open_at_end(end: dt.datetime) -> tuple[QuerySet[Appeal], QuerySet[Appeal]]:
    """The appeals open (received or in handling) at `end`, in two parts: those open now whose status
    has not changed since (read on the (status, received_at) index), and those whose status changed
    after `end` but was open at it. Every status change records the status it left, so an appeal's
    first status event after `end` says what it was at `end`: only the events since are read — for
    yesterday's brief, today's rows."""
    since = Event.objects.filter(at__gte=end, order_id__isnull=True).exclude(to_state="")
    # NOT EXISTS, not NOT IN: PostgreSQL turns it into an anti-join however many events came since,
    # where NOT IN over a set larger than work_mem is checked row by row.
    unchanged = Appeal.objects.filter(status__in=OPEN_APPEAL_STATUSES, received_at__lt=end).filter(
        ~Exists(since.filter(appeal_id=OuterRef("pk")))
    )
    # The first by id: an appeal's status changes are written one at a time under the lock of its row
    # (or of its one live lead order), so their ids follow their times.
    first = since.values("appeal_id").annotate(first=Min("id")).values("first")
    left_open = Event.objects.filter(pk__in=first, from_state__in=OPEN_APPEAL_STATUSES)
    reopened = Appeal.objects.filter(received_at__lt=end, pk__in=left_open.values("appeal_id"))
    return unchanged, reopened


def _overdue_at_end(end: dt.datetime, as_of: dt.datetime) -> QuerySet[Order]:
    """Lead orders still held and not completed at `end` whose deadline had passed at `as_of`; the
    caller narrows them to the appeals open at `end`."""
    return (
        Order.objects.filter(role=OrderRole.LEAD, dispatched_at__lt=end, completion_due__lte=as_of)
        .exclude(status__in=LET_GO)
        .filter(Q(completed_at__isnull=True) | Q(completed_at__gte=end))
        .order_by("completion_due", "id")
    )


# Only what the brief lists: the whole appeal and unit rows would be sorted with each order.
OVERDUE_COLUMNS = ("id", "unit__code", "unit__name", "appeal__code", "appeal__title", "completion_due")


def _chunks(ids: list[int], size: int = 5000):
    # SQLite caps the parameters of one statement; PostgreSQL parses a shorter IN list faster.
    for index in range(0, len(ids), size):
        yield ids[index : index + size]


def daily_brief(day: dt.date, *, now: dt.datetime | None = None, jurisdiction: Area | None = None) -> dict:
    """每日简报 for `day`, read from that day's rows of appeals, events, urges and supervision orders
    (each filtered on an indexed time column) and, for the end-of-day position, the appeals open now
    and the status events since the day ended."""
    now = now or timezone.now()
    start, end = day_bounds(day)
    as_of = min(end, now)
    appeals = Appeal.objects.filter(received_at__gte=start, received_at__lt=end)
    # One jurisdiction's brief (None: every jurisdiction, for the provincial role).
    mine = {} if jurisdiction is None else {"appeal__jurisdiction": jurisdiction}
    if jurisdiction is not None:
        appeals = appeals.filter(jurisdiction=jurisdiction)
    channels = dict(appeals.values_list("channel").annotate(n=Count("id")).order_by())
    kinds = dict(appeals.values_list("kind").annotate(n=Count("id")).order_by())
    events = Event.objects.filter(at__gte=start, at__lt=end, **mine)

    def appeals_with(action: str) -> int:
        return events.filter(action=action).values("appeal_id").distinct().count()

    unchanged, reopened = _open_at_end(end)
    overdue = _overdue_at_end(end, as_of).filter(**mine)
    if jurisdiction is not None:
        unchanged = unchanged.filter(jurisdiction=jurisdiction)
        reopened = reopened.filter(jurisdiction=jurisdiction)
    # The second part is read once (its grouping over the events since is the costly step) and its
    # orders found by id; the first stays a subquery, on the (status, received_at) index.
    reopened_ids = list(reopened.values_list("pk", flat=True))
    overdue_parts = [overdue.filter(appeal__in=unchanged.values("pk"))]
    overdue_parts += [overdue.filter(appeal_id__in=chunk) for chunk in _chunks(reopened_ids)]
    items = (
        appeals.filter(item__isnull=False)
        .values("item__code", "item__name")
        .annotate(n=Count("id"))
        .order_by("-n", "item__code")[:TOP_ITEMS]
    )
    answers = Counter()
    for payload in events.filter(action="callback_done").values_list("payload", flat=True):
        answers["done"] += 1
        answers["solved"] += bool(payload.get("solved"))
        satisfaction = payload.get("satisfaction")
        answers["satisfied"] += satisfaction in SATISFIED
        if satisfaction == Satisfaction.UNSATISFIED:
            answers["unsatisfied"] += 1
            answers["not_unit"] += payload.get("unit_caused") is False
    scoped = {f"order__{key}": value for key, value in mine.items()}
    urges = Urge.objects.filter(issued_at__gte=start, issued_at__lt=end, **scoped)
    # A missed report-in's supervision order has no order (nor appeal): it belongs to the city of the
    # unit it supervises, as every supervision order does.
    supervision = SupervisionOrder.objects.filter(issued_at__gte=start, issued_at__lt=end)
    if jurisdiction is not None:
        supervision = supervision.filter(unit__area__path__startswith=jurisdiction.path)
    open_at_end = unchanged.count() + len(reopened_ids)
    # One pass per part gives both the count and the first ones by deadline: counting and listing
    # separately would read the open appeals and their orders twice.
    deadlines = sorted(row for part in overdue_parts for row in part.values_list("completion_due", "id"))
    overdue_count = len(deadlines)
    first = [pk for _due, pk in deadlines[:OVERDUE_LISTED]]
    listed = sorted(
        Order.objects.filter(pk__in=first).values(*OVERDUE_COLUMNS),
        key=lambda row: (row["completion_due"], row["id"]),
    )
    return {
        "report": "daily",
        "date": day,
        "as_of": as_of,
        "received": {
            "total": sum(channels.values()),
            "by_channel": [
                {"code": code, "name": str(label), "count": channels[code]}
                for code, label in Channel.choices
                if channels.get(code)
            ],
            "by_kind": [
                {"code": code, "name": str(label), "count": kinds[code]}
                for code, label in AppealKind.choices
                if kinds.get(code)
            ],
        },
        "answered_at_intake": appeals_with("answered_at_intake"),
        "dispatched": appeals_with("dispatched"),
        "completed": appeals_with("appeal_completed"),
        "open_at_end": open_at_end,
        "overdue": {
            "count": overdue_count,
            "orders": [
                {
                    "unit": row["unit__code"],
                    "unit_name": row["unit__name"],
                    "appeal": row["appeal__code"],
                    "title": row["appeal__title"],
                    "completion_due": row["completion_due"],
                }
                for row in listed
            ],
        },
        "top_items": [
            {"code": row["item__code"], "name": row["item__name"], "count": row["n"]} for row in items
        ],
        "callbacks": {
            "done": answers["done"],
            "solved": answers["solved"],
            "satisfied": answers["satisfied"],
            "unsatisfied": answers["unsatisfied"],
            "unsatisfied_not_unit": answers["not_unit"],
            "unreachable": events.filter(action="callback_unreachable").count(),
            "satisfaction_rate": _share(answers["satisfied"], answers["done"] - answers["not_unit"]),
        },
        "urges": urges.count(),
        "supervision_orders": supervision.count(),
        "definitions": plain(DAILY),
    }


# ---------------------------------------------------------------- monthly assessment report


def field_names() -> dict[str, str]:
    """Column names of the assessment figures, from the model (the same words as the admin)."""
    names = {
        name: str(UnitAssessment._meta.get_field(name).verbose_name)
        for name in (*COUNT_FIELDS, *RATE_FIELDS, "deduction", "score", "rank", "peers", "zone")
    }
    return names


def burden_names() -> dict[str, str]:
    return {code: str(entry["name"]) for code, entry in definitions.BURDEN.items()}


def group_label(level: str, kind: str) -> str:
    level_label = Level(level).label if level in Level.values else level
    kind_label = UnitKind(kind).label if kind in UnitKind.values else kind
    return f"{level_label} · {kind_label}"


def _run_header(run: AssessmentRun) -> dict:
    return {
        "month": run.month_label,
        "version": run.version,
        "is_current": run.is_current,
        "is_provisional": run.is_provisional,
        "final_after": run.final_after,
        "projection_day": run.projection_day,
        "computed_at": run.computed_at,
        "computed_by": run.computed_by.username if run.computed_by_id else "",
        "scheme": run.scheme.name,
        "scheme_valid_from": run.scheme.valid_from,
        "note": run.note,
    }


def _result_row(result: UnitAssessment) -> dict:
    row = {"unit": result.unit.code, "unit_name": result.unit.name}
    for name in (*COUNT_FIELDS, *RATE_FIELDS, "deduction", "score", "rank", "peers", "zone"):
        row[name] = getattr(result, name)
    row["zone_label"] = str(Zone(result.zone).label) if result.zone else ""
    if result.insufficient_sample:
        row["zone_label"] = str(definitions.SAMPLE["name"])
    row["insufficient_sample"] = result.insufficient_sample
    return row


def totals_of(rows: list[dict]) -> dict:
    """Sums of the counts; the rates from the summed counts (a share of all the orders, not an
    average of shares, so a unit with two orders weighs as much as two orders)."""
    sums = {name: sum(row[name] for row in rows) for name in COUNT_FIELDS}
    return {**sums, **rates_of(sums)}


def _sort_key(row: UnitAssessment):
    # Unranked units (platforms, units without any rate) after the ranked ones, on both backends.
    return (LEVEL_DEPTH.get(row.level, 9), row.kind, row.rank is None, row.rank or 0, row.unit.code)


def monthly_report(run: AssessmentRun, jurisdiction: Area | None = None) -> dict:
    """月度考评报告 of one run: every unit by peer group with the group's totals, the grassroots-burden
    table with its totals, and the definitions of every figure; only the jurisdiction's units when
    one is given."""
    within = {} if jurisdiction is None else {"unit__area__path__startswith": jurisdiction.path}
    results = sorted(run.results.filter(**within).select_related("unit"), key=_sort_key)
    groups: list[dict] = []
    for result in results:
        if not groups or (groups[-1]["level"], groups[-1]["kind"]) != (result.level, result.kind):
            groups.append(
                {
                    "level": result.level,
                    "kind": result.kind,
                    "label": group_label(result.level, result.kind),
                    "rows": [],
                }
            )
        groups[-1]["rows"].append(_result_row(result))
    for group in groups:
        group["totals"] = totals_of(group["rows"])
    burden_rows = []
    for figure in run.burden.filter(**within).select_related("unit").order_by("unit__code"):
        row = {
            "unit": figure.unit.code,
            "unit_name": figure.unit.name,
            "kind": figure.unit.kind,
            "kind_label": str(UnitKind(figure.unit.kind).label),
        }
        row.update({code: getattr(figure, code) for code in definitions.BURDEN})
        burden_rows.append(row)
    burden_totals = {
        code: sum(row[code] for row in burden_rows) for code in definitions.BURDEN if code != "hours_saved"
    }
    if "hours_saved" in definitions.BURDEN:
        burden_totals["hours_saved"] = round(sum(row["hours_saved"] for row in burden_rows), 1)
    return {
        "report": "monthly",
        "run": _run_header(run),
        "columns": field_names(),
        "groups": groups,
        "burden": {"columns": burden_names(), "rows": burden_rows, "totals": burden_totals},
        "proactive": monthly_proactive(run.month, jurisdiction),
        "definitions": definitions.as_data(),
    }


def monthly_proactive(month: dt.date, jurisdiction: Area | None = None) -> dict:
    """未诉先办 of the month: a row per district and per street (with its district), the city's
    totals and the departments' on-the-spot acceptances. Read from the grid's rows when the report
    is read, not kept with the assessment run: a problem solved after the run counts as solved."""
    start, end = month, next_month(month) - dt.timedelta(days=1)
    city = proactive.proactive_report(start=start, end=end, level=Level.DISTRICT, within=jurisdiction)
    streets = proactive_figures(start=start, end=end, level=Level.STREET, within=jurisdiction)
    districts = dict(
        Area.objects.filter(code__in=[row["area_code"] for row in streets]).values_list(
            "code", "parent__name"
        )
    )
    return {
        "start": start,
        "end": end,
        "columns": proactive.column_names(),
        "districts": city["rows"],
        "streets": [{**row, "district": districts.get(row["area_code"]) or ""} for row in streets],
        "totals": city["totals"],
        "on_spot": city["on_spot"],
        "definitions": proactive.definitions(),
    }


# ---------------------------------------------------------------- a unit's monthly sheet


def _orders_of_month(unit: Unit, run: AssessmentRun) -> list[dict]:
    start, end = month_bounds(run.month)
    as_of = min(end, timezone.now())
    orders = (
        Order.objects.filter(unit=unit, role=OrderRole.LEAD, dispatched_at__lt=end)
        .exclude(status__in=LET_GO)
        .filter(Q(dispatched_at__gte=start) | Q(completed_at__isnull=True) | Q(completed_at__gte=start))
        .select_related("appeal")
        .order_by("dispatched_at", "id")
    )
    orders = list(orders)
    # The citizen's latest answer up to the month's end, from the event log as the assessment reads it.
    last_answer: dict[int, str] = {}
    answers = Event.objects.filter(
        order_id__in=[order.pk for order in orders], action="callback_done", at__lt=end
    ).order_by("at", "id")
    for order_id, payload in answers.values_list("order_id", "payload"):
        last_answer[order_id] = payload.get("satisfaction") or ""
    rows = []
    for order in orders:
        completed_at = order.completed_at if order.completed_at and order.completed_at < end else None
        satisfaction = last_answer.get(order.pk, "")
        rows.append(
            {
                "appeal": order.appeal.code,
                "title": order.appeal.title,
                "dispatched_at": order.dispatched_at,
                "completion_due": order.completion_due,
                "completed_at": completed_at,
                "on_time": None if completed_at is None else completed_at <= order.completion_due,
                "overdue": (completed_at or as_of) > order.completion_due,
                "satisfaction": satisfaction,
                "satisfaction_label": str(Satisfaction(satisfaction).label)
                if satisfaction in Satisfaction.values
                else "",
            }
        )
    return rows


def unit_sheet(run: AssessmentRun, unit: Unit) -> dict:
    """单位月度工作单: the unit's row with the definitions, its place among its peers (names, scores,
    ranks and zones only, as `peer_ranking` shows a unit), and its lead orders of the month."""
    result = run.results.select_related("unit").filter(unit=unit).first()
    if result is None:
        raise NotFound(
            _("%(unit)s 在 %(month)s 的考评中没有结果（派单平台未办理工单时不参评）")
            % {"unit": unit.name, "month": run.month_label},
            field="unit",
        )
    peers = (
        run.results.filter(level=result.level, kind=result.kind, rank__isnull=False)
        .select_related("unit")
        .order_by("rank", "unit__code")
    )
    return {
        "report": "unit",
        "run": _run_header(run),
        "unit": {
            "code": unit.code,
            "name": unit.name,
            "group": group_label(result.level, result.kind),
        },
        "columns": field_names(),
        "result": _result_row(result),
        "peers": [
            {
                "unit": peer.unit.code,
                "unit_name": peer.unit.name,
                "score": peer.score,
                "rank": peer.rank,
                "peers": peer.peers,
                "zone": peer.zone,
                "zone_label": str(Zone(peer.zone).label) if peer.zone else "",
                "is_self": peer.unit_id == unit.pk,
            }
            for peer in peers
        ],
        "orders": _orders_of_month(unit, run),
        # What pulled the figures down, order by order, as the zone notice names it.
        "lost_points": lost_points(run, unit),
        "definitions": {**definitions.as_data(), "orders": {k: str(v) for k, v in ORDER_LIST.items()}},
    }


# ---------------------------------------------------------------- entry points with their checks


def daily_brief_for(person: Person, date_text: str | None) -> dict:
    check_may_read_city_reports(person)
    return daily_brief(parse_day(date_text), jurisdiction=scope_within(person, None))


def monthly_report_for(person: Person, month_text: str | None) -> dict:
    check_may_read_city_reports(person)
    return monthly_report(run_of(parse_report_month(month_text)), scope_within(person, None))


def unit_sheet_for(person: Person, month_text: str | None, unit_code: str | None) -> dict:
    month = parse_report_month(month_text)
    unit = unit_of(unit_code)
    check_may_read_unit_sheet(person, unit)
    return unit_sheet(run_of(month), unit)


def report_index(person: Person, *, today: dt.date | None = None) -> dict:
    """What the person may open: the last days' briefs and the assessed months (city reports), and
    the months in which their own unit was assessed (its sheets)."""
    today = today or timezone.localdate()
    current = AssessmentRun.objects.filter(is_current=True).order_by("-month")
    city = may_read_city_reports(person)
    unit_months = (
        list(current.filter(results__unit_id=person.unit_id).values_list("month", flat=True))
        if person.unit_id
        else []
    )
    return {
        "city_reports": city,
        "days": [today - dt.timedelta(days=n) for n in range(1, INDEX_DAYS + 1)] if city else [],
        "months": [f"{month:%Y-%m}" for month in current.values_list("month", flat=True)] if city else [],
        "unit": {"code": person.unit.code, "name": person.unit.name} if person.unit_id else None,
        "unit_months": [f"{month:%Y-%m}" for month in unit_months],
    }
