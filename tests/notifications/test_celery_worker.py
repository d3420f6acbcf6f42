"""A real Celery worker on the real Redis delivers what `notify` queued after commit.

The worker is a separate process started the documented way (`celery -A yousu worker`), reading the
test database through DATABASE_URL, so it needs a database another process can open: PostgreSQL.
It consumes a queue of its own, so other test runs sharing the Redis cannot take its messages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings

from yousu.celery import app
from yousu.notifications import tasks
from yousu.notifications.choices import NotificationStatus
from yousu.notifications.models import Notification
from yousu.notifications.services import NotificationSpec, notify_many

from .helpers import PHONE, SECRET

BROKER = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.skipif(not BROKER, reason="needs a real Redis for the broker: set REDIS_URL"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker is another process and cannot open an in-memory SQLite test database: "
        "runs on PostgreSQL (DATABASE_URL)",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = f":{urllib.parse.quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{urllib.parse.quote(db['NAME'], safe='')}"


class Worker:
    def __init__(self, queue: str, log: Path):
        self.queue = queue
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker process on a queue of its own; this process sends its tasks there."""
    queue = f"yousu-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yousu.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        # The worker's mail goes to its output: pytest's in-memory outbox lives in this process only.
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "yousu",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
    ]
    previous = {"broker_url": app.conf.broker_url, "task_default_queue": app.conf.task_default_queue}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    app.conf.update(broker_url=BROKER, task_default_queue=queue)
    try:
        with override_settings(CELERY_BROKER_URL=BROKER):
            yield Worker(queue, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        with app.connection_for_write() as conn:
            # Declared on this channel so that deleting it also removes its binding from Redis.
            declared = app.amqp.queues[queue](conn.default_channel)
            declared.declare()
            declared.delete()
        app.close()  # drop the pooled broker connections made for this queue
        app.conf.update(previous)


def wait_until_settled(ids, worker: Worker, timeout: float = 60) -> list[Notification]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(Notification.objects.filter(pk__in=ids).order_by("pk"))
        if all(row.status != NotificationStatus.PENDING for row in rows):
            return rows
        time.sleep(0.2)
    states = [(row.channel, row.status, row.last_error) for row in Notification.objects.filter(pk__in=ids)]
    pytest.fail(
        f"not delivered within {timeout} s: {states}\n--- worker output ---\n{worker.output()[-4000:]}"
    )


def test_the_worker_delivers_what_notify_queued_after_commit(world, reachable, endpoint, receiver, worker):
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


def test_the_worker_runs_the_periodic_delivery(world, endpoint, receiver, worker):
    with override_settings(CELERY_BROKER_URL=""):  # created while the queue was down: nothing queued
        rows = notify_many([NotificationSpec(kind="overdue", text="工单已超期", unit=endpoint.unit)])
    (hook,) = [row for row in rows if row.channel == "webhook"]

    tasks.deliver_due.delay()

    (settled,) = wait_until_settled([hook.pk], worker)
    assert settled.status == NotificationStatus.SENT
    assert receiver.deliveries() == {hook.pk: 1}
