"""Grassroots burden (基层减负) for a street and a community: orders received, orders the catalog
gives to others, departments' returns refused in their favour, whistles and report-ins."""

import datetime as dt

import pytest

from tests.appeals.factories import new_appeal
from tests.supervision.clock import at, frozen
from yousu.catalog.services import delegation_exception_decide, delegation_exception_request
from yousu.core.errors import PushDownRefused
from yousu.dispatch.choices import ReturnReason
from yousu.dispatch.services import appeal_dispatch, order_add_assist, order_forward, order_return_request
from yousu.dispatch.whistles import whistle_blow, whistle_report_in

from .helpers import assess

OCTOBER = dt.date(2026, 10, 1)


def test_burden_of_a_street_and_its_community(world):
    p, u, i = world.people, world.units, world.items
    with frozen(at(2026, 10, 13, 9, 0)):
        # A hallway matter: on the access list, the community's own (street forwards it down).
        hallway = new_appeal(world, item=i.hallway, title="楼道堆物")
        city = appeal_dispatch(appeal=hallway, by=p.dispatcher)
        street = order_forward(order=city, by=p.east_dispatcher)
        order_forward(order=street, by=p.street_leader)
        # A fumes complaint the district platform sends to the street against the catalog, as a catalog
        # exception the city approved allows.
        delegation_exception_decide(
            exception=delegation_exception_request(
                item=i.fumes,
                area=world.areas.east_street,
                unit=u.east_street,
                reason="先请街道看看",
                by=p.east_dispatcher,
            ),
            by=p.dispatcher,
            approve=True,
            note="同意",
        )
        fumes = new_appeal(world)
        city = appeal_dispatch(appeal=fumes, by=p.dispatcher)
        at_street = order_forward(order=city, by=p.east_dispatcher, unit=u.east_street, reason="先请街道看看")
        # The street tries to pass the fumes order on to its community, then to bring the community
        # in as an assistant: both refused (not on the access list), both counted for the community.
        with pytest.raises(PushDownRefused):
            order_forward(order=at_street, by=p.street_leader, unit=u.east_community, reason="社区就近处理")
        with pytest.raises(PushDownRefused):
            order_add_assist(order=at_street, by=p.street_leader, unit=u.east_community)
        # The environment bureau tries to push a fumes order down to the street: refused by rule.
        city = appeal_dispatch(appeal=new_appeal(world), by=p.dispatcher)
        eco = order_forward(order=city, by=p.east_dispatcher)
        order_return_request(
            order=eco,
            by=p.east_eco_handler,
            reason=ReturnReason.NOT_OUR_DUTY,
            explanation="应由街道处理",
            suggested_unit=u.east_street,
            basis_item=world.items.fumes,
        )
        whistle = whistle_blow(
            by=p.street_leader, problem="夜市油烟扰民", departments=[u.east_eco, u.east_market]
        )
    with frozen(at(2026, 10, 13, 15, 0)):
        whistle_report_in(whistle=whistle, by=p.east_eco_handler, on_site="环境局执法队两人")
    with frozen(at(2026, 10, 15, 9, 0)):  # after the 24-hour limit
        whistle_report_in(whistle=whistle, by=p.east_market_handler, on_site="市场所一人")

    run = assess(OCTOBER)
    street = run.burden.get(unit=u.east_street)
    community = run.burden.get(unit=u.east_community)
    assert street.received == 2  # the hallway order (passed down) and the fumes order
    assert street.assigned_elsewhere == 1  # fumes: the catalog names the environment bureau
    assert (street.pushdowns_refused, street.pushdowns_refused_by_rule) == (1, 1)
    assert (street.whistles, street.report_ins_due, street.report_ins_on_time) == (1, 2, 1)
    assert community.received == 1 and community.assigned_elsewhere == 0
    assert (community.pushdowns_refused, community.whistles) == (0, 0)
    assert (street.access_list_refused, community.access_list_refused) == (0, 2)
    # Hours saved: (refused pushdowns + refused access-list violations) × the scheme's 4 hours.
    assert run.scheme.hours_per_order == 4
    assert (street.hours_saved, community.hours_saved) == (4.0, 8.0)
    # Every street and community has a row, also one with nothing to show.
    west = run.burden.get(unit=u.west_community)
    assert (west.received, west.whistles) == (0, 0)
    assert not run.burden.filter(unit__kind="department").exists()
