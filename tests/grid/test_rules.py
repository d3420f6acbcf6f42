"""The rules of grid governance, each with the refusal it must give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import box
from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.models import Appeal
from yousu.appeals.services import AttachmentIn, appeal_create
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.selectors import dispatch_queue, replies_to_review
from yousu.dispatch.services import order_accept, order_reply, order_review, reviewing_platform
from yousu.grid.choices import HandlingMode, StreetDecision
from yousu.grid.models import DailyReport, DailyReportScope, FoundProblem, MissingDailyReport
from yousu.grid.selectors import on_spot_acceptances, proactive_figures, stationed_worklist
from yousu.grid.services import (
    daily_report_submit,
    flag_missing_daily_reports,
    grid_report_create,
    problem_dispatch,
    problem_study,
    stationed_accept,
)
from yousu.notifications.models import Notification
from yousu.org.calendar import calendar_for_unit
from yousu.org.services import area_create

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PHOTO = AttachmentIn(name="现场.png", data=PNG)


def _workday_after_due(unit) -> tuple[dt.date, dt.datetime]:
    """A recent past working day of the unit's calendar and a moment after its report was due."""
    calendar = calendar_for_unit(unit)
    day = timezone.localdate() - dt.timedelta(days=1)
    while not calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    return day, timezone.make_aware(dt.datetime.combine(day, dt.time(18, 30)))


# ---------------------------------------------------------------- grid reports


def test_a_self_handled_report_goes_to_the_community_and_the_district_platform_reviews_it(grid):
    w = grid.world
    problem = grid_report_create(
        by=grid.worker,
        kind=grid.sanitation,
        text="3 号楼楼道堆放杂物，堵塞消防通道",
        mode=HandlingMode.SELF,
        grid=w.areas.grid,
        attachments=[PHOTO],
    )
    appeal = problem.appeal
    assert appeal.channel == Channel.GRID_REPORT
    assert appeal.status == AppealStatus.DISPATCHED
    assert appeal.attachments.count() == 1
    (order,) = appeal.orders.all()
    assert (order.unit, order.dispatched_from, order.role) == (
        w.units.east_community,
        w.units.east_community,
        OrderRole.LEAD,
    )
    assert reviewing_platform(order) == w.units.east_platform
    order_accept(order=order, by=w.people.east_community_handler)
    order_reply(
        order=order,
        by=w.people.east_community_handler,
        text="已劝导住户清理楼道杂物，消防通道已畅通。联系人：东一社区，电话 12345。",
        result="solved",
    )
    assert order in replies_to_review(w.units.east_platform)
    assert order not in replies_to_review(w.units.west_platform)
    order_review(order=order, by=w.people.east_dispatcher, approve=True, note="同意", confirm_low_score=True)
    (row,) = proactive_figures(start=timezone.localdate(), end=timezone.localdate(), level="community")
    assert (row["found"], row["from_grid_reports"], row["solved_self"]) == (1, 1, 1)


def test_self_handling_an_item_not_on_the_access_list_is_refused_and_nothing_is_written(grid):
    w = grid.world
    before = Appeal.objects.count()
    with pytest.raises(DomainError) as refused:
        grid_report_create(
            by=grid.worker,
            kind=grid.pollution,  # 餐饮油烟污染: a department's item, not on the access list
            text="沿街餐馆油烟直排",
            mode=HandlingMode.SELF,
            grid=w.areas.grid,
        )
    assert refused.value.field == "mode"
    assert "准入清单" in refused.value.message
    assert Appeal.objects.count() == before
    assert not FoundProblem.objects.exists()


def test_an_assisted_report_waits_in_the_district_queue(grid):
    w = grid.world
    problem = grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="沿街餐馆油烟直排",
        mode=HandlingMode.ASSISTED,
        grid=w.areas.grid,
    )
    assert problem.appeal.status == AppealStatus.RECEIVED
    assert problem.appeal in dispatch_queue(w.units.east_platform)
    assert problem.appeal not in dispatch_queue(w.units.west_platform)


