"""Grid governance and proactive handling (未诉先办): the domain rules.

The path of the second seed — 村(社区)党组织发现上报问题 → 乡镇(街道)党(工)委会商研判 → 市区职能部门联动解决 —
and the grid worker's own report upward. Everything a grid worker or community finds becomes an
appeal handled by the ordinary dispatch rules (catalog, three-level dispatch, access list), so the
figures, time limits and supervision are the same as for a citizen's appeal.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.appeals.services import AttachmentIn, appeal_create, appeal_replayed, clean_text
from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError, PermissionRefused
from yousu.core.workcalendar import CalendarNotCovered
from yousu.dispatch.choices import ACTIVE_ORDER_STATUSES, OrderRole, OrderStatus
from yousu.dispatch.consultations import consultation_decide
from yousu.dispatch.models import Consultation, Order
from yousu.dispatch.selectors import platform_served_units
from yousu.dispatch.services import (
    appeal_dispatch,
    appeal_dispatch_on_spot,
    appeal_handle_self,
    nearest_platform,
    order_accept,
    order_add_assist,
    proposal,
)
from yousu.intelligence import similarity
from yousu.notifications.services import NotificationSpec, notify_many
from yousu.org.calendar import calendar_for_unit
from yousu.org.choices import PLATFORM_KINDS, GridDuty, Level, RoleCode, UnitKind
from yousu.org.models import Area, GridAssignment, Person, Unit
from yousu.org.selectors import area_for_point, distinct_units

from .choices import DecisionKind, HandlingMode, ProblemSource, StreetDecision
from .models import (
    DailyReport,
    DailyReportScope,
    FoundProblem,
    JointMeeting,
    MeetingDecision,
    MeetingMatter,
    MissingDailyReport,
    ReportKind,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_PROBLEMS_PER_REPORT = 50
GRID_WORKER_DUTIES = (GridDuty.CHIEF, GridDuty.FULL_TIME_WORKER, GridDuty.PART_TIME_WORKER)
STATIONED_DUTIES = (GridDuty.STATIONED, GridDuty.PATROL)
COMMUNITY_STAFF_ROLES = (RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER, RoleCode.GRID_WORKER)
STREET_STAFF_ROLES = (RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER)
# Units that may convene a joint meeting (联席会议): a street, or the district or city platform or government.
CONVENING_KINDS = (
    UnitKind.STREET,
    UnitKind.DISTRICT_PLATFORM,
    UnitKind.DISTRICT_GOVERNMENT,
    UnitKind.CITY_PLATFORM,
)
# Citizens' channels: a problem found after one of these raised it was not found before a complaint.
CITIZEN_CHANNELS = tuple(c for c in Channel.values if c not in (Channel.GRID_REPORT, Channel.PROACTIVE))
PRIOR_COMPLAINT_SIMILARITY = 0.35


# ---------------------------------------------------------------- small checks


def _active(by: Person | None) -> Person:
    if by is None or not by.is_active:
        raise PermissionRefused("必须由在岗人员操作", field="by")
    return by


def _member(by: Person, unit: Unit, roles, what: str) -> None:
    _active(by)
    # No superuser exception: the flag maintains data and acts for no unit (docs/accounts.md).
    if by.unit_id != unit.pk or not by.has_role(*roles):
        raise PermissionRefused(f"只有{unit.name}的相应人员可以{what}", field="by")


def _kind(kind: ReportKind | None, *, required: bool) -> ReportKind | None:
    if kind is None:
        if required:
            raise DomainError("请选择上报事项类别", field="kind")
        return None
    if not kind.is_active:
        raise DomainError(f"事项类别“{kind.name}”已停用", field="kind")
    return kind


def _mode(mode: str, *, allowed=HandlingMode.values) -> str:
    if mode not in allowed:
        names = "、".join(str(HandlingMode(m).label) for m in allowed)
        raise DomainError(f"办理方式须为：{names}", field="mode")
    return mode


def community_of(area: Area) -> Unit | None:
    """The community unit that answers for `area` (a grid or the community itself)."""
    community_area = area.ancestor_at(Level.COMMUNITY)
    if community_area is None:
        return None
    return Unit.objects.filter(kind=UnitKind.COMMUNITY, area=community_area, is_active=True).first()


def communities_of(street: Unit):
    """The community units a street studies for: its own units below it, or those in its area."""
    return Unit.objects.filter(
        Q(parent=street) | Q(area__path__startswith=street.area.path), kind=UnitKind.COMMUNITY, is_active=True
    )


def street_of(community: Unit) -> Unit | None:
    """The street that studies `community`'s problems: its parent unit, or the street of its area."""
    if community.parent_id and community.parent.kind == UnitKind.STREET:
        return community.parent
    street_area = community.area.ancestor_at(Level.STREET)
    return Unit.objects.filter(kind=UnitKind.STREET, area=street_area, is_active=True).first()


