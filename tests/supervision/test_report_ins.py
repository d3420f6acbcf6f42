"""The follow-up of a whistle (吹哨之后): the summoned departments and their leaders are told at once, warned
when half the report-in limit has passed, and when it passes with no report-in their leaders, the
whistling unit and its platform are told and a supervision order escalated to the department's parent is
issued — each node once, however often the sweep runs; a department that reports in stops its clock."""

import datetime as dt
import logging

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction

from tests.appeals.factories import new_appeal, reload, staff
from yousu.appeals.models import Event
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import ReportInState
from yousu.dispatch.models import ReportIn
from yousu.dispatch.whistles import (
    REPORT_IN_WARNING_SHARE,
    WHISTLE_BLOWN_HOOKS,
    report_in_state,
    whistle_blow,
    whistle_report_in,
    whistle_summary,
)
from yousu.notifications.models import Notification
from yousu.notifications.services import deliver_due
from yousu.org.models import Person
from yousu.supervision.choices import SupervisionStatus
from yousu.supervision.jobs import run_periodic
from yousu.supervision.models import SupervisionOrder
from yousu.supervision.report_ins import notify_summoned, sweep_report_ins
from yousu.supervision.services import may_close, supervision_order_answer, supervision_order_close

from .clock import at, frozen

BLOWN = at(2026, 3, 10, 9, 0)  # a Tuesday
DAY = dt.timedelta(hours=24)
WARN = BLOWN + DAY / 2
DUE = BLOWN + DAY
MINUTE = dt.timedelta(minutes=1)
LEADER_PHONE = "13900002222"


@pytest.fixture
def sms(settings):
    settings.YOUSU_NOTIFY_CHANNELS = ["inbox", "sms"]


@pytest.fixture
def eco_leader(world):
    leader = staff(world.units.east_eco, "eco-leader", "unit_leader")
    Person.objects.filter(pk=leader.pk).update(phone=LEADER_PHONE)
    return Person.objects.get(pk=leader.pk)


def blow(world, *departments, appeal=None, within=DAY, by=None):
    with frozen(BLOWN):
        return whistle_blow(
            by=by or world.people.street_leader,
            problem="小区门口占道经营，油烟和垃圾问题街道无执法权",
            departments=list(departments) or [world.units.east_eco],
            appeal=appeal,
            report_in_within=within,
        )


def report_in(world, whistle, when, by=None):
    with frozen(when):
        return whistle_report_in(
            whistle=whistle, by=by or world.people.east_eco_handler, on_site="执法队张三", note="已到场"
        )


def row(whistle, unit) -> ReportIn:
    return ReportIn.objects.select_related("whistle").get(whistle=whistle, unit=unit)


def notices(kind, *, unit=None, person=None, channel="inbox"):
    rows = Notification.objects.filter(kind=kind, channel=channel)
    if unit is not None:
        rows = rows.filter(recipient_unit=unit)
    if person is not None:
        rows = rows.filter(recipient_person=person)
    return rows


# ---------------------------------------------------------------- the summons


def test_the_summoned_departments_and_their_leaders_are_told_at_once(world, sms, eco_leader, caplog):
    u = world.units
    whistle = blow(world, u.east_eco, u.east_market)
    assert notify_summoned in WHISTLE_BLOWN_HOOKS
    for unit in (u.east_eco, u.east_market):
        notice = notices("summons", unit=unit).get()
        assert notice.subject == "吹哨召集"
        assert u.east_street.name in notice.text and "2026-03-11 09:00" in notice.text
    assert notices("summons", person=eco_leader).count() == 1
    text_message = notices("summons", person=eco_leader, channel="sms").get()
    assert text_message.address == LEADER_PHONE
    # The unit's inbox has no phone: only its leaders get a text message.
    assert notices("summons", channel="sms").count() == 1
    with caplog.at_level(logging.INFO, logger="yousu.sms"):
        deliver_due()
    assert f"SMS to {LEADER_PHONE}: {text_message.text}" in caplog.messages
    assert reload(text_message).status == "sent"
    assert whistle.report_ins.count() == 2


