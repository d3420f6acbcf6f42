"""The event log: every change of an appeal or an order is a row (who, which unit, from, to), and rows
can never be changed or removed."""

import pytest
from django.db import transaction
from django.db.models import ProtectedError

from yousu.appeals.models import Appeal, Event
from yousu.appeals.selectors import events_of
from yousu.dispatch.services import order_accept, order_close, order_reply, order_review

from .factories import at_eco, new_appeal


def test_every_transition_is_an_event_with_actor_unit_and_states(world):
    p, u = world.people, world.units
    city_order, eco_order = at_eco(world)
    order_accept(order=eco_order, by=p.east_eco_handler)
    order_reply(order=eco_order, by=p.east_eco_handler, text="已整改", result="solved")
    order_review(order=eco_order, by=p.east_dispatcher, approve=True)
    order_close(order=eco_order, by=p.operator, reason="回访满意")
    rows = [
        (e.action, e.order_id, e.actor, e.actor_unit, e.from_state, e.to_state)
        for e in events_of(eco_order.appeal)
    ]
    assert rows == [
        ("received", None, p.operator, u.platform, "", "received"),
        ("dispatched", city_order.pk, p.dispatcher, u.platform, "", "dispatched"),
        ("appeal_dispatched", None, p.dispatcher, u.platform, "received", "dispatched"),
        ("forwarded", city_order.pk, p.east_dispatcher, u.east_platform, "dispatched", "forwarded"),
        ("dispatched", eco_order.pk, p.east_dispatcher, u.east_platform, "", "dispatched"),
        ("accepted", eco_order.pk, p.east_eco_handler, u.east_eco, "dispatched", "accepted"),
        ("replied", eco_order.pk, p.east_eco_handler, u.east_eco, "accepted", "replied"),
        ("completed", eco_order.pk, p.east_dispatcher, u.east_platform, "replied", "completed"),
        ("appeal_completed", None, p.east_dispatcher, u.east_platform, "dispatched", "completed"),
        ("closed", eco_order.pk, p.operator, u.platform, "completed", "closed"),
        ("appeal_closed", None, p.operator, u.platform, "completed", "closed"),
    ]
    times = [e.at for e in events_of(eco_order.appeal)]
    assert times == sorted(times)


def test_an_event_cannot_be_changed_once_written(world):
    event = new_appeal(world).events.get()
    event.reason = "改写历史"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).update(reason="改写历史")
    with pytest.raises(TypeError):
        event.appeal.events.update(reason="改写历史")
    with pytest.raises(TypeError), transaction.atomic():  # bulk_update joins the test's transaction
        Event.objects.bulk_update([event], ["reason"])
    assert Event.objects.get(pk=event.pk).reason == ""


def test_an_event_cannot_be_deleted(world):
    appeal = new_appeal(world)
    event = appeal.events.get()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        Event.objects.all().delete()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).delete()
    # Nor can the appeal it belongs to be deleted out from under it.
    with pytest.raises(ProtectedError):
        appeal.delete()
    assert Event.objects.filter(pk=event.pk).exists()
    assert Appeal.objects.filter(pk=appeal.pk).exists()


def test_even_djangos_internal_manager_cannot_rewrite_events(world):
    appeal = new_appeal(world)
    assert Event.objects.filter(appeal=appeal).exists()
    with pytest.raises(TypeError):
        Event._base_manager.filter(appeal=appeal).update(action="rewritten")
    with pytest.raises(TypeError):
        Event._base_manager.filter(appeal=appeal).delete()
    assert not Event.objects.filter(action="rewritten").exists()
