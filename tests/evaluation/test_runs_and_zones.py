"""Versions of a month (never overwritten, changes listed), peers by level and kind, and zones by
threshold and by rank share."""

import datetime as dt
from types import SimpleNamespace

import pytest

from tests.appeals.factories import at_eco, at_market
from tests.supervision.clock import at, frozen
from yousu.core.errors import DomainError
from yousu.dispatch.services import criticism_notice_issue, order_accept
from yousu.evaluation.assessment import assess_month, assessment_changes, parse_month, rank_and_zone
from yousu.evaluation.models import AssessmentRun, AssessmentScheme

from .helpers import assess

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def some_orders(world):
    with frozen(at(2026, 10, 12, 9, 0)):
        eco = at_eco(world)[1]
        order_accept(order=eco, by=world.people.east_eco_handler)
        at_market(world)  # the east market bureau never signs for it
    return world


def test_a_recomputation_is_a_new_version_and_lists_what_changed(some_orders):
    world = some_orders
    first = assess(OCTOBER, note="首次计算")
    eco_before = first.results.get(unit=world.units.east_eco)
    with frozen(at(2026, 10, 20, 9, 0)):
        criticism_notice_issue(unit=world.units.east_eco, reason="补录的通报", by=world.people.supervisor)
    second = assess(OCTOBER, by=world.people.supervisor, note="补录通报后重算")
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert not first.is_current and second.is_current
    assert second.computed_by == world.people.supervisor and second.note == "补录通报后重算"
    # Version 1 is intact.
    eco_v1 = first.results.get(unit=world.units.east_eco)
    assert (eco_v1.criticism_notices, eco_v1.score) == (0, eco_before.score)
    changes = {entry["unit"]: entry["changes"] for entry in assessment_changes(first, second)}
    assert set(changes) == {"C-E-eco"}
    assert changes["C-E-eco"]["criticism_notices"] == [0, 1]
    assert changes["C-E-eco"]["score"] == [eco_before.score, eco_before.score - 5]
    assert AssessmentRun.objects.filter(month=OCTOBER).count() == 2


def test_a_month_not_yet_begun_or_badly_written_is_refused_and_a_running_month_is_provisional(some_orders):
    with frozen(at(2026, 9, 30, 23, 0)), pytest.raises(DomainError) as refused:
        assess_month(month=OCTOBER)
    assert refused.value.field == "month"
    with frozen(at(2026, 10, 31, 23, 0)):
        running = assess_month(month=OCTOBER)
    # Month to date: marked provisional, final no earlier than the month's end.
    assert running.is_provisional and running.final_after == at(2026, 11, 1, 0, 0)
    assert running.results.get(unit=some_orders.units.east_eco).received == 1
    for text in ("2026-13", "10/2026", "", "2026-1"):
        with pytest.raises(DomainError):
            parse_month(text)
    assert parse_month("2026-10") == OCTOBER


def test_peers_are_units_of_the_same_level_and_kind(some_orders):
    world = some_orders
    run = assess(OCTOBER)
    eco = run.results.get(unit=world.units.east_eco)
    market = run.results.get(unit=world.units.east_market)
    # Both district departments: one peer group, ranked against each other only.
    assert (eco.peers, market.peers) == (2, 2)
    assert (eco.rank, market.rank) == (1, 2)
    # Signed for on time, not completed yet: response 1 and completion 0 at equal weights; on-time
    # and callback rates do not apply yet.
    assert eco.score == 50 and market.score == 0
    for street in run.results.filter(kind="street"):
        assert street.score is None and street.rank is None and street.zone == ""


def rows(*scores, level="district", kind="department"):
    return [
        {"unit": index, "level": level, "kind": kind, "score": score, "rank": None, "peers": 0, "zone": ""}
        for index, score in enumerate(scores)
    ]


def test_zones_by_threshold():
    scheme = AssessmentScheme(zone_rule="threshold", red_below=60, yellow_below=80)
    group = rows(95, 80, 79.99, 60, 59.9)
    rank_and_zone(group, scheme)
    assert [row["zone"] for row in group] == ["blue", "blue", "yellow", "yellow", "red"]
    assert [row["rank"] for row in group] == [1, 2, 3, 4, 5]


def test_zones_by_rank_share_within_each_peer_group():
    scheme = AssessmentScheme(zone_rule="rank_share", blue_share=0.2, red_share=0.2)
    departments = rows(90, 80, 70, 60, 50, 40, 30, 20, 10, 10)
    streets = rows(99, 98, 97, level="street", kind="street")
    rank_and_zone([*departments, *streets], scheme)
    # Ten departments: two blue, two red; the tie at the bottom shares rank 9 and the red zone.
    assert [row["zone"] for row in departments] == ["blue"] * 2 + ["yellow"] * 6 + ["red"] * 2
    assert [row["rank"] for row in departments][-2:] == [9, 9]
    # Three streets: 20% of three is no whole place, so all yellow, however high they scored.
    assert [row["zone"] for row in streets] == ["yellow"] * 3
    assert {row["peers"] for row in streets} == {3}


def test_the_scheme_in_force_for_the_month_is_used(some_orders):
    AssessmentScheme.objects.create(
        name="十月起按排名",
        valid_from=dt.date(2026, 10, 1),
        zone_rule="rank_share",
        blue_share=0.5,
        red_share=0.5,
        min_sample=1,
    )
    run = assess(OCTOBER)
    assert run.scheme.name == "十月起按排名"
    zones = SimpleNamespace(
        eco=run.results.get(unit=some_orders.units.east_eco).zone,
        market=run.results.get(unit=some_orders.units.east_market).zone,
    )
    assert (zones.eco, zones.market) == ("blue", "red")
