"""The sweep fires each due time node once: what each node does, catching up, pauses, and moves."""

from tests.appeals.factories import at_eco, reload, staff
from yousu.appeals.models import Event
from yousu.dispatch.choices import PauseReason, TimeNode
from yousu.dispatch.services import (
    extension_request_review,
    order_accept,
    order_extension_request,
    order_pause,
    order_reply,
)
from yousu.notifications.models import Notification
from yousu.org.models import CalendarYear
from yousu.supervision.choices import SupervisionStatus
from yousu.supervision.models import SupervisionOrder, Urge
from yousu.supervision.sweep import sweep_time_nodes

from .clock import at, frozen

TUESDAY = at(2026, 3, 10, 10, 0)


def dispatched(world):
    with frozen(TUESDAY):
        return at_eco(world)[1]


def node_events(order, node=None):
    events = Event.objects.filter(order_id=order.pk, action="time_node")
    return [e for e in events if node is None or e.payload["node"] == node]


def inbox(unit=None, person=None, kind=None):
    rows = Notification.objects.filter(channel="inbox")
    if unit is not None:
        rows = rows.filter(recipient_unit=unit)
    if person is not None:
        rows = rows.filter(recipient_person=person)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return rows


def test_nothing_fires_before_a_node_is_due(world):
    order = dispatched(world)
    result = sweep_time_nodes(now=at(2026, 3, 11, 9, 59))
    assert result.orders == 0 and not node_events(order)
    assert reload(order).response_fired_at is None


def test_the_response_node_urges_the_unit_that_has_not_signed_for_its_order(world):
    order = dispatched(world)
    now = at(2026, 3, 11, 10, 0)
    result = sweep_time_nodes(now=now)
    assert result.fired[TimeNode.RESPONSE] == 1
    order = reload(order)
    assert order.response_fired_at == now
    assert (order.next_node, order.next_node_at) == (TimeNode.YELLOW, at(2026, 3, 11, 15, 45))
    urge = Urge.objects.get()
    assert (urge.order, urge.unit, urge.node, urge.issued_by) == (
        order,
        world.units.east_eco,
        "response",
        None,
    )
    [event] = node_events(order, "response")
    assert event.at == now and event.payload["unit"] == world.units.east_eco.code
    assert inbox(unit=world.units.east_eco, kind="response_node").count() == 1
    # Idempotent: the same moment again fires nothing.
    assert sweep_time_nodes(now=now).orders == 0
    assert len(node_events(order)) == 1 and Urge.objects.count() == 1


def test_yellow_warns_red_urges_the_unit_and_its_leaders_overdue_supervises_and_escalates(world):
    leader = staff(world.units.east_eco, "eco-leader", "unit_leader")
    order = dispatched(world)
    order_accept(order=order, by=world.people.east_eco_handler)

    sweep_time_nodes(now=at(2026, 3, 11, 15, 45))
    assert [e.payload["node"] for e in node_events(order)] == ["yellow"]
    assert inbox(unit=world.units.east_eco, kind="yellow_node").count() == 1
    assert not Urge.objects.exists() and not inbox(person=leader).exists()

    sweep_time_nodes(now=at(2026, 3, 12, 10, 0))
    assert [e.payload["node"] for e in node_events(order)] == ["yellow", "red"]
    assert Urge.objects.get().node == "red"
    assert inbox(person=leader, kind="red_node").count() == 1

    sweep_time_nodes(now=at(2026, 3, 13, 10, 0))
    order = reload(order)
    assert [e.payload["node"] for e in node_events(order)] == ["yellow", "red", "overdue"]
    supervision = SupervisionOrder.objects.get()
    assert supervision.unit == world.units.east_eco
    assert supervision.escalated_to == world.units.east_platform  # the unit above (提级)
    assert supervision.status == SupervisionStatus.OPEN and supervision.node == "overdue"
    assert supervision.answer_due == at(2026, 3, 16, 10, 0)  # one working day, over the weekend
    assert inbox(person=leader, kind="overdue_node").count() == 1
    assert inbox(unit=world.units.east_platform, kind="escalation").count() == 1
    assert (order.next_node, order.next_node_at) == ("", None)
    assert node_events(order, "overdue")[0].payload["escalated_to"] == world.units.east_platform.code


