"""The departments' report-in figure (报到率): summoned by a street's whistle, on time / late / missing,
judged when known; the scheme weighs it. The street's whistles are help asked for: they appear in its
burden figures and never in its own assessment. And the burden figures of refused forwards and of
delegations, read from the events the dispatch services write."""

import datetime as dt

import pytest

from tests.appeals.factories import new_appeal
from tests.supervision.clock import at, frozen
from yousu.appeals.events import record_event
from yousu.dispatch.whistles import whistle_blow, whistle_report_in
from yousu.evaluation.models import AssessmentScheme
from yousu.evaluation.publication import assess_and_publish, lost_points

OCTOBER = dt.date(2026, 10, 1)
DAY = dt.timedelta(hours=24)


def blow(world, moment, departments):
    with frozen(moment):
        return whistle_blow(
            by=world.people.east_street_handler,
            problem="背街小巷占道经营，需要市场监管和城管到场",
            departments=departments,
            report_in_within=DAY,
        )


def report_in(world, whistle, person, moment):
    with frozen(moment):
        return whistle_report_in(whistle=whistle, by=person, on_site="执法队员两名")


@pytest.fixture
def summoned(world):
    u, p = world.units, world.people
    first = blow(world, at(2026, 10, 12, 9, 0), [u.east_eco, u.east_market])
    report_in(world, first, p.east_eco_handler, at(2026, 10, 12, 15, 0))  # on time
    report_in(world, first, p.east_market_handler, at(2026, 10, 14, 9, 0))  # a day late
    blow(world, at(2026, 10, 20, 9, 0), [u.east_market])  # never answered
    late_in_month = blow(world, at(2026, 10, 31, 20, 0), [u.east_eco])  # due 1 November 20:00
    world.late_in_month = late_in_month
    return world


def test_report_ins_are_counted_for_the_summoned_departments(summoned):
    world = summoned
    with frozen(at(2026, 11, 1, 3, 0)):
        run = assess_and_publish(month=OCTOBER)
    eco = run.results.get(unit=world.units.east_eco)
    market = run.results.get(unit=world.units.east_market)
    assert (eco.report_ins_due, eco.report_ins_on_time, eco.report_ins_pending) == (2, 1, 1)
    assert (market.report_ins_due, market.report_ins_on_time) == (2, 0)
    assert (market.report_ins_late, market.report_ins_missing) == (1, 1)
    assert market.report_in_rate == 0.0
    # The whistle of 31 October is still inside its limit: October is provisional until then.
    assert eco.report_in_rate == 1.0 and run.is_provisional
    assert run.final_after == world.late_in_month.report_in_due
    # The street asked for help: counted in its burden, never in its own figures.
    street = run.results.get(unit=world.units.east_street)
    assert (street.report_ins_due, street.report_in_rate, street.score) == (0, None, None)
    burden = run.burden.get(unit=world.units.east_street)
    assert (burden.whistles, burden.report_ins_due, burden.report_ins_on_time) == (3, 4, 1)
    # The lost points name the whistles the market bureau was late for or missed.
    lost = [
        entry for entry in lost_points(run, world.units.east_market) if entry["reason"] == "report_in_rate"
    ]
    assert len(lost) == 2 and all(entry["whistle_id"] for entry in lost)


def test_the_missing_report_in_is_judged_when_its_limit_passes(summoned):
    world = summoned
    with frozen(world.late_in_month.report_in_due + dt.timedelta(minutes=1)):
        run = assess_and_publish(month=OCTOBER)
    eco = run.results.get(unit=world.units.east_eco)
    assert (eco.report_ins_missing, eco.report_ins_pending, eco.report_in_rate) == (1, 0, 0.5)
    assert not run.is_provisional


def test_the_scheme_decides_the_report_in_weight(summoned):
    world = summoned
    AssessmentScheme.objects.update(min_sample=1)
    moment = at(2026, 11, 3, 9, 0)
    with frozen(moment):
        unweighted = assess_and_publish(month=OCTOBER).results.get(unit=world.units.east_market)
    # Only the report-in rate applies to the market bureau, which had no order: weight 0 means no score.
    assert unweighted.report_in_rate == 0.0 and unweighted.score is None
    AssessmentScheme.objects.update(report_in_weight=10)
    with frozen(moment + dt.timedelta(minutes=1)):
        weighted = assess_and_publish(month=OCTOBER).results.get(unit=world.units.east_market)
    assert weighted.score == 0 and weighted.zone == "red"


def test_refused_forwards_and_delegations_count_in_the_street_burden(world):
    """The contract with the dispatch services: a refused push-down is a `pushdown_refused` event naming
    the street or community and `via`; an allowed delegation is a `dispatched` event with `delegated`."""
    u = world.units
    with frozen(at(2026, 10, 12, 9, 0)):
        appeal = new_appeal(world)
        common = {"unit": u.east_street.code, "unit_id": u.east_street.pk, "from_unit": u.east_eco.code}
        record_event(appeal, "pushdown_refused", payload={**common, "via": "forward"})
        record_event(appeal, "pushdown_refused", payload={**common, "via": "forward"})
        record_event(
            appeal,
            "pushdown_refused",
            payload={"unit": u.east_community.code, "unit_id": u.east_community.pk, "via": "access_list"},
        )
        # Written before `via` existed: an access-list refusal.
        record_event(
            appeal,
            "pushdown_refused",
            payload={"unit": u.east_community.code, "unit_id": u.east_community.pk},
        )
        record_event(
            appeal,
            "dispatched",
            payload={
                "unit": u.east_street.code,
                "role": "lead",
                "delegated": {"basis": "consultation", "id": 1},
            },
        )
        # Relayed through the street to the community a delegation names: the community's, not the street's.
        relayed = {"basis": "exception", "id": 2, "relay": True}
        record_event(
            appeal, "dispatched", payload={"unit": u.east_street.code, "role": "lead", "delegated": relayed}
        )
    with frozen(at(2026, 11, 2, 9, 0)):
        run = assess_and_publish(month=OCTOBER)
    street = run.burden.get(unit=u.east_street)
    community = run.burden.get(unit=u.east_community)
    assert (street.forwards_refused, street.delegated, street.access_list_refused) == (2, 1, 0)
    assert (community.access_list_refused, community.forwards_refused) == (2, 0)
    hours = AssessmentScheme.objects.get().hours_per_order
    assert street.hours_saved == 2 * hours and community.hours_saved == 2 * hours
