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
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from yousu.appeals.models import Event
from yousu.core.errors import DomainError
from yousu.dispatch.choices import RequestStatus
from yousu.dispatch.models import CriticismNotice, ReportIn, ReturnRequest, Whistle
from yousu.dispatch.services import Conflict
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
    "awaiting_response",
    "carried_over",
    "report_ins_due",
    "report_ins_on_time",
    "report_ins_late",
    "report_ins_missing",
    "report_ins_pending",
)
# The counts the per-order SQL gives.
ORDER_COUNT_FIELDS = (
    "received",
    "assessed",
    "responded",
    "awaiting_response",
    "due",
    "carried_over",
    "completed",
    "completed_on_time",
    "sent_back",
    "returns_filed",
    "returns_refused",
    "overdue",
)
RATE_FIELDS = (
    "response_rate",
    "completion_rate",
    "on_time_rate",
    "resolution_rate",
    "satisfaction_rate",
    "report_in_rate",
)
RESULT_FIELDS = (
    *COUNT_FIELDS,
    *RATE_FIELDS,
    "insufficient_sample",
    "deduction",
    "score",
    "rank",
    "peers",
    "zone",
)
BURDEN_FIELDS = (
    "received",
    "assigned_elsewhere",
    "pushdowns_refused",
    "pushdowns_refused_by_rule",
    "whistles",
    "report_ins_due",
    "report_ins_on_time",
    "access_list_refused",
    "forwards_refused",
    "delegated",
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


def _order_ctes() -> str:
    """Per order: what happened to it, judged as `definitions.TIMING` says. `cut` is the month's end
    (or now, for a month still running); `now` is when the computation runs. What belongs to the month
    (dispatch, completion, send-back, time nodes, returns) is read inside [start, cut); whether an order
    was signed for, let go or withdrawn is read up to now, so an order dispatched on the 30th and signed
    for in time on the 1st counts as responded in the month it was dispatched."""
    actions = ", ".join(f"'{action}'" for action in ORDER_ACTIONS)
    return f"""
WITH per_order AS (
    SELECT order_id,
        MAX(CASE WHEN action = 'dispatched' THEN {_json("unit")} END) AS unit_code,
        MAX(CASE WHEN action = 'dispatched' THEN {_json("role")} END) AS role,
        MAX(CASE WHEN action = 'dispatched' THEN {_json("proposed")} END) AS proposed,
        MAX(CASE WHEN action = 'dispatched' THEN at END) AS dispatched_at,
        MAX(CASE WHEN action = 'accepted' THEN 1 ELSE 0 END) AS accepted,
        MAX(CASE WHEN action = 'accepted' AND {_json_is("on_time", True)} THEN 1 ELSE 0 END) AS accepted_on_time,
        MAX(CASE WHEN action IN ('forwarded', 'returned') THEN at END) AS let_go_at,
        MAX(CASE WHEN action = 'forward_undone' THEN at END) AS undone_at,
        MAX(CASE WHEN action = 'dispatch_withdrawn' THEN 1 ELSE 0 END) AS withdrawn,
        MAX(CASE WHEN action = 'completed' AND at < %(start)s THEN at END) AS done_before,
        MAX(CASE WHEN action = 'sent_back' AND at < %(start)s THEN at END) AS back_before,
        MAX(CASE WHEN action = 'completed' AND at < %(cut)s THEN at END) AS last_done,
        MAX(CASE WHEN action = 'sent_back' AND at < %(cut)s THEN at END) AS last_back,
        SUM(CASE WHEN action = 'sent_back' AND at >= %(start)s AND at < %(cut)s THEN 1 ELSE 0 END)
            AS backs_in_month,
        MIN(CASE WHEN action = 'completed' AND at >= %(start)s AND at < %(cut)s
            THEN CASE WHEN {_json_is("on_time", True)} THEN 1 ELSE 0 END END) AS done_on_time,
        MAX(CASE WHEN action = 'time_node' AND at >= %(start)s AND at < %(cut)s AND {_json("node")} = 'overdue'
            THEN 1 ELSE 0 END) AS went_overdue,
        SUM(CASE WHEN action = 'return_requested' AND at >= %(start)s AND at < %(cut)s THEN 1 ELSE 0 END)
            AS returns_filed,
        SUM(CASE WHEN action IN ('return_refused', 'return_refused_by_rule')
            AND at >= %(start)s AND at < %(cut)s THEN 1 ELSE 0 END) AS returns_refused
    FROM appeals_event
    WHERE order_id IS NOT NULL AND at < %(now)s AND action IN ({actions})
    GROUP BY order_id
),
flags AS (
    SELECT p.order_id, p.unit_code, p.proposed, p.returns_filed, p.returns_refused, p.backs_in_month,
        CASE WHEN p.role = 'lead' THEN 1 ELSE 0 END AS lead,
        CASE WHEN p.dispatched_at >= %(start)s THEN 1 ELSE 0 END AS new_in_month,
        CASE WHEN p.let_go_at IS NOT NULL AND (p.undone_at IS NULL OR p.let_go_at > p.undone_at)
            THEN 0 ELSE 1 END AS kept,
        CASE WHEN p.dispatched_at < %(start)s
             AND NOT (p.done_before IS NOT NULL AND (p.back_before IS NULL OR p.done_before > p.back_before))
            THEN 1 ELSE 0 END AS open_at_start,
        CASE WHEN p.last_done IS NOT NULL AND (p.last_back IS NULL OR p.last_done > p.last_back)
            THEN 1 ELSE 0 END AS done_at_end,
        -- Not signed for and the sign-for limit still ahead: the outcome is not known yet.
        CASE WHEN p.accepted = 0 AND o.response_due > %(now)s THEN 1 ELSE 0 END AS awaiting,
        -- Open at the cut but its completion limit not passed (or its clock stopped): not failed yet.
        CASE WHEN o.completion_due >= %(cut)s OR o.paused_at IS NOT NULL THEN 1 ELSE 0 END AS within_limit,
        p.accepted_on_time, p.done_on_time, p.went_overdue
    FROM per_order p
    JOIN dispatch_order o ON o.id = p.order_id
    -- An automatic dispatch withdrawn by a dispatcher was never the unit's order to count.
    WHERE p.unit_code IS NOT NULL AND p.withdrawn = 0 AND p.dispatched_at < %(cut)s
),
due AS (
    SELECT f.*,
        CASE WHEN lead = 1 AND kept = 1 AND (new_in_month = 1 OR open_at_start = 1 OR backs_in_month > 0)
            THEN 1 ELSE 0 END AS is_due
    FROM flags f
),
judged AS (
    SELECT d.*,
        CASE WHEN is_due = 1 AND done_at_end = 0 AND within_limit = 1 THEN 1 ELSE 0 END AS carried,
        CASE WHEN lead = 1 AND new_in_month = 1 AND kept = 1 THEN 1 ELSE 0 END AS answerable
    FROM due d
)"""


def _order_figures_sql() -> str:
    return f"""{_order_ctes()}
SELECT d.unit_code,
    SUM(CASE WHEN lead = 1 AND new_in_month = 1 THEN 1 ELSE 0 END) AS received,
    SUM(CASE WHEN answerable = 1 AND awaiting = 0 THEN 1 ELSE 0 END) AS assessed,
    SUM(CASE WHEN answerable = 1 AND accepted_on_time = 1 THEN 1 ELSE 0 END) AS responded,
    SUM(CASE WHEN answerable = 1 AND awaiting = 1 THEN 1 ELSE 0 END) AS awaiting_response,
    SUM(CASE WHEN is_due = 1 AND carried = 0 THEN 1 ELSE 0 END) AS due,
    SUM(carried) AS carried_over,
    SUM(CASE WHEN is_due = 1 AND done_at_end = 1 THEN 1 ELSE 0 END) AS completed,
    SUM(CASE WHEN is_due = 1 AND done_at_end = 1 AND done_on_time = 1 THEN 1 ELSE 0 END) AS completed_on_time,
    SUM(CASE WHEN lead = 1 THEN backs_in_month ELSE 0 END) AS sent_back,
    SUM(returns_filed) AS returns_filed,
    SUM(returns_refused) AS returns_refused,
    SUM(CASE WHEN lead = 1 AND went_overdue = 1 THEN 1 ELSE 0 END) AS overdue,
    SUM(CASE WHEN lead = 1 AND new_in_month = 1 AND proposed IS NOT NULL AND p.id IS NOT NULL
             AND substr(p.path, 1, length(u.path)) <> u.path THEN 1 ELSE 0 END) AS assigned_elsewhere,
    MAX(CASE WHEN answerable = 1 AND awaiting = 1 THEN o.response_due END) AS last_awaited
FROM judged d
JOIN org_unit u ON u.code = d.unit_code
JOIN dispatch_order o ON o.id = d.order_id
LEFT JOIN org_unit p ON p.code = d.proposed
GROUP BY d.unit_code
"""


def _order_detail_sql() -> str:
    """One unit's orders with the flags the figures are summed from (for the lost points)."""
    return f"""{_order_ctes()}
SELECT order_id, lead, new_in_month, answerable, awaiting, accepted_on_time, is_due, carried, done_at_end,
    done_on_time, went_overdue, returns_refused, backs_in_month
FROM judged WHERE unit_code = %(unit)s
ORDER BY order_id
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


@dataclass
class MonthFigures:
    """What `month_figures` found: unit id → counts, street/community id → burden figures, and the
    latest limit still ahead of an undecided outcome (None when every outcome is known)."""

    counts: dict[int, dict]
    burden: dict[int, dict]
    undecided_until: dt.datetime | None


def _from_db_time(value) -> dt.datetime | None:
    """A datetime from a raw aggregate: PostgreSQL gives an aware one, SQLite the stored UTC text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    moment = dt.datetime.fromisoformat(str(value))
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)


