"""A real Celery worker on the real Redis delivers what `notify` queued after commit.

The worker (tests/worker.py) is a separate process started the documented way.
"""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.test import override_settings

from tests.worker import Worker, needs_worker, worker  # noqa: F401  (worker is a fixture)
from yousu.notifications import tasks
from yousu.notifications.choices import NotificationStatus
from yousu.notifications.models import Notification
from yousu.notifications.services import NotificationSpec, notify_many

from .helpers import PHONE, SECRET

pytestmark = needs_worker


def wait_until_settled(ids, running: Worker, timeout: float = 60) -> list[Notification]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(Notification.objects.filter(pk__in=ids).order_by("pk"))
        if all(row.status != NotificationStatus.PENDING for row in rows):
            return rows
        time.sleep(0.2)
    states = [(row.channel, row.status, row.last_error) for row in Notification.objects.filter(pk__in=ids)]
    pytest.fail(
        f"not delivered within {timeout} s: {states}\n--- worker output ---\n{running.output()[-4000:]}"
    )


def test_the_worker_delivers_what_notify_queued_after_commit(world, reachable, endpoint, receiver, worker):  # noqa: F811
    with transaction.atomic():
        rows = notify_many(
            [
                NotificationSpec(
                    kind="red_warning", subject="红灯预警", text="工单即将超期", person=reachable
                ),
                NotificationSpec(
                    kind="red_warning", subject="红灯预警", text="工单即将超期", unit=endpoint.unit
                ),
            ]
        )
    pending = [row.pk for row in rows if row.status == NotificationStatus.PENDING]
    assert len(pending) == 3  # SMS, e-mail, webhook; the two inbox rows were sent at once

    settled = wait_until_settled(pending, worker)

    assert [(row.channel, row.status, row.attempts) for row in settled] == [
        ("sms", "sent", 1),
        ("email", "sent", 1),
        ("webhook", "sent", 1),
    ]
    (request,) = receiver.requests
    assert request.signed_with(SECRET) and request.json["unit"] == endpoint.unit.code
    output = worker.output()
    assert f"SMS to {PHONE}: 工单即将超期" in output
    assert "yousu.notifications.tasks.deliver_batch" in output


def test_the_worker_runs_the_periodic_delivery(world, endpoint, receiver, worker):  # noqa: F811
    with override_settings(CELERY_BROKER_URL=""):  # created while the queue was down: nothing queued
        rows = notify_many([NotificationSpec(kind="overdue", text="工单已超期", unit=endpoint.unit)])
    (hook,) = [row for row in rows if row.channel == "webhook"]

    tasks.deliver_due.delay()

    (settled,) = wait_until_settled([hook.pk], worker)
    assert settled.status == NotificationStatus.SENT
    assert receiver.deliveries() == {hook.pk: 1}