def assignments_of(person: Person, duties, day: dt.date | None = None):
    """The person's duties on grids in force on `day` (today by default)."""
    day = day or timezone.localdate()
    return (
        GridAssignment.objects.filter(person=person, duty__in=duties)
        .filter(Q(since__isnull=True) | Q(since__lte=day))
        .filter(Q(until__isnull=True) | Q(until__gte=day))
        .select_related("area", "unit")
    )


def grids_of(person: Person) -> list[Area]:
    """The grids a grid worker (or grid chief) reports on: assigned grids, and every grid under an
    area the person is chief of."""
    grids: dict[int, Area] = {}
    for assignment in assignments_of(person, GRID_WORKER_DUTIES):
        if assignment.area.level == Level.GRID:
            grids[assignment.area.pk] = assignment.area
        else:
            for grid in Area.objects.filter(level=Level.GRID, path__startswith=assignment.area.path):
                grids[grid.pk] = grid
    return sorted(grids.values(), key=lambda area: area.path)


def prior_complaint(*, text: str, area: Area, item: CatalogItem | None, at: dt.datetime) -> Appeal | None:
    """A citizen's appeal about the same matter in the same community received before `at`, if any:
    same catalog item, or much the same words."""
    community = area.ancestor_at(Level.COMMUNITY) or area
    since = at - dt.timedelta(days=settings.YOUSU_PRIOR_COMPLAINT_DAYS)
    earlier = Appeal.objects.filter(
        channel__in=CITIZEN_CHANNELS,
        area__path__startswith=community.path,
        received_at__gte=since,
        received_at__lt=at,
    ).order_by("received_at")
    if item is not None:
        same_item = earlier.filter(item=item).first()
        if same_item is not None:
            return same_item
    words = similarity.normalised(similarity.term_weights(text))
    if not words:
        return None
    for appeal in earlier[:300]:
        other = similarity.normalised(similarity.term_weights(appeal.content, title=appeal.title))
        if similarity.dot(words, other) >= PRIOR_COMPLAINT_SIMILARITY:
            return appeal
    return None


def _title(kind: ReportKind | None, text: str) -> str:
    head = text.replace("\n", " ")[:40]
    return f"{kind.name}：{head}" if kind is not None else head


# ---------------------------------------------------------------- 1. grid reports