def test_a_whistle_whose_notices_cannot_be_written_is_not_blown(world, monkeypatch):
    def broken(whistle):
        raise DomainError("通知写不进去", field="recipient")

    monkeypatch.setattr("yousu.dispatch.whistles.WHISTLE_BLOWN_HOOKS", [broken])
    with pytest.raises(DomainError):
        blow(world)
    assert not ReportIn.objects.exists() and not Notification.objects.exists()


def test_the_warning_comes_when_half_the_limit_has_passed(world):
    whistle = blow(world, within=dt.timedelta(hours=2))
    assert REPORT_IN_WARNING_SHARE == 0.5
    mine = row(whistle, world.units.east_eco)
    assert mine.warn_at == BLOWN + dt.timedelta(hours=1) == mine.next_node_at


# ---------------------------------------------------------------- the warning


def test_nothing_fires_before_the_warning(world):
    whistle = blow(world)
    assert sweep_report_ins(now=WARN - MINUTE).as_dict() == {"warning": 0, "missed": 0}
    assert row(whistle, world.units.east_eco).warned_at is None


def test_the_warning_tells_the_department_and_its_leaders(world, sms, eco_leader):
    appeal = new_appeal(world)
    whistle = blow(world, appeal=appeal)
    result = sweep_report_ins(now=WARN)
    assert result.as_dict() == {"warning": 1, "missed": 0}
    mine = row(whistle, world.units.east_eco)
    assert (mine.warned_at, mine.missed_at, mine.next_node_at) == (WARN, None, DUE)
    assert report_in_state(mine, WARN) == ReportInState.WARNED
    assert notices("report_in_warning", unit=world.units.east_eco).get().subject == "报到预警"
    assert notices("report_in_warning", person=eco_leader, channel="sms").count() == 1
    # Only the department: the street and the platform hear of it when the limit passes.
    assert not notices("report_in_warning", unit=world.units.east_street).exists()
    event = appeal.events.get(action="report_in_warned")
    assert event.at == WARN and event.payload["unit"] == world.units.east_eco.code
    assert event.payload["whistle"] == whistle.pk
    assert not SupervisionOrder.objects.exists()


def test_a_report_in_before_the_warning_stops_the_clock(world):
    whistle = blow(world)
    report_in(world, whistle, BLOWN + dt.timedelta(hours=3))
    assert row(whistle, world.units.east_eco).next_node_at is None
    assert sweep_report_ins(now=DUE + DAY).as_dict() == {"warning": 0, "missed": 0}
    assert not Notification.objects.exclude(kind="summons").exists()


# ---------------------------------------------------------------- the miss


def test_the_miss_tells_the_leaders_the_street_and_its_platform_and_escalates(world, sms):
    u = world.units
    # The city's department: its parent is the city platform, the street's platform is the district's,
    # so the three parties and the escalation are four different units.
    city_leader = staff(u.city_eco, "city-eco-leader", "unit_leader")
    Person.objects.filter(pk=city_leader.pk).update(phone="13900003333")
    appeal = new_appeal(world)
    whistle = blow(world, u.city_eco, appeal=appeal)
    sweep_report_ins(now=WARN)
    result = sweep_report_ins(now=DUE)
    assert result.as_dict() == {"warning": 0, "missed": 1}
    mine = row(whistle, u.city_eco)
    assert (mine.missed_at, mine.next_node_at, mine.reported_at) == (DUE, None, None)

    supervision = SupervisionOrder.objects.get()
    assert (supervision.report_in, supervision.order, supervision.unit) == (mine, None, u.city_eco)
    assert supervision.escalated_to == u.platform
    assert (supervision.status, supervision.issued_by, supervision.issued_at) == ("open", None, DUE)
    assert supervision.answer_due > DUE and supervision.appeal == appeal
    assert u.city_eco.name in supervision.reason and u.east_street.name in supervision.reason

    assert notices("report_in_missed", person=city_leader).count() == 1
    assert notices("report_in_missed", person=city_leader, channel="sms").count() == 1
    assert notices("report_in_missed", unit=u.city_eco).count() == 1
    assert notices("report_in_missed", unit=u.east_street).count() == 1
    assert notices("report_in_missed", unit=u.east_platform).count() == 1
    assert notices("escalation", unit=u.platform).get().subject == "提级督办"
    event = appeal.events.get(action="report_in_missed")
    assert event.payload["escalated_to"] == u.platform.code
    assert event.payload["platform"] == u.east_platform.code


