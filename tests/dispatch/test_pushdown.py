"""No push-down, decided by rule and not by a person reading words (防止层层向基层转嫁责任).

Returns (退单): a return saying another unit is responsible names that unit and the catalog item it relies
on; naming a street or community for a department's item is refused by rule and recorded as a push-down
attempt; one return per order and unit unless the dispatcher reopened the question. Forwards: a
department's item goes to a street or community only on a decided consultation or an approved catalog
exception, and such a delegation is marked on the order's dispatch event; otherwise it is refused and the
attempt recorded after the rollback."""

from __future__ import annotations

import pytest

from tests.appeals.factories import at_eco, at_market, new_appeal, reload, staff
from yousu.catalog.choices import AccessChangeAction, DelegateKind, RuleTarget
from yousu.catalog.services import (
    access_list_decide,
    access_list_propose,
    delegation_exception_decide,
    delegation_exception_request,
    rule_create,
)
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.dispatch.choices import OrderStatus, RequestStatus, ReturnReason
from yousu.dispatch.consultations import consultation_decide, consultation_open
from yousu.dispatch.models import Order, ReturnRequest
from yousu.dispatch.services import (
    appeal_dispatch,
    order_accept,
    order_forward,
    order_return_request,
    return_request_reopen,
    return_request_review,
)
from yousu.org.services import unit_create

SEED_WORDS = "这是街办和社区就能解决的事情"


def events(order, action):
    return order.appeal.events.filter(order_id=order.pk, action=action).order_by("id")


def pushdowns(appeal):
    return list(appeal.events.filter(action="pushdown_refused").order_by("id"))


def file_return(
    world, order, *, by=None, reason=ReturnReason.NOT_OUR_DUTY, explanation="不属本局职责", **claim
):
    claim.setdefault("basis_item", world.items.fumes)
    return order_return_request(
        order=order,
        by=by or world.people.east_market_handler,
        reason=reason,
        explanation=explanation,
        **claim,
    )


# ---------------------------------------------------------------- what a return must name


@pytest.mark.parametrize("reason", [ReturnReason.NOT_OUR_DUTY, ReturnReason.WRONG_AREA])
def test_a_return_saying_another_unit_is_responsible_must_name_it_and_the_catalog_basis(world, reason):
    _city, order = at_market(world)
    with pytest.raises(DomainError) as refused:
        file_return(world, order, reason=reason, explanation=SEED_WORDS)
    assert refused.value.field == "suggested_unit"
    with pytest.raises(DomainError) as refused:
        file_return(world, order, reason=reason, suggested_unit=world.units.east_eco, basis_item=None)
    assert refused.value.field == "basis_item"
    assert not ReturnRequest.objects.exists()
    assert not order.appeal.events.filter(action="return_requested").exists()
    # A duplicate or a non-appeal says nobody else is responsible: it names no unit.
    made = order_return_request(
        order=order,
        by=world.people.east_market_handler,
        reason=ReturnReason.DUPLICATE,
        explanation="与另一单重复",
    )
    assert made.status == RequestStatus.PENDING and made.suggested_unit is None


@pytest.mark.parametrize(
    ("suggested", "basis", "field"),
    [
        ("east_market", "fumes", "suggested_unit"),  # the unit itself
        ("east_platform", "fumes", "suggested_unit"),  # a platform dispatches, it does not handle
        ("east_eco", "category", "basis_item"),  # a category, not an item
    ],
)
def test_the_named_unit_and_item_must_make_sense(world, suggested, basis, field):
    _city, order = at_market(world)
    with pytest.raises(DomainError) as refused:
        file_return(
            world,
            order,
            suggested_unit=getattr(world.units, suggested),
            basis_item=getattr(world.items, basis),
        )
    assert refused.value.field == field
    assert not ReturnRequest.objects.exists()


def test_another_citys_unit_cannot_be_named(world, north):
    _city, order = at_market(world)
    with pytest.raises(DomainError) as refused:
        file_return(world, order, suggested_unit=north.market)
    assert refused.value.field == "suggested_unit"