@transaction.atomic
def grid_report_create(
    *,
    by: Person,
    kind: ReportKind | None,
    text: str,
    mode: str,
    grid: Area | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    address: str = "",
    attachments: list[AttachmentIn] | None = None,
    idempotency_key: str = "",
) -> FoundProblem:
    """A grid worker reports a matter found on the rounds. It becomes an appeal on the grid channel at
    once. Self-handled (自办) it goes to the grid's community as the community's own order, which the
    access list must allow; assisted or joint (协办/联办) it waits in the district platform's queue
    to be studied and dispatched by the catalog like any appeal."""
    _active(by)
    if not by.has_role(RoleCode.GRID_WORKER):
        raise PermissionRefused("只有网格员可以网格上报", field="by")
    kind = _kind(kind, required=True)
    text = clean_text(text, "text", limit=MAX_TEXT)
    mode = _mode(mode)
    address = clean_text(address, "address", limit=300, required=False)
    if (longitude is None) != (latitude is None):
        raise DomainError("经纬度须同时填写", field="longitude" if longitude is None else "latitude")
    mine = grids_of(by)
    if grid is None and longitude is not None:
        grid = area_for_point(longitude, latitude)
        if grid is None or grid.level != Level.GRID:
            raise DomainError("该位置不在任何网格内，请选择网格", field="grid")
    if grid is None:
        if len(mine) != 1:
            raise DomainError("请选择上报的网格", field="grid")
        grid = mine[0]
    if grid.level != Level.GRID:
        raise DomainError("请选择网格", field="grid")
    if grid.pk not in {area.pk for area in mine}:
        raise PermissionRefused(f"{grid.name}不是您负责的网格", field="grid")
    community = community_of(grid)
    if community is None:
        raise DomainError(f"{grid.name}所在社区没有对应的社区单位", field="grid")
    # A key is its community's (the intake unit): another's use of it is refused, not answered.
    replayed = appeal_replayed(
        channel=Channel.GRID_REPORT, idempotency_key=idempotency_key, intake_unit=community
    )
    existing = FoundProblem.objects.filter(appeal=replayed).first() if replayed is not None else None
    if existing is not None:
        return existing
    item = kind.item if kind is not None else None
    appeal = appeal_create(
        kind=AppealKind.REPORT,
        channel=Channel.GRID_REPORT,
        title=_title(kind, text),
        content=text,
        intake_unit=community,
        received_by=by,
        address=address,
        longitude=longitude,
        latitude=latitude,
        area=grid,
        item=item,
        anonymous=True,
        idempotency_key=idempotency_key,
        attachments=attachments,
    )
    problem = FoundProblem.objects.create(
        source=ProblemSource.GRID_REPORT,
        community=community,
        area=grid,
        kind=kind,
        text=text,
        address=address,
        longitude=longitude,
        latitude=latitude,
        found_at=appeal.received_at,
        reported_by=by,
        mode=mode,
        appeal=appeal,
        prior_complaint=prior_complaint(text=text, area=grid, item=item, at=appeal.received_at),
    )
    record_event(appeal, "grid_reported", actor=by, payload={"kind": kind.code, "mode": mode})
    if mode == HandlingMode.SELF:
        if community.kind == UnitKind.COMMUNITY and by.unit_id != community.pk:
            raise PermissionRefused(f"只有{community.name}的网格员可以上报自办", field="by")
        appeal_handle_self(appeal=appeal, unit=community, by=by, reason="网格员上报，社区自办")
        appeal.refresh_from_db()
    return problem


# ---------------------------------------------------------------- 2. daily discovery reports


def daily_report_due(unit: Unit, day: dt.date) -> dt.datetime:
    """When `day`'s report is due: YOUSU_DAILY_REPORT_DUE, local time, that day."""
    try:
        hour, minute = (int(part) for part in settings.YOUSU_DAILY_REPORT_DUE.split(":"))
        due_time = dt.time(hour, minute)
    except ValueError as exc:
        raise DomainError("YOUSU_DAILY_REPORT_DUE 须为“时:分”", field="YOUSU_DAILY_REPORT_DUE") from exc
    return timezone.make_aware(dt.datetime.combine(day, due_time))


def _problem_in(community: Unit, spec: dict, index: int) -> dict:
    """One problem of a daily report, checked (nothing written)."""
    prefix = f"problems[{index}]."
    if not isinstance(spec, dict):
        raise DomainError("须为对象", field=f"problems[{index}]")
    text = clean_text(spec.get("text"), prefix + "text", limit=MAX_TEXT)
    kind = spec.get("kind")
    if kind is not None and not isinstance(kind, ReportKind):
        raise DomainError("未知的事项类别", field=prefix + "kind")
    _kind(kind, required=False)
    area = spec.get("area") or community.area
    if not isinstance(area, Area) or not area.path.startswith(community.area.path):
        raise DomainError(f"须在{community.name}辖区内", field=prefix + "area")
    longitude, latitude = spec.get("longitude"), spec.get("latitude")
    if (longitude is None) != (latitude is None):
        raise DomainError("经纬度须同时填写", field=prefix + "longitude")
    return {
        "text": text,
        "kind": kind,
        "area": area,
        "address": clean_text(spec.get("address"), prefix + "address", limit=300, required=False),
        "longitude": longitude,
        "latitude": latitude,
    }


