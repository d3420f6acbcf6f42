"""The assessment API: leaders, supervisors and administrators see every unit; a unit sees its own
row and its peers' ranking, and may not compare versions."""

import datetime as dt

import pytest

from tests.api.helpers import Api, assert_refused
from tests.appeals.factories import at_eco, at_market
from tests.supervision.clock import at, frozen
from yousu.dispatch.services import criticism_notice_issue, order_accept

from .helpers import assess

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture
def two_versions(world):
    with frozen(at(2026, 10, 12, 9, 0)):
        order_accept(order=at_eco(world)[1], by=world.people.east_eco_handler)
        at_market(world)
    assess(OCTOBER)
    with frozen(at(2026, 10, 20, 9, 0)):
        criticism_notice_issue(unit=world.units.east_market, reason="不签收", by=world.people.supervisor)
    assess(OCTOBER, note="补录通报")
    return world


def test_a_supervisor_sees_every_unit_the_definitions_and_the_changes(api, two_versions):
    world = two_versions
    sam = world.people.supervisor
    runs = api.get("/api/v1/assessments/", sam)
    assert runs.status == 200
    assert [(run["month"], run["version"], run["is_current"]) for run in runs.body["results"]] == [
        ("2026-10", 2, True),
        ("2026-10", 1, False),
    ]
    month = api.get("/api/v1/assessments/2026-10/", sam)
    assert month.status == 200 and month.body["run"]["version"] == 2
    units = {row["unit"]: row for row in month.body["results"]}
    assert {"C-E-eco", "C-E-market", "C-W-eco", "C-E-1", "C-E-1-1"} <= set(units)
    assert units["C-E-eco"]["response_rate"] == 1.0 and units["C-E-market"]["criticism_notices"] == 1
    rates = month.body["definitions"]["rates"]
    assert rates["response_rate"]["name"] == "响应率" and rates["satisfaction_rate"]["formula"]
    burden = api.get("/api/v1/assessments/2026-10/burden/", sam)
    assert burden.status == 200 and {"C-E-1", "C-E-1-1"} <= {row["unit"] for row in burden.body["results"]}
    changes = api.get("/api/v1/assessments/2026-10/changes/?from=1&to=2", sam)
    assert changes.status == 200
    assert [entry["unit"] for entry in changes.body["units"]] == ["C-E-market"]
    assert changes.body["units"][0]["changes"]["criticism_notices"] == [0, 1]


def test_a_unit_sees_its_own_row_and_its_peers_ranking_only(api, two_versions):
    world = two_versions
    bob = world.people.east_market_handler
    month = api.get("/api/v1/assessments/2026-10/", bob)
    assert month.status == 200
    assert [row["unit"] for row in month.body["results"]] == ["C-E-market"]
    peers = month.body["peers"]
    assert (peers[0]["unit"], peers[0]["rank"]) == ("C-E-eco", 1)
    assert "C-E-market" in {row["unit"] for row in peers}
    assert all("received" not in row for row in peers)  # the ranking, not the peers' figures
    assert_refused(api.get("/api/v1/assessments/2026-10/changes/?from=1&to=2", bob), (403,))
    burden = api.get("/api/v1/assessments/2026-10/burden/", bob)
    assert burden.status == 200 and burden.body["results"] == []


def test_a_bad_or_missing_month(api, world):
    sam = world.people.supervisor
    assert api.get("/api/v1/assessments/2026-13/", sam).status == 400
    assert api.get("/api/v1/assessments/2026-09/", sam).status == 404
    assert api.get("/api/v1/assessments/2026-10/").status in (401, 403)
