"""会商: who may convene, decide and adopt; what each step validates; how a decision is carried out on
the appeal; and adoption as a new catalog version that answers from then on, not before."""

import pytest
from django.utils import timezone

from yousu.appeals.services import appeal_create, appeal_link_duplicate
from yousu.catalog.models import ResponsibilityRule
from yousu.catalog.selectors import responsible_unit
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.dispatch.choices import OrderRole, OrderStatus, ReturnReason
from yousu.dispatch.consultations import consultation_adopt_rule, consultation_decide, consultation_open
from yousu.dispatch.models import Order
from yousu.dispatch.services import (
    appeal_dispatch,
    order_forward,
    order_return_request,
    return_request_review,
)
from yousu.org.services import person_create


def new_appeal(world, item=None, **fields):
    values = {
        "kind": "complaint",
        "channel": "hotline",
        "title": "职责不清的诉求",
        "content": "多个部门互相推诿，问题一直没有解决。",
        "intake_unit": world.units.platform,
        "received_by": world.people.operator,
        "area": world.areas.grid,
        "item": item or world.items.fumes,
        "citizen_phone": "13800001111",
    }
    values.update(fields)
    return appeal_create(**values)


def open_between(world, *parties, by=None, item=None, appeal=None, topic="油烟问题由谁牵头"):
    return consultation_open(
        item=item or world.items.fumes,
        topic=topic,
        parties=list(parties) or [world.units.east_eco, world.units.east_market],
        by=by or world.people.dispatcher,
        appeal=appeal,
    )


def decide(world, consultation, *, by=None, lead=None, assisting=None, **proposal):
    return consultation_decide(
        consultation=consultation,
        by=by or world.people.dispatcher,
        meeting_record="两部门到会，明确由主办单位牵头。",
        lead_unit=lead or world.units.east_eco,
        assisting_units=[world.units.east_market] if assisting is None else assisting,
        **proposal,
    )


def actions(appeal):
    return list(appeal.events.order_by("at", "id").values_list("action", flat=True))


# ---------------------------------------------------------------- opening


@pytest.mark.parametrize("who", ["dispatcher", "east_dispatcher", "supervisor", "admin"])
def test_platform_dispatchers_supervisors_and_administrators_may_convene(world, who):
    consultation = open_between(world, by=getattr(world.people, who))
    assert consultation.convening_unit == getattr(world.people, who).unit
    assert set(consultation.parties.all()) == {world.units.east_eco, world.units.east_market}


@pytest.mark.parametrize(
    "who", ["east_market_handler", "street_leader", "operator", "east_community_handler"]
)
def test_units_and_operators_may_not_convene(world, who):
    with pytest.raises(PermissionRefused) as refused:
        open_between(world, by=getattr(world.people, who))
    assert refused.value.field == "by"


def test_a_convener_belongs_to_a_unit(world):
    unattached = person_create(
        username="root-admin", full_name="无单位管理员", unit=None, roles=["administrator"]
    )
    with pytest.raises(PermissionRefused) as refused:
        open_between(world, by=unattached)
    assert refused.value.field == "by"


def test_a_consultation_needs_two_distinct_parties(world):
    u = world.units
    with pytest.raises(DomainError) as refused:
        open_between(world, u.east_eco)
    assert refused.value.field == "parties"
    with pytest.raises(DomainError) as refused:
        open_between(world, u.east_eco, u.east_eco)
    assert refused.value.field == "parties"


def test_platforms_and_inactive_units_are_not_parties(world):
    u = world.units
    with pytest.raises(DomainError) as refused:
        open_between(world, u.east_eco, u.east_platform)
    assert refused.value.field == "parties"
    u.west_eco.is_active = False
    u.west_eco.save()
    with pytest.raises(DomainError) as refused:
        open_between(world, u.east_eco, u.west_eco)
    assert refused.value.field == "parties"


def test_topic_is_required(world):
    with pytest.raises(DomainError) as refused:
        open_between(world, topic="  ")
    assert refused.value.field == "topic"