def test_after_a_stop_the_latest_due_node_speaks_for_the_earlier_ones(world):
    order = dispatched(world)
    order_accept(order=order, by=world.people.east_eco_handler)
    now = at(2026, 3, 12, 11, 0)  # yellow and red are both due
    result = sweep_time_nodes(now=now)
    assert (result.fired[TimeNode.YELLOW], result.fired[TimeNode.RED]) == (1, 1)
    [event] = node_events(order)
    assert event.payload["node"] == "red" and event.payload["superseded"] == ["yellow"]
    order = reload(order)
    assert order.yellow_fired_at == now and order.red_fired_at == now
    assert not inbox(kind="yellow_node").exists()


def test_a_paused_order_fires_nothing_and_a_replied_one_neither(world):
    order = dispatched(world)
    handler = world.people.east_eco_handler
    order = order_accept(order=order, by=handler)
    with frozen(at(2026, 3, 10, 11, 0)):
        order_pause(order=order, by=handler, reason=PauseReason.WAITING_FOR_CITIZEN, explanation="等材料")
    assert sweep_time_nodes(now=at(2026, 3, 20, 10, 0)).orders == 0

    other = dispatched(world)
    other = order_accept(order=other, by=handler)
    order_reply(order=other, by=handler, text="已处理", result="solved")
    assert sweep_time_nodes(now=at(2026, 3, 20, 10, 0)).orders == 0
    assert not node_events(order) and not node_events(other)


def test_a_fired_node_stays_fired_when_the_deadline_moves(world):
    order = dispatched(world)
    handler = world.people.east_eco_handler
    order = order_accept(order=order, by=handler)
    sweep_time_nodes(now=at(2026, 3, 11, 16, 0))  # yellow
    with frozen(at(2026, 3, 11, 16, 30)):
        request = order_extension_request(
            order=order, by=handler, until=at(2026, 3, 20, 10, 0), reason="需检测"
        )
        extension_request_review(request=request, by=world.people.east_dispatcher, approve=True)
    order = reload(order)
    assert order.yellow_fired_at is not None
    assert (order.next_node, order.next_node_at) == (TimeNode.RED, at(2026, 3, 19, 10, 0))
    sweep_time_nodes(now=at(2026, 3, 16, 10, 0))  # the new half-time: yellow does not fire twice
    assert [e.payload["node"] for e in node_events(order)] == ["yellow"]
    sweep_time_nodes(now=at(2026, 3, 19, 10, 0))
    assert [e.payload["node"] for e in node_events(order)] == ["yellow", "red"]


def test_the_sweep_touches_only_due_orders(world, django_assert_max_num_queries):
    due = dispatched(world)
    with frozen(at(2026, 3, 11, 9, 0)):
        later = at_eco(world)[1]
    # However many orders are open, a sweep reads the due ones through the index and writes in bulk.
    with django_assert_max_num_queries(12):
        result = sweep_time_nodes(now=at(2026, 3, 11, 10, 0))
    assert result.orders == 1
    assert reload(due).response_fired_at is not None and reload(later).response_fired_at is None


def test_an_uncovered_year_does_not_stop_the_sweep(world, caplog):
    order = dispatched(world)
    CalendarYear.objects.all().delete()  # the city has not declared the years past the package
    now = at(2026, 12, 31, 17, 0)  # a supervision order issued now would be due in 2027
    with caplog.at_level("WARNING", logger="yousu.supervision.sweep"):
        result = sweep_time_nodes(now=now)
    assert result.fired[TimeNode.OVERDUE] == 1
    assert SupervisionOrder.objects.get(order=order).answer_due == at(2027, 1, 1, 17, 0)
    assert "does not cover" in caplog.text
