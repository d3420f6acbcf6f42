"""The supervision desk's actions by hand: urge, supervision order with escalation, answer, close; and
what the desk reads."""

import pytest

from tests.appeals.factories import at_eco, new_appeal, reload, staff
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.services import appeal_dispatch, order_accept, order_reply, order_review
from yousu.notifications.models import Notification
from yousu.supervision.choices import SupervisionStatus
from yousu.supervision.selectors import DUE_SOON, OVERDUE, watch_by_unit, watched_orders
from yousu.supervision.services import (
    supervision_order_answer,
    supervision_order_close,
    supervision_order_issue,
    urge_issue,
)

from .clock import at, frozen

TUESDAY = at(2026, 3, 10, 10, 0)


@pytest.fixture
def order(world):
    with frozen(TUESDAY):
        return at_eco(world)[1]


def test_a_supervisor_urges_and_the_unit_is_told(world, order):
    urge = urge_issue(order=order, by=world.people.supervisor, text="请今天内联系群众")
    assert (urge.unit, urge.issued_by, urge.node) == (world.units.east_eco, world.people.supervisor, "")
    assert order.appeal.events.filter(action="urged", order_id=order.pk).count() == 1
    assert Notification.objects.filter(recipient_unit=world.units.east_eco, kind="urge").exists()


def test_a_platform_dispatcher_above_the_unit_may_urge_but_not_the_unit_or_another_district(world, order):
    urge_issue(order=order, by=world.people.east_dispatcher, text="请尽快签收")
    west = staff(world.units.west_platform, "west-dispatcher", "dispatcher")
    for outsider in (world.people.east_eco_handler, world.people.operator, west):
        with pytest.raises(PermissionRefused):
            urge_issue(order=order, by=outsider, text="催")
    with pytest.raises(DomainError) as empty:
        urge_issue(order=order, by=world.people.supervisor, text="  ")
    assert empty.value.field == "text"


def test_a_supervision_order_is_answered_by_the_units_leader_and_closed_by_the_supervisor(world, order):
    leader = staff(world.units.east_eco, "eco-leader", "unit_leader")
    with frozen(at(2026, 3, 13, 11, 0)):  # Friday: answered by Monday 11:00
        supervision = supervision_order_issue(
            order=order, by=world.people.supervisor, reason="超期未办结", escalate=True
        )
    assert supervision.escalated_to == world.units.east_platform
    assert supervision.answer_due == at(2026, 3, 16, 11, 0)
    assert Notification.objects.filter(recipient_person=leader, kind="supervision_order").exists()
    assert Notification.objects.filter(recipient_unit=world.units.east_platform, kind="escalation").exists()
    with pytest.raises(DomainError) as again:
        supervision_order_issue(order=order, by=world.people.supervisor, reason="再督办")
    assert again.value.field == "order"
    with pytest.raises(DomainError):
        supervision_order_close(supervision=supervision, by=world.people.supervisor)  # not answered yet
    with pytest.raises(PermissionRefused):
        supervision_order_answer(supervision=supervision, by=world.people.east_eco_handler, answer="在办")
    with frozen(at(2026, 3, 16, 9, 0)):
        supervision = supervision_order_answer(
            supervision=supervision, by=leader, answer="已安排执法，周二办结"
        )
    assert supervision.status == SupervisionStatus.ANSWERED
    event = order.appeal.events.get(action="supervision_answered")
    assert event.payload["on_time"] is True
    with pytest.raises(PermissionRefused):
        supervision_order_close(supervision=supervision, by=leader)
    supervision = supervision_order_close(
        supervision=supervision, by=world.people.supervisor, note="同意销号"
    )
    assert supervision.status == SupervisionStatus.CLOSED and supervision.closed_by == world.people.supervisor


def test_an_order_no_longer_in_handling_cannot_be_supervised(world, order):
    handler = world.people.east_eco_handler
    order = order_accept(order=order, by=handler)
    order = order_reply(order=order, by=handler, text="已处理", result="solved")
    order_review(order=order, by=world.people.east_dispatcher, approve=True)
    with pytest.raises(DomainError) as finished:
        urge_issue(order=reload(order), by=world.people.supervisor, text="催")
    assert finished.value.field == "order"


def test_escalation_goes_to_the_unit_above_a_city_department(world):
    with frozen(TUESDAY):
        order = appeal_dispatch(
            appeal=new_appeal(world), by=world.people.dispatcher, unit=world.units.city_eco, reason="市级督查"
        )
    supervision = supervision_order_issue(
        order=order, by=world.people.supervisor, reason="督办", escalate=True
    )
    assert supervision.escalated_to == world.units.platform


def test_the_desk_lists_overdue_and_due_soon_orders_by_unit(world, order):
    with frozen(TUESDAY):
        other = at_eco(world)[1]
    order_accept(order=other, by=world.people.east_eco_handler)
    now = at(2026, 3, 12, 11, 0)  # past both orders' red node, before their deadline
    assert {o.pk for o in watched_orders(world.people.supervisor, now=now, state=DUE_SOON)} == {
        order.pk,
        other.pk,
    }
    assert not watched_orders(world.people.supervisor, now=now, state=OVERDUE).exists()
    later = at(2026, 3, 13, 10, 0)
    [row] = watch_by_unit(world.people.supervisor, now=later)
    assert (row["unit_code"], row["overdue"], row["due_soon"]) == (world.units.east_eco.code, 2, 0)
    # A unit's own handler sees only its unit; another district's sees nothing.
    assert watched_orders(world.people.east_eco_handler, now=later).count() == 2
    assert not watched_orders(world.people.west_market_handler, now=later).exists()