def test_the_item_must_be_a_level_three_item(world):
    with pytest.raises(DomainError) as refused:
        open_between(world, item=world.items.category)
    assert refused.value.field == "item"


def test_opening_on_an_appeal_writes_an_event(world):
    appeal = new_appeal(world)
    consultation = open_between(world, appeal=appeal)
    event = appeal.events.get(action="consultation_opened")
    assert event.actor == world.people.dispatcher
    assert event.payload["consultation"] == consultation.pk
    assert sorted(event.payload["parties"]) == sorted(
        [world.units.east_eco.code, world.units.east_market.code]
    )


def test_a_linked_duplicate_is_not_consulted_on_its_own(world):
    original = new_appeal(world)
    duplicate = new_appeal(world)
    appeal_link_duplicate(appeal=duplicate, original=original, by=world.people.operator)
    with pytest.raises(DomainError) as refused:
        open_between(world, appeal=duplicate)
    assert refused.value.field == "appeal"


# ---------------------------------------------------------------- deciding


@pytest.mark.parametrize("who", ["dispatcher", "admin"])
def test_the_conveners_platform_dispatcher_or_an_administrator_decides(world, who):
    consultation = decide(world, open_between(world), by=getattr(world.people, who))
    assert consultation.lead_unit == world.units.east_eco
    assert list(consultation.assisting_units.all()) == [world.units.east_market]
    assert consultation.decided_by == getattr(world.people, who)
    assert consultation.decided_at is not None


@pytest.mark.parametrize("who", ["east_dispatcher", "supervisor", "east_market_handler", "operator"])
def test_nobody_else_decides(world, who):
    consultation = open_between(world)  # convened by the city platform
    with pytest.raises(PermissionRefused) as refused:
        decide(world, consultation, by=getattr(world.people, who))
    assert refused.value.field == "by"


def test_a_supervisors_consultation_is_decided_by_the_dispatcher_of_its_platform(world):
    consultation = open_between(world, by=world.people.supervisor)
    assert decide(world, consultation, by=world.people.dispatcher).decided_at is not None


def test_a_consultation_is_decided_once(world):
    consultation = decide(world, open_between(world))
    with pytest.raises(DomainError) as refused:
        decide(world, consultation, lead=world.units.east_market, assisting=[])
    assert refused.value.field == "status"
    consultation.refresh_from_db()
    assert consultation.lead_unit == world.units.east_eco


def test_the_meeting_record_is_required(world):
    with pytest.raises(DomainError) as refused:
        consultation_decide(
            consultation=open_between(world),
            by=world.people.dispatcher,
            meeting_record=" ",
            lead_unit=world.units.east_eco,
            assisting_units=[],
        )
    assert refused.value.field == "meeting_record"


def test_the_lead_unit_is_one_of_the_parties(world):
    with pytest.raises(DomainError) as refused:
        decide(world, open_between(world), lead=world.units.west_eco)
    assert refused.value.field == "lead_unit"


def test_assisting_units_are_parties_other_than_the_lead(world):
    u = world.units
    consultation = open_between(world)
    with pytest.raises(DomainError) as refused:
        decide(world, consultation, assisting=[u.west_market])
    assert refused.value.field == "assisting_units"
    with pytest.raises(DomainError) as refused:
        decide(world, consultation, assisting=[u.east_eco])
    assert refused.value.field == "assisting_units"