def test_only_a_grid_worker_of_the_grid_may_report(grid):
    w = grid.world
    with pytest.raises(PermissionRefused):
        grid_report_create(
            by=w.people.east_community_handler,
            kind=grid.sanitation,
            text="楼道堆物",
            mode="self",
            grid=w.areas.grid,
        )
    other_grid_worker = grid.worker
    w.areas.grid.refresh_from_db()
    far = area_create(
        code="C-W-1-1-G1",
        name="西一社区第1网格",
        kind="grid",
        parent=w.areas.west_community,
        boundary=box(100.2, 31.2, 100.4, 31.4),
    )
    with pytest.raises(PermissionRefused) as refused:
        grid_report_create(by=other_grid_worker, kind=grid.sanitation, text="楼道堆物", mode="self", grid=far)
    assert refused.value.field == "grid"


def test_a_point_picks_the_grid_and_a_resubmission_is_the_same_report(grid):
    w = grid.world
    first = grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="油烟直排",
        mode="assisted",
        longitude=101.3,
        latitude=31.3,
        idempotency_key="device-1-0001",
    )
    again = grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="油烟直排",
        mode="assisted",
        longitude=101.3,
        latitude=31.3,
        idempotency_key="device-1-0001",
    )
    assert first.area == w.areas.grid
    assert again.pk == first.pk
    assert Appeal.objects.count() == 1


def test_bad_input_names_the_field(grid):
    w = grid.world
    for kwargs, field in (
        ({"kind": None}, "kind"),
        ({"text": "  "}, "text"),
        ({"mode": "alone"}, "mode"),
        ({"grid": w.areas.east_community}, "grid"),
        ({"longitude": 101.3, "latitude": None}, "latitude"),
    ):
        arguments = {
            "by": grid.worker,
            "kind": grid.sanitation,
            "text": "楼道堆物",
            "mode": "self",
            "grid": w.areas.grid,
        }
        arguments.update(kwargs)
        with pytest.raises(DomainError) as refused:
            grid_report_create(**arguments)
        assert refused.value.field == field, kwargs
    assert not Appeal.objects.exists()


def test_a_problem_a_citizen_raised_first_is_not_counted_as_found_before_a_complaint(grid):
    w = grid.world
    complaint = appeal_create(
        kind="complaint",
        channel=Channel.HOTLINE,
        title="餐馆油烟",
        content="东一社区沿街餐馆油烟直排，熏到家里",
        intake_unit=w.units.platform,
        received_by=w.people.operator,
        citizen_phone="13800000000",
        area=w.areas.east_community,
        item=w.items.fumes,
    )
    problem = grid_report_create(
        by=grid.worker, kind=grid.pollution, text="沿街餐馆油烟直排", mode="assisted", grid=w.areas.grid
    )
    assert problem.prior_complaint == complaint
    assert not problem.before_complaint
    (row,) = proactive_figures(start=timezone.localdate(), end=timezone.localdate(), level="street")
    assert (row["found"], row["before_complaint"], row["before_complaint_share"]) == (1, 0, 0.0)


# ---------------------------------------------------------------- daily reports


def test_a_missing_daily_report_is_flagged_to_the_street_once_and_a_late_report_settles_it(grid):
    w = grid.world
    day, after_due = _workday_after_due(w.units.east_community)
    assert flag_missing_daily_reports(now=after_due - dt.timedelta(hours=1)) == 0  # not due yet
    flagged = flag_missing_daily_reports(now=after_due)
    assert flagged == 2  # the east and the west community
    flag = MissingDailyReport.objects.get(community=w.units.east_community, day=day)
    assert flag.street == w.units.east_street
    notes = Notification.objects.filter(recipient_unit=w.units.east_street, kind="daily_report_missing")
    assert notes.count() >= 1
    assert flag_missing_daily_reports(now=after_due + dt.timedelta(minutes=5)) == 0  # once
    report = daily_report_submit(community=w.units.east_community, day=day, by=grid.secretary, problems=[])
    assert not report.on_time
    flag.refresh_from_db()
    assert flag.report == report


