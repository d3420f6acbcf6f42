"""The reports' figures as data, against the month of conftest.py counted by hand."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.appeals.factories import at_eco, new_appeal, staff
from tests.supervision.clock import at, frozen
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.dispatch.services import order_accept, order_reply, order_review, order_send_back
from yousu.reports import documents

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")

OCT_12 = dt.date(2026, 10, 12)
OCT_28 = dt.date(2026, 10, 28)


def test_the_daily_brief_of_12_october(october):
    brief = documents.daily_brief(OCT_12)
    received = brief["received"]
    assert received["total"] == 3  # A, M and the inquiry Q
    assert {e["code"]: e["count"] for e in received["by_channel"]} == {"hotline": 2, "web": 1}
    assert {e["code"]: e["count"] for e in received["by_kind"]} == {"complaint": 2, "inquiry": 1}
    assert brief["answered_at_intake"] == 1  # Q
    assert brief["dispatched"] == 2  # A and M, each counted once although forwarded down
    assert brief["completed"] == 1  # A
    assert brief["open_at_end"] == 1  # M (A done; the platforms' orders were passed down)
    assert brief["overdue"] == {"count": 0, "orders": []}
    assert brief["top_items"] == [{"code": "D1-01-01", "name": "餐饮油烟污染", "count": 2}]
    callbacks = brief["callbacks"]
    assert (callbacks["done"], callbacks["solved"], callbacks["satisfied"]) == (1, 1, 1)
    assert callbacks["satisfaction_rate"] == 1.0
    assert brief["urges"] == 1 and brief["supervision_orders"] == 0
    assert brief["definitions"]["open_at_end"]["definition"]


def test_the_daily_brief_of_28_october_lists_the_overdue_order(october):
    brief = documents.daily_brief(OCT_28)
    assert brief["received"]["total"] == 0 and brief["dispatched"] == 0
    assert brief["open_at_end"] == 1  # B
    assert brief["overdue"]["count"] == 1
    (order,) = brief["overdue"]["orders"]
    assert (order["unit"], order["appeal"]) == ("C-E-eco", october.b.appeal.code)
    assert order["completion_due"] == october.b.completion_due
    assert brief["callbacks"]["satisfaction_rate"] is None  # no callback that day: no rate, not 0 %


def test_the_monthly_report_groups_peers_and_recomputes_the_totals(october):
    report = documents.monthly_report(october.run)
    assert report["run"]["version"] == 1 and report["run"]["month"] == "2026-10"
    group = next(g for g in report["groups"] if (g["level"], g["kind"]) == ("district", "department"))
    rows = {row["unit"]: row for row in group["rows"]}
    assert list(rows)[:2] == ["C-E-eco", "C-E-market"]  # ranked first, best first
    eco, market = rows["C-E-eco"], rows["C-E-market"]
    # eco: A done, B open; market: M done; hand count in conftest.py.
    assert (eco["received"], eco["due"], eco["completed"], eco["called_back"]) == (2, 2, 1, 1)
    assert (market["received"], market["due"], market["completed"], market["solved"]) == (1, 1, 1, 0)
    assert eco["score"] == pytest.approx(20 + 20 * 0.5 + 15 + 20 + 25)
    assert market["score"] == pytest.approx(20 + 20 + 15 + 0 + 25)
    assert (eco["rank"], market["rank"], eco["peers"]) == (1, 2, 2)
    totals = group["totals"]
    assert (totals["received"], totals["due"], totals["completed"], totals["called_back"]) == (3, 3, 2, 2)
    # 2 of 3 due orders completed: not the average of 1/2 and 1/1 (0.75).
    assert totals["completion_rate"] == pytest.approx(2 / 3)
    assert totals["resolution_rate"] == pytest.approx(1 / 2)
    burden = report["burden"]
    assert "access_list_refused" in burden["columns"] and "hours_saved" in burden["columns"]
    street = next(row for row in burden["rows"] if row["unit"] == "C-E-1")
    community = next(row for row in burden["rows"] if row["unit"] == "C-E-1-1")
    assert (street["received"], street["assigned_elsewhere"]) == (2, 1)
    assert (community["received"], community["access_list_refused"]) == (1, 1)
    assert community["hours_saved"] == pytest.approx(4.0)  # one refusal at the default 4 hours
    assert burden["totals"]["received"] == 3 and burden["totals"]["hours_saved"] == pytest.approx(4.0)


def test_the_unit_sheet_lists_the_months_orders_and_the_peers(october):
    sheet = documents.unit_sheet(october.run, october.world.units.east_eco)
    assert sheet["result"]["completion_rate"] == pytest.approx(1 / 2)
    assert [(p["unit"], p["rank"], p["is_self"]) for p in sheet["peers"]] == [
        ("C-E-eco", 1, True),
        ("C-E-market", 2, False),
    ]
    assert all(
        set(p) == {"unit", "unit_name", "score", "rank", "peers", "zone", "zone_label", "is_self"}
        for p in sheet["peers"]
    )
    a, b = sheet["orders"]
    assert (a["appeal"], a["on_time"], a["overdue"], a["satisfaction"]) == (
        october.a.appeal.code,
        True,
        False,
        "satisfied",
    )
    assert (b["appeal"], b["completed_at"], b["on_time"], b["overdue"]) == (
        october.b.appeal.code,
        None,
        None,
        True,
    )


def test_who_may_read_which_report(october):
    p, u = october.world.people, october.world.units
    for person in (p.supervisor, p.admin, p.east_dispatcher, p.dispatcher):
        documents.check_may_read_city_reports(person)
    for person in (p.east_market_handler, p.operator, p.street_leader):
        with pytest.raises(PermissionRefused):
            documents.check_may_read_city_reports(person)
    documents.check_may_read_unit_sheet(p.east_market_handler, u.east_market)
    documents.check_may_read_unit_sheet(p.supervisor, u.east_market)
    with pytest.raises(PermissionRefused):
        documents.check_may_read_unit_sheet(p.east_market_handler, u.east_eco)
    with pytest.raises(PermissionRefused):
        documents.check_may_read_unit_sheet(p.east_dispatcher, u.east_eco)
    # The dispatcher role reads the city's reports only at a platform; a deactivated assessor not at all.
    with pytest.raises(PermissionRefused):
        documents.check_may_read_city_reports(staff(u.east_eco, "eco-dispatcher", "dispatcher"))
    gone = staff(u.platform, "former-supervisor", "supervisor")
    gone.is_active = False
    with pytest.raises(PermissionRefused):
        documents.check_may_read_city_reports(gone)


def test_bad_dates_months_and_units_name_the_field(world):
    today = dt.date(2026, 11, 30)
    assert documents.parse_day(None, today=today) == dt.date(2026, 11, 29)
    assert documents.parse_day("2026-11-30", today=today) == today
    for text in ("2026-13-01", "yesterday", "2026-12-01"):
        with pytest.raises(DomainError) as refused:
            documents.parse_day(text, today=today)
        assert refused.value.field == "date"
    for text in (None, "", "2026-13", "2026/10"):
        with pytest.raises(DomainError) as refused:
            documents.parse_report_month(text)
        assert refused.value.field == "month"
    with pytest.raises(NotFound) as missing:
        documents.unit_of("NO-SUCH")
    assert missing.value.field == "unit"
    with pytest.raises(DomainError) as empty:
        documents.unit_of(" ")
    assert empty.value.field == "unit"


def test_open_at_the_end_of_a_day_is_the_state_then_not_now(world):
    """Completed on 19 October and sent back on the 20th: closed at the end of the 19th, open at the end
    of the 20th; an appeal received on the 20th is not open at the end of the 19th."""
    p = world.people
    with frozen(at(2026, 10, 19, 9, 0)):
        order = at_eco(world, new_appeal(world))[1]
        order = order_accept(order=order, by=p.east_eco_handler)
        order = order_reply(order=order, by=p.east_eco_handler, text="已处理", result="solved")
        order = order_review(order=order, by=p.east_dispatcher, approve=True)
    with frozen(at(2026, 10, 20, 9, 0)):
        order_send_back(order=order, by=p.dispatcher, reason="回访不满意，退回重办")
        new_appeal(world, title="次日受理")
    first, second = documents.daily_brief(dt.date(2026, 10, 19)), documents.daily_brief(dt.date(2026, 10, 20))
    assert (first["completed"], first["open_at_end"]) == (1, 0)
    assert (second["received"]["total"], second["open_at_end"]) == (1, 2)  # the reopened one and the new one
    # Not overdue at the end of the day before its deadline; overdue at the end of the day after it.
    order.refresh_from_db()
    due = timezone.localtime(order.completion_due).date()
    assert documents.daily_brief(due - dt.timedelta(days=1))["overdue"]["count"] == 0
    overdue = documents.daily_brief(due + dt.timedelta(days=1))["overdue"]
    assert [row["appeal"] for row in overdue["orders"]] == [order.appeal.code]