@pytest.mark.parametrize(
    ("proposal", "field", "error"),
    [
        ({"proposed_level": "district"}, "proposed_target", DomainError),
        ({"proposed_target": "nobody"}, "proposed_target", DomainError),
        ({"proposed_target": "sector", "proposed_level": "district"}, "proposed_sector", DomainError),
        (
            {"proposed_target": "sector", "proposed_level": "community", "proposed_sector": "market"},
            "proposed_level",
            DomainError,
        ),
        ({"proposed_target": "territorial", "proposed_level": "city"}, "proposed_level", DomainError),
        ({"proposed_target": "unit"}, "proposed_unit", DomainError),
        # Fumes is not on the community access list: no rule may push it down to a community.
        (
            {"proposed_target": "territorial", "proposed_level": "community"},
            "proposed_target",
            PushDownRefused,
        ),
    ],
)
def test_the_proposed_rule_is_checked_like_a_catalog_rule(world, proposal, field, error):
    if "proposed_sector" in proposal:
        proposal = {**proposal, "proposed_sector": getattr(world.sectors, proposal["proposed_sector"])}
    consultation = open_between(world)
    with pytest.raises(error) as refused:
        decide(world, consultation, **proposal)
    assert refused.value.field == field
    consultation.refresh_from_db()
    assert consultation.decided_at is None


def test_a_proposal_for_an_inactive_unit_is_refused(world):
    world.units.west_eco.is_active = False
    world.units.west_eco.save()
    with pytest.raises(DomainError) as refused:
        decide(world, open_between(world), proposed_target="unit", proposed_unit=world.units.west_eco)
    assert refused.value.field == "proposed_unit"


def test_a_community_proposal_is_accepted_for_an_item_on_the_access_list(world):
    u = world.units
    consultation = open_between(world, u.east_street, u.east_community, item=world.items.hallway)
    decided = decide(
        world,
        consultation,
        lead=u.east_community,
        assisting=[u.east_street],
        proposed_target="territorial",
        proposed_level="community",
    )
    assert (decided.proposed_target, decided.proposed_level) == ("territorial", "community")


def test_a_unit_proposal_takes_the_units_level_and_drops_a_stray_sector(world):
    decided = decide(
        world,
        open_between(world),
        proposed_target="unit",
        proposed_unit=world.units.city_eco,
        proposed_sector=world.sectors.market,
    )
    assert decided.proposed_level == "city"
    assert decided.proposed_sector is None


# ---------------------------------------------------------------- carrying the decision out


def test_a_received_appeal_is_dispatched_to_the_lead_and_the_assisting_units(world):
    u = world.units
    appeal = new_appeal(world, item=world.items.dust)  # no rule for dust yet: responsibility unclear
    consultation = open_between(world, u.city_eco, u.water, appeal=appeal, item=world.items.dust)
    decide(world, consultation, lead=u.city_eco, assisting=[u.water])

    appeal.refresh_from_db()
    assert appeal.status == "dispatched"
    lead = appeal.orders.get(role=OrderRole.LEAD)
    assert lead.unit == u.city_eco
    assert lead.override_reason.startswith("会商决定：")
    assist = appeal.orders.get(role=OrderRole.ASSIST)
    assert (assist.unit, assist.parent) == (u.water, lead)
    assert actions(appeal) == [
        "received",
        "consultation_opened",
        "consultation_decided",
        "dispatched",
        "appeal_dispatched",
        "dispatched",
    ]


def test_a_lead_unit_below_another_platform_is_left_for_its_dispatcher(world):
    appeal = new_appeal(world)
    # East eco is under the east district platform, not a direct child of the city platform.
    decide(world, open_between(world, appeal=appeal))
    appeal.refresh_from_db()
    assert appeal.status == "received"
    assert not appeal.orders.exists()
    pending = appeal.events.get(action="consultation_dispatch_pending")
    assert pending.payload["lead"] == world.units.east_eco.code
    assert appeal.events.get(action="consultation_assist_pending").payload["assisting"] == [
        world.units.east_market.code
    ]


def test_an_administrator_who_is_not_a_dispatcher_leaves_the_dispatch_to_one(world):
    u = world.units
    appeal = new_appeal(world, item=world.items.dust)
    consultation = open_between(world, u.city_eco, u.water, appeal=appeal, item=world.items.dust)
    decide(world, consultation, by=world.people.admin, lead=u.city_eco, assisting=[u.water])
    appeal.refresh_from_db()
    assert appeal.status == "received"
    assert not appeal.orders.exists()
    assert "consultation_dispatch_pending" in actions(appeal)


