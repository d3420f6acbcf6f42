"""A constructed month of appeals (November 2026, "today" the 20th) whose dashboard figures the tests
state by hand, and the people who may and may not read the dashboard."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.appeals.factories import at_eco, new_appeal, staff
from tests.callbacks.helpers import complete
from tests.supervision.clock import at, frozen
from yousu.appeals.services import appeal_answer_at_intake, appeal_link_duplicate, appeal_set_item
from yousu.callbacks.models import Callback, CallbackStatus
from yousu.callbacks.services import callback_record, callbacks_create_due

# The moment the dashboard is read; the consumer runs well after every event has passed its horizon.
NOW = at(2026, 11, 20, 16, 0)
LATER = at(2026, 11, 20, 17, 0)


def completed_appeal(world, received, completed, **fields):
    with frozen(received):
        appeal = new_appeal(world, **fields)
        _city, order = at_eco(world, appeal)
    with frozen(completed):
        order = complete(world, order)
    return appeal, order


def build_month(world) -> SimpleNamespace:
    """Seven appeals, all complaints by hotline about restaurant fumes (大气污染) in the east district's
    grid (street C-E-1) unless said otherwise:

    a1  received 11-20 10:00, still open;
    a2  received 11-18, completed 11-19;
    a3  received 11-10, completed 11-12, sent back by an unsatisfied callback on 11-13 (in handling);
    a4  an inquiry in the west community (street C-W-1), no item, received and answered at intake 11-20;
    a5  by web, received 11-15 as fumes, its item changed on 11-16 to water outage (楼院管理, D2-01);
    a6  in the west community, received 11-19, linked as a duplicate of a1 (follows it, open);
    a7  received 10-28, completed 11-03 (received before November, completed in it).
    """
    w = world
    s = SimpleNamespace()
    with frozen(at(2026, 11, 20, 10, 0)):
        s.a1 = new_appeal(w)
    s.a2, s.a2_order = completed_appeal(w, at(2026, 11, 18, 9, 0), at(2026, 11, 19, 15, 0))
    s.a3, s.a3_order = completed_appeal(w, at(2026, 11, 10, 9, 0), at(2026, 11, 12, 15, 0))
    with frozen(at(2026, 11, 13, 9, 0)):
        callbacks_create_due()
        callback = Callback.objects.get(order=s.a3_order, appeal=s.a3, status=CallbackStatus.PENDING)
        callback_record(
            callback=callback,
            by=w.people.operator,
            solved=False,
            satisfaction="unsatisfied",
            unit_caused=True,
            comment="油烟照旧",
        )
    with frozen(at(2026, 11, 20, 11, 0)):
        s.a4 = new_appeal(w, kind="inquiry", item=None, area=w.areas.west_community)
        appeal_answer_at_intake(appeal=s.a4, answer="已当场解答。", by=w.people.operator)
    with frozen(at(2026, 11, 15, 9, 0)):
        s.a5 = new_appeal(w, channel="web", received_by=None, citizen_phone="")
    with frozen(at(2026, 11, 16, 9, 0)):
        appeal_set_item(appeal=s.a5, item=w.items.water_outage, by=w.people.dispatcher)
    with frozen(at(2026, 11, 19, 9, 0)):
        s.a6 = new_appeal(w, area=w.areas.west_community)
        appeal_link_duplicate(appeal=s.a6, original=s.a1, by=w.people.operator)
    s.a7, _order = completed_appeal(w, at(2026, 10, 28, 9, 0), at(2026, 11, 3, 15, 0))
    return s


@pytest.fixture
def month(world) -> SimpleNamespace:
    return build_month(world)


@pytest.fixture
def leader(world):
    return staff(world.units.platform, "lena", "leader")
