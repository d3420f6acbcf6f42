"""Dispatch (派): the catalog proposes, three-level dispatch carries the order down one level at a time,
a community gets only access-list items, overrides need a reason, deadlines come from the
time-limit class, and only platforms and streets pass an order on."""

import pytest

from tests.appeals.factories import at_eco, new_appeal, staff
from yousu.appeals.choices import AppealStatus
from yousu.catalog.models import TimeLimitClass
from yousu.catalog.selectors import responsible_unit
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.deadlines import order_clock
from yousu.dispatch.models import Order
from yousu.dispatch.services import appeal_dispatch, order_accept, order_forward, proposal
from yousu.org.calendar import calendar_for_unit


def tlc(code: str) -> TimeLimitClass:
    return TimeLimitClass.objects.get(code=code)


def test_the_proposal_follows_the_catalog(world):
    u, i = world.units, world.items
    expected = {
        i.fumes: u.east_eco,
        i.parking: u.east_street,
        i.hallway: u.east_community,
        i.water_outage: u.water,
    }
    for item, unit in expected.items():
        answer = proposal(new_appeal(world, item=item))
        assert answer.unit == unit
        assert answer.rule == responsible_unit(item=item, area=world.areas.grid).rule
    west = proposal(new_appeal(world, area=world.areas.west_community))
    assert west.unit == u.west_eco
    with pytest.raises(DomainError) as refused:
        proposal(new_appeal(world, item=None))
    assert refused.value.field == "item"
    with pytest.raises(DomainError) as refused:
        proposal(new_appeal(world, area=None))
    assert refused.value.field == "area"


def test_city_platform_sends_to_the_district_platform_and_records_the_catalogs_choice(world):
    appeal = new_appeal(world)
    order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    assert order.unit == world.units.east_platform
    assert order.dispatched_from == world.units.platform
    assert order.proposed_unit == world.units.east_eco
    assert order.rule == proposal(appeal).rule
    assert (order.role, order.status, order.override_reason) == (OrderRole.LEAD, OrderStatus.DISPATCHED, "")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.DISPATCHED
    with pytest.raises(DomainError) as refused:
        appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    assert refused.value.field == "status"  # dispatched once
    assert Order.objects.filter(appeal=appeal, role=OrderRole.LEAD).count() == 1
    # An item the catalog gives to a city-wide unit goes there directly.
    water = appeal_dispatch(
        appeal=new_appeal(world, item=world.items.water_outage), by=world.people.dispatcher
    )
    assert water.unit == world.units.water


def test_district_platform_sends_on_to_the_district_department(world):
    city_order, eco_order = at_eco(world)
    assert eco_order.unit == world.units.east_eco
    assert eco_order.parent == city_order
    assert eco_order.dispatched_from == world.units.east_platform
    city_order.refresh_from_db()
    assert city_order.status == OrderStatus.FORWARDED


def test_an_access_list_item_goes_down_to_the_community_one_level_at_a_time(world):
    p, u = world.people, world.units
    city_order = appeal_dispatch(appeal=new_appeal(world, item=world.items.hallway), by=p.dispatcher)
    street_order = order_forward(order=city_order, by=p.east_dispatcher)
    community_order = order_forward(order=street_order, by=p.street_leader)
    assert [city_order.unit, street_order.unit, community_order.unit] == [
        u.east_platform,
        u.east_street,
        u.east_community,
    ]
    assert community_order.override_reason == ""


def test_street_cannot_push_an_item_off_the_access_list_down_to_a_community(world):
    p, u = world.people, world.units
    city_order = appeal_dispatch(appeal=new_appeal(world, item=world.items.parking), by=p.dispatcher)
    street_order = order_forward(order=city_order, by=p.east_dispatcher)
    assert street_order.unit == u.east_street
    with pytest.raises(PushDownRefused) as refused:
        order_forward(order=street_order, by=p.street_leader, unit=u.east_community, reason="社区熟悉情况")
    assert "准入清单" in refused.value.message
    assert refused.value.field == "unit"
    street_order.refresh_from_db()
    assert street_order.status == OrderStatus.DISPATCHED
    assert not Order.objects.filter(unit=u.east_community).exists()


def test_an_appeal_without_an_item_cannot_be_pushed_to_a_community(world):
    p, u = world.people, world.units
    appeal = new_appeal(world, item=None)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.east_platform, reason="东区事务")
    street_order = order_forward(order=city_order, by=p.east_dispatcher, unit=u.east_street, reason="属地")
    with pytest.raises(PushDownRefused):
        order_forward(order=street_order, by=p.street_leader, unit=u.east_community, reason="社区处理")


