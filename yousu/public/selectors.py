"""Reads of the public page (宣) and of the figures it shares with the assessment pages: published cases,
the months that have been assessed, the ranking as the public may see it (names, scores, ranks and
zones, never a unit's own counts), headline figures, and grassroots-burden totals and order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from yousu.appeals.models import Appeal
from yousu.core.errors import NotFound
from yousu.evaluation import definitions
from yousu.evaluation.assessment import month_bounds, parse_month
from yousu.evaluation.models import AssessmentRun, BurdenFigure, UnitAssessment
from yousu.evaluation.selectors import headline_run
from yousu.org.choices import PLATFORM_KINDS, Level, UnitKind
from yousu.org.models import Area
from yousu.org.selectors import jurisdictions

from .models import TypicalCase

# The burden figures in the order the pages show them: the order their definitions are written in.
BURDEN_COLUMNS = tuple(definitions.BURDEN)
# "Most burdened" first: the most work the catalog gives to others, then the most received.
BURDEN_DEFAULT_ORDER = ("assigned_elsewhere", "received")
# The three figures the public page and the top of the assessment page lead with.
BURDEN_HEADLINE = ("hours_saved", "pushdowns_refused", "access_list_refused")


def public_jurisdiction(code: str | None) -> Area | None:
    """The city a public page is about: the one named (`jurisdiction`, its area code), else the
    deployment's first; None before any city is set up. An unknown code is NotFound."""
    cities = jurisdictions()
    if code:
        # No code has a NUL character, and PostgreSQL refuses one in a query: unknown, not a 500.
        city = cities.filter(code=code).first() if "\x00" not in code else None
        if city is None:
            raise NotFound(_("没有辖区 %(code)s") % {"code": code}, field="jurisdiction")
        return city
    return cities.first()


def _units_of(rows: QuerySet, city: Area | None) -> QuerySet:
    return rows.filter(unit__area__path__startswith=city.path) if city is not None else rows


def live_cases(month: dt.date | None = None, city: Area | None = None) -> QuerySet[TypicalCase]:
    """Published cases not withdrawn, newest first; of one month and one city when given."""
    cases = TypicalCase.objects.filter(withdrawn_at__isnull=True).select_related("item", "district", "street")
    if city is not None:
        cases = cases.filter(appeal__jurisdiction=city)
    return cases.filter(month=month) if month is not None else cases


def assessed_months() -> list[dt.date]:
    """Months with a current assessment, newest first."""
    return list(
        AssessmentRun.objects.filter(is_current=True).order_by("-month").values_list("month", flat=True)
    )


def public_run(month: str | dt.date | None = None) -> AssessmentRun | None:
    """The current run of `month` ("YYYY-MM" or a date), or by default of the latest month that has
    ended (the running month's provisional figures are there to choose, not the headline), else the
    latest; None when nothing has been assessed yet. A month not assessed is NotFound, naming the field."""
    runs = AssessmentRun.objects.filter(is_current=True).select_related("scheme")
    if month in (None, ""):
        return headline_run()
    month = parse_month(month) if isinstance(month, str) else month
    run = runs.filter(month=month).first()
    if run is None:
        raise NotFound(_("%(month)s 尚无考评结果") % {"month": f"{month:%Y-%m}"}, field="month")
    return run


@dataclass
class PeerGroup:
    level: str
    kind: str
    rows: list[UnitAssessment]

    @property
    def label(self) -> str:
        return f"{Level(self.level).label} · {UnitKind(self.kind).label}"


def ranked_groups(results: QuerySet[UnitAssessment] | list[UnitAssessment]) -> list[PeerGroup]:
    """Rows grouped by peer group (same level and kind), in the order given."""
    groups: dict[tuple[str, str], PeerGroup] = {}
    for row in results:
        key = (row.level, row.kind)
        groups.setdefault(key, PeerGroup(level=row.level, kind=row.kind, rows=[])).rows.append(row)
    return list(groups.values())


def public_ranking(run: AssessmentRun, city: Area | None = None) -> list[PeerGroup]:
    """The ranked units of the run (of one city when given) by peer group, best first; unranked units
    and platforms are left out."""
    rows = (
        _units_of(run.results.filter(rank__isnull=False), city)
        .select_related("unit")
        .order_by("level", "kind", "rank", "unit__code")
    )
    return ranked_groups(rows)


def _ratio(numerator, denominator) -> float | None:
    return numerator / denominator if denominator else None


def public_burden(run: AssessmentRun, city: Area | None = None) -> QuerySet[BurdenFigure]:
    return _units_of(run.burden.all(), city)


def headline(run: AssessmentRun, city: Area | None = None) -> dict:
    """The month's figures for everyone: appeals received, and the city's rates as the sum of the
    handling units' numerators over the sum of their denominators (platforms only pass orders on)."""
    start, end = month_bounds(run.month)
    results = _units_of(run.results.all(), city)
    appeals = Appeal.objects.filter(received_at__gte=start, received_at__lt=end)
    if city is not None:
        appeals = appeals.filter(jurisdiction=city)
    sums = results.exclude(kind__in=PLATFORM_KINDS).aggregate(
        **{
            name: Sum(name)
            for name in (
                "assessed",
                "responded",
                "due",
                "completed",
                "completed_on_time",
                "called_back",
                "solved",
                "satisfied",
                "unsatisfied_not_unit",
                "report_ins_due",
                "report_ins_on_time",
                "report_ins_pending",
            )
        }
    )
    sums = {name: value or 0 for name, value in sums.items()}
    zones = dict.fromkeys(("red", "yellow", "blue"), 0)
    for zone in results.filter(~Q(zone="")).values_list("zone", flat=True):
        zones[zone] += 1
    return {
        "appeals_received": appeals.count(),
        "orders_assessed": sums["assessed"],
        "completed": sums["completed"],
        "response_rate": _ratio(sums["responded"], sums["assessed"]),
        "completion_rate": _ratio(sums["completed"], sums["due"]),
        "on_time_rate": _ratio(sums["completed_on_time"], sums["completed"]),
        "resolution_rate": _ratio(sums["solved"], sums["called_back"]),
        "satisfaction_rate": _ratio(sums["satisfied"], sums["called_back"] - sums["unsatisfied_not_unit"]),
        "report_in_rate": _ratio(
            sums["report_ins_on_time"], sums["report_ins_due"] - sums["report_ins_pending"]
        ),
        "zones": zones,
    }


def burden_totals(rows: QuerySet[BurdenFigure]) -> dict[str, float]:
    """Each burden column summed over `rows` (0 when there are none)."""
    sums = rows.aggregate(**{name: Sum(name) for name in BURDEN_COLUMNS})
    return {name: value or 0 for name, value in sums.items()}


def burden_ordered(rows: QuerySet[BurdenFigure], sort: str | None = None) -> QuerySet[BurdenFigure]:
    """The most burdened first: by `sort` (a burden column) when given, else by work assigned elsewhere,
    then by orders received; ties by unit code so the order is stable."""
    keys = (sort,) if sort in BURDEN_COLUMNS else BURDEN_DEFAULT_ORDER
    return rows.order_by(*(f"-{key}" for key in keys), "unit__code")