def test_a_community_that_reported_in_time_is_not_flagged(grid):
    w = grid.world
    day, after_due = _workday_after_due(w.units.east_community)
    DailyReport.objects.create(
        community=w.units.east_community,
        day=day,
        submitted_by=grid.secretary,
        submitted_at=after_due - dt.timedelta(hours=2),
    )
    flag_missing_daily_reports(now=after_due)
    assert not MissingDailyReport.objects.filter(community=w.units.east_community).exists()
    assert MissingDailyReport.objects.filter(community=w.units.west_community, day=day).exists()


def test_no_flag_on_a_day_off(grid):
    w = grid.world
    calendar = calendar_for_unit(w.units.east_community)
    day = timezone.localdate() - dt.timedelta(days=1)
    while calendar.is_workday(day):
        day -= dt.timedelta(days=1)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 0)))
    flag_missing_daily_reports(now=moment)
    assert not MissingDailyReport.objects.filter(day=day).exists()


def test_one_daily_report_a_day_from_the_community_itself(grid):
    w = grid.world
    today = timezone.localdate()
    with pytest.raises(PermissionRefused):
        daily_report_submit(
            community=w.units.east_community, day=today, by=w.people.street_leader, problems=[]
        )
    with pytest.raises(DomainError) as refused:
        daily_report_submit(
            community=w.units.east_community,
            day=today,
            by=grid.secretary,
            problems=[{"text": "ok"}, {"text": ""}],
        )
    assert refused.value.field == "problems[1].text"
    assert not DailyReport.objects.exists()
    daily_report_submit(community=w.units.east_community, day=today, by=grid.secretary, problems=[])
    with pytest.raises(DomainError) as again:
        daily_report_submit(community=w.units.east_community, day=today, by=grid.secretary, problems=[])
    assert again.value.field == "day"
    with pytest.raises(DomainError) as future:
        daily_report_submit(
            community=w.units.west_community,
            day=today + dt.timedelta(days=1),
            by=w.people.east_community_handler,
            problems=[],
        )
    assert future.value.field in ("day", "by")


# ---------------------------------------------------------------- study


def _reported(grid, text="小区门口路灯损坏多日"):
    w = grid.world
    report = daily_report_submit(
        community=w.units.east_community,
        day=timezone.localdate(),
        by=grid.secretary,
        problems=[{"text": text, "kind": grid.sanitation, "area": w.areas.grid}],
    )
    return report.problems.get()


def test_the_street_handles_a_problem_itself_or_drops_it_only_with_a_reason(grid):
    w = grid.world
    problem = _reported(grid)
    with pytest.raises(PermissionRefused):
        problem_study(problem=problem, by=w.people.east_community_handler, decision=StreetDecision.HANDLE)
    with pytest.raises(DomainError) as refused:
        problem_study(problem=problem, by=w.people.street_leader, decision=StreetDecision.DROP, reason=" ")
    assert refused.value.field == "reason"
    problem = problem_study(problem=problem, by=w.people.street_leader, decision=StreetDecision.HANDLE)
    assert problem.mode == HandlingMode.SELF
    (order,) = problem.appeal.orders.all()
    assert (order.unit, order.dispatched_from, order.status) == (
        w.units.east_street,
        w.units.east_street,
        OrderStatus.DISPATCHED,
    )
    with pytest.raises(DomainError):
        problem_study(problem=problem, by=w.people.street_leader, decision=StreetDecision.DROP, reason="重复")


def test_a_dropped_problem_keeps_its_reason_and_becomes_no_appeal(grid):
    w = grid.world
    problem = problem_study(
        problem=_reported(grid),
        by=w.people.street_leader,
        decision=StreetDecision.DROP,
        reason="已由物业当日修复",
    )
    assert problem.appeal is None
    assert problem.street_reason == "已由物业当日修复"
    (row,) = proactive_figures(start=timezone.localdate(), end=timezone.localdate(), level="street")
    assert (row["found"], row["dropped"], row["solved"]) == (1, 1, 0)


