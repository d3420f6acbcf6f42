"""An order's clock on the working calendar: deadlines, the four time nodes, forwarding, acceptance,
extension, pause (挂起) and send-back — all at fixed moments in 2026."""

import datetime as dt

import pytest

from tests.appeals.factories import at_eco, new_appeal, reload
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import OrderStatus, PauseReason, TimeNode
from yousu.dispatch.models import ClockPause
from yousu.dispatch.services import (
    appeal_dispatch,
    extension_request_review,
    order_accept,
    order_extension_request,
    order_pause,
    order_reply,
    order_resume,
    order_review,
    order_send_back,
)

from .clock import at, frozen

TUESDAY = at(2026, 3, 10, 10, 0)  # an ordinary working week: Tue 10 … Fri 13 March 2026


def dispatched(world, when=TUESDAY):
    with frozen(when):
        return at_eco(world)


def test_a_normal_order_counts_three_working_days_and_its_nodes(world):
    city_order, order = dispatched(world)
    for each in (city_order, order):
        each = reload(each)
        assert each.clock_start == TUESDAY
        assert each.response_due == at(2026, 3, 11, 10, 0)  # one working day
        assert each.completion_due == at(2026, 3, 13, 10, 0)  # three working days
        # Half of 22.5 office hours is 11.25: Tue 10–12, 14–18 (6 h), Wed 08:30–12 (3.5 h), 14–15:45.
        assert each.yellow_at == at(2026, 3, 11, 15, 45)
        assert each.red_at == at(2026, 3, 12, 10, 0)  # one working day before the deadline
    # The city platform's order is forwarded: its clock stopped, the east bureau's runs.
    assert (reload(city_order).next_node, reload(city_order).next_node_at) == ("", None)
    assert (reload(order).next_node, reload(order).next_node_at) == (
        TimeNode.RESPONSE,
        at(2026, 3, 11, 10, 0),
    )


def test_a_deadline_skips_the_weekend_and_the_office_night(world):
    _city, order = dispatched(world, at(2026, 3, 12, 17, 0))  # Thursday 17:00
    order = reload(order)
    # Thu 1 h, Fri 7.5 h, Mon 7.5 h, Tue 6.5 h → Tuesday 17:00.
    assert order.completion_due == at(2026, 3, 17, 17, 0)
    assert order.response_due == at(2026, 3, 13, 17, 0)


def test_a_dispatch_on_the_eve_of_national_day_counts_on_after_it_and_on_the_make_up_saturday(world):
    # 2026-09-30 (Wed) 17:59 is the eve of 国庆: one minute counts that day, 1–7 October are off, and
    # Saturday 10 October is a make-up working day (调休上班).
    _city, order = dispatched(world, at(2026, 9, 30, 17, 59))
    order = reload(order)
    assert order.response_due == at(2026, 10, 8, 17, 59)
    assert order.completion_due == at(2026, 10, 10, 17, 59)


def test_an_urgent_order_counts_calendar_hours_through_the_night(world):
    urgent = world.items.fumes.time_limit_class.__class__.objects.get(code="urgent")
    appeal = new_appeal(world)
    with frozen(at(2026, 2, 16, 23, 0)):  # 春节 eve night
        order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher, time_limit_class=urgent)
    assert order.response_due == at(2026, 2, 16, 23, 30)
    assert order.completion_due == at(2026, 2, 17, 1, 0)
    assert order.yellow_at == at(2026, 2, 17, 0, 0)
    assert order.red_at == at(2026, 2, 17, 0, 30)  # a quarter of two hours before the deadline


def test_acceptance_takes_the_response_node_off_and_a_reply_stops_the_clock(world):
    _city, order = dispatched(world)
    with frozen(at(2026, 3, 10, 11, 0)):
        order = order_accept(order=order, by=world.people.east_eco_handler)
    assert (order.next_node, order.next_node_at) == (TimeNode.YELLOW, at(2026, 3, 11, 15, 45))
    with frozen(at(2026, 3, 10, 16, 0)):
        order = order_reply(order=order, by=world.people.east_eco_handler, text="已处理", result="solved")
    assert (reload(order).next_node, reload(order).next_node_at) == ("", None)
    with frozen(at(2026, 3, 10, 17, 0)):
        order = order_review(order=order, by=world.people.east_dispatcher, approve=False, note="未附照片")
    # Sent back by the reviewer: the clock runs again toward the same deadline.
    assert reload(order).completion_due == at(2026, 3, 13, 10, 0)
    assert (reload(order).next_node, reload(order).next_node_at) == (TimeNode.YELLOW, at(2026, 3, 11, 15, 45))