def test_the_district_platform_that_is_also_the_parent_hears_it_once_as_the_escalation(world):
    u = world.units
    whistle = blow(world, u.east_eco)
    sweep_report_ins(now=DUE)
    assert SupervisionOrder.objects.get().escalated_to == u.east_platform
    assert Notification.objects.filter(recipient_unit=u.east_platform).get().kind == "escalation"
    assert notices("report_in_missed", unit=u.east_street).count() == 1
    assert row(whistle, u.east_eco).missed_at == DUE


def test_a_stopped_sweep_catching_up_fires_the_miss_alone(world):
    appeal = new_appeal(world)
    whistle = blow(world, appeal=appeal)
    assert sweep_report_ins(now=DUE + DAY).as_dict() == {"warning": 0, "missed": 1}
    mine = row(whistle, world.units.east_eco)
    assert mine.warned_at is None and mine.missed_at == DUE + DAY
    assert not notices("report_in_warning").exists()
    assert [e.action for e in appeal.events.filter(action__startswith="report_in")] == ["report_in_missed"]


def test_each_node_fires_once_however_often_the_sweep_runs(world, eco_leader):
    appeal = new_appeal(world)
    whistle = blow(world, world.units.east_eco, world.units.east_market, appeal=appeal)
    for moment in (WARN, WARN, WARN + MINUTE, DUE, DUE, DUE + DAY):
        sweep_report_ins(now=moment)
    assert appeal.events.filter(action="report_in_warned").count() == 2  # one per department
    assert appeal.events.filter(action="report_in_missed").count() == 2
    assert SupervisionOrder.objects.filter(report_in__whistle=whistle).count() == 2
    assert notices("report_in_warning", person=eco_leader).count() == 1
    assert notices("report_in_missed", person=eco_leader).count() == 1
    assert notices("report_in_missed", unit=world.units.east_street).count() == 2  # one per department
    assert not ReportIn.objects.filter(next_node_at__isnull=False).exists()


def test_a_report_in_before_the_limit_leaves_no_miss(world):
    appeal = new_appeal(world)
    whistle = blow(world, appeal=appeal)
    sweep_report_ins(now=WARN)
    report_in(world, whistle, DUE - MINUTE)
    assert sweep_report_ins(now=DUE + DAY).as_dict() == {"warning": 0, "missed": 0}
    mine = row(whistle, world.units.east_eco)
    assert mine.missed_at is None and mine.next_node_at is None
    assert report_in_state(mine, DUE + DAY) == ReportInState.ON_TIME
    assert not SupervisionOrder.objects.exists()
    assert not appeal.events.filter(action="report_in_missed").exists()


def test_a_whistle_for_a_problem_the_street_found_writes_no_event_but_keeps_the_record(world):
    whistle = blow(world)
    before = Event.objects.count()
    sweep_report_ins(now=DUE)
    assert Event.objects.count() == before
    assert SupervisionOrder.objects.get().report_in == row(whistle, world.units.east_eco)


