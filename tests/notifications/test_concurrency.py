"""Two workers delivering at once send every notification exactly once.

The race needs two real connections to one database, which SQLite in memory cannot give; CI runs the
suite on PostgreSQL too, where this test runs. (On SQLite the claim is exercised deterministically in
test_delivery.py::test_a_claimed_row_is_left_alone_until_its_lease_ends.)
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from yousu.notifications.choices import NotificationStatus
from yousu.notifications.models import Notification
from yousu.notifications.services import NotificationSpec, deliver, deliver_due, notify_many

from .helpers import SECRET

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two workers racing need two connections to one database: runs on PostgreSQL (DATABASE_URL)",
)
COUNT = 60


def run_at_once(*jobs) -> list:
    """Run each job in its own thread (so on its own database connection), all starting together."""
    start = threading.Barrier(len(jobs), timeout=20)
    results: list = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = jobs[index]()
        except Exception as exc:  # collected and asserted on in the main thread
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_workers_running_deliver_due_send_each_notification_once(
    transactional_db, world, endpoint, receiver
):
    # A slow receiver keeps both workers busy at the same time for the whole run.
    receiver.delay = 0.01
    rows = notify_many(
        [
            NotificationSpec(kind="overdue", text=f"工单 {i} 已超期", unit=world.units.east_eco)
            for i in range(COUNT)
        ]
    )
    hooks = {row.pk for row in rows if row.channel == "webhook"}
    assert len(hooks) == COUNT

    results = run_at_once(deliver_due, deliver_due)

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == COUNT
    assert all(result > 0 for result in results), f"one worker did everything: {results}"
    deliveries = receiver.deliveries()
    assert set(deliveries) == hooks and set(deliveries.values()) == {1}
    assert all(request.signed_with(SECRET) for request in receiver.requests)
    sent = Notification.objects.filter(pk__in=hooks)
    assert all(row.status == NotificationStatus.SENT and row.attempts == 1 for row in sent)


def test_a_queued_batch_and_the_periodic_job_racing_for_the_same_rows_send_once(
    transactional_db, world, endpoint, receiver
):
    receiver.delay = 0.01
    rows = notify_many(
        [NotificationSpec(kind="urge", text=f"催办 {i}", unit=world.units.east_eco) for i in range(COUNT)]
    )
    ids = [row.pk for row in rows if row.channel == "webhook"]

    def batch() -> int:
        return sum(1 for pk in ids if deliver(pk) is not None)

    results = run_at_once(batch, deliver_due)

    assert sum(results) == COUNT, results
    assert set(receiver.deliveries().values()) == {1} and len(receiver.deliveries()) == COUNT