def test_after_an_approved_return_the_decision_dispatches_the_appeal_again(world):
    u, p = world.units, world.people
    eco_handler = person_create(
        username="cheng", full_name="市环境局承办人", unit=u.city_eco, roles=["unit_handler"]
    )
    appeal = new_appeal(world, item=world.items.dust)
    first = appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.city_eco, reason="扬尘先派环境局")
    request = order_return_request(
        order=first,
        by=eco_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="工地扬尘归供水企业的施工方",
        suggested_unit=u.water,
        basis_item=world.items.dust,
    )
    return_request_review(request=request, by=p.dispatcher, approve=True, note="同意，另行会商")
    appeal.refresh_from_db()
    assert appeal.status == "received"

    consultation = open_between(world, u.city_eco, u.water, appeal=appeal, item=world.items.dust)
    decide(world, consultation, lead=u.water, assisting=[u.city_eco])
    appeal.refresh_from_db()
    assert appeal.status == "dispatched"
    live = appeal.orders.filter(status=OrderStatus.DISPATCHED)
    assert {(o.unit, o.role) for o in live} == {(u.water, OrderRole.LEAD), (u.city_eco, OrderRole.ASSIST)}
    first.refresh_from_db()
    assert first.status == OrderStatus.RETURNED  # the history is kept


