"""Computing the monthly assessment and the grassroots-burden figures from the event log.

Every figure is an SQL aggregate over `appeals_event` (plus the criticism-notice, return-request and
whistle tables for what events do not carry): one pass groups a month's events by order, a second by
unit, so the cost grows with the events, never with a Python loop over orders. Scoring, ranking and
zones then run over the units (hundreds), in Python. `definitions.py` says what each figure means.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from yousu.appeals.models import Event
from yousu.core.errors import DomainError
from yousu.dispatch.choices import RequestStatus
from yousu.dispatch.models import CriticismNotice, ReturnRequest, Whistle
from yousu.org.choices import PLATFORM_KINDS, UnitKind
from yousu.org.models import Person, Unit

from .choices import Zone, ZoneRule
from .models import AssessmentRun, AssessmentScheme, BurdenFigure, UnitAssessment

GRASSROOTS_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY)
# Units that summoned or refused-in-favour figures count against: those with powers a street lacks.
DEPARTMENT_KINDS = (UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)
COUNT_FIELDS = (
    "received",
    "assessed",
    "responded",
    "due",
    "completed",
    "completed_on_time",
    "called_back",
    "solved",
    "satisfied",
    "unsatisfied_not_unit",
    "unreachable",
    "sent_back",
    "returns_filed",
    "returns_refused",
    "overdue",
    "criticism_notices",
)
RATE_FIELDS = ("response_rate", "completion_rate", "on_time_rate", "resolution_rate", "satisfaction_rate")
RESULT_FIELDS = (*COUNT_FIELDS, *RATE_FIELDS, "deduction", "score", "rank", "peers", "zone")
BURDEN_FIELDS = (
    "received",
    "assigned_elsewhere",
    "pushdowns_refused",
    "pushdowns_refused_by_rule",
    "whistles",
    "report_ins_due",
    "report_ins_on_time",
    "access_list_refused",
)
# The events the per-order pass reads; the action index keeps the rest of the log out of it.
ORDER_ACTIONS = (
    "dispatched",
    "accepted",
    "forwarded",
    "returned",
    "forward_undone",
    "completed",
    "sent_back",
    "time_node",
    "return_requested",
    "return_refused",
    "return_refused_by_rule",
    "dispatch_withdrawn",
)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# ---------------------------------------------------------------- months


def parse_month(text: str) -> dt.date:
    """'2026-10' → 1 October 2026; anything else is refused naming the field."""
    match = MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise DomainError(f"月份格式应为 YYYY-MM，例如 2026-10，而不是“{text}”", field="month")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first and the next month's first moment in the platform's time zone (a month is
    the city's month: an order dispatched at 00:30 on 1 November Beijing time is November's)."""
    start = timezone.make_aware(dt.datetime.combine(month, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(next_month(month), dt.time()))
    return start, end


def scheme_for(month: dt.date) -> AssessmentScheme:
    scheme = AssessmentScheme.objects.filter(valid_from__lte=month).order_by("-valid_from").first()
    if scheme is None:
        raise DomainError(f"{month:%Y-%m} 没有生效的考评方案，请先在管理后台设置", field="scheme")
    return scheme


# ---------------------------------------------------------------- SQL of the two backends


def _json(key: str) -> str:
    if connection.vendor == "postgresql":
        return f"(payload ->> '{key}')"
    return f"json_extract(payload, '$.{key}')"


def _json_is(key: str, value: bool) -> str:
    # PostgreSQL's ->> gives 'true'/'false'; SQLite's json_extract gives 1/0.
    if connection.vendor == "postgresql":
        return f"(payload ->> '{key}') = '{'true' if value else 'false'}'"
    return f"json_extract(payload, '$.{key}') = {1 if value else 0}"


def _db_time(moment: dt.datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def _order_figures_sql() -> str:
    actions = ", ".join(f"'{action}'" for action in ORDER_ACTIONS)
    return f"""
WITH per_order AS (
    SELECT order_id,
        MAX(CASE WHEN action = 'dispatched' THEN {_json("unit")} END) AS unit_code,
        MAX(CASE WHEN action = 'dispatched' THEN {_json("role")} END) AS role,
        MAX(CASE WHEN action = 'dispatched' THEN {_json("proposed")} END) AS proposed,
        MAX(CASE WHEN action = 'dispatched' AND at >= %(start)s THEN 1 ELSE 0 END) AS new_in_month,
        MAX(CASE WHEN action = 'accepted' AND {_json_is("on_time", True)} THEN 1 ELSE 0 END) AS accepted_on_time,
        MAX(CASE WHEN action IN ('forwarded', 'returned') THEN at END) AS let_go_at,
        MAX(CASE WHEN action = 'forward_undone' THEN at END) AS undone_at,
        MAX(CASE WHEN action = 'dispatch_withdrawn' THEN 1 ELSE 0 END) AS withdrawn,
        MAX(CASE WHEN action = 'completed' AND at < %(start)s THEN at END) AS done_before,
        MAX(CASE WHEN action = 'sent_back' AND at < %(start)s THEN at END) AS back_before,
        MAX(CASE WHEN action = 'completed' THEN at END) AS last_done,
        MAX(CASE WHEN action = 'sent_back' THEN at END) AS last_back,
        SUM(CASE WHEN action = 'sent_back' AND at >= %(start)s THEN 1 ELSE 0 END) AS backs_in_month,
        MIN(CASE WHEN action = 'completed' AND at >= %(start)s
            THEN CASE WHEN {_json_is("on_time", True)} THEN 1 ELSE 0 END END) AS done_on_time,
        MAX(CASE WHEN action = 'time_node' AND at >= %(start)s AND {_json("node")} = 'overdue'
            THEN 1 ELSE 0 END) AS went_overdue,
        SUM(CASE WHEN action = 'return_requested' AND at >= %(start)s THEN 1 ELSE 0 END) AS returns_filed,
        SUM(CASE WHEN action IN ('return_refused', 'return_refused_by_rule') AND at >= %(start)s
            THEN 1 ELSE 0 END) AS returns_refused
    FROM appeals_event
    WHERE order_id IS NOT NULL AND at < %(end)s AND action IN ({actions})
    GROUP BY order_id
),
flags AS (
    SELECT unit_code, proposed, returns_filed, returns_refused, backs_in_month,
        CASE WHEN role = 'lead' THEN 1 ELSE 0 END AS lead,
        new_in_month,
        CASE WHEN let_go_at IS NOT NULL AND (undone_at IS NULL OR let_go_at > undone_at)
            THEN 0 ELSE 1 END AS kept,
        CASE WHEN new_in_month = 0
             AND NOT (done_before IS NOT NULL AND (back_before IS NULL OR done_before > back_before))
            THEN 1 ELSE 0 END AS open_at_start,
        CASE WHEN last_done IS NOT NULL AND (last_back IS NULL OR last_done > last_back)
            THEN 1 ELSE 0 END AS done_at_end,
        accepted_on_time, done_on_time, went_overdue
    FROM per_order
    -- An automatic dispatch withdrawn by a dispatcher was never the unit's order to count.
    WHERE unit_code IS NOT NULL AND withdrawn = 0
),
due AS (
    SELECT f.*,
        CASE WHEN lead = 1 AND kept = 1 AND (new_in_month = 1 OR open_at_start = 1 OR backs_in_month > 0)
            THEN 1 ELSE 0 END AS is_due
    FROM flags f
)
SELECT d.unit_code,
    SUM(CASE WHEN lead = 1 AND new_in_month = 1 THEN 1 ELSE 0 END) AS received,
    SUM(CASE WHEN lead = 1 AND new_in_month = 1 AND kept = 1 THEN 1 ELSE 0 END) AS assessed,
    SUM(CASE WHEN lead = 1 AND new_in_month = 1 AND kept = 1 AND accepted_on_time = 1 THEN 1 ELSE 0 END)
        AS responded,
    SUM(is_due) AS due,
    SUM(CASE WHEN is_due = 1 AND done_at_end = 1 THEN 1 ELSE 0 END) AS completed,
    SUM(CASE WHEN is_due = 1 AND done_at_end = 1 AND done_on_time = 1 THEN 1 ELSE 0 END) AS completed_on_time,
    SUM(CASE WHEN lead = 1 THEN backs_in_month ELSE 0 END) AS sent_back,
    SUM(returns_filed) AS returns_filed,
    SUM(returns_refused) AS returns_refused,
    SUM(CASE WHEN lead = 1 AND went_overdue = 1 THEN 1 ELSE 0 END) AS overdue,
    SUM(CASE WHEN lead = 1 AND new_in_month = 1 AND proposed IS NOT NULL AND p.id IS NOT NULL
             AND substr(p.path, 1, length(u.path)) <> u.path THEN 1 ELSE 0 END) AS assigned_elsewhere
FROM due d
JOIN org_unit u ON u.code = d.unit_code
LEFT JOIN org_unit p ON p.code = d.proposed
GROUP BY d.unit_code
"""


def _callback_sql() -> str:
    return f"""
WITH last_callback AS (
    SELECT {_json("unit")} AS unit_code,
        CASE WHEN {_json_is("solved", True)} THEN 1 ELSE 0 END AS solved,
        CASE WHEN {_json("satisfaction")} IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END
            AS satisfied,
        CASE WHEN {_json("satisfaction")} = 'unsatisfied' AND {_json_is("unit_caused", False)}
            THEN 1 ELSE 0 END AS unsatisfied_not_unit,
        ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY at DESC, id DESC) AS latest
    FROM appeals_event
    WHERE action = 'callback_done' AND at >= %(start)s AND at < %(end)s
)
SELECT unit_code, COUNT(*), SUM(solved), SUM(satisfied), SUM(unsatisfied_not_unit)
FROM last_callback WHERE latest = 1 GROUP BY unit_code
"""


def _unreachable_sql() -> str:
    return f"""
SELECT {_json("unit")}, COUNT(*) FROM appeals_event
WHERE action = 'callback_unreachable' AND at >= %(start)s AND at < %(end)s
GROUP BY {_json("unit")}
"""


# ---------------------------------------------------------------- figures


def month_figures(month: dt.date) -> tuple[dict[int, dict], dict[int, dict]]:
    """Unit id → assessment counts, and street/community id → burden figures, for one month."""
    start, end = month_bounds(month)
    params = {"start": _db_time(start), "end": _db_time(end)}
    units = {unit.code: unit for unit in Unit.objects.only("id", "code", "kind")}
    counts: dict[int, dict] = {}
    burden: dict[int, dict] = {}

    def row_of(code: str) -> dict | None:
        unit = units.get(code)
        if unit is None:
            return None
        return counts.setdefault(unit.pk, dict.fromkeys(COUNT_FIELDS, 0))

    def burden_of(unit_id: int) -> dict:
        return burden.setdefault(unit_id, dict.fromkeys(BURDEN_FIELDS, 0))

    with connection.cursor() as cursor:
        cursor.execute(_order_figures_sql(), params)
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            record = dict(zip(names, values, strict=True))
            row = row_of(record["unit_code"])
            if row is None:
                continue
            for name in ("received", "assessed", "responded", "due", "completed", "completed_on_time"):
                row[name] = int(record[name] or 0)
            for name in ("sent_back", "returns_filed", "returns_refused", "overdue"):
                row[name] = int(record[name] or 0)
            unit = units[record["unit_code"]]
            if unit.kind in GRASSROOTS_KINDS:
                figures = burden_of(unit.pk)
                figures["received"] = row["received"]
                figures["assigned_elsewhere"] = int(record["assigned_elsewhere"] or 0)
        cursor.execute(_callback_sql(), params)
        for code, called, solved, satisfied, not_unit in cursor.fetchall():
            row = row_of(code)
            if row is not None:
                row.update(
                    called_back=int(called),
                    solved=int(solved or 0),
                    satisfied=int(satisfied or 0),
                    unsatisfied_not_unit=int(not_unit or 0),
                )
        cursor.execute(_unreachable_sql(), params)
        for code, unreachable in cursor.fetchall():
            row = row_of(code)
            if row is not None:
                row["unreachable"] = int(unreachable)

    in_month = {"gte": start, "lt": end}
    notices = (
        CriticismNotice.objects.filter(issued_at__gte=start, issued_at__lt=end)
        .values("unit_id")
        .annotate(total=Count("id"))
    )
    for entry in notices:
        counts.setdefault(entry["unit_id"], dict.fromkeys(COUNT_FIELDS, 0))["criticism_notices"] = entry[
            "total"
        ]

    refused = (
        ReturnRequest.objects.filter(
            reviewed_at__gte=in_month["gte"],
            reviewed_at__lt=in_month["lt"],
            status__in=(RequestStatus.REFUSED, RequestStatus.REFUSED_BY_RULE),
            unit__kind__in=DEPARTMENT_KINDS,
            suggested_unit__kind__in=GRASSROOTS_KINDS,
        )
        .values("suggested_unit_id")
        .annotate(total=Count("id"), by_rule=Count("id", filter=Q(status=RequestStatus.REFUSED_BY_RULE)))
    )
    for entry in refused:
        figures = burden_of(entry["suggested_unit_id"])
        figures["pushdowns_refused"] = entry["total"]
        figures["pushdowns_refused_by_rule"] = entry["by_rule"]

    whistles = (
        Whistle.objects.filter(
            blown_at__gte=start, blown_at__lt=end, blown_by_unit__kind__in=GRASSROOTS_KINDS
        )
        .values("blown_by_unit_id")
        .annotate(
            whistles=Count("id", distinct=True),
            report_ins_due=Count("report_ins"),
            report_ins_on_time=Count("report_ins", filter=Q(report_ins__reported_at__lte=F("report_in_due"))),
        )
    )
    for entry in whistles:
        figures = burden_of(entry["blown_by_unit_id"])
        for name in ("whistles", "report_ins_due", "report_ins_on_time"):
            figures[name] = entry[name]

    # Refused attempts to send or add a community for an item off its access list; the dispatch
    # services write them after the refusal's rollback (see `_records_pushdown_attempts`).
    grassroots = set(Unit.objects.filter(kind__in=GRASSROOTS_KINDS).values_list("pk", flat=True))
    attempts = (
        Event.objects.filter(action="pushdown_refused", at__gte=start, at__lt=end)
        .values("payload__unit_id")
        .annotate(total=Count("id"))
    )
    for entry in attempts:
        unit_id = entry["payload__unit_id"]
        if unit_id in grassroots:
            burden_of(unit_id)["access_list_refused"] = entry["total"]
    return counts, burden


def hours_saved(figures: dict, scheme: AssessmentScheme) -> float:
    """Work kept off a street or community: each order refused in its favour at the scheme's hours."""
    return round((figures["pushdowns_refused"] + figures["access_list_refused"]) * scheme.hours_per_order, 1)


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rates_of(row: dict) -> dict[str, float | None]:
    """The five rates from the counts; a rate without a denominator is empty, not zero."""
    return {
        "response_rate": _share(row["responded"], row["assessed"]),
        "completion_rate": _share(row["completed"], row["due"]),
        "on_time_rate": _share(row["completed_on_time"], row["completed"]),
        "resolution_rate": _share(row["solved"], row["called_back"]),
        "satisfaction_rate": _share(row["satisfied"], row["called_back"] - row["unsatisfied_not_unit"]),
    }


def score_of(row: dict, scheme: AssessmentScheme) -> tuple[float | None, float]:
    """(score, deduction). Weights of the rates that apply are scaled to 100; a unit without any
    applicable rate is not scored (a unit that received nothing is neither good nor bad)."""
    deduction = (
        row["overdue"] * scheme.overdue_deduction
        + row["returns_refused"] * scheme.refused_return_deduction
        + row["criticism_notices"] * scheme.criticism_deduction
    )
    weights = {code: weight for code, weight in scheme.weights().items() if row[code] is not None}
    total = sum(weights.values())
    if total <= 0:
        return None, round(deduction, 2)
    earned = 100 * sum(weight * row[code] for code, weight in weights.items()) / total
    return round(max(0.0, earned - deduction), 2), round(deduction, 2)


def rank_and_zone(
    rows: list[dict], scheme: AssessmentScheme, jurisdiction_of: dict[int, str] | None = None
) -> None:
    """Rank each scored row among its peers (same jurisdiction, level and kind; equal scores share a
    rank) and give it a zone by the scheme's rule. `jurisdiction_of` maps a row's unit id to its
    jurisdiction: one city's departments are never ranked against another city's."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for row in rows:
        if row["score"] is not None:
            city = (jurisdiction_of or {}).get(row.get("unit_id"), "")
            groups.setdefault((city, row["level"], row["kind"]), []).append(row)
    for peers in groups.values():
        peers.sort(key=lambda row: -row["score"])
        size = len(peers)
        blue_places = math.floor(size * scheme.blue_share + 1e-9)
        red_places = math.floor(size * scheme.red_share + 1e-9)
        for position, row in enumerate(peers, start=1):
            tied = position > 1 and row["score"] == peers[position - 2]["score"]
            row["rank"] = peers[position - 2]["rank"] if tied else position
            row["peers"] = size
            if scheme.zone_rule == ZoneRule.RANK_SHARE:
                if row["rank"] <= blue_places:
                    row["zone"] = Zone.BLUE
                elif row["rank"] > size - red_places:
                    row["zone"] = Zone.RED
                else:
                    row["zone"] = Zone.YELLOW
            elif row["score"] < scheme.red_below:
                row["zone"] = Zone.RED
            elif row["score"] < scheme.yellow_below:
                row["zone"] = Zone.YELLOW
            else:
                row["zone"] = Zone.BLUE


# ---------------------------------------------------------------- runs


@transaction.atomic
def assess_month(*, month: dt.date, by: Person | None = None, note: str = "") -> AssessmentRun:
    """Compute `month` and store it as a new version; the previous version stays, no longer current."""
    _start, end = month_bounds(month)
    if end > timezone.now():
        raise DomainError(f"{month:%Y-%m} 尚未结束，月度考评须在月末之后计算", field="month")
    scheme = scheme_for(month)
    started = time.perf_counter()
    _lock_month(month)
    # Lock the month's runs so two recomputations at once take consecutive versions.
    earlier = list(AssessmentRun.objects.select_for_update().filter(month=month).order_by("version"))
    counts, burden = month_figures(month)
    units = {
        unit.pk: unit
        for unit in Unit.objects.filter(Q(pk__in=[*counts, *burden]) | Q(is_active=True)).only(
            "id", "code", "kind", "level"
        )
    }
    rows = []
    for unit in units.values():
        if unit.pk not in counts and unit.kind in PLATFORM_KINDS:
            continue  # a platform that handled nothing itself is not assessed
        row = {**dict.fromkeys(COUNT_FIELDS, 0), **counts.get(unit.pk, {})}
        row.update(rates_of(row))
        row["score"], row["deduction"] = score_of(row, scheme)
        if unit.kind in PLATFORM_KINDS:
            # Platforms dispatch and review; an order they hold again after an undone forward is not
            # signed for, so their rates would measure the units below them. Figures kept, not scored.
            row["score"] = None
        row.update(unit_id=unit.pk, level=unit.level, kind=unit.kind, rank=None, peers=0, zone="")
        rows.append(row)
    # Unit trees never cross cities, so the root of a unit's tree (its city platform) names its city.
    rank_and_zone(rows, scheme, {unit.pk: unit.path_codes()[0] for unit in units.values()})
    AssessmentRun.objects.filter(month=month, is_current=True).update(is_current=False)
    run = AssessmentRun.objects.create(
        month=month,
        version=(earlier[-1].version + 1) if earlier else 1,
        scheme=scheme,
        computed_at=timezone.now(),
        computed_by=by if by is not None and by.pk else None,
        note=(note or "").strip(),
        is_current=True,
    )
    UnitAssessment.objects.bulk_create([UnitAssessment(run=run, **row) for row in rows], batch_size=500)
    grassroots = Unit.objects.filter(Q(kind__in=GRASSROOTS_KINDS) & (Q(is_active=True) | Q(pk__in=burden)))
    figures_of = {
        unit_id: burden.get(unit_id, dict.fromkeys(BURDEN_FIELDS, 0))
        for unit_id in grassroots.values_list("pk", flat=True)
    }
    BurdenFigure.objects.bulk_create(
        [
            BurdenFigure(run=run, unit_id=unit_id, hours_saved=hours_saved(figures, scheme), **figures)
            for unit_id, figures in figures_of.items()
        ],
        batch_size=500,
    )
    run.seconds = round(time.perf_counter() - started, 3)
    AssessmentRun.objects.filter(pk=run.pk).update(seconds=run.seconds)
    return run


# First key of the advisory locks this module takes ("YSAS"), the second is the month as yyyymm.
ADVISORY_LOCK_CLASS = 0x59534153 - 2**31


def _lock_month(month: dt.date) -> None:
    """Take the month for this transaction. Row locks cannot serialise the month's *first* two runs
    (there is no row to lock yet), and they would both claim version 1; on PostgreSQL a transaction
    advisory lock makes the second wait and become version 2. SQLite runs one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_CLASS, month.year * 100 + month.month]
            )


def current_run(month: dt.date) -> AssessmentRun | None:
    return AssessmentRun.objects.filter(month=month, is_current=True).first()


def assessment_changes(old_run: AssessmentRun, new_run: AssessmentRun) -> list[dict]:
    """Per unit, what differs between two runs: {unit, name, changes: {field: [old, new]}}; a unit
    present in only one run shows every figure against None."""
    if old_run.month != new_run.month:
        raise DomainError("只能比较同一月份的两个版本", field="to")

    def by_unit(run):
        return {
            result.unit.code: result for result in run.results.select_related("unit").order_by("unit__code")
        }

    before, after = by_unit(old_run), by_unit(new_run)
    changes = []
    for code in sorted(set(before) | set(after)):
        old, new = before.get(code), after.get(code)
        differ = {}
        for name in RESULT_FIELDS:
            was = getattr(old, name) if old else None
            now = getattr(new, name) if new else None
            if was != now:
                differ[name] = [was, now]
        if differ:
            changes.append({"unit": code, "name": (new or old).unit.name, "changes": differ})
    return changes
