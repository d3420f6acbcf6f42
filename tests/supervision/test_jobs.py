"""The periodic job's three ways to run: `yousu sweep`, the in-process timer of `yousu serve`, and the
Celery task (tests/supervision/test_celery_sweep.py runs that one on a real worker)."""

import json
import time
from io import StringIO

from django.core.management import call_command

from tests.appeals.factories import at_eco, reload, staff
from yousu.notifications.models import Notification
from yousu.org.models import Person
from yousu.supervision.jobs import InProcessScheduler, last_sweep, run_periodic

from .clock import at, frozen


def test_yousu_sweep_fires_due_nodes_once_and_says_what_it_did(world):
    with frozen(at(2026, 3, 10, 10, 0)):
        order = at_eco(world)[1]
    out = StringIO()
    call_command("sweep", stdout=out)  # now is long past the order's response deadline … and later nodes
    result = json.loads(out.getvalue())
    assert result["fired"]["orders"] == 1
    assert result["fired"]["response"] == 1 and result["fired"]["overdue"] == 1
    assert reload(order).overdue_fired_at is not None
    again = StringIO()
    call_command("sweep", stdout=again)
    assert json.loads(again.getvalue())["fired"]["orders"] == 0
    assert last_sweep() is not None


def test_the_periodic_job_sends_the_notifications_the_sweep_wrote(world, settings):
    settings.YOUSU_NOTIFY_CHANNELS = ["inbox", "sms"]
    leader = staff(world.units.east_eco, "eco-leader", "unit_leader")
    Person.objects.filter(pk=leader.pk).update(phone="13900002222")
    with frozen(at(2026, 3, 10, 10, 0)):
        at_eco(world)
    result = run_periodic()
    assert result["notifications_delivered"] >= 1
    sms = Notification.objects.get(recipient_person=leader, channel="sms")
    assert sms.status == "sent"


def test_the_in_process_scheduler_runs_the_job_and_stops(world, transactional_db):
    with frozen(at(2026, 3, 10, 10, 0)):
        order = at_eco(world)[1]
    scheduler = InProcessScheduler(interval=0.05)
    scheduler.start()
    deadline = time.monotonic() + 20
    while reload(order).overdue_fired_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
    scheduler.stop()
    scheduler.join(timeout=10)
    assert reload(order).overdue_fired_at is not None
    assert not scheduler.is_alive()
