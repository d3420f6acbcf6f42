"""A real Celery worker on the real Redis runs the periodic sweep: an order crosses its yellow and red
nodes (its clock moved on), the worker fires them and the notifications are recorded and sent."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db.models import F
from django.utils import timezone

from tests.appeals.factories import at_eco, reload, staff
from tests.worker import BROKER, needs_worker, worker  # noqa: F401  (worker is a fixture)
from yousu.dispatch.models import Order
from yousu.dispatch.services import order_accept
from yousu.notifications.models import Notification
from yousu.org.models import Person
from yousu.supervision import tasks

pytestmark = needs_worker
CLOCK = ("clock_start", "response_due", "completion_due", "yellow_at", "red_at", "next_node_at")


def move_clock_on(order: Order, node_field: str) -> None:
    """As if time had passed until just after a node: every moment of the order's clock moves earlier
    by the same amount (the worker is another process; its clock cannot be frozen from here)."""
    shift = getattr(order, node_field) - timezone.now() + dt.timedelta(seconds=1)
    Order.objects.filter(pk=order.pk).update(**{name: F(name) - shift for name in CLOCK})


def wait_for(check, running, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(
        f"the worker did not do it within {timeout} s\n--- worker output ---\n{running.output()[-4000:]}"
    )


def test_a_worker_fires_yellow_then_red_and_the_notifications_are_recorded(world, worker):  # noqa: F811
    assert BROKER
    leader = staff(world.units.east_eco, "eco-leader", "unit_leader")
    Person.objects.filter(pk=leader.pk).update(phone="13900001111")
    order = order_accept(order=at_eco(world)[1], by=world.people.east_eco_handler)

    move_clock_on(order, "yellow_at")
    tasks.sweep.delay()
    wait_for(lambda: reload(order).yellow_fired_at is not None, worker)
    assert Notification.objects.filter(recipient_unit=world.units.east_eco, kind="yellow_node").exists()
    assert reload(order).red_fired_at is None

    order = reload(order)
    move_clock_on(order, "red_at")
    tasks.sweep.delay()
    wait_for(lambda: reload(order).red_fired_at is not None, worker)
    # The leader's text message is sent by the same periodic run (through the log gateway).
    wait_for(
        lambda: Notification.objects.filter(
            recipient_person=leader, kind="red_node", channel="sms", status="sent"
        ).exists(),
        worker,
    )
    assert Notification.objects.filter(recipient_person=leader, kind="red_node", channel="inbox").count() == 1
    assert order.appeal.events.filter(action="time_node").count() == 2
