"""Moments written into event payloads: one form (ISO 8601 in the platform's zone) whoever writes them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.appeals.factories import at_eco, new_appeal
from tests.supervision.clock import at, frozen
from yousu.appeals.models import Event
from yousu.core.timestamps import payload_time
from yousu.dispatch.services import order_accept
from yousu.dispatch.whistles import whistle_blow
from yousu.supervision.sweep import sweep_time_nodes


def test_one_instant_in_any_zone_is_written_alike_in_the_platform_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    local = dt.datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    utc = local.astimezone(dt.UTC)
    assert payload_time(local) == payload_time(utc) == "2026-12-08T10:00:00+08:00"
    # Readers parse both the new form and the +00:00 rows written before it.
    assert dt.datetime.fromisoformat(payload_time(utc)) == dt.datetime.fromisoformat(utc.isoformat()) == local


def test_a_naive_moment_or_a_date_is_refused():
    with pytest.raises(ValueError):
        payload_time(dt.datetime(2026, 12, 8, 10, 0))
    with pytest.raises(TypeError):
        payload_time(dt.date(2026, 12, 8))


def test_the_same_due_time_written_by_dispatch_and_by_the_sweep_is_the_same_string(world):
    # Dispatch writes the deadline it computed on the calendar (+08:00); the sweep writes it as read
    # back from the database (UTC). Both go through payload_time, so the strings are equal.
    with frozen(at(2026, 3, 10, 10, 0)):
        order = at_eco(world)[1]
    order_accept(order=order, by=world.people.east_eco_handler)
    sweep_time_nodes(now=at(2026, 3, 11, 15, 45))  # the yellow node (half the time gone)
    dispatched = Event.objects.get(order_id=order.pk, action="dispatched")
    node = Event.objects.get(order_id=order.pk, action="time_node")
    assert dispatched.payload["completion_due"] == node.payload["completion_due"]
    assert node.payload["completion_due"].endswith("+08:00")


def test_a_whistle_writes_its_report_in_limit_in_the_same_form(world):
    appeal = new_appeal(world)
    with frozen(at(2026, 3, 10, 10, 0).astimezone(dt.UTC)):  # the clock as the database gives it
        whistle_blow(
            by=world.people.street_leader,
            appeal=appeal,
            problem="占道经营，需城管和市场监管到场",
            departments=[world.units.east_eco],
        )
    event = Event.objects.get(appeal=appeal, action="whistle_blown")
    assert event.payload["report_in_due"] == payload_time(at(2026, 3, 11, 10, 0))