@transaction.atomic
def daily_report_submit(
    *, community: Unit, day: dt.date, by: Person, problems: list[dict], note: str = ""
) -> DailyReport:
    """A community party organisation's report of the problems found on `day` (发现问题日报告). One
    report a day; one with no problem says the community found none. A late report is accepted and
    marked late; it settles the day's missing-report flag."""
    if community.kind != UnitKind.COMMUNITY:
        raise DomainError("日报告由社区报送", field="community")
    _member(by, community, COMMUNITY_STAFF_ROLES, "报送发现问题日报告")
    now = timezone.now()
    today = timezone.localdate(now)
    if day > today:
        raise DomainError("不能报送未来日期的日报告", field="day")
    if day < today and not MissingDailyReport.objects.filter(community=community, day=day).exists():
        # A past day is reported only as the late report of a day flagged missing: the daily report
        # says what was found that day, not a record written afterwards for any day one likes.
        raise DomainError("只能报送当日的日报告，或补报被标记缺报的日期", field="day")
    if not isinstance(problems, list) or len(problems) > MAX_PROBLEMS_PER_REPORT:
        raise DomainError(f"每份日报告最多 {MAX_PROBLEMS_PER_REPORT} 个问题", field="problems")
    note = clean_text(note, "note", required=False, limit=MAX_TEXT)
    checked = [_problem_in(community, spec, index) for index, spec in enumerate(problems)]
    if DailyReport.objects.filter(community=community, day=day).exists():
        raise DomainError(f"{community.name} {day} 的日报告已报送", field="day")
    try:
        with transaction.atomic():
            report = DailyReport.objects.create(
                community=community,
                day=day,
                submitted_by=by,
                submitted_at=now,
                on_time=now <= daily_report_due(community, day),
                note=note,
            )
    except IntegrityError:
        raise DomainError(f"{community.name} {day} 的日报告已报送", field="day") from None
    for spec in checked:
        item = spec["kind"].item if spec["kind"] is not None else None
        FoundProblem.objects.create(
            source=ProblemSource.DAILY_REPORT,
            daily_report=report,
            community=community,
            reported_by=by,
            found_at=now,
            prior_complaint=prior_complaint(text=spec["text"], area=spec["area"], item=item, at=now),
            **spec,
        )
    MissingDailyReport.objects.filter(community=community, day=day, report__isnull=True).update(report=report)
    street = street_of(community)
    if checked and street is not None:
        notify_many(
            [
                NotificationSpec(
                    kind="daily_report",
                    unit=street,
                    subject=f"{community.name}报送发现问题 {len(checked)} 个",
                    text=f"{community.name} {day} 的发现问题日报告有 {len(checked)} 个问题待街道会商研判。",
                )
            ]
        )
    return report