def test_joint_dispatch_needs_two_units_and_the_district_platform(grid):
    w = grid.world
    problem = problem_study(
        problem=_reported(grid, "餐馆油烟直排"), by=w.people.street_leader, decision="send_up"
    )
    with pytest.raises(DomainError) as refused:
        problem_dispatch(problem=problem, by=w.people.east_dispatcher, units=[w.units.east_eco], mode="joint")
    assert refused.value.field == "units"
    west = w.people.east_dispatcher
    west_platform_dispatcher = type(west).objects.create_user(username="wendy", password="x")
    west_platform_dispatcher.unit = w.units.west_platform
    west_platform_dispatcher.save()
    west_platform_dispatcher.roles.set(west.roles.all())
    with pytest.raises(PermissionRefused):
        problem_dispatch(
            problem=problem,
            by=west_platform_dispatcher,
            units=[w.units.west_eco, w.units.west_market],
            mode="joint",
        )
    assert problem.appeal.orders.count() == 0


# ---------------------------------------------------------------- stationed staff


def test_stationed_staff_sign_for_their_department_s_grid_appeal_on_the_spot(grid):
    w = grid.world
    problem = grid_report_create(
        by=grid.worker, kind=grid.pollution, text="沿街餐馆油烟直排", mode="assisted", grid=w.areas.grid
    )
    (row,) = stationed_worklist(grid.stationed)
    assert (row.appeal, row.department, row.order) == (problem.appeal, w.units.east_eco, None)
    # Someone of the department who is not on the grid may not.
    with pytest.raises(PermissionRefused):
        stationed_accept(appeal=problem.appeal, by=w.people.east_eco_handler)
    order = stationed_accept(appeal=problem.appeal, by=grid.stationed)
    assert (order.unit, order.status, order.accepted_by) == (
        w.units.east_eco,
        OrderStatus.ACCEPTED,
        grid.stationed,
    )
    assert order.dispatched_from == w.units.east_platform
    assert stationed_worklist(grid.stationed) == []
    today = timezone.localdate()
    assert on_spot_acceptances(start=today, end=today) == [
        {
            "unit": w.units.east_eco.name,
            "unit_code": w.units.east_eco.code,
            "accepted_on_spot": 1,
            "solved": 0,
        }
    ]


def test_stationed_staff_cannot_take_what_the_catalog_gives_to_another_unit(grid):
    w = grid.world
    problem = grid_report_create(
        by=grid.worker, kind=grid.sanitation, text="楼道堆物", mode="assisted", grid=w.areas.grid
    )
    assert stationed_worklist(grid.stationed) == []
    with pytest.raises(DomainError) as refused:
        stationed_accept(appeal=problem.appeal, by=grid.stationed)
    assert refused.value.field == "appeal"
    assert problem.appeal.orders.count() == 0


def test_communities_outside_the_daily_report_scope_are_not_flagged(grid):
    w = grid.world
    grid.scope.delete()
    day, after_due = _workday_after_due(w.units.east_community)
    assert flag_missing_daily_reports(now=after_due) == 0
    DailyReportScope.objects.create(area=w.areas.east, since=day)
    assert flag_missing_daily_reports(now=after_due) == 1
    assert MissingDailyReport.objects.get().community == w.units.east_community


def test_a_past_day_is_reported_only_when_it_was_flagged_missing(grid):
    w = grid.world
    day, after_due = _workday_after_due(w.units.east_community)
    with pytest.raises(DomainError) as refused:
        daily_report_submit(community=w.units.east_community, day=day, by=grid.secretary, problems=[])
    assert refused.value.field == "day"
    flag_missing_daily_reports(now=after_due)
    report = daily_report_submit(community=w.units.east_community, day=day, by=grid.secretary, problems=[])
    assert report.day == day and not report.on_time
