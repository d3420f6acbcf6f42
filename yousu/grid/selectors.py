"""Reads of grid governance: what waits for each desk, and the proactive-handling figures per
community, street and district (problems found, solved by mode, time to solve, share found before
any complaint, daily reports, whistles and report-ins)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal, Event
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.models import Order, ReportIn, Whistle
from yousu.dispatch.selectors import platform_served_units
from yousu.org.choices import LEVEL_DEPTH, Level
from yousu.org.models import Area, Person, Unit

from .choices import HandlingMode, ProblemSource, StreetDecision
from .models import DailyReport, FoundProblem, JointMeeting, MissingDailyReport
from .services import STATIONED_DUTIES, _department_takes, _grid_of, assignments_of, communities_of

SOLVED_STATUSES = (AppealStatus.COMPLETED, AppealStatus.CLOSED)
FIGURE_LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY)


# ---------------------------------------------------------------- desks


def problems_to_study(street: Unit) -> QuerySet[FoundProblem]:
    """Daily-report problems of the street's communities that the street has not studied yet."""
    return (
        FoundProblem.objects.filter(
            source=ProblemSource.DAILY_REPORT,
            street_decision="",
            community__in=communities_of(street),
        )
        .select_related("community", "kind", "area", "prior_complaint", "daily_report")
        .order_by("found_at", "id")
    )


def daily_reports_of_street(street: Unit, day: dt.date) -> list[dict]:
    """Each community of the street on `day`: its report (or None) and whether it was flagged missing."""
    communities = communities_of(street).order_by("path")
    reports = {r.community_id: r for r in DailyReport.objects.filter(day=day, community__in=communities)}
    flags = {f.community_id: f for f in MissingDailyReport.objects.filter(day=day, community__in=communities)}
    counts = defaultdict(int)
    for community_id in FoundProblem.objects.filter(daily_report__in=reports.values()).values_list(
        "community_id", flat=True
    ):
        counts[community_id] += 1
    return [
        {
            "community": community,
            "report": reports.get(community.pk),
            "missing": flags.get(community.pk),
            "problems": counts[community.pk],
        }
        for community in communities
    ]


def missing_reports_of_street(street: Unit, *, days: int = 30) -> QuerySet[MissingDailyReport]:
    since = timezone.localdate() - dt.timedelta(days=days)
    return MissingDailyReport.objects.filter(street=street, day__gte=since).select_related(
        "community", "report"
    )


def problems_for_district(platform: Unit) -> QuerySet[FoundProblem]:
    """Found problems that wait for the platform's study and dispatch (区级问题研判派单): sent up by a
    street, or reported by a grid worker for assisted or joint handling, and not yet dispatched."""
    return (
        FoundProblem.objects.filter(
            appeal__status=AppealStatus.RECEIVED,
            appeal__duplicate_of__isnull=True,
            appeal__intake_unit__in=platform_served_units(platform),
        )
        .filter(Q(street_decision=StreetDecision.SEND_UP) | Q(source=ProblemSource.GRID_REPORT))
        .select_related("community", "kind", "area", "appeal", "appeal__item", "prior_complaint")
        .order_by("found_at", "id")
    )


def reports_by(person: Person, *, limit: int = 50) -> QuerySet[FoundProblem]:
    return (
        FoundProblem.objects.filter(reported_by=person)
        .select_related("kind", "area", "appeal", "community")
        .order_by("-found_at", "-id")[:limit]
    )


def meetings_of(unit: Unit) -> QuerySet[JointMeeting]:
    """Meetings the unit convened or attended, newest first."""
    return (
        JointMeeting.objects.filter(Q(convened_by=unit) | Q(attendees=unit))
        .distinct()
        .select_related("convened_by", "recorded_by")
        .prefetch_related(
            "attendees", "matters__appeal", "matters__decisions__owner", "matters__decisions__order"
        )
        .order_by("-held_on", "-id")
    )


@dataclass
class StationedRow:
    appeal: Appeal
    grid: Area
    department: Unit
    duty: str
    order: Order | None  # the department's order waiting to be signed for, or None (waits for dispatch)


def stationed_worklist(person: Person) -> list[StationedRow]:
    """The appeals of the person's grids (驻格/巡格) that belong to their department and that they may
    sign for on the spot: orders sent to the department and still unsigned, and waiting appeals the
    catalog gives to it."""
    rows = []
    for assignment in assignments_of(person, STATIONED_DUTIES):
        grid = assignment.area
        in_grid = Appeal.objects.filter(
            Q(area=grid) | Q(found_problem__area=grid),
            status__in=(AppealStatus.RECEIVED, AppealStatus.DISPATCHED),
            duplicate_of__isnull=True,
        ).select_related("area", "item", "intake_unit")
        for appeal in in_grid.order_by("received_at")[:200]:
            if _grid_of(appeal) is None:
                continue
            takes = _department_takes(appeal, assignment.unit)
            if takes is None:
                continue
            rows.append(
                StationedRow(
                    appeal=appeal,
                    grid=grid,
                    department=assignment.unit,
                    duty=assignment.get_duty_display(),
                    order=takes if isinstance(takes, Order) else None,
                )
            )
    return rows