def test_the_named_unit_and_basis_are_kept_and_logged(world):
    _city, order = at_market(world)
    made = file_return(world, order, suggested_unit=world.units.east_eco, basis_note="油烟排放属环保监管")
    made.refresh_from_db()
    assert (made.suggested_unit, made.basis_item, made.basis_note) == (
        world.units.east_eco,
        world.items.fumes,
        "油烟排放属环保监管",
    )
    logged = events(order, "return_requested").get()
    assert (logged.payload["suggested"], logged.payload["basis_item"]) == (
        world.units.east_eco.code,
        world.items.fumes.code,
    )


# ---------------------------------------------------------------- push-down by return


@pytest.mark.parametrize("grassroots", ["east_street", "east_community"])
def test_naming_a_street_or_community_for_a_department_item_is_refused_by_rule_and_counted(world, grassroots):
    p, u = world.people, world.units
    _city, order = at_market(world)
    named = getattr(u, grassroots)
    made = file_return(world, order, explanation=SEED_WORDS, suggested_unit=named)
    assert made.status == RequestStatus.REFUSED_BY_RULE and made.counts_against_unit
    assert "防止层层向基层转嫁责任" in made.review_note and named.name in made.review_note
    assert events(order, "return_refused_by_rule").get().payload["rule"] == "pushdown"
    (attempt,) = pushdowns(order.appeal)
    assert (attempt.actor, attempt.order_id) == (p.east_market_handler, order.pk)
    assert attempt.payload == {
        "unit": named.code,
        "unit_id": named.pk,
        "from_unit": u.east_market.code,
        "item": world.items.fumes.code,
        "via": "return",
    }
    assert reload(order).status == OrderStatus.DISPATCHED


def test_the_seeds_claim_in_words_naming_a_department_goes_to_the_dispatcher(world):
    # The software cannot read "街办和社区就能解决"; named as another department, the claim is the
    # dispatcher's to judge, and nothing is recorded as a push-down.
    _city, order = at_market(world)
    made = file_return(world, order, explanation=SEED_WORDS, suggested_unit=world.units.east_eco)
    assert made.status == RequestStatus.PENDING and not made.counts_against_unit
    assert pushdowns(order.appeal) == []


def test_citing_another_catalog_item_disputes_the_classification_and_goes_to_review(world):
    # The catalog gives fumes to the environment bureau; citing fumes, its "not our duty" is refused by
    # rule; citing construction dust instead, it claims the appeal was classified wrongly.
    _city, order = at_eco(world)
    made = file_return(
        world,
        order,
        by=world.people.east_eco_handler,
        suggested_unit=world.units.east_market,
        basis_item=world.items.dust,
    )
    assert made.status == RequestStatus.PENDING
    _city, other = at_eco(world)
    refused = file_return(
        world, other, by=world.people.east_eco_handler, suggested_unit=world.units.east_market
    )
    assert refused.status == RequestStatus.REFUSED_BY_RULE
    assert events(other, "return_refused_by_rule").get().payload["rule"] == "own_item"


# ---------------------------------------------------------------- one return per order and unit


def test_a_second_return_on_the_same_order_is_refused_by_rule_and_recorded(world):
    p, u = world.people, world.units
    _city, order = at_market(world)
    first = file_return(world, order, suggested_unit=u.east_eco)
    return_request_review(request=first, by=p.east_dispatcher, approve=False, note="经营行为归市场监管")
    second = file_return(world, order, reason=ReturnReason.WRONG_AREA, suggested_unit=u.west_market)
    assert second.status == RequestStatus.REFUSED_BY_RULE and second.counts_against_unit
    assert "不得重复退单" in second.review_note
    assert [e.payload["request"] for e in events(order, "return_requested")] == [first.pk, second.pk]
    assert events(order, "return_refused_by_rule").get().payload == {
        "request": second.pk,
        "unit": u.east_market.code,
        "rule": "repeat",
    }
    assert sum(r.counts_against_unit for r in ReturnRequest.objects.filter(unit=u.east_market)) == 2
    # A duplicate is no way around it either; and a rule's refusal closes the question the same way.
    third = order_return_request(
        order=order, by=p.east_market_handler, reason=ReturnReason.DUPLICATE, explanation="重复"
    )
    assert third.status == RequestStatus.REFUSED_BY_RULE
    assert pushdowns(order.appeal) == []