def month_figures(month: dt.date, *, now: dt.datetime | None = None) -> MonthFigures:
    """Every unit's assessment counts and every street's and community's burden figures for `month`,
    as known at `now` (default: the current time); a month still running is counted up to `now`."""
    now = now or timezone.now()
    start, end = month_bounds(month)
    cut = min(end, now)
    params = {"start": _db_time(start), "cut": _db_time(cut), "now": _db_time(now)}
    units = {unit.code: unit for unit in Unit.objects.only("id", "code", "kind")}
    counts: dict[int, dict] = {}
    burden: dict[int, dict] = {}
    undecided: list[dt.datetime] = []

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
            for name in ORDER_COUNT_FIELDS:
                row[name] = int(record[name] or 0)
            if record["last_awaited"] is not None:
                undecided.append(_from_db_time(record["last_awaited"]))
            unit = units[record["unit_code"]]
            if unit.kind in GRASSROOTS_KINDS:
                figures = burden_of(unit.pk)
                figures["received"] = row["received"]
                figures["assigned_elsewhere"] = int(record["assigned_elsewhere"] or 0)
        cursor.execute(_callback_sql(), {"start": params["start"], "end": params["cut"]})
        for code, called, solved, satisfied, not_unit in cursor.fetchall():
            row = row_of(code)
            if row is not None:
                row.update(
                    called_back=int(called),
                    solved=int(solved or 0),
                    satisfied=int(satisfied or 0),
                    unsatisfied_not_unit=int(not_unit or 0),
                )
        cursor.execute(_unreachable_sql(), {"start": params["start"], "end": params["cut"]})
        for code, unreachable in cursor.fetchall():
            row = row_of(code)
            if row is not None:
                row["unreachable"] = int(unreachable)

    notices = (
        CriticismNotice.objects.filter(issued_at__gte=start, issued_at__lt=cut)
        .values("unit_id")
        .annotate(total=Count("id"))
    )
    for entry in notices:
        counts.setdefault(entry["unit_id"], dict.fromkeys(COUNT_FIELDS, 0))["criticism_notices"] = entry[
            "total"
        ]

    # Report-ins (报到) of the departments summoned by a whistle blown in the month, judged when known.
    summoned = (
        ReportIn.objects.filter(whistle__blown_at__gte=start, whistle__blown_at__lt=cut)
        .values("unit_id")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=Q(reported_at__lte=F("whistle__report_in_due"), reported_at__lt=now)),
            late=Count("id", filter=Q(reported_at__gt=F("whistle__report_in_due"), reported_at__lt=now)),
            missing=Count(
                "id",
                filter=(Q(reported_at__isnull=True) | Q(reported_at__gte=now))
                & Q(whistle__report_in_due__lte=now),
            ),
            pending=Count(
                "id",
                filter=(Q(reported_at__isnull=True) | Q(reported_at__gte=now))
                & Q(whistle__report_in_due__gt=now),
            ),
            last_pending=Max(
                "whistle__report_in_due",
                filter=(Q(reported_at__isnull=True) | Q(reported_at__gte=now))
                & Q(whistle__report_in_due__gt=now),
            ),
        )
    )
    for entry in summoned:
        row = counts.setdefault(entry["unit_id"], dict.fromkeys(COUNT_FIELDS, 0))
        row.update(
            report_ins_due=entry["due"],
            report_ins_on_time=entry["on_time"],
            report_ins_late=entry["late"],
            report_ins_missing=entry["missing"],
            report_ins_pending=entry["pending"],
        )
        if entry["last_pending"] is not None:
            undecided.append(entry["last_pending"])

    refused = (
        ReturnRequest.objects.filter(
            reviewed_at__gte=start,
            reviewed_at__lt=cut,
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
            blown_at__gte=start, blown_at__lt=cut, blown_by_unit__kind__in=GRASSROOTS_KINDS
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

    # Refused push-downs: the dispatch services write a `pushdown_refused` event after the refusal's
    # rollback, naming the street or community and how it was tried (`via`). A refused return is
    # counted from its ReturnRequest above, so only access-list and forward attempts are read here.
    grassroots = set(Unit.objects.filter(kind__in=GRASSROOTS_KINDS).values_list("pk", flat=True))
    attempts = (
        Event.objects.filter(action="pushdown_refused", at__gte=start, at__lt=cut)
        .values("payload__unit_id", "payload__via")
        .annotate(total=Count("id"))
    )
    for entry in attempts:
        unit_id, via = entry["payload__unit_id"], entry["payload__via"]
        if unit_id not in grassroots:
            continue
        if via in (None, "", "access_list"):
            burden_of(unit_id)["access_list_refused"] += entry["total"]
        elif via == "forward":
            burden_of(unit_id)["forwards_refused"] += entry["total"]
    # Delegations a consultation or an approved catalog exception allowed: the child order's dispatch
    # names its basis; the street or community still carries work the catalog gives to someone else.
    delegations = (
        Event.objects.filter(action="dispatched", at__gte=start, at__lt=cut, payload__has_key="delegated")
        # A street that only relays the order to the community the delegation names does no work on it.
        # (has_key first: a missing key compares as NULL, and NOT NULL would drop the row).
        .exclude(Q(payload__delegated__has_key="relay") & Q(payload__delegated__relay=True))
        .values("payload__unit")
        .annotate(total=Count("id"))
    )
    for entry in delegations:
        unit = units.get(entry["payload__unit"])
        if unit is not None and unit.pk in grassroots:
            burden_of(unit.pk)["delegated"] = entry["total"]
    return MonthFigures(counts, burden, max(undecided) if undecided else None)


def hours_saved(figures: dict, scheme: AssessmentScheme) -> float:
    """Work kept off a street or community: each order refused in its favour at the scheme's hours."""
    kept_off = figures["pushdowns_refused"] + figures["access_list_refused"] + figures["forwards_refused"]
    return round(kept_off * scheme.hours_per_order, 1)


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def rates_of(row: dict) -> dict[str, float | None]:
    """The rates from the counts; a rate without a denominator is empty, not zero."""
    return {
        "response_rate": _share(row["responded"], row["assessed"]),
        "completion_rate": _share(row["completed"], row["due"]),
        "on_time_rate": _share(row["completed_on_time"], row["completed"]),
        "resolution_rate": _share(row["solved"], row["called_back"]),
        "satisfaction_rate": _share(row["satisfied"], row["called_back"] - row["unsatisfied_not_unit"]),
        "report_in_rate": _share(
            row.get("report_ins_on_time", 0), row.get("report_ins_due", 0) - row.get("report_ins_pending", 0)
        ),
    }


def sample_of(row: dict) -> int:
    """How many judged things a unit's score would stand on (definitions.SAMPLE): its assessed orders
    (the larger of the response and completion denominators) plus its judged report-ins."""
    report_ins = row.get("report_ins_due", 0) - row.get("report_ins_pending", 0)
    return max(row["assessed"], row["due"]) + report_ins


def score_of(row: dict, scheme: AssessmentScheme) -> tuple[float | None, float]:
    """(score, deduction). Weights of the rates that apply are scaled to 100; a unit without any
    applicable rate is not scored (a unit that received nothing is neither good nor bad), nor is a
    unit whose sample is below the scheme's minimum (one late order would zone it red)."""
    if 0 < sample_of(row) < scheme.min_sample:
        return None, 0.0
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
def assess_month(
    *,
    month: dt.date,
    by: Person | None = None,
    note: str = "",
    projection_day: dt.date | None = None,
    replacing: int | None = None,
) -> AssessmentRun:
    """Compute `month` as known now and store it as a new version; the previous version stays, no
    longer current. A month still running, or with an outcome not yet known, is computed as provisional
    (definitions.PROVISIONAL). `replacing` (the version expected to be current, 0 for none) makes a
    periodic recomputation a no-op Conflict when another worker has recomputed the month meanwhile."""
    start, end = month_bounds(month)
    now = timezone.now()
    if start > now:
        raise DomainError(f"{month:%Y-%m} 尚未开始，不能计算考评", field="month")
    scheme = scheme_for(month)
    started = time.perf_counter()
    _lock_month(month)
    # Lock the month's runs so two recomputations at once take consecutive versions.
    earlier = list(AssessmentRun.objects.select_for_update().filter(month=month).order_by("version"))
    if replacing is not None:
        current = next((run.version for run in earlier if run.is_current), 0)
        if current != replacing:
            raise Conflict(f"{month:%Y-%m} 已由他人重新计算（当前第 {current} 版）", field="version")
    if projection_day is not None and any(run.projection_day == projection_day for run in earlier):
        raise Conflict(f"{projection_day:%Y-%m-%d} 的月中试算已经做过", field="projection_day")
    figures = month_figures(month, now=now)
    counts, burden = figures.counts, figures.burden
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
        row["insufficient_sample"] = 0 < sample_of(row) < scheme.min_sample
        if unit.kind in PLATFORM_KINDS:
            # Platforms dispatch and review; an order they hold again after an undone forward is not
            # signed for, so their rates would measure the units below them. Figures kept, not scored.
            row["score"] = None
            row["insufficient_sample"] = False
        row.update(unit_id=unit.pk, level=unit.level, kind=unit.kind, rank=None, peers=0, zone="")
        rows.append(row)
    # Unit trees never cross cities, so the root of a unit's tree (its city platform) names its city.
    rank_and_zone(rows, scheme, {unit.pk: unit.path_codes()[0] for unit in units.values()})
    provisional = end > now or figures.undecided_until is not None
    AssessmentRun.objects.filter(month=month, is_current=True).update(is_current=False)
    run = AssessmentRun.objects.create(
        month=month,
        version=(earlier[-1].version + 1) if earlier else 1,
        scheme=scheme,
        computed_at=now,
        computed_by=by if by is not None and by.pk else None,
        note=(note or "").strip(),
        is_current=True,
        is_provisional=provisional,
        final_after=max(end, figures.undecided_until or end) if provisional else None,
        projection_day=projection_day,
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


def order_flags(month: dt.date, unit: Unit, *, now: dt.datetime) -> list[dict]:
    """The unit's orders of `month` with the flags its figures were summed from, as known at `now`."""
    start, end = month_bounds(month)
    params = {
        "start": _db_time(start),
        "cut": _db_time(min(end, now)),
        "now": _db_time(now),
        "unit": unit.code,
    }
    with connection.cursor() as cursor:
        cursor.execute(_order_detail_sql(), params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


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
