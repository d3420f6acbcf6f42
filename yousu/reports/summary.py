"""The live dashboard's summary (数据看板): headline figures, breakdowns, hot issues, the overdue list and
the unit ranking, for a period and optionally one district.

Figures come from the counters (`Tally`: whole months from the month grain, the other days from the
day grain) plus the deltas of the events the consumer has not counted yet, computed in memory the
same way, so they are exact at the moment they are read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.choices import Channel
from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.dispatch.choices import CLOCK_RUNNING_STATUSES
from yousu.dispatch.models import Order
from yousu.evaluation.selectors import headline_run, is_assessor
from yousu.intelligence.hot_issues import detector_settings, hot_issues_top, hot_issues_visible_to
from yousu.knowledge.answers import intake_answer_figures
from yousu.org.choices import PLATFORM_KINDS, Level, RoleCode
from yousu.org.models import Area, Person
from yousu.org.selectors import jurisdiction_of_area, scope_within, units_visible_to

from .models import Dim, Grain, Tally, TallyMark
from .proactive import column_names as proactive_columns
from .proactive import definitions as proactive_definitions
from .proactive import proactive_cached
from .tallies import HOT_SEPARATOR, tally_rows

PERIODS = ("today", "7d", "month", "year", "custom")
MAX_CUSTOM_DAYS = 366
TOP = 10
OVERDUE_SHOWN = 20
DEFAULT_CACHE_SECONDS = 300


def may_read_dashboard(person: Person) -> bool:
    """Leaders, supervisors and administrators (the assessors), and the dispatchers of a platform."""
    if not person.is_authenticated or not person.is_active:
        return False
    if is_assessor(person):
        return True
    unit = person.unit
    return unit is not None and unit.kind in PLATFORM_KINDS and person.has_role(RoleCode.DISPATCHER)


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date

    def as_data(self) -> dict:
        return {"key": self.key, "start": self.start.isoformat(), "end": self.end.isoformat()}


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def period_of(key: str, today: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> Period:
    """The local days a period covers; `start` and `end` only for "custom" (checked by the caller)."""
    if key == "today":
        return Period(key, today, today)
    if key == "7d":
        return Period(key, today - dt.timedelta(days=6), today)
    if key == "month":
        return Period(key, today.replace(day=1), _month_end(today))
    if key == "year":
        return Period(key, today.replace(month=1, day=1), today.replace(month=12, day=31))
    return Period(key, start, end)


def _split(period: Period) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """Whole months inside the period (read from the month grain) and the day ranges left over."""
    months, days = [], []
    first = period.start.replace(day=1)
    if first < period.start:
        first = _month_end(period.start) + dt.timedelta(days=1)
    month = first
    while _month_end(month) <= period.end:
        months.append(month)
        month = _month_end(month) + dt.timedelta(days=1)
    if not months:
        return [], [(period.start, period.end)]
    if period.start < months[0]:
        days.append((period.start, months[0] - dt.timedelta(days=1)))
    last = _month_end(months[-1])
    if last < period.end:
        days.append((last + dt.timedelta(days=1), period.end))
    return months, days


MARK_ROW, TODAY_ROW = "~mark", "~today"


def _read_tallies(period: Period, districts: tuple[int, ...] | None, today: dt.date):
    """One statement, so the counters, today's row and the watermark come from one snapshot: read
    apart, the consumer could commit in between and an event be counted twice or not at all."""
    q = connection.ops.quote_name
    table = q(Tally._meta.db_table)
    months, day_ranges = _split(period)
    parts, params = [], []
    if months:
        parts.append(f"({q('grain')} = %s AND {q('period')} >= %s AND {q('period')} <= %s)")
        params += [Grain.MONTH, months[0], months[-1]]
    for first, last in day_ranges:
        parts.append(f"({q('grain')} = %s AND {q('period')} >= %s AND {q('period')} <= %s)")
        params += [Grain.DAY, first, last]
    in_district = f" AND {q('district')} IN ({', '.join(['%s'] * len(districts))})" if districts else ""
    district_params = list(districts) if districts else []
    sums = ", ".join(f"SUM({q(c)})" for c in ("received", "settled", "answered", "completed"))
    sql = (
        # Districts matter only for the district totals (the map); other dims are summed over them.
        f"SELECT {q('dim')}, {q('key')}, CASE WHEN {q('dim')} = %s THEN {q('district')} ELSE 0 END, {sums} "
        f"FROM {table} WHERE ({' OR '.join(parts)}){in_district} "
        f"GROUP BY {q('dim')}, {q('key')}, CASE WHEN {q('dim')} = %s THEN {q('district')} ELSE 0 END "
        f"UNION ALL SELECT %s, '', 0, SUM({q('received')}), 0, 0, SUM({q('completed')}) FROM {table} "
        f"WHERE {q('grain')} = %s AND {q('period')} = %s AND {q('dim')} = %s{in_district} "
        f"UNION ALL SELECT %s, {q('generation')}, {q('event_id')}, 0, 0, 0, 0 FROM {q(TallyMark._meta.db_table)} "
        f"WHERE {q('id')} = 1"
    )
    all_params = [
        Dim.ALL,
        *params,
        *district_params,
        Dim.ALL,
        TODAY_ROW,
        Grain.DAY,
        today,
        Dim.ALL,
        *district_params,
        MARK_ROW,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [str(p) if isinstance(p, str) else p for p in all_params])
        return cursor.fetchall()


class Figures:
    """The period's counters by (dim, key, district for the "all" dim), and today's."""

    def __init__(self):
        self.rows: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.today = [0, 0]

    def add(self, dim: str, key: str, district: int, counters) -> None:
        row = self.rows[(dim, key, district if dim == Dim.ALL else 0)]
        for position, value in enumerate(counters):
            row[position] += value or 0

    def of(self, dim: str) -> dict[str, list[int]]:
        merged: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for (row_dim, key, _district), counters in self.rows.items():
            if row_dim == dim:
                for position, value in enumerate(counters):
                    merged[key][position] += value
        return merged

    def by_district(self) -> dict[int, list[int]]:
        return {district: c for (dim, _key, district), c in self.rows.items() if dim == Dim.ALL}


def cache_seconds() -> int:
    return getattr(settings, "YOUSU_DASHBOARD_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)


def _tallies(period: Period, districts: tuple[int, ...] | None, today: dt.date) -> list[tuple]:
    """The counters' rows, from the cache when they have not changed since they were read: the
    consumer changes them once a minute, while every open dashboard asks every half minute."""
    seconds = cache_seconds()
    if not seconds:
        return _read_tallies(period, districts, today)

    def cache_key(generation: str) -> str:
        where = ",".join(map(str, districts)) if districts else "all"
        return f"yousu:dashboard:{generation}:{period.start}:{period.end}:{where}:{today}"

    generation = TallyMark.objects.filter(pk=1).values_list("generation", flat=True).first()
    if generation:
        rows = cache.get(cache_key(generation))
        if rows is not None:
            return rows
    rows = _read_tallies(period, districts, today)
    # Stored under the generation read with the rows (the consumer may have run in between).
    read = next((row[1] for row in rows if row[0] == MARK_ROW), "")
    if read:
        cache.set(cache_key(read), rows, seconds)
    return rows


def tally_districts(scope: Area | None) -> tuple[int, ...] | None:
    """The tally rows' district ids that make up an area's figures: a district's own; a city's
    districts and the city itself (appeals placed no finer than the city); None for everything.
    Rows counted before jurisdictions were told apart carry 0: with one jurisdiction they are its."""
    if scope is None:
        return None
    if scope.level != Level.CITY:
        return (scope.pk,)
    ids = list(Area.objects.filter(parent=scope, level=Level.DISTRICT).values_list("pk", flat=True))
    ids.append(scope.pk)
    if Area.objects.filter(level=Level.CITY).count() == 1:
        ids.append(0)
    return tuple(sorted(ids))


def figures(period: Period, districts: tuple[int, ...] | None, today: dt.date) -> Figures:
    result = Figures()
    mark = 0
    for dim, key, number, *counters in _tallies(period, districts, today):
        if dim == MARK_ROW:
            mark = number
        elif dim == TODAY_ROW:
            result.today[0] += counters[0] or 0
            result.today[1] += counters[3] or 0
        else:
            result.add(dim, key, number, counters)
    live, _events = tally_rows(mark, None)
    for (day, row_district, dim, key), counters in live.items():
        if districts is not None and row_district not in districts:
            continue
        if period.start <= day <= period.end:
            result.add(dim, key, row_district, counters)
        if day == today and dim == Dim.ALL:
            result.today[0] += counters[0]
            result.today[1] += counters[3]
    return result


def _ranked(counts: dict[str, list[int]], limit: int | None = None) -> list[tuple[str, list[int]]]:
    rows = [(key, c) for key, c in counts.items() if key and c[0] > 0]
    rows.sort(key=lambda row: (-row[1][0], row[0]))
    return rows[:limit] if limit else rows


def _choices(counts: dict[str, list[int]], choices) -> list[dict]:
    """Every choice (a stable legend), most received first; codes no longer among the choices too."""
    labels = {value: str(label) for value, label in choices}
    keys = list(labels) + [key for key in counts if key and key not in labels]
    rows = [{"code": key, "name": labels.get(key, key), "received": counts.get(key, [0])[0]} for key in keys]
    rows.sort(key=lambda row: -row["received"])
    return rows


def _overdue(person: Person, scope: Area | None, now: dt.datetime) -> dict:
    # Served by the partial index reports_order_running_due (running, unpaused, by deadline).
    orders = Order.objects.filter(
        status__in=CLOCK_RUNNING_STATUSES, paused_at__isnull=True, completion_due__lte=now
    )
    if not is_assessor(person):
        orders = orders.filter(unit__in=units_visible_to(person))
    if scope is not None and scope.level == Level.CITY:
        orders = orders.filter(appeal__jurisdiction=scope)
    elif scope is not None:
        # The district's areas as a list: joined on the area's path instead, PostgreSQL would read
        # every appeal of the district (millions) rather than the few overdue orders' appeals.
        areas = list(Area.objects.filter(path__startswith=scope.path).values_list("id", flat=True))
        orders = orders.filter(appeal__area_id__in=areas)
    shown = orders.select_related("appeal", "unit").order_by("completion_due", "id")[:OVERDUE_SHOWN]
    return {
        "count": orders.count(),
        "orders": [
            {
                "order_id": order.pk,
                "appeal_code": order.appeal.code,
                "title": order.appeal.title,
                "unit": order.unit.name,
                "completion_due": timezone.localtime(order.completion_due).isoformat(),
                "overdue_hours": round((now - order.completion_due).total_seconds() / 3600, 1),
            }
            for order in shown
        ],
    }


def _detected_hot_issues(person: Person, district: Area | None, now: dt.datetime) -> list[dict]:
    """The hot issues of now (like the overdue list, not of the period): still gathering appeals; those
    the person may see (a district platform's dispatcher, their district's: hot_issues_visible_to)."""
    since = now - detector_settings().window
    hot_issues = hot_issues_top(within=district, since=since, limit=None).filter(
        pk__in=hot_issues_visible_to(person).values("pk")
    )
    return [
        {
            "id": h.pk,
            "name": h.name,
            "area": {"code": h.area.code, "name": h.area.name} if h.area_id else None,
            "appeals": h.appeal_count,
            "heat": h.heat,
            "status": h.status,
            "first_at": timezone.localtime(h.first_at).isoformat(),
            "last_at": timezone.localtime(h.last_at).isoformat(),
        }
        for h in hot_issues[:TOP]
    ]


def _ranking(scope: Area | None) -> dict | None:
    """The headline run (the latest month that has ended): the units with a rank, by level, kind and
    rank (those of the scope's jurisdiction), and whether the run is provisional."""
    run = headline_run()
    if run is None:
        return None
    results = run.results.all()
    if scope is not None:
        results = results.filter(unit__area__path__startswith=f"/{scope.path_codes()[0]}/")
    rows = (
        results.filter(rank__isnull=False)
        .select_related("unit")
        .order_by("level", "kind", "rank", "unit__code")
    )
    return {
        "month": run.month_label,
        "version": run.version,
        "is_provisional": run.is_provisional,
        "rows": [
            {
                "unit": {"code": row.unit.code, "name": row.unit.name},
                "level": row.level,
                "kind": row.kind,
                "score": row.score,
                "rank": row.rank,
                "peers": row.peers,
                "zone": row.zone,
            }
            for row in rows
        ],
    }


def definitions() -> dict:
    return {
        "received": _("受理量：统计期内受理的诉求件数（按受理日期）。"),
        "settled": _("已办结：统计期内受理的诉求中，目前已办结、已结案或直接办结的件数。"),
        "completion_rate": _("办结率：已办结 ÷ 受理量；受理量为 0 时不计算。"),
        "completed": _(
            "办结量：统计期内发生的办结件次（按办结日期，含直接办结；退回重办后再次办结的再计一次）。"
        ),
        "answered_at_intake": _("直接办结：统计期内受理的诉求中，由接线员当场答复办结的件数。"),
        "answered_at_intake_rate": _("直接办结率：直接办结 ÷ 受理量；受理量为 0 时不计算。"),
        "knowledge_from_entries": _("引用知识库：统计期内受理并当场答复的诉求中，引用了知识条目答复的件数。"),
        "knowledge_helped_rate": _(
            "答复有帮助率：统计期内受理、当场答复并已回访的诉求中，群众表示答复有帮助的比例；未回访的不计。"
        ),
        "overdue": _("超期工单：正在办理（未挂起）且已过办结时限的工单，按超期时长从长到短列出。"),
        "detected_hot_issues": _(
            "热点问题：近期同一事项、同一地点的多件诉求（按文本相似度和地点自动归并），按热度排列；"
            "热度综合件数、近 24 小时和近 7 天的增长及点赞数，不随统计期变化。"
        ),
        # The two figures of today stand beside the period's and mean today whatever the period.
        "today_received": _("今日受理：今天受理的诉求件数，不随统计期变化。"),
        "today_completed": _("今日办结：今天发生的办结件次（含直接办结），不随统计期变化。"),
    }


def proactive(period: Period, district: Area | None, scope: Area | None = None) -> dict:
    """未诉先办 of the period: totals, a row per street (per community of the chosen district) and the
    departments' on-the-spot acceptances; kept in the cache until a figure may have changed."""
    level = Level.COMMUNITY if district is not None else Level.STREET
    data = proactive_cached(
        start=period.start, end=period.end, level=level, within=district or scope, seconds=cache_seconds()
    )
    return {
        "level": level,
        "totals": data["totals"],
        "rows": data["rows"],
        "on_spot": data["on_spot"],
        "columns": proactive_columns(),
        "definitions": proactive_definitions(),
    }


def summary(person: Person, *, period: Period, district: Area | None, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Without a chosen district: the person's whole jurisdiction (every one for the provincial role).
    scope = scope_within(person, district)
    if district is not None and district.level == Level.CITY:
        district = None  # a whole city: its districts, as a city reader sees their own
    city = jurisdiction_of_area(scope)
    found = figures(period, tally_districts(scope), today)
    total = [0, 0, 0, 0]
    for counters in found.of(Dim.ALL).values():
        total = [a + b for a, b in zip(total, counters, strict=True)]
    received, settled, answered, completed = total

    categories = _ranked(found.of(Dim.CATEGORY), TOP)
    hot = []
    for key, counters in _ranked(found.of(Dim.HOT)):
        category, _sep, street = key.partition(HOT_SEPARATOR)
        if category and street:
            hot.append((category, street, counters[0]))
        if len(hot) == TOP:
            break
    names = dict(
        CatalogItem.objects.filter(
            code__in=[key for key, _c in categories] + [c for c, _s, _n in hot]
        ).values_list("code", "name")
    )

    if district is None:
        places = Area.objects.filter(level=Level.DISTRICT, is_active=True).order_by("path")
        if scope is not None:
            places = places.filter(parent=scope)
        by_place = found.by_district()
        area_rows = [(area.code, area.name, by_place.get(area.pk, [0, 0])) for area in places]
    else:
        places = Area.objects.filter(parent=district, level=Level.STREET, is_active=True).order_by("path")
        by_street = found.of(Dim.AREA)
        area_rows = [(area.code, area.name, by_street.get(area.code, [0, 0])) for area in places]
    street_names = dict(Area.objects.filter(code__in={s for _c, s, _n in hot}).values_list("code", "name"))

    return {
        "period": period.as_data(),
        "district": {"code": district.code, "name": district.name} if district else None,
        "as_of": timezone.localtime(now).isoformat(),
        "totals": {
            "received": received,
            "settled": settled,
            "completion_rate": round(settled / received, 4) if received else None,
            "answered_at_intake": answered,
            "answered_at_intake_rate": round(answered / received, 4) if received else None,
            "completed": completed,
        },
        "knowledge": intake_answer_figures(period.start, period.end, scope),
        "today": {"received": found.today[0], "completed": found.today[1]},
        "by_channel": _choices(found.of(Dim.CHANNEL), Channel.choices),
        "by_kind": _choices(found.of(Dim.KIND), AppealKind.choices),
        "top_categories": [
            {"code": key, "name": names.get(key, key), "received": counters[0]}
            for key, counters in categories
        ],
        "hot_issues": [
            {
                "category": {"code": category, "name": names.get(category, category)},
                "area": {"code": street, "name": street_names.get(street, street)},
                "received": count,
            }
            for category, street, count in hot
        ],
        "by_area": [
            {"code": code, "name": name, "received": counters[0], "settled": counters[1]}
            for code, name, counters in area_rows
        ],
        "jurisdiction": {"code": city.code, "name": city.name} if city is not None else None,
        "overdue": _overdue(person, scope, now),
        "detected_hot_issues": _detected_hot_issues(person, scope, now),
        "ranking": _ranking(scope),
        "proactive": proactive(period, district, scope),
        "definitions": definitions(),
    }