def test_a_pause_does_not_count_and_moves_the_deadline_and_the_warnings(world):
    _city, order = dispatched(world)
    handler = world.people.east_eco_handler
    with frozen(at(2026, 3, 10, 11, 0)):
        order = order_accept(order=order, by=handler)
    with frozen(at(2026, 3, 10, 11, 30)):
        pause = order_pause(
            order=order, by=handler, reason=PauseReason.WAITING_FOR_CITIZEN, explanation="等待群众提供照片"
        )
    order = reload(order)
    assert order.paused_at == at(2026, 3, 10, 11, 30)
    assert (order.next_node, order.next_node_at) == ("", None)
    with frozen(at(2026, 3, 11, 11, 30)), pytest.raises(DomainError) as twice:
        order_pause(order=order, by=handler, reason=PauseReason.WAITING_FOR_CITIZEN, explanation="再次")
    assert twice.value.field == "status"
    with frozen(at(2026, 3, 11, 11, 30)):  # exactly one working day later
        order = order_resume(order=order, by=handler)
    assert order.paused_at is None
    assert order.completion_due == at(2026, 3, 16, 10, 0)  # Fri 10:00 + 7.5 h → Mon 10:00
    assert order.yellow_at == at(2026, 3, 12, 15, 45)
    assert order.red_at == at(2026, 3, 13, 10, 0)
    assert (order.next_node, order.next_node_at) == (TimeNode.YELLOW, at(2026, 3, 12, 15, 45))
    pause = ClockPause.objects.get(pk=pause.pk)
    assert pause.not_counted == dt.timedelta(hours=7, minutes=30) and pause.ended_by == handler
    actions = list(order.appeal.events.filter(order_id=order.pk).values_list("action", flat=True))
    assert actions[-2:] == ["clock_paused", "clock_resumed"]


def test_only_the_handling_unit_pauses_an_accepted_order_with_a_listed_reason(world):
    _city, order = dispatched(world)
    with pytest.raises(DomainError) as not_accepted:
        order_pause(
            order=order, by=world.people.east_eco_handler, reason="waiting_for_citizen", explanation="x"
        )
    assert not_accepted.value.field == "status"
    order = order_accept(order=order, by=world.people.east_eco_handler)
    with pytest.raises(PermissionRefused):
        order_pause(
            order=order, by=world.people.east_market_handler, reason="waiting_for_citizen", explanation="x"
        )
    with pytest.raises(DomainError) as bad_reason:
        order_pause(order=order, by=world.people.east_eco_handler, reason="lunch", explanation="x")
    assert bad_reason.value.field == "reason"
    with pytest.raises(DomainError) as no_explanation:
        order_pause(
            order=order, by=world.people.east_eco_handler, reason="waiting_for_citizen", explanation=" "
        )
    assert no_explanation.value.field == "explanation"
    with pytest.raises(DomainError):
        order_resume(order=order, by=world.people.east_eco_handler)  # not paused
    assert not ClockPause.objects.exists()


def test_a_reply_while_paused_resumes_the_clock_first(world):
    _city, order = dispatched(world)
    handler = world.people.east_eco_handler
    order = order_accept(order=order, by=handler)
    with frozen(at(2026, 3, 10, 14, 0)):
        order_pause(
            order=order, by=handler, reason=PauseReason.CITIZEN_UNREACHABLE, explanation="电话无人接听"
        )
    with frozen(at(2026, 3, 10, 16, 0)):
        order = order_reply(order=order, by=handler, text="已联系处理", result="solved")
    assert order.status == OrderStatus.REPLIED and order.paused_at is None
    assert ClockPause.objects.get().not_counted == dt.timedelta(hours=2)


def test_an_approved_extension_moves_the_deadline_and_recomputes_unfired_warnings(world):
    _city, order = dispatched(world)
    order = order_accept(order=order, by=world.people.east_eco_handler)
    with frozen(at(2026, 3, 11, 9, 0)):
        request = order_extension_request(
            order=order, by=world.people.east_eco_handler, until=at(2026, 3, 20, 10, 0), reason="需检测"
        )
        extension_request_review(request=request, by=world.people.east_dispatcher, approve=True)
    order = reload(order)
    assert order.completion_due == at(2026, 3, 20, 10, 0)
    # From Tue 10 March 10:00 to Fri 20 March 10:00 is 8 working days (60 h): half is 30 h.
    assert order.yellow_at == at(2026, 3, 16, 10, 0)
    assert order.red_at == at(2026, 3, 19, 10, 0)
    assert (order.next_node, order.next_node_at) == (TimeNode.YELLOW, at(2026, 3, 16, 10, 0))


def test_a_completed_order_sent_back_gets_a_new_completion_period(world):
    _city, order = dispatched(world)
    handler = world.people.east_eco_handler
    order = order_accept(order=order, by=handler)
    with frozen(at(2026, 3, 11, 9, 0)):
        order = order_reply(order=order, by=handler, text="已处理", result="solved")
        order = order_review(order=order, by=world.people.east_dispatcher, approve=True)
    with frozen(at(2026, 3, 24, 9, 0)):  # the callback two weeks later: not solved
        order = order_send_back(order=order, by=world.people.operator, reason="群众反映仍有油烟")
    order = reload(order)
    assert order.clock_start == at(2026, 3, 24, 9, 0)
    assert order.completion_due == at(2026, 3, 27, 9, 0)
    assert order.next_node == TimeNode.YELLOW