def flag_missing_daily_reports(now: dt.datetime | None = None) -> int:
    """Flag each community (under a DailyReportScope) whose report for a working day is not in by the
    due time, once, and tell its street. Looks back two days, so a day the periodic job missed is
    still flagged."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    scopes = list(DailyReportScope.objects.select_related("area"))
    if not scopes:
        return 0
    covered = Q()
    for scope in scopes:
        covered |= Q(area__path__startswith=scope.area.path)
    communities = list(
        Unit.objects.filter(covered, kind=UnitKind.COMMUNITY, is_active=True).select_related("parent", "area")
    )
    since = {scope.area.path: scope.since for scope in scopes}

    def required(community: Unit, day: dt.date) -> bool:
        return any(community.area.path.startswith(path) and start <= day for path, start in since.items())

    flagged = []
    for day in (today - dt.timedelta(days=2), today - dt.timedelta(days=1), today):
        reported = set(DailyReport.objects.filter(day=day).values_list("community_id", flat=True))
        already = set(MissingDailyReport.objects.filter(day=day).values_list("community_id", flat=True))
        for community in communities:
            if community.pk in reported or community.pk in already or not required(community, day):
                continue
            try:
                if not calendar_for_unit(community).is_workday(day):
                    continue
            except CalendarNotCovered:
                logger.warning("no working calendar for %s on %s; daily report not checked", community, day)
                continue
            if now < daily_report_due(community, day):
                continue
            street = street_of(community)
            if street is None:
                continue
            flagged.append(MissingDailyReport(community=community, street=street, day=day, flagged_at=now))
    if not flagged:
        return 0
    with transaction.atomic():
        created = MissingDailyReport.objects.bulk_create(flagged, ignore_conflicts=True)
        notify_many(
            NotificationSpec(
                kind="daily_report_missing",
                unit=flag.street,
                subject=f"{flag.community.name} {flag.day} 日报告未按时报送",
                text=(
                    f"{flag.community.name} {flag.day} 的发现问题日报告截至 "
                    f"{settings.YOUSU_DAILY_REPORT_DUE} 仍未报送，请督促。"
                ),
            )
            for flag in flagged
        )
    return len(created)


# ---------------------------------------------------------------- street study (会商研判)


def _appeal_for(problem: FoundProblem, *, intake_unit: Unit, by: Person, item: CatalogItem | None) -> Appeal:
    return appeal_create(
        kind=AppealKind.REPORT,
        channel=Channel.PROACTIVE,
        title=_title(problem.kind, problem.text),
        content=problem.text,
        intake_unit=intake_unit,
        received_by=by,
        address=problem.address,
        longitude=problem.longitude,
        latitude=problem.latitude,
        area=problem.area,
        item=item,
        anonymous=True,
    )


@transaction.atomic
def problem_study(
    *,
    problem: FoundProblem,
    by: Person,
    decision: str,
    reason: str = "",
    item: CatalogItem | None = None,
) -> FoundProblem:
    """The street studies a problem its community reported (会商研判): handle it itself (自办, the
    street's own order, which it may pass to the community only as the access list allows), send it
    up for the district to study and dispatch, or drop it with a reason."""
    problem = (
        FoundProblem.objects.select_for_update(of=("self",))
        .select_related("community", "kind")
        .get(pk=problem.pk)
    )
    if problem.source != ProblemSource.DAILY_REPORT:
        raise DomainError("网格上报的问题不经街道研判，已直接进入派单", field="problem")
    if problem.street_decision:
        raise DomainError(f"该问题已研判：{problem.get_street_decision_display()}", field="decision")
    street = street_of(problem.community)
    if street is None:
        raise DomainError(f"{problem.community.name}没有上级街道", field="problem")
    _member(by, street, STREET_STAFF_ROLES, "研判社区上报的问题")
    if decision not in StreetDecision.values:
        raise DomainError("研判结果须为：街道自办、报区级研判派单或不予立项", field="decision")
    reason = clean_text(reason, "reason", required=decision == StreetDecision.DROP, limit=MAX_TEXT)
    if item is not None and item.level != 3:
        raise DomainError("请选择三级事项", field="item")
    item = item or (problem.kind.item if problem.kind is not None else None)
    if decision != StreetDecision.DROP:
        problem.appeal = _appeal_for(problem, intake_unit=street, by=by, item=item)
        record_event(
            problem.appeal,
            "found_problem_studied",
            actor=by,
            reason=reason,
            payload={"decision": decision, "community": problem.community.code},
        )
    if decision == StreetDecision.HANDLE:
        appeal_handle_self(appeal=problem.appeal, unit=street, by=by, reason=reason or "街道会商研判：自办")
        problem.appeal.refresh_from_db()
        problem.mode = HandlingMode.SELF
    problem.street_decision = decision
    problem.street_reason = reason
    problem.street_decided_by = by
    problem.street_decided_at = timezone.now()
    problem.save()
    return problem


# ---------------------------------------------------------------- district study and dispatch


@transaction.atomic
def problem_dispatch(
    *,
    problem: FoundProblem,
    by: Person,
    units: list[Unit],
    mode: str,
    reason: str = "",
    item: CatalogItem | None = None,
) -> list[Order]:
    """区级问题研判派单: the platform that serves the problem's community sends it to the lead unit
    (the first of `units`, by the catalog unless a reason is given) and brings the others in:
    assisting (协办) or jointly (联办, at least two units sharing the work)."""
    problem = FoundProblem.objects.select_for_update(of=("self",)).select_related("appeal").get(pk=problem.pk)
    appeal = problem.appeal
    if appeal is None:
        raise DomainError("该问题尚未经街道研判上报", field="problem")
    if appeal.status != AppealStatus.RECEIVED:
        raise DomainError(f"诉求当前为“{appeal.get_status_display()}”，不能再研判派单", field="status")
    _active(by)
    platform = by.unit
    if (
        platform is None
        or platform.kind not in PLATFORM_KINDS
        or not platform_served_units(platform).filter(pk=appeal.intake_unit_id).exists()
    ):
        raise PermissionRefused("只有服务该社区的区级平台可以研判派单", field="by")
    mode = _mode(mode, allowed=(HandlingMode.ASSISTED, HandlingMode.JOINT))
    units = distinct_units(units or [])
    if not units:
        raise DomainError("请选择承办单位", field="units")
    if mode == HandlingMode.JOINT and len(units) < 2:
        raise DomainError("联办须有两个以上单位共同办理", field="units")
    lead = appeal_dispatch(appeal=appeal, by=by, unit=units[0], reason=reason, item=item)
    role = OrderRole.JOINT if mode == HandlingMode.JOINT else OrderRole.ASSIST
    orders = [lead]
    for unit in units[1:]:
        orders.append(
            order_add_assist(order=lead, by=by, unit=unit, role=role, reason=reason or "区级问题研判派单")
        )
    problem.mode = mode
    problem.district_decided_by = by
    problem.district_decided_at = timezone.now()
    problem.save(update_fields=["mode", "district_decided_by", "district_decided_at"])
    return orders


# ---------------------------------------------------------------- 3. joint meetings (联席会议)


def _live_lead(appeal: Appeal) -> Order | None:
    return (
        appeal.orders.filter(role=OrderRole.LEAD, status__in=ACTIVE_ORDER_STATUSES)
        .order_by("-dispatched_at")
        .first()
    )


def _decision_in(spec: dict, where: str, now: dt.datetime) -> dict:
    if not isinstance(spec, dict):
        raise DomainError("须为对象", field=where)
    kind = spec.get("kind") or DecisionKind.ORDER
    if kind not in DecisionKind.values:
        raise DomainError("落实方式须为形成工单或作为会商结论", field=where + ".kind")
    owner = spec.get("owner")
    if not isinstance(owner, Unit):
        raise DomainError("请指定责任单位", field=where + ".owner")
    if not owner.is_active:
        raise DomainError(f"{owner.name}已停用", field=where + ".owner")
    if owner.kind in PLATFORM_KINDS:
        raise DomainError("平台不能作为责任单位", field=where + ".owner")
    due = spec.get("due")
    if not isinstance(due, dt.datetime) or timezone.is_naive(due):
        raise DomainError("请填写完成时限", field=where + ".due")
    if due <= now:
        raise DomainError("完成时限必须晚于现在", field=where + ".due")
    return {
        "kind": kind,
        "owner": owner,
        "due": due,
        "text": clean_text(spec.get("text"), where + ".text", limit=MAX_TEXT),
    }


@transaction.atomic
def joint_meeting_record(
    *,
    by: Person,
    convened_by: Unit,
    held_on: dt.date,
    title: str,
    attendees: list[Unit],
    minutes: str,
    matters: list[dict],
    place: str = "",
) -> JointMeeting:
    """Record a joint meeting: attending units, the matters (appeals) discussed, and decisions with an
    owner and a deadline. Each decision is carried out at once: it becomes an order (the owner joins
    the appeal's live lead as a joint unit with the decision's deadline, or leads it if the appeal is
    not yet dispatched) or the outcome of the appeal's open consultation. All or nothing."""
    _active(by)
    if convened_by.kind not in CONVENING_KINDS:
        raise DomainError("联席会议由街道或区、市平台召集", field="convened_by")
    if by.unit_id != convened_by.pk:
        raise PermissionRefused(f"只有{convened_by.name}的人员可以记录其联席会议", field="by")
    now = timezone.now()
    if not isinstance(held_on, dt.date) or held_on > timezone.localdate(now):
        raise DomainError("会议日期不能晚于今天", field="held_on")
    title = clean_text(title, "title", limit=200)
    minutes = clean_text(minutes, "minutes", limit=20000)
    place = clean_text(place, "place", limit=200, required=False)
    attendees = distinct_units(attendees or [])
    if not attendees:
        raise DomainError("请选择参会单位", field="attendees")
    if not matters:
        raise DomainError("至少研究一个议题", field="matters")
    checked = []
    seen = set()
    for index, spec in enumerate(matters):
        where = f"matters[{index}]"
        appeal = spec.get("appeal") if isinstance(spec, dict) else None
        if not isinstance(appeal, Appeal):
            raise DomainError("请选择诉求", field=where + ".appeal")
        if appeal.pk in seen:
            raise DomainError(f"诉求 {appeal.code} 重复列入", field=where + ".appeal")
        seen.add(appeal.pk)
        if appeal.area_id is None or not appeal.area.path.startswith(convened_by.area.path):
            raise DomainError(f"诉求 {appeal.code} 不在{convened_by.name}辖区内", field=where + ".appeal")
        if appeal.status not in (AppealStatus.RECEIVED, AppealStatus.DISPATCHED):
            raise DomainError(
                f"诉求 {appeal.code} 当前为“{appeal.get_status_display()}”，不能再作议题",
                field=where + ".appeal",
            )
        decisions = [
            _decision_in(decision, f"{where}.decisions[{n}]", now)
            for n, decision in enumerate(spec.get("decisions") or [])
        ]
        checked.append(
            (appeal, clean_text(spec.get("discussion"), where + ".discussion", limit=MAX_TEXT), decisions)
        )
    meeting = JointMeeting.objects.create(
        convened_by=convened_by, held_on=held_on, title=title, place=place, minutes=minutes, recorded_by=by
    )
    meeting.attendees.set(attendees)
    for index, (appeal, discussion, decisions) in enumerate(checked):
        matter = MeetingMatter.objects.create(meeting=meeting, appeal=appeal, discussion=discussion)
        record_event(
            appeal,
            "joint_meeting",
            actor=by,
            reason=title,
            payload={"meeting": meeting.pk, "convened_by": convened_by.code, "decisions": len(decisions)},
        )
        for n, spec in enumerate(decisions):
            _carry_out(matter, spec, by=by, where=f"matters[{index}].decisions[{n}]")
    return meeting


def _carry_out(matter: MeetingMatter, spec: dict, *, by: Person, where: str) -> MeetingDecision:
    appeal = Appeal.objects.get(pk=matter.appeal_id)
    decision = MeetingDecision(matter=matter, **spec)
    reason = f"联席会议决定：{spec['text']}"[:1000]
    try:
        if spec["kind"] == DecisionKind.CONSULTATION:
            consultation = (
                Consultation.objects.filter(appeal=appeal, decided_at__isnull=True)
                .order_by("-opened_at")
                .first()
            )
            if consultation is None:
                raise DomainError(f"诉求 {appeal.code} 没有待决定的会商", field=where + ".kind")
            consultation_decide(
                consultation=consultation,
                by=by,
                meeting_record=f"{matter.meeting.title}（{matter.meeting.held_on}）：{spec['text']}",
                lead_unit=spec["owner"],
                assisting_units=[],
            )
            decision.consultation = consultation
            decision.order = _live_lead(appeal)
        else:
            lead = _live_lead(appeal)
            if lead is None and appeal.status == AppealStatus.RECEIVED:
                decision.order = appeal_dispatch(appeal=appeal, by=by, unit=spec["owner"], reason=reason)
            elif lead is None:
                raise DomainError(f"诉求 {appeal.code} 没有在办的主办工单", field=where)
            elif (
                owned := appeal.orders.filter(unit=spec["owner"], status__in=ACTIVE_ORDER_STATUSES).first()
            ) is not None:
                # The owner already works on the appeal (the lead, or a joint unit): the decision is
                # tracked on that order.
                decision.order = owned
            else:
                decision.order = order_add_assist(
                    order=lead,
                    by=by,
                    unit=spec["owner"],
                    role=OrderRole.JOINT,
                    reason=reason,
                    due=spec["due"],
                )
    except DomainError as exc:
        # Name the decision the refusal came from, so the form can point at it.
        if not exc.field or not exc.field.startswith("matters["):
            raise type(exc)(exc.message, field=where) from exc
        raise
    decision.save()
    if decision.order is not None and decision.order.role == OrderRole.JOINT:
        FoundProblem.objects.filter(appeal=appeal).update(mode=HandlingMode.JOINT)
    return decision


# ---------------------------------------------------------------- 4. stationed and patrol staff (驻格/巡格)


def _grid_of(appeal: Appeal) -> Area | None:
    if appeal.area_id and appeal.area.level == Level.GRID:
        return appeal.area
    problem = getattr(appeal, "found_problem", None)
    if problem is not None and problem.area.level == Level.GRID:
        return problem.area
    return None


def _department_takes(appeal: Appeal, department: Unit) -> Order | bool | None:
    """The department's order of the appeal waiting to be signed for; True when the appeal waits for
    dispatch and the catalog gives it to the department; None otherwise."""
    order = appeal.orders.filter(unit=department, status=OrderStatus.DISPATCHED).first()
    if order is not None:
        return order
    if appeal.status != AppealStatus.RECEIVED:
        return None
    try:
        return proposal(appeal).unit.pk == department.pk or None
    except DomainError:
        return None


@transaction.atomic
def stationed_accept(*, appeal: Appeal, by: Person) -> Order:
    """A department's staff stationed on or patrolling a grid (驻格/巡格) signs for the grid's appeal
    on the spot, for their department: an order already sent to it, or an appeal still waiting for
    dispatch that the catalog gives to that department (dispatched to it by its platform's rule)."""
    _active(by)
    appeal = Appeal.objects.select_related("area", "item", "intake_unit").get(pk=appeal.pk)
    grid = _grid_of(appeal)
    duties = [a for a in assignments_of(by, STATIONED_DUTIES) if grid is not None and a.area_id == grid.pk]
    if not duties:
        raise PermissionRefused("只有驻在或巡查该网格的部门人员可以现场签收", field="by")
    assignment = duties[0]
    department = assignment.unit
    if by.unit_id != department.pk:
        raise PermissionRefused(f"您不是{department.name}的人员", field="by")
    takes = _department_takes(appeal, department)
    if takes is None:
        raise DomainError(f"该诉求不归{department.name}办理，或已不在待签收状态", field="appeal")
    if takes is True:
        platform = nearest_platform(appeal.intake_unit)
        if platform is None or department.parent_id != platform.pk:
            raise DomainError(f"{department.name}不是派单平台的直属单位，请由平台派单", field="appeal")
        order = appeal_dispatch_on_spot(appeal=appeal, platform=platform, by=by, unit=department)
    else:
        order = takes
    order = order_accept(order=order, by=by)
    record_event(
        appeal,
        "accepted_on_spot",
        actor=by,
        order_id=order.pk,
        payload={
            "unit": department.code,
            "unit_id": department.pk,
            "grid": grid.code,
            "duty": assignment.duty,
        },
    )
    return order