def test_a_lead_order_already_at_the_lead_unit_only_gets_assisting_orders(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    eco_order = order_forward(order=city_order, by=p.east_dispatcher)
    consultation = open_between(world, appeal=appeal, by=p.east_dispatcher)
    decide(world, consultation, by=p.east_dispatcher)
    assert appeal.orders.filter(role=OrderRole.LEAD).count() == 2  # city's (forwarded) and eco's
    assist = appeal.orders.get(role=OrderRole.ASSIST)
    assert (assist.unit, assist.parent_id) == (u.east_market, eco_order.pk)
    assert "consultation_dispatch_pending" not in actions(appeal)


def test_an_administrator_leaves_the_assisting_orders_to_a_dispatcher(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    order_forward(order=appeal_dispatch(appeal=appeal, by=p.dispatcher), by=p.east_dispatcher)
    decide(world, open_between(world, appeal=appeal), by=p.admin)
    assert not appeal.orders.filter(role=OrderRole.ASSIST).exists()
    pending = appeal.events.get(action="consultation_assist_pending")
    assert pending.payload["assisting"] == [u.east_market.code]
    assert "consultation_dispatch_pending" not in actions(appeal)


def test_the_district_platform_holding_the_order_forwards_it_to_the_lead(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    consultation = open_between(world, appeal=appeal, by=p.east_dispatcher)
    decide(world, consultation, by=p.east_dispatcher, lead=u.east_market, assisting=[u.east_eco])
    city_order.refresh_from_db()
    assert city_order.status == OrderStatus.FORWARDED
    lead = Order.objects.get(appeal=appeal, role=OrderRole.LEAD, status=OrderStatus.DISPATCHED)
    assert (lead.unit, lead.parent_id) == (u.east_market, city_order.pk)
    assert lead.override_reason.startswith("会商决定：")
    assert appeal.orders.get(role=OrderRole.ASSIST).unit == u.east_eco


def test_a_decision_that_would_push_down_to_a_community_is_refused_whole(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    order_forward(order=appeal_dispatch(appeal=appeal, by=p.dispatcher), by=p.east_dispatcher)
    consultation = open_between(world, u.east_eco, u.east_community, appeal=appeal, by=p.east_dispatcher)
    # Fumes is not on the community access list, so the community may not even assist.
    with pytest.raises(PushDownRefused) as refused:
        decide(world, consultation, by=p.east_dispatcher, lead=u.east_eco, assisting=[u.east_community])
    assert refused.value.field == "unit"
    consultation.refresh_from_db()
    assert consultation.decided_at is None
    assert not appeal.orders.filter(unit=u.east_community).exists()
    assert "consultation_decided" not in actions(appeal)
    # The attempt survives the decision's rollback exactly once, for the grassroots-burden figures.
    attempts = appeal.events.filter(action="pushdown_refused")
    assert [event.payload["unit"] for event in attempts] == [u.east_community.code]


# ---------------------------------------------------------------- adopting the proposed rule


def test_adoption_makes_a_new_catalog_version_that_answers_from_then_on(world):
    u, p, i = world.units, world.people, world.items
    appeal = new_appeal(world)
    consultation = decide(
        world,
        open_between(world, appeal=appeal),
        lead=u.east_market,
        assisting=[u.east_eco],
        proposed_target="sector",
        proposed_level="district",
        proposed_sector=world.sectors.market,
    )
    old = ResponsibilityRule.objects.get(item=i.fumes, valid_until__isnull=True)
    before = timezone.now()
    assert responsible_unit(item=i.fumes, area=world.areas.grid).unit == u.east_eco

    rule = consultation_adopt_rule(consultation=consultation, by=p.admin)

    old.refresh_from_db()
    assert rule.replaces == old
    assert old.valid_until == rule.valid_from
    assert f"会商 #{consultation.pk}" in rule.reason
    assert (rule.target, rule.level, rule.sector, rule.area) == (
        "sector",
        "district",
        world.sectors.market,
        None,
    )
    assert responsible_unit(item=i.fumes, area=world.areas.grid).unit == u.east_market
    assert responsible_unit(item=i.fumes, area=world.areas.grid, at=before).unit == u.east_eco
    consultation.refresh_from_db()
    assert (consultation.adopted_rule, consultation.adopted_by) == (rule, p.admin)
    adopted = appeal.events.get(action="consultation_rule_adopted")
    assert adopted.payload == {"consultation": consultation.pk, "rule": rule.pk, "replaces": old.pk}


def test_adoption_creates_the_first_rule_when_none_is_in_force(world):
    u, i = world.units, world.items
    consultation = decide(
        world,
        open_between(world, u.city_eco, u.water, item=i.dust),
        lead=u.city_eco,
        assisting=[],
        proposed_target="unit",
        proposed_unit=u.city_eco,
    )
    rule = consultation_adopt_rule(consultation=consultation, by=world.people.admin2)
    assert rule.replaces is None
    assert responsible_unit(item=i.dust, area=world.areas.grid).unit == u.city_eco


@pytest.mark.parametrize("who", ["dispatcher", "supervisor", "district_admin"])
def test_only_a_city_administrator_adopts(world, who):
    if who == "district_admin":
        person = person_create(
            username="dave-admin",
            full_name="区管理员",
            unit=world.units.east_platform,
            roles=["administrator"],
        )
    else:
        person = getattr(world.people, who)
    consultation = decide(
        world,
        open_between(world),
        proposed_target="sector",
        proposed_level="district",
        proposed_sector=world.sectors.market,
    )
    with pytest.raises(PermissionRefused) as refused:
        consultation_adopt_rule(consultation=consultation, by=person)
    assert refused.value.field == "by"


def test_adoption_needs_a_proposal(world):
    undecided = open_between(world)
    with pytest.raises(DomainError) as refused:
        consultation_adopt_rule(consultation=undecided, by=world.people.admin)
    assert refused.value.field == "proposed_target"
    without_proposal = decide(world, open_between(world))
    with pytest.raises(DomainError) as refused:
        consultation_adopt_rule(consultation=without_proposal, by=world.people.admin)
    assert refused.value.field == "proposed_target"
    assert "没有提出" in refused.value.message


def test_a_proposal_is_adopted_once(world):
    consultation = decide(
        world,
        open_between(world),
        proposed_target="sector",
        proposed_level="district",
        proposed_sector=world.sectors.market,
    )
    consultation_adopt_rule(consultation=consultation, by=world.people.admin)
    with pytest.raises(DomainError) as refused:
        consultation_adopt_rule(consultation=consultation, by=world.people.admin2)
    assert refused.value.field == "adopted_rule"
    assert ResponsibilityRule.objects.filter(item=world.items.fumes).count() == 2