def test_after_the_dispatcher_reopened_the_question_one_more_return_is_allowed(world):
    p, u = world.people, world.units
    _city, order = at_market(world)
    first = file_return(world, order, suggested_unit=u.west_eco)
    return_request_review(
        request=first,
        by=p.east_dispatcher,
        approve=False,
        note="地点在东区；如认为属环保请重新申请",
        may_file_again=True,
    )
    first.refresh_from_db()
    assert first.may_file_again and first.reopened_by == p.east_dispatcher
    reopened = events(order, "return_reopened").get()
    assert (reopened.actor, reopened.payload["request"]) == (p.east_dispatcher, first.pk)
    second = file_return(world, order, suggested_unit=u.east_eco)
    assert second.status == RequestStatus.PENDING
    # Used once: refused again without reopening, the next one is refused by rule.
    return_request_review(request=second, by=p.east_dispatcher, approve=False, note="经营行为归市场监管")
    assert file_return(world, order, suggested_unit=u.east_eco).status == RequestStatus.REFUSED_BY_RULE


def test_the_dispatcher_may_reopen_after_a_rules_refusal(world):
    p, u = world.people, world.units
    _city, order = at_market(world)
    pushed = file_return(world, order, suggested_unit=u.east_street)
    assert pushed.status == RequestStatus.REFUSED_BY_RULE
    for person in (p.east_market_handler, p.dispatcher):
        with pytest.raises(PermissionRefused):
            return_request_reopen(request=pushed, by=person, note="可以重新申请")
    with pytest.raises(DomainError) as refused:
        return_request_reopen(request=pushed, by=p.east_dispatcher, note=" ")
    assert refused.value.field == "note"
    return_request_reopen(request=pushed, by=p.east_dispatcher, note="可以指明职能部门后重新申请")
    with pytest.raises(DomainError) as again:
        return_request_reopen(request=pushed, by=p.east_dispatcher, note="再次")
    assert again.value.field == "status"
    assert pushed.counts_against_unit  # the refused push-down still counts
    assert file_return(world, order, suggested_unit=u.east_eco).status == RequestStatus.PENDING


def test_only_the_latest_refused_return_of_an_order_still_waiting_may_be_reopened(world):
    p, u = world.people, world.units
    _city, order = at_market(world)
    pending = file_return(world, order, suggested_unit=u.east_eco)
    with pytest.raises(DomainError) as refused:
        return_request_reopen(request=pending, by=p.east_dispatcher, note="允许")
    assert refused.value.field == "status"
    with pytest.raises(DomainError) as refused:
        return_request_review(
            request=pending, by=p.east_dispatcher, approve=True, note="同意", may_file_again=True
        )
    assert refused.value.field == "may_file_again"
    return_request_review(request=pending, by=p.east_dispatcher, approve=False, note="驳回")
    repeat = file_return(world, order, suggested_unit=u.east_eco)
    with pytest.raises(DomainError) as refused:
        return_request_reopen(request=pending, by=p.east_dispatcher, note="允许")
    assert refused.value.field == "request"
    order_accept(order=order, by=p.east_market_handler)
    with pytest.raises(DomainError) as refused:
        return_request_reopen(request=repeat, by=p.east_dispatcher, note="允许")
    assert refused.value.field == "status"


# ---------------------------------------------------------------- push-down by forward


def at_east_platform(world, item=None):
    appeal = new_appeal(world, item=item or world.items.fumes)
    return appeal_dispatch(appeal=appeal, by=world.people.dispatcher)


