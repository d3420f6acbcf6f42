"""Two handlers of one unit accept the same order at once: exactly one acceptance, one Conflict.

On PostgreSQL the race is real: two threads, two connections, both having read the order before
either claims it. SQLite in memory cannot host that race, so there the same claim is exercised
deterministically with two copies of the order read before either acceptance.
"""

import threading

from django.db import connection, connections

from tests.appeals.factories import at_eco, staff
from yousu.dispatch import services
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.models import Order
from yousu.dispatch.services import Conflict, order_accept


def _outcome(order: Order, results: list) -> None:
    order.refresh_from_db()
    accepted = [r for r in results if isinstance(r, Order)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(accepted) == 1 and len(conflicts) == 1, results
    assert order.status == OrderStatus.ACCEPTED
    assert order.accepted_by == accepted[0].accepted_by
    assert order.appeal.events.filter(order_id=order.pk, action="accepted").count() == 1


def test_two_handlers_accepting_at_once_get_one_acceptance_and_one_conflict(
    transactional_db, world, monkeypatch
):
    _city, order = at_eco(world)
    handlers = [world.people.east_eco_handler, staff(world.units.east_eco, "ethan", "unit_handler")]
    if connection.vendor == "postgresql":
        _race_on_two_connections(order, handlers, monkeypatch)
    else:
        _claim_with_two_stale_copies(order, handlers)


def _claim_with_two_stale_copies(order: Order, handlers) -> None:
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    results = []
    for copy, handler in ((first, handlers[0]), (second, handlers[1])):
        try:
            results.append(order_accept(order=copy, by=handler))
        except Conflict as exc:
            results.append(exc)
    _outcome(order, results)
    # The claim itself: a copy read before the other acceptance no longer matches the row.
    assert second.status == OrderStatus.DISPATCHED
    try:
        services._transition(second, OrderStatus.ACCEPTED, by=handlers[1], action="accepted")
    except Conflict:
        pass
    else:
        raise AssertionError("a stale copy claimed the order")
    order.refresh_from_db()
    assert order.accepted_by == handlers[0] and order.version == 1


def _race_on_two_connections(order: Order, handlers, monkeypatch) -> None:
    # Both threads wait here, after reading the order and before claiming it, so that both claim
    # a row they saw as still dispatched: the database must let only one of them have it.
    both_read = threading.Barrier(2, timeout=20)
    check = services._member

    def member_then_wait(*args, **kwargs):
        check(*args, **kwargs)
        both_read.wait()

    monkeypatch.setattr(services, "_member", member_then_wait)
    results = [None, None]

    def accept(index: int) -> None:
        try:
            results[index] = order_accept(order=order, by=handlers[index])
        except Exception as exc:  # collected and asserted on in the main thread
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    _outcome(order, results)
    # Both had seen the order as dispatched, so the loser lost at the conditional update itself.
    conflict = next(result for result in results if isinstance(result, Conflict))
    assert "刚刚被他人处理过" in conflict.message
