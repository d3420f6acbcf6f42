"""Two sweepers at once on the same due orders or report-ins: every node fires exactly once (PostgreSQL,
where sweepers really run in parallel; SQLite serialises writers, so there is nothing to race)."""

import threading

import pytest
from django.db import connection, connections

from tests.appeals.factories import at_eco, new_appeal
from yousu.appeals.models import Event
from yousu.dispatch.models import ReportIn
from yousu.dispatch.whistles import whistle_blow
from yousu.supervision.models import SupervisionOrder, Urge
from yousu.supervision.report_ins import sweep_report_ins
from yousu.supervision.sweep import sweep_time_nodes

from .clock import at, frozen

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel sweepers need PostgreSQL's row locks (CI runs it)"
)


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_fire_each_node_exactly_once(world):
    orders = []
    with frozen(at(2026, 3, 10, 10, 0)):
        for _ in range(40):
            orders.append(at_eco(world)[1])
    now = at(2026, 3, 11, 10, 0)  # every order's response node is due
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweeper():
        try:
            barrier.wait()
            results.append(sweep_time_nodes(now=now, batch_size=5))
        except Exception as error:  # surfaced below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    # Between them they fired every order's node once; which sweeper took which batch is up to the race.
    assert sum(result.orders for result in results) == len(orders)
    for order in orders:
        assert Event.objects.filter(order_id=order.pk, action="time_node").count() == 1
        assert Urge.objects.filter(order=order).count() == 1
    assert len(results) == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_fire_each_report_in_node_exactly_once(world):
    with frozen(at(2026, 3, 10, 10, 0)):
        for _ in range(20):
            whistle_blow(
                by=world.people.street_leader,
                problem="占道经营",
                departments=[world.units.east_eco, world.units.east_market],
                appeal=new_appeal(world),
            )
    now = at(2026, 3, 12, 10, 0)  # every report-in's limit has passed
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweeper():
        try:
            barrier.wait()
            results.append(sweep_report_ins(now=now, batch_size=5))
        except Exception as error:  # surfaced below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(result.fired["missed"] for result in results) == 40
    assert Event.objects.filter(action="report_in_missed").count() == 40
    for report_in in ReportIn.objects.all():
        assert SupervisionOrder.objects.filter(report_in=report_in).count() == 1
    assert len(results) == 2
