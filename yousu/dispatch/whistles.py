"""Whistle and report-in (街道吹哨、部门报到): a street or community summons departments to a problem
(an appeal or something it found itself); each summoned department must report in — acknowledge and
say who came on site — within a limit, and the whistle shows who reported, who was late and who not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.appeals.selectors import check_reach
from yousu.core.errors import DomainError, PermissionRefused
from yousu.core.timestamps import payload_time
from yousu.org.choices import RoleCode, UnitKind
from yousu.org.models import Person, Unit
from yousu.org.selectors import distinct_units

from .choices import ReportInNode, ReportInState
from .models import ReportIn, Whistle

# The seeds name no report-in limit. One day lets a department summoned in the evening come on site
# the next morning and still be on time; a city with another practice passes report_in_within.
# A summons nobody must answer for months is no summons; this also keeps the due time computable.
MAX_REPORT_IN_WITHIN = dt.timedelta(days=30)
DEFAULT_REPORT_IN_WITHIN = dt.timedelta(hours=24)
# Who may blow: the grassroots units the mechanism exists to relieve.
WHISTLING_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY)
# Who may be summoned: units with the powers a street or community lacks, never another grassroots unit
# (that would push the work sideways) nor a platform (which dispatches rather than comes on site).
SUMMONED_KINDS = (UnitKind.DEPARTMENT, UnitKind.ENTERPRISE)
STAFF_ROLES = (RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER)
# The warning (报到预警) comes when half the limit has passed without a report-in: the rule the order
# clock already uses for its yellow node (办理时限过半), so a city has one meaning for "half the time gone
# and nothing done", met by a department on its orders and on its summons alike. The half that is left
# is as long as the half already let pass: time enough to send someone on site if the department is
# coming at all. With the default day's limit the warning comes twelve hours before it.
REPORT_IN_WARNING_SHARE = 0.5
MAX_PROBLEM = 4000
MAX_ON_SITE = 1000
MAX_NOTE = 4000


# Later stages learn of a whistle here without dispatch importing them: supervision tells the summoned
# departments (yousu.supervision.report_ins, registered in its AppConfig.ready). Each hook runs inside
# whistle_blow's transaction and its failure is not caught: a summons no department hears of is the
# very failure the mechanism exists to stop, so a whistle whose notices cannot be written is not blown.
WHISTLE_BLOWN_HOOKS: list[Callable[[Whistle], None]] = []


def _staff(by: Person | None) -> bool:
    # Not a superuser as such: the flag maintains data and blows no unit's whistle (docs/accounts.md).
    return by is not None and by.is_active and by.has_role(*STAFF_ROLES)


@transaction.atomic
def whistle_blow(
    *,
    by: Person,
    problem: str,
    departments: list[Unit],
    appeal: Appeal | None = None,
    report_in_within: dt.timedelta | None = None,
) -> Whistle:
    """吹哨: summon `departments`; each gets a report-in row that stays open until it reports in."""
    unit = by.unit if by is not None else None
    if not _staff(by) or unit is None or unit.kind not in WHISTLING_KINDS:
        raise PermissionRefused("只有街道或社区的承办人、负责人可以吹哨", field="by")
    problem = (problem or "").strip()
    if not problem:
        raise DomainError("必须写明要解决的问题", field="problem")
    if len(problem) > MAX_PROBLEM:
        raise DomainError(f"问题描述不能超过 {MAX_PROBLEM} 个字符", field="problem")
    departments = distinct_units(departments)
    if not departments:
        raise DomainError("至少要召集一个部门", field="departments")
    for department in departments:
        if department.kind not in SUMMONED_KINDS:
            raise DomainError(
                f"{department.name}不是职能部门或企事业单位，不能被召集报到", field="departments"
            )
        if not department.is_active:
            raise DomainError(f"{department.name}已停用", field="departments")
    if appeal is not None and not (appeal.area_id and appeal.area.path.startswith(unit.area.path)):
        # A street or community summons departments to a problem on its own ground, whether or not
        # the appeal was sent to it (街道吹哨); another appeal only if the person reaches it.
        check_reach(by, [appeal], field="appeal")
    within = DEFAULT_REPORT_IN_WITHIN if report_in_within is None else report_in_within
    if not isinstance(within, dt.timedelta) or within <= dt.timedelta(0):
        raise DomainError("报到时限必须大于零", field="report_in_within")
    if within > MAX_REPORT_IN_WITHIN:
        raise DomainError("报到时限不能超过 30 天", field="report_in_within")
    now = timezone.now()
    whistle = Whistle.objects.create(
        blown_by_unit=unit,
        blown_by=by,
        appeal=appeal,
        problem=problem,
        blown_at=now,
        report_in_due=now + within,
    )
    warn_at = now + within * REPORT_IN_WARNING_SHARE
    ReportIn.objects.bulk_create(
        [
            ReportIn(whistle=whistle, unit=department, warn_at=warn_at, next_node_at=warn_at)
            for department in departments
        ]
    )
    if appeal is not None:
        record_event(
            appeal,
            "whistle_blown",
            actor=by,
            reason=problem,
            payload={
                "whistle": whistle.pk,
                "departments": [department.code for department in departments],
                "report_in_due": payload_time(whistle.report_in_due),
            },
        )
    for hook in WHISTLE_BLOWN_HOOKS:
        hook(whistle)
    return whistle


@transaction.atomic
def whistle_report_in(*, whistle: Whistle, by: Person, on_site: str, note: str = "") -> ReportIn:
    """报到: a summoned department answers once, naming who came on site; after the limit it is late."""
    if not _staff(by) or by.unit_id is None:
        raise PermissionRefused("只有被召集部门的承办人或负责人可以报到", field="by")
    # Lock the department's row so that two of its staff reporting at once yield one report-in.
    report_in = (
        ReportIn.objects.select_for_update(of=("self",))
        .select_related("whistle", "unit")
        .filter(whistle_id=whistle.pk, unit_id=by.unit_id)
        .first()
    )
    if report_in is None:
        raise PermissionRefused(f"{by.unit.name}不在这次吹哨召集的部门之列", field="by")
    if report_in.reported_at is not None:
        raise DomainError(
            f"{report_in.unit.name}已于 {report_in.reported_at:%Y-%m-%d %H:%M} 报到", field="status"
        )
    on_site = (on_site or "").strip()
    if not on_site:
        raise DomainError("必须写明到场人员", field="on_site")
    if len(on_site) > MAX_ON_SITE:
        raise DomainError(f"到场人员不能超过 {MAX_ON_SITE} 个字符", field="on_site")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(f"处置情况不能超过 {MAX_NOTE} 个字符", field="note")
    report_in.reported_at = timezone.now()
    report_in.reported_by = by
    report_in.on_site = on_site
    report_in.note = note
    report_in_schedule(report_in)  # reported: no node is left to fire
    report_in.save(update_fields=["reported_at", "reported_by", "on_site", "note", "next_node_at"])
    whistle = report_in.whistle
    if whistle.appeal_id:
        record_event(
            whistle.appeal,
            "reported_in",
            actor=by,
            reason=note,
            payload={
                "whistle": whistle.pk,
                "unit": report_in.unit.code,
                "on_site": on_site,
                "late": is_late(report_in),
            },
        )
    return report_in


def is_late(report_in: ReportIn) -> bool:
    return report_in.reported_at is not None and report_in.reported_at > report_in.whistle.report_in_due


def report_in_due_node(report_in: ReportIn, now: dt.datetime) -> str | None:
    """The node of `report_in` that is due at `now` and not yet fired, if any. The miss speaks for a
    warning not yet given: warning a department of a limit already passed would tell it nothing."""
    if report_in.reported_at is not None or report_in.missed_at is not None:
        return None
    if report_in.whistle.report_in_due <= now:
        return ReportInNode.MISSED
    if report_in.warned_at is None and report_in.warn_at is not None and report_in.warn_at <= now:
        return ReportInNode.WARNING
    return None


def report_in_schedule(report_in: ReportIn) -> None:
    """Put the time of the next unfired node in `next_node_at` (none once reported in or missed)."""
    if report_in.reported_at is not None or report_in.missed_at is not None:
        report_in.next_node_at = None
    elif report_in.warned_at is None and report_in.warn_at is not None:
        report_in.next_node_at = report_in.warn_at
    else:
        report_in.next_node_at = report_in.whistle.report_in_due


def report_in_state(report_in: ReportIn, now: dt.datetime) -> str:
    """Where the department stands at `now` (ReportInState), read from the clock rather than from
    what the sweep has fired, so a page shows a passed limit even before the next sweep."""
    if report_in.reported_at is not None:
        return ReportInState.LATE if is_late(report_in) else ReportInState.ON_TIME
    if report_in.whistle.report_in_due <= now:
        return ReportInState.MISSED
    if report_in.warned_at is not None or (report_in.warn_at is not None and report_in.warn_at <= now):
        return ReportInState.WARNED
    return ReportInState.WAITING


def whistle_summary(whistle: Whistle) -> dict:
    """Unit codes that reported in, that reported after the limit, and that have not reported."""
    rows = (
        ReportIn.objects.filter(whistle_id=whistle.pk)
        .select_related("unit", "whistle")
        .order_by("unit__code")
    )
    summary = {"reported": [], "late": [], "missing": []}
    for row in rows:
        if row.reported_at is None:
            summary["missing"].append(row.unit.code)
            continue
        summary["reported"].append(row.unit.code)
        if is_late(row):
            summary["late"].append(row.unit.code)
    return summary