def test_dispatch_only_to_a_direct_child(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    for unit in (u.east_eco, u.east_street, u.east_community, u.west_market):
        with pytest.raises(DomainError) as refused:
            appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=unit, reason="直接派给承办单位")
        assert refused.value.field == "unit"
        assert "直属下级" in refused.value.message
    assert not Order.objects.exists()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.RECEIVED


def test_district_platform_cannot_skip_a_level_or_reach_into_another_district(world):
    p, u = world.people, world.units
    city_order = appeal_dispatch(appeal=new_appeal(world, item=world.items.hallway), by=p.dispatcher)
    for unit in (u.east_community, u.west_market):
        with pytest.raises(DomainError) as refused:
            order_forward(order=city_order, by=p.east_dispatcher, unit=unit, reason="跳级")
        assert refused.value.field == "unit"
    city_order.refresh_from_db()
    assert city_order.status == OrderStatus.DISPATCHED


def test_override_without_a_reason_is_refused(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    with pytest.raises(DomainError) as refused:
        appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.city_eco)
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.city_eco, reason="   ")
    assert refused.value.field == "reason"
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    with pytest.raises(DomainError) as refused:
        order_forward(order=city_order, by=p.east_dispatcher, unit=u.east_market)
    assert refused.value.field == "reason"
    assert Order.objects.count() == 1


def test_override_with_a_reason_is_recorded_on_the_order_and_in_the_event(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    order = appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.city_eco, reason="涉及全市性污染源")
    assert order.unit == u.city_eco
    assert order.override_reason == "涉及全市性污染源"
    assert order.proposed_unit == u.east_eco  # what the catalog said stays on record
    event = appeal.events.get(action="dispatched")
    assert event.reason == "涉及全市性污染源"
    assert (event.payload["unit"], event.payload["proposed"]) == (u.city_eco.code, u.east_eco.code)


def test_override_below_a_platform_when_the_catalog_names_a_unit_elsewhere(world):
    # The city overrode the catalog (a city enterprise) to the east district; the district may still
    # send it on, with a reason, although the catalog's unit is not below it (to a department: sending
    # an enterprise's item to a street is a push-down, tests/dispatch/test_pushdown.py).
    p, u = world.people, world.units
    appeal = new_appeal(world, item=world.items.water_outage)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.east_platform, reason="区内管网")
    market_order = order_forward(
        order=city_order, by=p.east_dispatcher, unit=u.east_market, reason="管网施工占道"
    )
    assert market_order.unit == u.east_market
    assert market_order.override_reason == "管网施工占道"


def deadlines(order: Order):
    clock = order_clock(order.time_limit_class, order.dispatched_at, calendar_for_unit(order.unit))
    return clock.response_due, clock.completion_due


def test_deadlines_come_from_the_items_time_limit_class(world):
    order = appeal_dispatch(appeal=new_appeal(world), by=world.people.dispatcher)
    assert order.time_limit_class == tlc("normal")
    assert (order.response_due, order.completion_due) == deadlines(order)
    quick = appeal_dispatch(
        appeal=new_appeal(world, item=world.items.water_outage), by=world.people.dispatcher
    )
    assert quick.time_limit_class == tlc("quick")
    assert (quick.response_due, quick.completion_due) == deadlines(quick)
    assert quick.completion_due - quick.dispatched_at < order.completion_due - order.dispatched_at


def test_a_dispatcher_may_raise_the_class_but_not_lower_it(world):
    appeal = new_appeal(world)
    with pytest.raises(DomainError) as refused:
        appeal_dispatch(appeal=appeal, by=world.people.dispatcher, time_limit_class=tlc("complex"))
    assert refused.value.field == "time_limit_class"
    assert not Order.objects.exists()
    order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher, time_limit_class=tlc("urgent"))
    assert order.time_limit_class == tlc("urgent")
    assert (order.response_due, order.completion_due) == deadlines(order)


def test_forwarding_keeps_the_original_deadlines(world):
    appeal = new_appeal(world)
    city_order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher, time_limit_class=tlc("urgent"))
    eco_order = order_forward(order=city_order, by=world.people.east_dispatcher)
    assert eco_order.time_limit_class == city_order.time_limit_class
    assert (eco_order.response_due, eco_order.completion_due) == (
        city_order.response_due,
        city_order.completion_due,
    )
    assert eco_order.dispatched_at > city_order.dispatched_at