def test_forwarding_a_department_item_to_a_street_is_refused_and_recorded(world):
    p, u = world.people, world.units
    city_order = at_east_platform(world)
    with pytest.raises(PushDownRefused) as refused:
        order_forward(order=city_order, by=p.east_dispatcher, unit=u.east_street, reason="属地管理")
    assert refused.value.field == "unit"
    message = refused.value.message
    assert u.east_eco.name in message and "会商决定" in message and "目录例外" in message
    assert reload(city_order).status == OrderStatus.DISPATCHED
    assert not Order.objects.filter(unit=u.east_street).exists()
    (attempt,) = pushdowns(city_order.appeal)
    assert (attempt.actor, attempt.order_id) == (p.east_dispatcher, city_order.pk)
    assert attempt.payload == {
        "unit": u.east_street.code,
        "unit_id": u.east_street.pk,
        "from_unit": u.east_platform.code,
        "item": world.items.fumes.code,
        "via": "forward",
    }
    # The contrast: a street item goes to the street, and a street on the way to a department of its own
    # is only a relay; neither is a push-down.
    a = world.areas
    street_order = order_forward(
        order=at_east_platform(world, item=world.items.parking), by=p.east_dispatcher
    )
    assert street_order.unit == u.east_street
    assert (
        "delegated"
        not in street_order.appeal.events.get(order_id=street_order.pk, action="dispatched").payload
    )
    # A department of the street itself (its parent is the street) answers for dust there: the street
    # passes the order on, it is not given the matter.
    station = unit_create(
        code="C-E-1-eco",
        name="东一街道环保所",
        kind="department",
        level="street",
        area=a.east_street,
        parent=u.east_street,
        sector=world.sectors.eco,
    )
    rule_create(item=world.items.dust, target=RuleTarget.UNIT, unit=station, reason="街道环保所", by=p.admin)
    relay = order_forward(order=at_east_platform(world, item=world.items.dust), by=p.east_dispatcher)
    assert relay.unit == u.east_street
    assert order_forward(order=relay, by=p.street_leader).unit == station
    assert pushdowns(relay.appeal) == []


def test_an_enterprise_item_overridden_to_a_district_still_may_not_go_to_its_street(world):
    p, u = world.people, world.units
    appeal = new_appeal(world, item=world.items.water_outage)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.east_platform, reason="区内管网")
    with pytest.raises(PushDownRefused):
        order_forward(order=city_order, by=p.east_dispatcher, unit=u.east_street, reason="属地协调")
    assert [e.payload["via"] for e in pushdowns(appeal)] == ["forward"]


def test_a_decided_consultation_naming_the_street_as_lead_allows_it_and_marks_the_delegation(world):
    p, u = world.people, world.units
    city_order = at_east_platform(world)
    consultation = consultation_open(
        item=world.items.fumes,
        topic="小餐饮油烟由谁牵头",
        parties=[u.east_eco, u.east_street],
        by=p.east_dispatcher,
        appeal=city_order.appeal,
    )
    # Opened but not decided: no basis yet.
    with pytest.raises(PushDownRefused):
        order_forward(order=city_order, by=p.east_dispatcher, unit=u.east_street, reason="会商中")
    consultation_decide(
        consultation=consultation,
        by=p.east_dispatcher,
        meeting_record="街道牵头，环保局协办",
        lead_unit=u.east_street,
        assisting_units=[u.east_eco],
    )
    street_order = Order.objects.get(unit=u.east_street, role="lead")
    assert street_order.parent_id == city_order.pk
    dispatched = street_order.appeal.events.get(order_id=street_order.pk, action="dispatched")
    assert dispatched.payload["delegated"] == {"basis": "consultation", "id": consultation.pk, "relay": False}
    assert len(pushdowns(city_order.appeal)) == 1  # only the attempt before the decision