# ---------------------------------------------------------------- figures


def solved_mode(problem: FoundProblem, orders: list[Order]) -> str:
    """How the problem was solved: the mode recorded on the way (self at a street or community,
    assisted or joint at the district or a joint meeting), else read from its orders."""
    if problem.mode:
        return problem.mode
    if any(order.role == OrderRole.JOINT for order in orders):
        return HandlingMode.JOINT
    leads = [o for o in orders if o.role == OrderRole.LEAD and o.status != OrderStatus.FORWARDED]
    if leads and all(o.dispatched_from_id == o.unit_id and o.parent_id is None for o in leads):
        return HandlingMode.SELF
    return HandlingMode.ASSISTED


@dataclass
class ProactiveRow:
    area: Area
    found: int = 0
    from_grid_reports: int = 0
    from_daily_reports: int = 0
    before_complaint: int = 0
    dropped: int = 0
    solved: int = 0
    solved_by_mode: dict = field(default_factory=lambda: dict.fromkeys(HandlingMode.values, 0))
    hours_to_solve: list = field(default_factory=list)
    daily_reports: int = 0
    daily_reports_on_time: int = 0
    daily_reports_missing: int = 0
    whistles: int = 0
    report_ins: int = 0
    report_ins_answered: int = 0
    report_ins_on_time: int = 0

    def as_dict(self) -> dict:
        hours = self.hours_to_solve
        return {
            "area": self.area.name,
            "area_code": self.area.code,
            "level": self.area.level,
            "found": self.found,
            "from_grid_reports": self.from_grid_reports,
            "from_daily_reports": self.from_daily_reports,
            "before_complaint": self.before_complaint,
            "before_complaint_share": _share(self.before_complaint, self.found),
            "dropped": self.dropped,
            "solved": self.solved,
            "solved_share": _share(self.solved, self.found - self.dropped),
            "solved_self": self.solved_by_mode[HandlingMode.SELF],
            "solved_assisted": self.solved_by_mode[HandlingMode.ASSISTED],
            "solved_joint": self.solved_by_mode[HandlingMode.JOINT],
            "median_hours_to_solve": round(statistics.median(hours), 1) if hours else None,
            "mean_hours_to_solve": round(statistics.fmean(hours), 1) if hours else None,
            "daily_reports": self.daily_reports,
            "daily_reports_on_time": self.daily_reports_on_time,
            "daily_reports_missing": self.daily_reports_missing,
            "whistles": self.whistles,
            "report_ins": self.report_ins,
            "report_ins_answered": self.report_ins_answered,
            "report_ins_on_time": self.report_ins_on_time,
        }


def _share(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end] as aware datetimes: from start's midnight to the midnight after end."""
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    stop = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return begin, stop