def test_the_periodic_job_runs_the_report_in_sweep(world):
    blow(world)
    assert run_periodic(now=WARN)["report_ins"] == {"warning": 1, "missed": 0}
    assert run_periodic(now=DUE)["report_ins"] == {"warning": 0, "missed": 1}
    assert run_periodic(now=DUE)["report_ins"] == {"warning": 0, "missed": 0}


# ---------------------------------------------------------------- after the miss


@pytest.fixture
def missed(world):
    """The east environment bureau let the limit of a whistle on an appeal pass."""
    appeal = new_appeal(world)
    blow(world, appeal=appeal)
    sweep_report_ins(now=DUE)
    return SupervisionOrder.objects.select_related("report_in__whistle").get()


def test_a_late_report_in_is_late_and_lets_the_supervisor_close(world, missed):
    whistle = missed.report_in.whistle
    assert not may_close(world.people.supervisor, missed)
    with pytest.raises(DomainError) as refused:
        supervision_order_close(supervision=missed, by=world.people.supervisor)
    assert refused.value.field == "status"
    report_in(world, whistle, DUE + dt.timedelta(hours=3))
    assert whistle_summary(whistle)["late"] == [world.units.east_eco.code]
    missed = SupervisionOrder.objects.get(pk=missed.pk)
    assert may_close(world.people.supervisor, missed)
    # Not by the department itself, nor by another district's platform.
    west = staff(world.units.west_platform, "west-dispatcher", "dispatcher")
    for outsider in (world.people.east_eco_handler, west):
        assert not may_close(outsider, missed)
        with pytest.raises(PermissionRefused):
            supervision_order_close(supervision=missed, by=outsider)
    closed = supervision_order_close(supervision=missed, by=world.people.east_dispatcher, note="已补报到")
    assert (closed.status, closed.closed_by) == (SupervisionStatus.CLOSED, world.people.east_dispatcher)
    event = whistle.appeal.events.get(action="supervision_closed")
    assert event.payload["supervision_order"] == missed.pk and event.payload["whistle"] == whistle.pk


def test_the_departments_leader_answers_and_the_supervisor_closes(world, missed, eco_leader):
    with pytest.raises(PermissionRefused):
        supervision_order_answer(supervision=missed, by=world.people.east_eco_handler, answer="马上去")
    answered = supervision_order_answer(supervision=missed, by=eco_leader, answer="已安排执法队今日到场")
    assert answered.status == SupervisionStatus.ANSWERED
    assert missed.report_in.whistle.appeal.events.filter(action="supervision_answered").count() == 1
    closed = supervision_order_close(supervision=answered, by=world.people.supervisor)
    assert closed.status == SupervisionStatus.CLOSED


def test_a_supervision_order_names_an_order_or_a_report_in_and_a_report_in_has_one(world, missed):
    fields = {
        "unit": world.units.east_eco,
        "reason": "x",
        "issued_at": DUE,
        "answer_due": DUE + DAY,
    }
    with transaction.atomic(), pytest.raises(IntegrityError):
        SupervisionOrder.objects.create(**fields)
    with transaction.atomic(), pytest.raises(IntegrityError):
        SupervisionOrder.objects.create(report_in=missed.report_in, **fields)


def test_the_admin_lists_a_missed_report_ins_supervision_order_to_its_citys_staff_only(
    client, world, north, missed
):
    view = Permission.objects.filter(codename="view_supervisionorder")
    for staff_member in (north.supervisor, world.people.supervisor):
        Person.objects.filter(pk=staff_member.pk).update(is_staff=True)
        staff_member.user_permissions.add(*view)
    url = f"/admin/supervision/supervisionorder/{missed.pk}/change/"
    client.force_login(north.supervisor)
    assert (
        world.units.east_eco.name not in client.get("/admin/supervision/supervisionorder/").content.decode()
    )
    assert client.get(url).status_code in (302, 404)
    client.force_login(world.people.supervisor)
    assert world.units.east_eco.name in client.get("/admin/supervision/supervisionorder/").content.decode()
    assert client.get(url).status_code == 200
