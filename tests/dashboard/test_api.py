"""The dashboard summary over real HTTP: who may read it, the query it accepts, the figures of the
constructed month (see conftest), the overdue list and the ranking."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps

from tests.api.helpers import Api
from tests.appeals.factories import at_eco, new_appeal, staff
from tests.supervision.clock import at, frozen
from yousu.dispatch.models import Order
from yousu.dispatch.services import appeal_dispatch
from yousu.evaluation.assessment import assess_month
from yousu.reports.tallies import tally_events

from .conftest import LATER, NOW

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")

URL = "/api/v1/dashboard/summary/"


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


def get(api, person, query=""):
    with frozen(NOW):
        return api.get(f"{URL}?{query}" if query else URL, person)


def test_the_month_over_http_is_the_same_before_and_after_the_consumer(api, world, month, leader):
    live = get(api, leader, "period=month")
    assert live.status == 200, live.body
    assert live.body["totals"]["received"] == 6
    assert live.body["totals"]["completed"] == 4
    tally_events(now=LATER)
    counted = get(api, leader, "period=month")
    assert counted.body == live.body
    assert counted.body["as_of"] == "2026-11-20T16:00:00+08:00"


def test_every_key_is_there_and_today_is_the_default(api, world, month, leader):
    body = get(api, leader).body
    assert body["period"] == {"key": "today", "start": "2026-11-20", "end": "2026-11-20"}
    assert set(body) == {
        "period",
        "district",
        "jurisdiction",
        "as_of",
        "totals",
        "today",
        "by_channel",
        "by_kind",
        "top_categories",
        "hot_issues",
        "by_area",
        "overdue",
        "detected_hot_issues",
        "ranking",
        "proactive",
        "knowledge",
        "definitions",
    }
    assert body["totals"]["received"] == body["today"]["received"] == 2
    assert body["ranking"] is None
    assert body["jurisdiction"] == {"code": "C", "name": "测试市"}


def test_district_and_custom_period_filters(api, world, month, leader):
    tally_events(now=LATER)
    east = get(api, leader, "period=month&district=C-E").body
    assert east["district"] == {"code": "C-E", "name": "东区"}
    assert (east["totals"]["received"], east["totals"]["settled"], east["totals"]["completed"]) == (4, 1, 3)
    assert [row["code"] for row in east["by_area"]] == ["C-E-1"]
    west = get(api, leader, "period=custom&start=2026-11-19&end=2026-11-20&district=C-W").body
    # a4 (answered at intake on the 20th) and a6 (linked on the 19th).
    assert west["totals"] == {
        "received": 2,
        "settled": 1,
        "completion_rate": 0.5,
        "answered_at_intake": 1,
        "answered_at_intake_rate": 0.5,
        "completed": 1,
    }
    # a4 was answered in its own words, not from the knowledge base, and not yet called back.
    assert west["knowledge"] == {
        "answered": 1,
        "from_entries": 0,
        "checked": 0,
        "helped": 0,
        "entries_checked": 0,
        "entries_helped": 0,
        "helped_rate": None,
        "entries_helped_rate": None,
    }
    assert west["period"] == {"key": "custom", "start": "2026-11-19", "end": "2026-11-20"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=week", "period"),
        ("period=custom&end=2026-11-20", "start"),
        ("period=custom&start=2026-11-01", "end"),
        ("period=custom&start=2026-13-01&end=2026-11-20", "start"),
        ("period=custom&start=2026-11-01&end=yesterday", "end"),
        ("period=custom&start=2026-11-20&end=2026-11-19", "end"),
        ("period=custom&start=2025-11-19&end=2026-11-20", "end"),
        ("district=NOPE", "district"),
        ("district=C-E-1", "district"),  # a street, not a district
    ],
)
def test_a_bad_query_is_refused_naming_the_field(api, world, leader, query, field):
    answer = get(api, leader, query)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field


def test_a_year_and_a_day_is_the_longest_custom_period(api, world, leader):
    assert get(api, leader, "period=custom&start=2025-11-20&end=2026-11-20").status == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("supervisor", 200),
        ("dispatcher", 200),  # city platform
        ("east_dispatcher", 200),  # district platform
        ("admin", 200),
        ("operator", 403),
        ("east_market_handler", 403),
        ("street_leader", 403),
    ],
)
def test_who_may_read_the_dashboard(api, world, who, status):
    people = vars(world.people)
    person = people.get(who)
    assert person is not None, sorted(people)
    assert get(api, person).status == status


def test_a_unit_clerk_is_refused_and_an_anonymous_caller_too(api, world):
    clerk = staff(world.units.east_eco, "ella", "unit_handler")
    answer = get(api, clerk)
    assert answer.status == 403
    assert answer.error["code"] == "permission_refused"
    assert get(api, None).status in (401, 403)


def test_the_overdue_list(api, world, leader):
    with frozen(at(2026, 11, 10, 9, 0)):
        _city, order = at_eco(world, new_appeal(world))
    with frozen(at(2026, 11, 10, 9, 0)):
        _city, paused = at_eco(world, new_appeal(world))
    Order.objects.filter(pk=paused.pk).update(paused_at=at(2026, 11, 11, 9, 0))
    order.refresh_from_db()
    body = get(api, leader).body
    expected_hours = round((NOW - order.completion_due).total_seconds() / 3600, 1)
    assert expected_hours > 0
    # The paused order's clock is stopped: it is not overdue. The city order was forwarded.
    assert body["overdue"]["count"] == 1
    assert body["overdue"]["orders"] == [
        {
            "order_id": order.pk,
            "appeal_code": order.appeal.code,
            "title": order.appeal.title,
            "unit": world.units.east_eco.name,
            "completion_due": order.completion_due.astimezone(NOW.tzinfo).isoformat(),
            "overdue_hours": expected_hours,
        }
    ]
    assert get(api, leader, "district=C-W").body["overdue"] == {"count": 0, "orders": []}
    assert get(api, leader, "district=C-E").body["overdue"]["count"] == 1


def test_the_ranking_is_the_current_run_of_the_latest_month(api, world, leader):
    # The default scheme comes from a data migration, which a live-server test's flush removes.
    importlib.import_module("yousu.evaluation.migrations.0002_default_scheme").create_default_scheme(
        django_apps, None
    )
    with frozen(at(2026, 10, 10, 9, 0)):
        at_eco(world, new_appeal(world))
    with frozen(at(2026, 11, 2, 9, 0)):
        first = assess_month(month=dt.date(2026, 10, 1))
        second = assess_month(month=dt.date(2026, 10, 1))
    ranking = get(api, leader).body["ranking"]
    assert (ranking["month"], ranking["version"]) == ("2026-10", second.version)
    assert second.version == first.version + 1
    ranked = list(second.results.filter(rank__isnull=False).order_by("level", "kind", "rank", "unit__code"))
    assert ranked
    assert [row["unit"]["code"] for row in ranking["rows"]] == [row.unit.code for row in ranked]
    assert {"unit", "level", "kind", "score", "rank", "peers", "zone"} == set(ranking["rows"][0])


def test_a_platform_dispatcher_sees_the_overdue_orders_of_the_units_it_dispatches_to(api, world, leader):
    with frozen(at(2026, 11, 10, 9, 0)):
        _city, east_order = at_eco(world, new_appeal(world))
        west = appeal_dispatch(
            appeal=new_appeal(world, area=world.areas.west_community), by=world.people.dispatcher
        )
    assert west.unit.code == "C-W-P"
    assert get(api, leader).body["overdue"]["count"] == 2
    east = get(api, world.people.east_dispatcher).body["overdue"]
    assert (east["count"], [row["order_id"] for row in east["orders"]]) == (1, [east_order.pk])