def proactive_figures(
    *, start: dt.date, end: dt.date, level: str = Level.STREET, within: Area | None = None
) -> list[dict]:
    """The proactive-handling figures of the problems found from `start` to `end` (inclusive), one row
    per area of `level` (city, district, street or community) that has any, under `within` if given.
    The row of a coarser level is the exact total of the finer ones, medians included.
    Solved means the appeal was completed (or closed) by the time of reading; time to solve runs from
    finding to the completion of the lead order."""
    if level not in FIGURE_LEVELS:
        raise ValueError(level)
    begin, stop = _bounds(start, end)
    depth = LEVEL_DEPTH[level]
    areas = Area.objects.filter(level=level)
    if within is not None:
        areas = areas.filter(path__startswith=within.path)
    rows: dict[str, ProactiveRow] = {area.path: ProactiveRow(area=area) for area in areas}

    def row_for(path: str) -> ProactiveRow | None:
        # An area's path is "/code/code/.../"; its ancestor at `depth` is the first depth+1 codes.
        parts = path.strip("/").split("/")
        if len(parts) <= depth:
            return None
        return rows.get("/" + "/".join(parts[: depth + 1]) + "/")

    problems = list(
        FoundProblem.objects.filter(found_at__gte=begin, found_at__lt=stop).select_related(
            "community__area", "appeal"
        )
    )
    appeal_ids = [p.appeal_id for p in problems if p.appeal_id]
    orders: dict[int, list[Order]] = defaultdict(list)
    for order in Order.objects.filter(appeal_id__in=appeal_ids).only(
        "appeal_id", "role", "status", "unit_id", "dispatched_from_id", "parent_id", "completed_at"
    ):
        orders[order.appeal_id].append(order)
    for problem in problems:
        row = row_for(problem.community.area.path)
        if row is None:
            continue
        row.found += 1
        if problem.source == ProblemSource.GRID_REPORT:
            row.from_grid_reports += 1
        else:
            row.from_daily_reports += 1
        if problem.before_complaint:
            row.before_complaint += 1
        if problem.street_decision == StreetDecision.DROP:
            row.dropped += 1
            continue
        if problem.appeal is None or problem.appeal.status not in SOLVED_STATUSES:
            continue
        its_orders = orders[problem.appeal_id]
        row.solved += 1
        row.solved_by_mode[solved_mode(problem, its_orders)] += 1
        completed = [o.completed_at for o in its_orders if o.role == OrderRole.LEAD and o.completed_at]
        if completed:
            row.hours_to_solve.append(max((max(completed) - problem.found_at).total_seconds() / 3600, 0.0))
    for report in DailyReport.objects.filter(day__gte=start, day__lte=end).select_related("community__area"):
        row = row_for(report.community.area.path)
        if row is not None:
            row.daily_reports += 1
            row.daily_reports_on_time += int(report.on_time)
    for flag in MissingDailyReport.objects.filter(
        day__gte=start, day__lte=end, report__isnull=True
    ).select_related("community__area"):
        row = row_for(flag.community.area.path)
        if row is not None:
            row.daily_reports_missing += 1
    for whistle in Whistle.objects.filter(blown_at__gte=begin, blown_at__lt=stop).select_related(
        "blown_by_unit__area"
    ):
        row = row_for(whistle.blown_by_unit.area.path)
        if row is not None:
            row.whistles += 1
    for report_in in ReportIn.objects.filter(
        whistle__blown_at__gte=begin, whistle__blown_at__lt=stop
    ).select_related("whistle__blown_by_unit__area", "whistle"):
        row = row_for(report_in.whistle.blown_by_unit.area.path)
        if row is not None:
            row.report_ins += 1
            if report_in.reported_at is not None:
                row.report_ins_answered += 1
                row.report_ins_on_time += int(report_in.reported_at <= report_in.whistle.report_in_due)
    return [
        row.as_dict()
        for path, row in sorted(rows.items())
        if row.found or row.daily_reports or row.daily_reports_missing or row.whistles
    ]


def proactive_totals(rows: list[dict]) -> dict:
    """The sums of the counts of `proactive_figures` rows, with the shares recomputed from the sums.
    Medians cannot be added: for a scope's median ask for the row of the coarser level."""
    keys = [k for k, v in (rows[0].items() if rows else []) if isinstance(v, int) and not isinstance(v, bool)]
    totals = {key: sum(row[key] for row in rows) for key in keys}
    if rows:
        totals["before_complaint_share"] = _share(totals["before_complaint"], totals["found"])
        totals["solved_share"] = _share(totals["solved"], totals["found"] - totals["dropped"])
    return totals


def on_spot_acceptances(*, start: dt.date, end: dt.date, within: Area | None = None) -> list[dict]:
    """Per department: appeals its stationed or patrol staff signed for on the spot (现场签收), and
    how many of those are solved — the work counted for the department; with `within`, only what was
    signed for on that area's grids."""
    begin, stop = _bounds(start, end)
    events = Event.objects.filter(action="accepted_on_spot", at__gte=begin, at__lt=stop).values_list(
        "payload", "appeal_id"
    )
    grids = (
        set(
            Area.objects.filter(level=Level.GRID, path__startswith=within.path).values_list("code", flat=True)
        )
        if within is not None
        else None
    )
    by_unit: dict[int, set[int]] = defaultdict(set)
    for payload, appeal_id in events:
        payload = payload or {}
        unit_id = payload.get("unit_id")
        if unit_id and (grids is None or payload.get("grid") in grids):
            by_unit[unit_id].add(appeal_id)
    solved = set(
        Appeal.objects.filter(
            pk__in={a for ids in by_unit.values() for a in ids}, status__in=SOLVED_STATUSES
        ).values_list("pk", flat=True)
    )
    units = Unit.objects.in_bulk(list(by_unit))
    return sorted(
        (
            {
                "unit": units[unit_id].name,
                "unit_code": units[unit_id].code,
                "accepted_on_spot": len(appeals),
                "solved": len(appeals & solved),
            }
            for unit_id, appeals in by_unit.items()
            if unit_id in units
        ),
        key=lambda row: (-row["accepted_on_spot"], row["unit_code"]),
    )


def problem_state(problem: FoundProblem) -> str:
    """Where a found problem stands, in words for a list."""
    if problem.street_decision == StreetDecision.DROP:
        return str(StreetDecision.DROP.label)
    appeal = problem.appeal
    if appeal is None:
        return _("待街道研判")
    if appeal.status == AppealStatus.RECEIVED:
        return _("待区级研判派单")
    return appeal.get_status_display()
