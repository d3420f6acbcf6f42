"""街道吹哨、部门报到: who may blow and whom it may summon, the report-in limit, who may report in and
how often, and the summary of who reported, who was late and who never came."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from yousu.appeals.models import Event
from yousu.appeals.services import appeal_create
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.models import ReportIn
from yousu.dispatch.whistles import (
    DEFAULT_REPORT_IN_WITHIN,
    whistle_blow,
    whistle_report_in,
    whistle_summary,
)
from yousu.org.services import person_create


def blow(world, *departments, by=None, **extra):
    return whistle_blow(
        by=by or world.people.street_leader,
        problem="小区门口占道经营，油烟和垃圾问题社区无权处理",
        departments=list(departments) or [world.units.east_eco, world.units.east_market],
        **extra,
    )


def clock_moves_on(monkeypatch, by: dt.timedelta):
    """Pretend `by` has passed: every timezone.now() from here on is that much later."""
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + by)


# ---------------------------------------------------------------- blowing


@pytest.mark.parametrize("who", ["street_leader", "east_street_handler", "east_community_handler"])
def test_street_and_community_staff_blow_the_whistle(world, who):
    person = getattr(world.people, who)
    whistle = blow(world, by=person)
    assert (whistle.blown_by, whistle.blown_by_unit) == (person, person.unit)


@pytest.mark.parametrize(
    "who", ["east_market_handler", "east_dispatcher", "dispatcher", "admin", "supervisor"]
)
def test_departments_and_platforms_do_not_blow_the_whistle(world, who):
    with pytest.raises(PermissionRefused) as refused:
        blow(world, by=getattr(world.people, who))
    assert refused.value.field == "by"


def test_a_street_member_without_a_staff_role_does_not_blow_the_whistle(world):
    grid_worker = person_create(
        username="gina", full_name="网格员", unit=world.units.east_street, roles=["grid_worker"]
    )
    with pytest.raises(PermissionRefused) as refused:
        blow(world, by=grid_worker)
    assert refused.value.field == "by"


def test_the_problem_is_required(world):
    with pytest.raises(DomainError) as refused:
        whistle_blow(by=world.people.street_leader, problem="  ", departments=[world.units.east_eco])
    assert refused.value.field == "problem"


def test_at_least_one_department_is_summoned(world):
    with pytest.raises(DomainError) as refused:
        whistle_blow(by=world.people.street_leader, problem="问题", departments=[])
    assert refused.value.field == "departments"


@pytest.mark.parametrize("unit", ["east_street", "west_community", "east_platform", "platform"])
def test_only_departments_and_enterprises_are_summoned(world, unit):
    with pytest.raises(DomainError) as refused:
        blow(world, world.units.east_eco, getattr(world.units, unit))
    assert refused.value.field == "departments"


def test_an_enterprise_and_a_city_department_may_be_summoned(world):
    whistle = blow(world, world.units.water, world.units.city_eco)
    assert set(whistle.report_ins.values_list("unit__code", flat=True)) == {"ENT-W", "CITY-eco"}


def test_an_inactive_department_is_not_summoned(world):
    world.units.west_eco.is_active = False
    world.units.west_eco.save()
    with pytest.raises(DomainError) as refused:
        blow(world, world.units.west_eco)
    assert refused.value.field == "departments"


@pytest.mark.parametrize("within", [dt.timedelta(0), dt.timedelta(hours=-1)])
def test_the_report_in_limit_is_positive(world, within):
    with pytest.raises(DomainError) as refused:
        blow(world, report_in_within=within)
    assert refused.value.field == "report_in_within"


def test_the_default_limit_is_a_day_and_a_limit_may_be_given(world):
    default = blow(world)
    assert default.report_in_due - default.blown_at == dt.timedelta(hours=24)
    quick = blow(world, report_in_within=dt.timedelta(hours=2))
    assert quick.report_in_due - quick.blown_at == dt.timedelta(hours=2)


def test_one_report_in_per_summoned_department(world):
    u = world.units
    whistle = blow(world, u.east_eco, u.east_market, u.east_eco)
    rows = ReportIn.objects.filter(whistle=whistle)
    assert sorted(rows.values_list("unit__code", flat=True)) == sorted([u.east_eco.code, u.east_market.code])
    assert all(row.reported_at is None for row in rows)


def test_a_whistle_on_an_appeal_is_in_its_event_log(world):
    appeal = appeal_create(
        kind="help",
        channel="grid_report",
        title="占道经营",
        content="小区门口占道经营",
        intake_unit=world.units.platform,
        area=world.areas.grid,
    )
    whistle = blow(world, appeal=appeal)
    event = appeal.events.get(action="whistle_blown")
    assert event.actor == world.people.street_leader
    assert event.payload["whistle"] == whistle.pk
    assert sorted(event.payload["departments"]) == sorted(
        [world.units.east_eco.code, world.units.east_market.code]
    )


def test_a_whistle_on_a_problem_the_street_found_writes_no_appeal_event(world):
    before = Event.objects.count()
    blow(world)
    assert Event.objects.count() == before


# ---------------------------------------------------------------- reporting in


def test_a_summoned_department_reports_in_with_who_came(world):
    whistle = blow(world)
    report_in = whistle_report_in(
        whistle=whistle, by=world.people.east_eco_handler, on_site="环境局执法队 张三、李四", note="已到现场"
    )
    assert report_in.unit == world.units.east_eco
    assert report_in.reported_by == world.people.east_eco_handler
    assert report_in.reported_at is not None
    assert report_in.on_site == "环境局执法队 张三、李四"


@pytest.mark.parametrize("who", ["west_market_handler", "street_leader", "east_dispatcher"])
def test_only_a_summoned_department_reports_in(world, who):
    whistle = blow(world)
    with pytest.raises(PermissionRefused) as refused:
        whistle_report_in(whistle=whistle, by=getattr(world.people, who), on_site="某某")
    assert refused.value.field == "by"


def test_a_department_member_without_a_staff_role_does_not_report_in(world):
    viewer = person_create(username="lena", full_name="只读领导", unit=world.units.east_eco, roles=["leader"])
    with pytest.raises(PermissionRefused) as refused:
        whistle_report_in(whistle=blow(world), by=viewer, on_site="某某")
    assert refused.value.field == "by"


def test_who_came_on_site_is_required(world):
    with pytest.raises(DomainError) as refused:
        whistle_report_in(whistle=blow(world), by=world.people.east_eco_handler, on_site=" ")
    assert refused.value.field == "on_site"


def test_a_department_reports_in_once(world):
    whistle = blow(world)
    whistle_report_in(whistle=whistle, by=world.people.east_eco_handler, on_site="张三")
    with pytest.raises(DomainError) as refused:
        whistle_report_in(whistle=whistle, by=world.people.east_eco_handler, on_site="李四")
    assert refused.value.field == "status"
    assert ReportIn.objects.get(whistle=whistle, unit=world.units.east_eco).on_site == "张三"


def test_the_summary_shows_who_reported_who_was_late_and_who_is_missing(world, monkeypatch):
    u, p = world.units, world.people
    whistle = blow(world, u.east_eco, u.east_market, u.west_market, report_in_within=dt.timedelta(hours=2))
    whistle_report_in(whistle=whistle, by=p.east_eco_handler, on_site="张三")
    clock_moves_on(monkeypatch, dt.timedelta(hours=3))
    late = whistle_report_in(whistle=whistle, by=p.east_market_handler, on_site="李四")
    assert late.reported_at > whistle.report_in_due
    assert whistle_summary(whistle) == {
        "reported": sorted([u.east_eco.code, u.east_market.code]),
        "late": [u.east_market.code],
        "missing": [u.west_market.code],
    }


def test_a_report_in_on_an_appeal_is_logged_with_whether_it_was_late(world, monkeypatch):
    appeal = appeal_create(
        kind="help",
        channel="grid_report",
        title="占道经营",
        content="小区门口占道经营",
        intake_unit=world.units.platform,
        area=world.areas.grid,
    )
    whistle = blow(world, appeal=appeal)
    whistle_report_in(whistle=whistle, by=world.people.east_eco_handler, on_site="张三")
    clock_moves_on(monkeypatch, DEFAULT_REPORT_IN_WITHIN + dt.timedelta(minutes=1))
    whistle_report_in(whistle=whistle, by=world.people.east_market_handler, on_site="李四")
    logged = {e.payload["unit"]: e.payload["late"] for e in appeal.events.filter(action="reported_in")}
    assert logged == {world.units.east_eco.code: False, world.units.east_market.code: True}


# ---------------------------------------------------------------- the report-in's time nodes


def test_a_report_in_is_warned_at_half_its_limit_and_leaves_the_queue_when_it_reports_in(world):
    whistle = blow(world, report_in_within=dt.timedelta(hours=6))
    row = ReportIn.objects.get(whistle=whistle, unit=world.units.east_eco)
    assert row.warn_at == whistle.blown_at + dt.timedelta(hours=3) == row.next_node_at
    assert (row.warned_at, row.missed_at) == (None, None)
    whistle_report_in(whistle=whistle, by=world.people.east_eco_handler, on_site="张三")
    assert ReportIn.objects.get(pk=row.pk).next_node_at is None
    assert ReportIn.objects.get(whistle=whistle, unit=world.units.east_market).next_node_at == row.warn_at


def test_the_migration_schedules_the_report_ins_made_before_the_follow_up(world, monkeypatch):
    migration = importlib.import_module("yousu.dispatch.migrations.0004_report_in_time_nodes")
    open_one = blow(world, world.units.east_eco, report_in_within=dt.timedelta(hours=10))
    answered = blow(world, world.units.east_market, report_in_within=dt.timedelta(hours=10))
    whistle_report_in(whistle=answered, by=world.people.east_market_handler, on_site="李四")
    long_past = blow(world, world.units.west_market, report_in_within=dt.timedelta(hours=1))
    ReportIn.objects.update(warn_at=None, next_node_at=None)  # as the rows were before 0004
    clock_moves_on(monkeypatch, dt.timedelta(hours=2))
    migration.schedule_existing(apps, None)
    rows = {row.whistle_id: row for row in ReportIn.objects.select_related("whistle")}
    for row in rows.values():
        assert row.warn_at == row.whistle.blown_at + (row.whistle.report_in_due - row.whistle.blown_at) / 2
    assert rows[open_one.pk].next_node_at == rows[open_one.pk].warn_at
    # Reported in, or due before the follow-up existed: not escalated after the fact.
    assert rows[answered.pk].next_node_at is None and rows[long_past.pk].next_node_at is None