def test_first_receivers_cannot_forward_and_the_error_names_the_rule(world):
    p, u = world.people, world.units
    _city, eco_order = at_eco(world)
    city_order = appeal_dispatch(appeal=new_appeal(world, item=world.items.hallway), by=p.dispatcher)
    street_order = order_forward(order=city_order, by=p.east_dispatcher)
    community_order = order_forward(order=street_order, by=p.street_leader)
    water_order = appeal_dispatch(appeal=new_appeal(world, item=world.items.water_outage), by=p.dispatcher)
    water_handler = staff(u.water, "wally", "unit_leader")
    cases = [
        (eco_order, p.east_eco_handler, u.east_market),
        (community_order, p.east_community_handler, u.east_street),
        (water_order, water_handler, u.east_platform),
    ]
    for order, by, unit in cases:
        with pytest.raises(DomainError) as refused:
            order_forward(order=order, by=by, unit=unit, reason="不归我们管")
        assert "首接负责" in refused.value.message
        order.refresh_from_db()
        assert order.status == OrderStatus.DISPATCHED
    # Not even after accepting it.
    order_accept(order=eco_order, by=p.east_eco_handler)
    with pytest.raises(DomainError) as refused:
        order_forward(order=eco_order, by=p.east_eco_handler, unit=u.east_market, reason="转给市场监管")
    assert "首接负责" in refused.value.message


def test_only_the_platforms_dispatcher_dispatches(world):
    p = world.people
    appeal = new_appeal(world)
    for person in (p.operator, p.supervisor, p.east_market_handler):
        with pytest.raises(PermissionRefused):
            appeal_dispatch(appeal=appeal, by=person)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    west_dispatcher = staff(world.units.west_platform, "wendy", "dispatcher")
    for person in (west_dispatcher, p.dispatcher, p.east_eco_handler):
        with pytest.raises(PermissionRefused):
            order_forward(order=city_order, by=person)
    assert Order.objects.count() == 1


def pushdown_attempts(appeal):
    return list(appeal.events.filter(action="pushdown_refused").order_by("id"))


def test_a_refused_push_down_is_recorded_although_the_dispatch_is_rolled_back(world):
    p, u = world.people, world.units
    appeal = new_appeal(world, item=world.items.parking)
    street_order = order_forward(order=appeal_dispatch(appeal=appeal, by=p.dispatcher), by=p.east_dispatcher)
    with pytest.raises(PushDownRefused):
        order_forward(order=street_order, by=p.street_leader, unit=u.east_community, reason="社区熟悉情况")
    (attempt,) = pushdown_attempts(appeal)
    assert attempt.actor == p.street_leader and attempt.order_id == street_order.pk
    assert attempt.payload == {
        "unit": u.east_community.code,
        "unit_id": u.east_community.pk,
        "from_unit": u.east_street.code,
        "item": world.items.parking.code,
        "via": "access_list",
    }
    assert "准入清单" in attempt.reason
    # The rest of the refused forward left nothing behind: one forward, the district platform's.
    assert list(appeal.events.filter(action="forwarded").values_list("order_id", flat=True)) == [
        street_order.parent_id
    ]
    assert not Order.objects.filter(unit=u.east_community).exists()


def test_refusals_that_are_not_push_downs_record_no_attempt(world):
    p, u = world.people, world.units
    appeal = new_appeal(world, item=world.items.hallway)
    street_order = order_forward(order=appeal_dispatch(appeal=appeal, by=p.dispatcher), by=p.east_dispatcher)
    # Skipping a level is refused, but it is not a push-down: nothing is counted for the community.
    with pytest.raises(DomainError):
        order_forward(order=street_order, by=p.street_leader, unit=u.west_community, reason="就近")
    assert pushdown_attempts(appeal) == []


def test_dispatch_settles_the_item_and_a_refusal_leaves_it_as_it_was(world):
    appeal = new_appeal(world, item=None)
    with pytest.raises(DomainError):
        # Chosen against the catalog without the reason an override needs: refused, item unchanged.
        appeal_dispatch(
            appeal=appeal, by=world.people.dispatcher, item=world.items.fumes, unit=world.units.west_platform
        )
    appeal.refresh_from_db()
    assert appeal.item is None
    order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher, item=world.items.fumes)
    appeal.refresh_from_db()
    assert appeal.item == world.items.fumes and order.unit == world.units.east_platform
    assert appeal.events.filter(action="item_set").count() == 1