def test_a_matter_wide_consultation_allows_it_only_where_its_lead_serves(world):
    p, u = world.people, world.units
    consultation = consultation_open(
        item=world.items.fumes,
        topic="东一街道小餐饮油烟",
        parties=[u.east_eco, u.east_street],
        by=p.dispatcher,
    )
    consultation_decide(
        consultation=consultation,
        by=p.dispatcher,
        meeting_record="东一街道辖区内由街道牵头",
        lead_unit=u.east_street,
        assisting_units=[],
    )
    east = order_forward(
        order=at_east_platform(world), by=p.east_dispatcher, unit=u.east_street, reason="按会商"
    )
    assert east.appeal.events.get(order_id=east.pk, action="dispatched").payload["delegated"]["basis"] == (
        "consultation"
    )
    west_dispatcher = staff(u.west_platform, "wendy", "dispatcher")
    west_order = appeal_dispatch(appeal=new_appeal(world, area=world.areas.west_community), by=p.dispatcher)
    with pytest.raises(PushDownRefused):
        order_forward(order=west_order, by=west_dispatcher, unit=u.west_street, reason="参照东区")


def test_an_approved_catalog_exception_allows_it_an_unapproved_one_does_not(world):
    p, u = world.people, world.units
    exception = delegation_exception_request(
        item=world.items.fumes,
        area=world.areas.east_street,
        unit=u.east_street,
        reason="东一街道配有油烟检测人员",
        by=p.east_dispatcher,
    )
    city_order = at_east_platform(world)
    with pytest.raises(PushDownRefused):
        order_forward(order=city_order, by=p.east_dispatcher, unit=u.east_street, reason="按目录例外")
    delegation_exception_decide(exception=exception, by=p.dispatcher, approve=True, note="同意")
    street_order = order_forward(
        order=city_order, by=p.east_dispatcher, unit=u.east_street, reason="按目录例外"
    )
    dispatched = street_order.appeal.events.get(order_id=street_order.pk, action="dispatched")
    assert dispatched.payload["delegated"] == {"basis": "exception", "id": exception.pk, "relay": False}


def test_a_community_exception_passes_through_the_street_but_never_beats_the_access_list(world):
    p, u = world.people, world.units
    dust = world.items.dust
    rule_create(
        item=dust,
        target=RuleTarget.SECTOR,
        level="district",
        sector=world.sectors.eco,
        reason="初始",
        by=p.admin,
    )
    change = access_list_propose(
        access_list=world.access_list,
        action=AccessChangeAction.ADD,
        item=dust,
        reason="社区劝导",
        by=p.street_leader,
    )
    access_list_decide(change=change, approve=True, note="同意", by=p.admin)
    exception = delegation_exception_request(
        item=dust,
        area=world.areas.east,
        unit_kind=DelegateKind.COMMUNITY,
        reason="社区劝导工地",
        by=p.east_dispatcher,
    )
    delegation_exception_decide(exception=exception, by=p.dispatcher, approve=True, note="同意")
    city_order = at_east_platform(world, item=dust)
    street_order = order_forward(
        order=city_order, by=p.east_dispatcher, unit=u.east_street, reason="交社区劝导"
    )
    payload = street_order.appeal.events.get(order_id=street_order.pk, action="dispatched").payload
    assert payload["delegated"] == {"basis": "exception", "id": exception.pk, "relay": True}
    community_order = order_forward(
        order=street_order, by=p.street_leader, unit=u.east_community, reason="劝导"
    )
    payload = community_order.appeal.events.get(order_id=community_order.pk, action="dispatched").payload
    assert payload["delegated"] == {"basis": "exception", "id": exception.pk, "relay": False}
    # Off the access list again: the exception does not help the community.
    removal = access_list_propose(
        access_list=world.access_list,
        action=AccessChangeAction.REMOVE,
        item=dust,
        reason="移出",
        by=p.street_leader,
    )
    access_list_decide(change=removal, approve=True, note="同意移出", by=p.admin)
    street_order = order_forward(
        order=at_east_platform(world, item=dust),
        by=p.east_dispatcher,
        unit=u.east_street,
        reason="交社区劝导",
    )
    with pytest.raises(PushDownRefused) as refused:
        order_forward(order=street_order, by=p.street_leader, unit=u.east_community, reason="交社区劝导")
    assert "准入清单" in refused.value.message
    assert [e.payload["via"] for e in pushdowns(street_order.appeal)] == ["access_list"]
