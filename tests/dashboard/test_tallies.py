"""The dashboard's counters from a constructed month whose figures are stated by hand (see conftest)."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command

from tests.appeals.factories import new_appeal
from tests.supervision.clock import at, frozen
from yousu.appeals.services import appeal_set_item
from yousu.reports.models import Tally, TallyMark
from yousu.reports.summary import period_of, summary
from yousu.reports.tallies import tally_events
from yousu.supervision.jobs import PERIODIC_HOOKS, run_periodic

from .conftest import LATER, NOW, build_month

TODAY = dt.date(2026, 11, 20)


def read(person, key="month", district=None, start=None, end=None):
    with frozen(NOW):
        return summary(person, period=period_of(key, TODAY, start, end), district=district, now=NOW)


def counters() -> dict:
    """Every counter row that is not all zeros (a move of an item can leave a row at zero)."""
    return {
        (row.grain, row.period, row.district, row.dim, row.key): (
            row.received,
            row.settled,
            row.answered,
            row.completed,
        )
        for row in Tally.objects.all()
        if any((row.received, row.settled, row.answered, row.completed))
    }


def test_the_month_counted_by_hand(world, month, leader):
    tally_events(now=LATER)
    figures = read(leader)
    # Received in November: a1–a6 (a7 was received in October). Settled now: a2 (completed) and a4
    # (answered at intake); a3 was reopened by its callback, a6 follows the open a1.
    assert figures["totals"] == {
        "received": 6,
        "settled": 2,
        "completion_rate": round(2 / 6, 4),
        "answered_at_intake": 1,
        "answered_at_intake_rate": round(1 / 6, 4),
        # Settling transitions in November: a7 (11-03), a3 (11-12, before it was sent back), a2, a4.
        "completed": 4,
    }
    # Today (11-20): a1 and a4 received, a4 answered.
    assert figures["today"] == {"received": 2, "completed": 1}
    channels = {row["code"]: row["received"] for row in figures["by_channel"]}
    assert channels["hotline"] == 5 and channels["web"] == 1 and channels["media"] == 0
    assert figures["by_channel"][0]["code"] == "hotline"
    kinds = {row["code"]: row["received"] for row in figures["by_kind"]}
    assert (kinds["complaint"], kinds["inquiry"], kinds["praise"]) == (5, 1, 0)
    # a5 moved from 大气污染 to 楼院管理; a4 has no item and is in no category.
    assert figures["top_categories"] == [
        {"code": "D1-01", "name": "大气污染", "received": 4},
        {"code": "D2-01", "name": "楼院管理", "received": 1},
    ]
    assert [(h["category"]["code"], h["area"]["code"], h["received"]) for h in figures["hot_issues"]] == [
        ("D1-01", "C-E-1", 3),
        ("D1-01", "C-W-1", 1),
        ("D2-01", "C-E-1", 1),
    ]
    assert figures["hot_issues"][0]["area"]["name"] == "东一街道"
    assert figures["by_area"] == [
        {"code": "C-E", "name": "东区", "received": 4, "settled": 1},
        {"code": "C-W", "name": "西区", "received": 2, "settled": 1},
    ]
    assert figures["district"] is None
    assert figures["period"] == {"key": "month", "start": "2026-11-01", "end": "2026-11-30"}
    assert set(figures["definitions"]) == {
        "received",
        "settled",
        "completion_rate",
        "completed",
        "answered_at_intake",
        "answered_at_intake_rate",
        "knowledge_from_entries",
        "knowledge_helped_rate",
        "overdue",
        "detected_hot_issues",
        "today_received",
        "today_completed",
    }


def test_periods_and_the_district_filter(world, month, leader):
    tally_events(now=LATER)
    east = read(leader, district=world.areas.east)
    # East: a1, a2, a3, a5 received; a2 settled; completed a7, a3, a2 (a4 is in the west).
    assert east["totals"]["received"] == 4
    assert (east["totals"]["settled"], east["totals"]["completed"], east["totals"]["answered_at_intake"]) == (
        1,
        3,
        0,
    )
    assert east["district"] == {"code": "C-E", "name": "东区"}
    assert east["by_area"] == [{"code": "C-E-1", "name": "东一街道", "received": 4, "settled": 1}]
    assert east["today"] == {"received": 1, "completed": 0}
    assert [(h["category"]["code"], h["received"]) for h in east["hot_issues"]] == [
        ("D1-01", 3),
        ("D2-01", 1),
    ]

    today = read(leader, "today")["totals"]
    assert (today["received"], today["settled"], today["completed"]) == (2, 1, 1)
    week = read(leader, "7d")["totals"]  # 11-14 … 11-20: a1, a2, a4, a5, a6; completed a2 and a4
    assert (week["received"], week["settled"], week["completed"]) == (5, 2, 2)
    october = read(leader, "custom", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))["totals"]
    # a7 was received in October and is settled now; its completion happened in November.
    assert (october["received"], october["settled"], october["completed"]) == (1, 1, 0)
    year = read(leader, "year")["totals"]
    assert (year["received"], year["settled"], year["answered_at_intake"], year["completed"]) == (7, 3, 1, 4)
    # Part of October and part of November: day rows at both ends, no whole month.
    span = read(leader, "custom", start=dt.date(2026, 10, 20), end=dt.date(2026, 11, 12))["totals"]
    assert (span["received"], span["settled"], span["completed"]) == (2, 1, 2)  # a7, a3; a7 and a3 completed


def test_the_live_part_equals_the_counted_figures(world, month, leader):
    before = read(leader)
    assert TallyMark.objects.filter(event_id__gt=0).count() == 0
    tally_events(now=LATER)
    assert TallyMark.objects.get(pk=1).event_id > 0
    after = read(leader)
    assert before == after
    assert after["totals"]["received"] == 6


def test_the_consumer_run_twice_counts_once(world, month, leader):
    first = tally_events(now=LATER)
    rows = counters()
    again = tally_events(now=LATER)
    assert first["events"] > 0 and again["events"] == 0
    assert counters() == rows
    assert read(leader)["totals"]["received"] == 6


def test_events_younger_than_the_horizon_wait_but_are_shown(world, leader, settings):
    settings.YOUSU_TALLY_HORIZON_SECONDS = 600
    with frozen(at(2026, 11, 19, 9, 0)):
        new_appeal(world)
    with frozen(at(2026, 11, 20, 10, 0)):
        new_appeal(world)
    # Five minutes after the second appeal only the first one's event is old enough to be counted.
    result = tally_events(now=at(2026, 11, 20, 10, 5))
    assert result["events"] == 1
    assert Tally.objects.filter(grain="day", period=TODAY).count() == 0
    assert Tally.objects.get(grain="day", period=dt.date(2026, 11, 19), dim="all").received == 1
    # The dashboard shows the waiting one all the same.
    assert read(leader, "today")["totals"]["received"] == 1
    assert read(leader, "7d")["totals"]["received"] == 2
    assert tally_events(now=at(2026, 11, 20, 10, 10))["events"] == 1
    assert Tally.objects.get(grain="day", period=TODAY, dim="all").received == 1
    assert read(leader, "7d")["totals"]["received"] == 2


def test_rebuild_equals_incremental_with_an_item_change_between_runs(world, leader):
    month = build_month(world)
    tally_events(now=LATER)
    # a2's item changes after its received and completed events were counted: both must move.
    with frozen(at(2026, 11, 20, 12, 0)):
        appeal_set_item(appeal=month.a2, item=world.items.hallway, by=world.people.dispatcher)
        appeal_set_item(appeal=month.a2, item=world.items.parking, by=world.people.dispatcher)
    tally_events(now=LATER)
    incremental = counters()
    call_command("tally", "--rebuild", verbosity=0)
    assert counters() == incremental
    figures = read(leader)
    assert {row["code"]: row["received"] for row in figures["top_categories"]} == {"D1-01": 3, "D2-01": 2}
    # The category moved with a2's cohort counters: 楼院管理 holds a5 and the settled a2.
    east_d2 = Tally.objects.get(
        grain="month", period=dt.date(2026, 11, 1), dim="category", key="D2-01", district=world.areas.east.pk
    )
    assert (east_d2.received, east_d2.settled) == (2, 1)


def test_rebuild_reports_its_counts(world, month, capsys):
    call_command("tally", "--rebuild")
    out = capsys.readouterr().out
    assert "重算" in out and str(TallyMark.objects.get(pk=1).event_id) in out
    assert Tally.objects.filter(grain="month", dim="all").count() == 3  # Oct, Nov east; Nov west


def test_the_periodic_job_runs_the_consumer(world, month):
    from yousu.reports.tallies import tallies_periodic

    assert tallies_periodic in PERIODIC_HOOKS
    result = run_periodic(now=LATER)
    assert result["tallies_periodic"]["events"] > 0
    assert Tally.objects.filter(dim="all", grain="month", period=dt.date(2026, 11, 1)).exists()


def test_the_cached_counters_give_the_figures_read_afresh(world, month, leader, settings):
    settings.YOUSU_DASHBOARD_CACHE_SECONDS = 300
    tally_events(now=LATER)
    cached = [read(leader, key) for key in ("today", "7d", "month", "year")]
    assert cached == [read(leader, key) for key in ("today", "7d", "month", "year")]
    # Another appeal, counted by the consumer: the cached reading of the old counters is not reused.
    with frozen(at(2026, 11, 20, 12, 0)):
        new_appeal(world)
    tally_events(now=LATER)
    assert read(leader)["totals"]["received"] == 7
    settings.YOUSU_DASHBOARD_CACHE_SECONDS = 0
    assert read(leader)["totals"]["received"] == 7
    assert read(leader, "year")["totals"]["received"] == cached[3]["totals"]["received"] + 1
