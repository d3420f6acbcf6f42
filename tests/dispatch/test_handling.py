"""Handling (办): accept, reply, review, send back, close; extensions; assisting and joint units; and
returns (退单) under first-receiver responsibility."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.appeals.factories import at_eco, at_market, new_appeal, reload, staff
from yousu.appeals.choices import AppealStatus
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.core.timestamps import payload_time
from yousu.dispatch.choices import OrderRole, OrderStatus, ReplyResult, RequestStatus, ReturnReason
from yousu.dispatch.models import AssistPart, Order, ReturnRequest
from yousu.dispatch.services import (
    appeal_dispatch,
    extension_request_review,
    order_accept,
    order_add_assist,
    order_close,
    order_extension_request,
    order_forward,
    order_reply,
    order_return_request,
    order_review,
    order_send_back,
    order_submit_assist_part,
    return_request_review,
)


def accepted(world) -> Order:
    _city, order = at_eco(world)
    return order_accept(order=order, by=world.people.east_eco_handler)


def replied(world) -> Order:
    order = accepted(world)
    return order_reply(order=order, by=world.people.east_eco_handler, text="已责令整改", result="solved")


def completed(world) -> Order:
    return order_review(order=replied(world), by=world.people.east_dispatcher, approve=True)


def events(order: Order, action: str):
    return order.appeal.events.filter(order_id=order.pk, action=action)


# ---------------------------------------------------------------- accept


def test_the_receiving_units_handler_accepts(world):
    _city, order = at_eco(world)
    done = order_accept(order=order, by=world.people.east_eco_handler)
    assert done.status == OrderStatus.ACCEPTED
    assert done.accepted_by == world.people.east_eco_handler and done.accepted_at is not None
    event = events(order, "accepted").get()
    assert (event.from_state, event.to_state, event.payload["on_time"]) == ("dispatched", "accepted", True)
    with pytest.raises(DomainError):
        order_accept(order=order, by=world.people.east_eco_handler)
    assert events(order, "accepted").count() == 1  # accepted once
    # The unit's leader may accept too.
    _city, other = at_eco(world)
    leader = staff(world.units.east_eco, "lena", "unit_leader")
    assert order_accept(order=other, by=leader).status == OrderStatus.ACCEPTED


def test_late_acceptance_is_recorded_as_late(world):
    _city, order = at_eco(world)
    Order.objects.filter(pk=order.pk).update(response_due=timezone.now() - dt.timedelta(minutes=1))
    order_accept(order=order, by=world.people.east_eco_handler)
    assert events(order, "accepted").get().payload["on_time"] is False


def test_accept_by_the_wrong_unit_or_role_is_refused(world):
    p, u = world.people, world.units
    _city, order = at_eco(world)
    clerk = staff(u.east_eco, "clerk", "grid_worker")
    retired = staff(u.east_eco, "old", "unit_handler")
    retired.is_active = False
    retired.save()
    for person in (
        p.east_market_handler,
        p.west_market_handler,
        p.east_dispatcher,
        p.supervisor,
        clerk,
        retired,
    ):
        with pytest.raises(PermissionRefused):
            order_accept(order=order, by=person)
    with pytest.raises(PermissionRefused):
        order_accept(order=order, by=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED and order.accepted_by is None
    assert not events(order, "accepted").exists()


def test_a_forwarded_order_cannot_be_signed_for(world):
    city_order, eco_order = at_eco(world)
    with pytest.raises(DomainError) as refused:
        order_accept(order=city_order, by=world.people.east_dispatcher)
    assert refused.value.field == "status"
    assert reload(city_order).status == OrderStatus.FORWARDED
    assert reload(eco_order).status == OrderStatus.DISPATCHED


def test_a_platforms_order_is_accepted_by_its_dispatcher_only(world):
    p = world.people
    city_order = appeal_dispatch(appeal=new_appeal(world), by=p.dispatcher)
    with pytest.raises(PermissionRefused):
        order_accept(order=city_order, by=p.east_eco_handler)
    assert order_accept(order=city_order, by=p.east_dispatcher).status == OrderStatus.ACCEPTED


def test_reply_only_after_accepting_and_only_by_the_receiving_unit(world):
    _city, order = at_eco(world)
    with pytest.raises(DomainError) as refused:
        order_reply(order=order, by=world.people.east_eco_handler, text="已处理", result="solved")
    assert refused.value.field == "status"
    assert reload(order).status == OrderStatus.DISPATCHED
    order_accept(order=order, by=world.people.east_eco_handler)
    for person in (world.people.east_market_handler, world.people.east_dispatcher):
        with pytest.raises(PermissionRefused):
            order_reply(order=order, by=person, text="已处理", result="solved")
    assert reload(order).status == OrderStatus.ACCEPTED


def test_reply_needs_text_and_a_listed_result(world):
    order = accepted(world)
    cases = [
        ("", "solved", "text"),
        ("   ", "solved", "text"),
        ("长" * 4001, "solved", "text"),
        ("已处理", "done", "result"),
    ]
    for text, result, field in cases:
        with pytest.raises(DomainError) as refused:
            order_reply(order=order, by=world.people.east_eco_handler, text=text, result=result)
        assert refused.value.field == field
    assert reload(order).status == OrderStatus.ACCEPTED


def test_every_listed_result_can_be_replied(world):
    for result in ReplyResult.values:
        _city, order = at_eco(world)
        order_accept(order=order, by=world.people.east_eco_handler)
        done = order_reply(order=order, by=world.people.east_eco_handler, text="答复群众", result=result)
        assert (done.status, done.reply_result, done.reply_text) == (OrderStatus.REPLIED, result, "答复群众")
        assert done.replied_by == world.people.east_eco_handler
        assert events(order, "replied").get().payload["result"] == result


def test_approving_the_reply_completes_the_order_and_the_appeal(world):
    order = replied(world)
    done = order_review(order=order, by=world.people.east_dispatcher, approve=True, note="答复规范")
    assert done.status == OrderStatus.COMPLETED and done.completed_at is not None
    assert reload(order.appeal).status == AppealStatus.COMPLETED
    event = events(order, "completed").get()
    assert (event.from_state, event.to_state, event.reason) == ("replied", "completed", "答复规范")
    assert event.payload["on_time"] is True


def test_only_the_dispatching_platform_reviews_and_only_a_reply(world):
    p = world.people
    order = accepted(world)
    with pytest.raises(DomainError) as refused:
        order_review(order=order, by=p.east_dispatcher, approve=True)
    assert refused.value.field == "status"
    order_reply(order=order, by=p.east_eco_handler, text="已处理", result="solved")
    for person in (p.dispatcher, p.east_eco_handler, p.supervisor):
        with pytest.raises(PermissionRefused):
            order_review(order=order, by=person, approve=True)
    assert reload(order).status == OrderStatus.REPLIED


def test_sending_a_reply_back_reopens_the_order_and_counts(world):
    p = world.people
    order = replied(world)
    with pytest.raises(DomainError) as refused:
        order_review(order=order, by=p.east_dispatcher, approve=False, note=" ")
    assert refused.value.field == "note"
    back = order_review(order=order, by=p.east_dispatcher, approve=False, note="答复未说明整改期限")
    assert (back.status, back.send_back_count) == (OrderStatus.ACCEPTED, 1)
    assert reload(order.appeal).status == AppealStatus.DISPATCHED
    event = events(order, "sent_back").get()
    assert (event.from_state, event.to_state, event.reason) == ("replied", "accepted", "答复未说明整改期限")
    order_reply(order=order, by=p.east_eco_handler, text="限期三日整改", result="solved")
    again = order_review(order=order, by=p.east_dispatcher, approve=False, note="仍不清楚")
    assert again.send_back_count == 2


def test_send_back_after_completion_reopens_the_appeal(world):
    p = world.people
    order = completed(world)
    with pytest.raises(DomainError) as refused:
        order_send_back(order=order, by=p.east_dispatcher, reason="")
    assert refused.value.field == "reason"
    with pytest.raises(PermissionRefused):
        order_send_back(order=order, by=p.east_eco_handler, reason="自己想重办")
    back = order_send_back(order=order, by=p.east_dispatcher, reason="回访不满意")
    with pytest.raises(DomainError) as refused:
        order_send_back(order=order, by=p.east_dispatcher, reason="再退一次")
    assert refused.value.field == "status"  # only a completed order is sent back
    assert (back.status, back.send_back_count, back.completed_at) == (OrderStatus.ACCEPTED, 1, None)
    appeal = reload(order.appeal)
    assert appeal.status == AppealStatus.DISPATCHED
    reopened = appeal.events.get(action="appeal_reopened")
    assert (reopened.from_state, reopened.to_state, reopened.reason) == (
        "completed",
        "dispatched",
        "回访不满意",
    )
    order_reply(order=order, by=p.east_eco_handler, text="再次整改", result="solved")
    order_review(order=order, by=p.east_dispatcher, approve=True)
    assert reload(order.appeal).status == AppealStatus.COMPLETED


def test_close_after_completion_closes_the_appeal(world):
    order = completed(world)
    closed = order_close(order=order, by=world.people.operator, reason="回访满意")
    assert closed.status == OrderStatus.CLOSED
    assert reload(order.appeal).status == AppealStatus.CLOSED
    with pytest.raises(DomainError):
        order_send_back(order=order, by=world.people.east_dispatcher, reason="太晚了")


def test_close_only_a_completed_order_and_not_by_the_handling_unit(world):
    order = replied(world)
    with pytest.raises(DomainError) as refused:
        order_close(order=order, by=None)
    assert refused.value.field == "status"
    order_review(order=order, by=world.people.east_dispatcher, approve=True)
    with pytest.raises(PermissionRefused):
        order_close(order=order, by=world.people.east_eco_handler)
    assert reload(order).status == OrderStatus.COMPLETED
    assert order_close(order=order, by=None).status == OrderStatus.CLOSED  # the callback job


# ---------------------------------------------------------------- extensions


def test_extension_before_the_deadline_for_a_later_time_and_approval_moves_the_deadline(world):
    p = world.people
    order = accepted(world)
    until = order.completion_due + dt.timedelta(days=5)
    request = order_extension_request(order=order, by=p.east_eco_handler, until=until, reason="需第三方检测")
    assert request.status == RequestStatus.PENDING
    assert reload(order).completion_due != until
    reviewed = extension_request_review(request=request, by=p.east_dispatcher, approve=True)
    assert reviewed.status == RequestStatus.APPROVED and reviewed.reviewed_by == p.east_dispatcher
    assert reload(order).completion_due == until
    event = events(order, "extension_approved").get()
    assert event.payload["to"] == payload_time(until)
    with pytest.raises(DomainError):
        extension_request_review(request=request, by=p.east_dispatcher, approve=True)


def test_extension_refusal_needs_a_note_and_keeps_the_deadline(world):
    p = world.people
    order = accepted(world)
    due = order.completion_due
    request = order_extension_request(
        order=order, by=p.east_eco_handler, until=due + dt.timedelta(days=2), reason="人手不足"
    )
    with pytest.raises(DomainError) as refused:
        extension_request_review(request=request, by=p.east_dispatcher, approve=False)
    assert refused.value.field == "note"
    extension_request_review(request=request, by=p.east_dispatcher, approve=False, note="理由不充分")
    assert reload(request).status == RequestStatus.REFUSED
    assert reload(order).completion_due == due
    assert events(order, "extension_refused").get().reason == "理由不充分"


def test_extension_request_rules(world):
    p = world.people
    order = accepted(world)
    due = order.completion_due
    with pytest.raises(DomainError) as refused:
        order_extension_request(order=order, by=p.east_eco_handler, until=due, reason="再等等")
    assert refused.value.field == "until"
    with pytest.raises(DomainError) as refused:
        order_extension_request(
            order=order, by=p.east_eco_handler, until=due + dt.timedelta(days=1), reason=""
        )
    assert refused.value.field == "reason"
    with pytest.raises(PermissionRefused):
        order_extension_request(
            order=order, by=p.east_market_handler, until=due + dt.timedelta(days=1), reason="x"
        )
    request = order_extension_request(
        order=order,
        by=p.east_eco_handler,
        until=timezone.make_naive(due + dt.timedelta(days=1)),
        reason="检测",
    )
    assert request.requested_until == due + dt.timedelta(days=1)  # a naive time is taken as local time
    with pytest.raises(DomainError) as refused:
        order_extension_request(
            order=order, by=p.east_eco_handler, until=due + dt.timedelta(days=2), reason="再延"
        )
    assert refused.value.field == "order"  # one pending request at a time
    for person in (p.east_eco_handler, p.dispatcher):
        with pytest.raises(PermissionRefused):
            extension_request_review(request=request, by=person, approve=True)
    assert reload(order).completion_due == due


def test_no_extension_once_the_deadline_has_passed(world):
    order = accepted(world)
    past = timezone.now() - dt.timedelta(hours=1)
    Order.objects.filter(pk=order.pk).update(completion_due=past)
    with pytest.raises(DomainError) as refused:
        order_extension_request(
            order=order, by=world.people.east_eco_handler, until=past + dt.timedelta(days=3), reason="来不及"
        )
    assert refused.value.field == "until"
    assert not order.extension_requests.exists()
    done = replied(world)
    with pytest.raises(DomainError) as refused:
        order_extension_request(
            order=done,
            by=world.people.east_eco_handler,
            until=done.completion_due + dt.timedelta(days=1),
            reason="x",
        )
    assert refused.value.field == "status"  # nothing left to extend once replied


def test_platform_adds_an_assisting_unit_that_submits_its_part_and_completes_with_the_lead(world):
    p, u = world.people, world.units
    lead = accepted(world)
    assist = order_add_assist(order=lead, by=p.east_dispatcher, unit=u.east_market, reason="涉及经营许可")
    assert (assist.role, assist.parent, assist.unit, assist.status) == (
        OrderRole.ASSIST,
        lead,
        u.east_market,
        OrderStatus.DISPATCHED,
    )
    assert (assist.response_due, assist.completion_due) == (lead.response_due, lead.completion_due)
    with pytest.raises(DomainError) as refused:
        order_reply(
            order=order_accept(order=assist, by=p.east_market_handler),
            by=p.east_market_handler,
            text="x",
            result="solved",
        )
    assert refused.value.field == "role"  # the lead unit answers the citizen
    with pytest.raises(DomainError):
        order_submit_assist_part(order=lead, by=p.east_eco_handler, text="主办不提交协办意见")
    part = order_submit_assist_part(order=assist, by=p.east_market_handler, text="已核查营业执照")
    assert part.status == OrderStatus.REPLIED
    assert AssistPart.objects.get(order=assist).text == "已核查营业执照"
    with pytest.raises(DomainError) as refused:
        order_review(order=assist, by=p.east_dispatcher, approve=True)
    assert refused.value.field == "role"
    order_reply(order=lead, by=p.east_eco_handler, text="联合整改完毕", result="solved")
    order_review(order=lead, by=p.east_dispatcher, approve=True)
    assert reload(assist).status == OrderStatus.COMPLETED
    assert events(assist, "completed_with_lead").exists()
    with pytest.raises(DomainError) as refused:
        order_send_back(order=assist, by=p.east_dispatcher, reason="协办单独重办")
    assert refused.value.field == "role"


def test_the_lead_units_leader_may_add_a_joint_unit_but_not_its_handler(world):
    p, u = world.people, world.units
    lead = accepted(world)
    with pytest.raises(PermissionRefused):
        order_add_assist(order=lead, by=p.east_eco_handler, unit=u.east_market)
    with pytest.raises(PermissionRefused):
        order_add_assist(order=lead, by=p.dispatcher, unit=u.east_market)
    leader = staff(u.east_eco, "lena", "unit_leader")
    joint = order_add_assist(order=lead, by=leader, unit=u.east_market, role=OrderRole.JOINT)
    assert joint.role == OrderRole.JOINT and joint.dispatched_from == u.east_eco


def test_assist_rules(world):
    p, u = world.people, world.units
    lead = accepted(world)
    with pytest.raises(DomainError) as refused:
        order_add_assist(order=lead, by=p.east_dispatcher, unit=u.east_market, role=OrderRole.LEAD)
    assert refused.value.field == "role"
    for unit in (u.east_eco, u.east_platform):
        with pytest.raises(DomainError) as refused:
            order_add_assist(order=lead, by=p.east_dispatcher, unit=unit)
        assert refused.value.field == "unit"
    order_add_assist(order=lead, by=p.east_dispatcher, unit=u.east_market)
    with pytest.raises(DomainError) as refused:
        order_add_assist(order=lead, by=p.east_dispatcher, unit=u.east_market)
    assert refused.value.field == "unit"
    assert Order.objects.filter(role=OrderRole.ASSIST).count() == 1


def test_a_community_assists_only_on_access_list_items(world):
    p, u = world.people, world.units
    lead = accepted(world)  # restaurant fumes: not on the access list
    with pytest.raises(PushDownRefused) as refused:
        order_add_assist(order=lead, by=p.east_dispatcher, unit=u.east_community)
    assert refused.value.field == "unit"
    assert not Order.objects.filter(unit=u.east_community).exists()
    city_order = appeal_dispatch(appeal=new_appeal(world, item=world.items.hallway), by=p.dispatcher)
    street_order = order_forward(order=city_order, by=p.east_dispatcher)
    assist = order_add_assist(order=street_order, by=p.east_dispatcher, unit=u.east_community)
    assert assist.unit == u.east_community and assist.role == OrderRole.ASSIST


# ---------------------------------------------------------------- returns (退单)


def test_a_return_needs_a_listed_reason_and_an_explanation_and_comes_before_accepting(world):
    p = world.people
    _city, order = at_market(world)
    with pytest.raises(DomainError) as refused:
        order_return_request(order=order, by=p.east_market_handler, reason="too_busy", explanation="忙")
    assert refused.value.field == "reason"
    with pytest.raises(DomainError) as refused:
        order_return_request(
            order=order, by=p.east_market_handler, reason=ReturnReason.WRONG_AREA, explanation=" "
        )
    assert refused.value.field == "explanation"
    with pytest.raises(PermissionRefused):
        order_return_request(
            order=order, by=p.east_eco_handler, reason=ReturnReason.WRONG_AREA, explanation="x"
        )
    assert not ReturnRequest.objects.exists()
    order_accept(order=order, by=p.east_market_handler)
    with pytest.raises(DomainError) as refused:
        order_return_request(
            order=order, by=p.east_market_handler, reason=ReturnReason.NOT_OUR_DUTY, explanation="不是我们的"
        )
    assert refused.value.field == "status"
    assert "首接负责" in refused.value.message
    assert not ReturnRequest.objects.exists()


def test_one_pending_return_at_a_time_and_no_accepting_meanwhile(world):
    p = world.people
    _city, order = at_market(world)
    request = order_return_request(
        order=order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="油烟归环保",
        suggested_unit=world.units.east_eco,
        basis_item=world.items.fumes,
    )
    assert request.status == RequestStatus.PENDING and not request.counts_against_unit
    with pytest.raises(DomainError) as refused:
        order_return_request(
            order=order, by=p.east_market_handler, reason=ReturnReason.DUPLICATE, explanation="重复"
        )
    assert refused.value.field == "order"
    with pytest.raises(DomainError) as refused:
        order_accept(order=order, by=p.east_market_handler)
    assert refused.value.field == "status"
    assert reload(order).status == OrderStatus.DISPATCHED


def test_approved_return_of_a_forwarded_order_goes_back_to_the_unit_that_forwarded_it(world):
    p, u = world.people, world.units
    city_order, order = at_market(world)
    request = order_return_request(
        order=order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="油烟归环保",
        suggested_unit=world.units.east_eco,
        basis_item=world.items.fumes,
    )
    with pytest.raises(DomainError) as refused:
        return_request_review(request=request, by=p.east_dispatcher, approve=True, note="")
    assert refused.value.field == "note"
    for person in (p.dispatcher, p.east_market_handler):
        with pytest.raises(PermissionRefused):
            return_request_review(request=request, by=person, approve=True, note="同意")
    reviewed = return_request_review(request=request, by=p.east_dispatcher, approve=True, note="确属环保职责")
    assert reviewed.status == RequestStatus.APPROVED and not reviewed.counts_against_unit
    assert reload(order).status == OrderStatus.RETURNED
    returned = events(order, "returned").get()
    assert (returned.actor, returned.actor_unit, returned.from_state, returned.to_state) == (
        p.east_dispatcher,
        u.east_platform,
        "dispatched",
        "returned",
    )
    assert reload(city_order).status == OrderStatus.ACCEPTED  # the district platform has it again
    assert reload(order.appeal).status == AppealStatus.DISPATCHED
    assert events(city_order, "forward_undone").exists()
    again = order_forward(order=city_order, by=p.east_dispatcher)
    assert again.unit == u.east_eco
    assert Order.objects.filter(appeal=order.appeal).count() == 3  # the history is kept
    with pytest.raises(DomainError):
        return_request_review(request=request, by=p.east_dispatcher, approve=False, note="改主意")


def test_approved_return_of_a_platform_dispatch_puts_the_appeal_back_to_the_dispatcher(world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    order = appeal_dispatch(appeal=appeal, by=p.dispatcher, unit=u.city_eco, reason="疑似全市性")
    city_eco_handler = staff(u.city_eco, "ivy", "unit_handler")
    request = order_return_request(
        order=order,
        by=city_eco_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="属区级环保",
        suggested_unit=u.east_eco,
        basis_item=world.items.fumes,
    )
    assert request.status == RequestStatus.PENDING
    return_request_review(request=request, by=p.dispatcher, approve=True, note="同意退回")
    assert reload(order).status == OrderStatus.RETURNED
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.RECEIVED
    back = appeal.events.get(action="appeal_back_to_dispatch")
    assert (back.from_state, back.to_state) == ("dispatched", "received")
    assert appeal_dispatch(appeal=appeal, by=p.dispatcher).unit == u.east_platform


def test_refused_return_leaves_the_unit_owning_the_order_and_counts_against_it(world):
    p, u = world.people, world.units
    _city, order = at_market(world)
    request = order_return_request(
        order=order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="油烟归环保",
        suggested_unit=world.units.east_eco,
        basis_item=world.items.fumes,
    )
    refused = return_request_review(
        request=request, by=p.east_dispatcher, approve=False, note="经营行为归市场监管"
    )
    assert refused.status == RequestStatus.REFUSED and refused.counts_against_unit
    order.refresh_from_db()
    assert (order.status, order.unit) == (OrderStatus.DISPATCHED, u.east_market)
    assert events(order, "return_refused").get().reason == "经营行为归市场监管"
    assert order_accept(order=order, by=p.east_market_handler).status == OrderStatus.ACCEPTED


def test_pushing_a_department_item_to_the_street_is_refused_by_rule(world):
    p, u = world.people, world.units
    _city, order = at_market(world)
    for reason, suggested in (
        (ReturnReason.NOT_OUR_DUTY, u.east_street),
        (ReturnReason.WRONG_AREA, u.east_community),
    ):
        request = order_return_request(
            order=order,
            by=p.east_market_handler,
            reason=reason,
            explanation="街道社区就能解决",
            suggested_unit=suggested,
            basis_item=world.items.fumes,
        )
        assert request.status == RequestStatus.REFUSED_BY_RULE
        assert request.counts_against_unit
        assert "防止层层向基层转嫁责任" in request.review_note and suggested.name in request.review_note
        with pytest.raises(DomainError):
            return_request_review(request=request, by=p.east_dispatcher, approve=True, note="同意")
    assert reload(order).status == OrderStatus.DISPATCHED
    assert events(order, "return_refused_by_rule").count() == 2
    assert sum(r.counts_against_unit for r in ReturnRequest.objects.filter(unit=u.east_market)) == 2


def test_a_street_item_may_be_suggested_for_the_street(world):
    # The rule protects the grassroots from department items only: a street item is the dispatcher's call.
    p, u = world.people, world.units
    appeal = new_appeal(world, item=world.items.parking)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    order = order_forward(order=city_order, by=p.east_dispatcher, unit=u.east_market, reason="疑似经营占道")
    request = order_return_request(
        order=order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="小区停车归街道",
        suggested_unit=u.east_street,
        basis_item=world.items.parking,
    )
    assert request.status == RequestStatus.PENDING


def test_not_our_duty_from_the_very_unit_the_catalog_names_is_refused_by_rule(world):
    p = world.people
    _city, order = at_eco(world)
    request = order_return_request(
        order=order,
        by=p.east_eco_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="不归我们管",
        suggested_unit=world.units.east_market,
        basis_item=world.items.fumes,
    )
    assert request.status == RequestStatus.REFUSED_BY_RULE and request.counts_against_unit
    assert world.units.east_eco.name in request.review_note
    # Another listed reason from the same unit (on another order) is for the dispatcher to judge.
    _city, other = at_eco(world)
    duplicate = order_return_request(
        order=other, by=p.east_eco_handler, reason=ReturnReason.DUPLICATE, explanation="与另一工单重复"
    )
    assert duplicate.status == RequestStatus.PENDING


def test_a_community_return_is_reviewed_by_the_street_and_reopens_the_streets_order(world):
    p = world.people
    city_order = appeal_dispatch(appeal=new_appeal(world, item=world.items.hallway), by=p.dispatcher)
    street_order = order_forward(order=city_order, by=p.east_dispatcher)
    community_order = order_forward(order=street_order, by=p.street_leader)
    request = order_return_request(
        order=community_order,
        by=p.east_community_handler,
        reason=ReturnReason.NOT_AN_APPEAL,
        explanation="系闲聊",
    )
    with pytest.raises(PermissionRefused):
        return_request_review(request=request, by=p.east_dispatcher, approve=True, note="同意")
    return_request_review(request=request, by=p.street_leader, approve=True, note="同意")
    assert reload(community_order).status == OrderStatus.RETURNED
    assert reload(street_order).status == OrderStatus.ACCEPTED
    assert reload(city_order).status == OrderStatus.FORWARDED


def test_the_city_callback_desk_may_send_back_a_district_order_but_a_handler_may_not(world):
    p = world.people
    _city_order, order = at_eco(world)
    order_accept(order=order, by=p.east_eco_handler)
    order_reply(order=order, by=p.east_eco_handler, text="已整改", result="solved")
    order_review(order=order, by=p.east_dispatcher, approve=True)
    with pytest.raises(PermissionRefused):
        order_send_back(order=order, by=p.east_eco_handler, reason="自己重开")
    reopened = order_send_back(order=order, by=p.operator, reason="回访不满意：油烟仍然很大")
    assert reopened.status == "accepted" and reopened.send_back_count == 1
