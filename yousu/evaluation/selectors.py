"""Reading the assessment: which runs and rows a person may see.

Leaders, supervisors and administrators see every unit (they assess); anyone else sees their own
unit's row and the ranking of its peer group (names, scores, ranks and zones, not the peers' figures),
and the burden figures of the streets and communities they can see.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from yousu.core.errors import NotFound, PermissionRefused
from yousu.org.choices import RoleCode
from yousu.org.models import Person
from yousu.org.selectors import in_jurisdiction_of, units_visible_to

from .assessment import parse_month
from .models import AssessmentRun, BurdenFigure, UnitAssessment

# The provincial role reads every jurisdiction's figures (and changes nothing).
ASSESSOR_ROLES = (RoleCode.LEADER, RoleCode.SUPERVISOR, RoleCode.ADMINISTRATOR, RoleCode.PROVINCIAL)


def is_assessor(person: Person) -> bool:
    return person.is_active and (person.is_superuser or person.has_role(*ASSESSOR_ROLES))


def run_of(month: str | dt.date, version: int | None = None) -> AssessmentRun:
    """The month's current run, or the given version; NotFound when there is none."""
    month = parse_month(month) if isinstance(month, str) else month
    runs = AssessmentRun.objects.filter(month=month).select_related("scheme", "computed_by")
    run = (
        runs.filter(version=version).first() if version is not None else runs.filter(is_current=True).first()
    )
    if run is None:
        which = f"第 {version} 版" if version is not None else "考评结果"
        raise NotFound(f"{month:%Y-%m} 没有{which}", field="month")
    return run


def headline_run() -> AssessmentRun | None:
    """The run pages show when no month is asked for: the current run of the latest month that has
    ended (the running month's provisional figures are there to choose, not the headline), else the
    latest; None before anything was assessed."""
    runs = AssessmentRun.objects.filter(is_current=True).select_related("scheme")
    this_month = timezone.localdate().replace(day=1)
    return runs.filter(month__lt=this_month).order_by("-month").first() or runs.order_by("-month").first()


def results_visible_to(person: Person, run: AssessmentRun) -> QuerySet[UnitAssessment]:
    rows = run.results.select_related("unit").order_by("level", "kind", "rank", "unit__code")
    if is_assessor(person):
        return rows.filter(in_jurisdiction_of(person, "unit__area__path"))
    return rows.filter(unit_id=person.unit_id) if person.unit_id else rows.none()


def peer_ranking(person: Person, run: AssessmentRun) -> QuerySet[UnitAssessment]:
    """The peer group of the person's unit in the run, best first (for the ranking a unit is shown)."""
    own = run.results.filter(unit_id=person.unit_id).first() if person.unit_id else None
    if own is None:
        return run.results.none()
    return (
        run.results.filter(level=own.level, kind=own.kind, rank__isnull=False)
        .select_related("unit")
        .order_by("rank", "unit__code")
    )


def burden_visible_to(person: Person, run: AssessmentRun) -> QuerySet[BurdenFigure]:
    rows = run.burden.select_related("unit").order_by("unit__code")
    if is_assessor(person):
        return rows.filter(in_jurisdiction_of(person, "unit__area__path"))
    return rows.filter(unit__in=units_visible_to(person))


def check_may_compare(person: Person) -> None:
    if not is_assessor(person):
        raise PermissionRefused("只有领导、督办员和系统管理员可以比较考评版本", field="by")
