"""The assessment page (考评) and the grassroots-burden page (基层减负): definitions beside every rate,
ranks and zones by peer group, the burden headline on top, the run history with what changed, and
the burden table's order and totals (worked out by hand below from the rows the fixture writes)."""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.appeals.factories import new_appeal
from tests.evaluation.helpers import assess
from tests.public.helpers import MONTH, district_departments_run, result, run_of_month
from tests.public.helpers import burden as burden_row
from tests.supervision.clock import at, frozen
from yousu.catalog.services import delegation_exception_decide, delegation_exception_request
from yousu.core.errors import PushDownRefused
from yousu.dispatch.choices import ReturnReason
from yousu.dispatch.services import appeal_dispatch, order_add_assist, order_forward, order_return_request
from yousu.evaluation import definitions
from yousu.org.services import unit_create

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")

pytestmark = pytest.mark.django_db


def page(client, person, path, **params):
    client.force_login(person)
    response = client.get(path, params)
    assert response.status_code == 200
    return html_module.unescape(response.content.decode())


def header(html, code) -> str:
    match = re.search(rf'<th class="num" id="th-{code}">(.*?)</th>', html, re.S)
    assert match, code
    return match.group(1)


def row(html, unit_code) -> str:
    match = re.search(rf'<tr class="zone-\w*" id="unit-{re.escape(unit_code)}">(.*?)</tr>', html, re.S)
    assert match, unit_code
    return match.group(1)


def test_every_rate_has_its_definition_and_formula_beside_the_number(client, world):
    district_departments_run(world)
    html = page(client, world.people.supervisor, "/assessment/")
    for code, entry in definitions.RATES.items():
        cell = header(html, code)
        assert str(entry["name"]) in cell
        assert f'<span class="def">{entry["definition"]}</span>' in cell
        assert f'<span class="def">{entry["formula"]}</span>' in cell
    east = row(html, "C-E-eco")
    assert '<td class="num rate-response_rate">90.0%</td>' in east
    assert '<td class="num rate-on_time_rate">87.5%</td>' in east
    # A rate without a denominator this month is a dash, not 0%.
    assert '<td class="num rate-resolution_rate">—</td>' in row(html, "C-W-eco")
    assert str(definitions.SCORE["definition"]) in html and str(definitions.ZONE["definition"]) in html


def test_an_assessor_sees_every_unit_ranked_with_its_zone(client, world):
    district_departments_run(world)
    html = page(client, world.people.supervisor, "/assessment/")
    zones = re.findall(r'<tr class="zone-(\w*)" id="unit-([\w-]+)">', html)
    assert ("blue", "C-E-eco") in zones and ("red", "C-W-market") in zones
    assert "4 / 4" in row(html, "C-W-market") and "红区" in row(html, "C-W-market")
    # The platform's figures are listed but it is not ranked.
    assert re.search(r'<tr class="zone-" id="unit-C-E-P">', html)


def test_a_unit_sees_its_own_row_and_only_the_ranking_of_its_peers(client, world):
    district_departments_run(world)
    html = page(client, world.people.east_market_handler, "/assessment/")
    assert "C-E-market" in html and "unit-C-W-market" not in html
    assert "20.0%" not in html  # the west market bureau's response rate
    peers = re.search(r'<table id="peers">(.*?)</table>', html, re.S).group(1)
    assert [name for name in re.findall(r"<td>(?:<strong>)?([^<]+?)(?:</strong>)?</td>", peers)] == [
        "东区生态环境局",
        "西区生态环境局",
        "东区市场监督管理局",
        "西区市场监督管理局",
    ]
    assert "版本比较仅对领导、督办员和系统管理员显示" in html


def test_the_burden_headline_comes_first_on_the_assessment_page(client, world):
    district_departments_run(world)
    html = page(client, world.people.supervisor, "/assessment/")
    assert html.index('id="burden-headline"') < html.index("各单位三率、得分与排名")
    top = html[html.index('id="burden-headline"') : html.index("</section>")]
    assert re.search(r'id="burden-hours_saved"><div class="n">28.5<', top)
    assert re.search(r'id="burden-pushdowns_refused"><div class="n">3<', top)
    assert re.search(r'id="burden-access_list_refused"><div class="n">3<', top)


def test_versions_are_chosen_and_the_history_says_what_changed(client, world):
    first = run_of_month(MONTH, version=1, is_current=False)
    result(first, world.units.east_eco, received=10, score=91.5, rank=1, peers=1, zone="blue")
    result(first, world.units.west_eco, received=3, score=50.0, rank=2, peers=2, zone="red")
    second = run_of_month(MONTH, version=2, note="补录回访后重算")
    result(
        second, world.units.east_eco, received=10, score=88.0, rank=1, peers=1, zone="blue", response_rate=0.5
    )
    result(second, world.units.west_eco, received=3, score=50.0, rank=2, peers=2, zone="red")
    html = page(client, world.people.supervisor, "/assessment/")
    assert "2026-10 v2" in html and "补录回访后重算" in html
    latest = re.search(r'<tr id="version-2">(.*?)</tr>', html, re.S).group(1)
    assert (
        "1 个单位有变化" in latest
        and "东区生态环境局" in latest
        and "综合得分 91.5 → 88" in latest
        and "响应率 — → 50.0%" in latest
    )
    assert "西区生态环境局" not in latest
    assert "首个版本" in re.search(r'<tr id="version-1">(.*?)</tr>', html, re.S).group(1)
    old = page(client, world.people.supervisor, "/assessment/", month="2026-10", version="1")
    assert "2026-10 v1" in old and "这不是当前版本" in old and "91.5" in row(old, "C-E-eco")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"month": "2026/10"}, "月份格式应为 YYYY-MM"),
        ({"month": "2026-10", "version": "x"}, "版本号应为正整数"),
        ({"month": "2026-10", "version": "9"}, "2026-10 没有第 9 版"),
        ({"month": "2025-01"}, "2025-01 没有考评结果"),
    ],
)
def test_a_bad_month_or_version_is_a_message(client, world, params, message):
    district_departments_run(world)
    html = page(client, world.people.supervisor, "/assessment/", **params)
    assert message in html and "2026-10 v1" in html


def test_the_pages_need_a_login(client, world):
    for path in ("/assessment/", "/assessment/burden/"):
        assert client.get(path).status_code == 302


def burden_rows(html) -> list[tuple[str, list[str]]]:
    body = re.search(r'<table id="burden">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [
        (code, re.findall(r'<td class="num">([^<]*)</td>', cells))
        for code, cells in re.findall(r'<tr id="unit-([\w-]+)">(.*?)</tr>', body, re.S)
    ]


def test_burden_table_most_burdened_first_with_totals_and_definitions(client, world):
    district_departments_run(world)
    html = page(client, world.people.supervisor, "/assessment/burden/")
    rows = burden_rows(html)
    # By work the catalog gives to others: east community 5, east street 3, west community 1, west street 0.
    assert [code for code, _ in rows] == ["C-E-1-1", "C-E-1", "C-W-1-1", "C-W-1"]
    assert rows[0][1] == ["9", "5", "1", "1", "0", "0", "0", "2", "0", "0", "12.5"]
    totals = re.findall(
        r'<td class="num">([^<]*)</td>', re.search(r'<tr id="totals">(.*?)</tr>', html, re.S).group(1)
    )
    # received 7+9+2+1, elsewhere 3+5+0+1, refused 2+1, by rule 1+1, whistles 2, due 4, on time 3,
    # access list 1+2, no refused forwards or delegations, hours 12+12.5+4.
    assert totals == ["19", "9", "3", "2", "2", "4", "3", "3", "0", "0", "28.5"]
    for code, entry in definitions.BURDEN.items():
        cell = header(html, code)
        assert str(entry["name"]) in cell and f'<span class="def">{entry["definition"]}</span>' in cell
    for code in ("access_list_refused", "hours_saved"):
        assert '<span class="def">' in header(html, code)


def test_burden_sorted_by_a_chosen_column(client, world):
    district_departments_run(world)
    html = page(client, world.people.supervisor, "/assessment/burden/", sort="pushdowns_refused")
    assert [code for code, _ in burden_rows(html)][:2] == ["C-E-1", "C-E-1-1"]
    ignored = page(client, world.people.supervisor, "/assessment/burden/", sort="unit__name; drop")
    assert burden_rows(ignored)[0][0] == "C-E-1-1"


def test_a_street_leader_sees_the_burden_of_its_street_and_communities_only(client, world):
    district_departments_run(world)
    html = page(client, world.people.street_leader, "/assessment/burden/")
    assert [code for code, _ in burden_rows(html)] == ["C-E-1-1", "C-E-1"]
    totals = re.findall(
        r'<td class="num">([^<]*)</td>', re.search(r'<tr id="totals">(.*?)</tr>', html, re.S).group(1)
    )
    assert totals[:2] == ["16", "8"] and totals[-1] == "24.5"


def test_a_computed_month_shows_on_the_burden_assessment_and_public_pages(client, world):
    """From the services to the pages: two refused access-list violations against the community and a
    department's push-down onto the street refused by rule, at the default scheme's 4 hours each."""
    p, u = world.people, world.units
    with frozen(at(2026, 10, 13, 9, 0)):
        # The street may be given the fumes order by a catalog exception the city approved.
        delegation_exception_decide(
            exception=delegation_exception_request(
                item=world.items.fumes,
                area=world.areas.east_street,
                unit=u.east_street,
                reason="先请街道看看",
                by=p.east_dispatcher,
            ),
            by=p.dispatcher,
            approve=True,
            note="同意",
        )
        city = appeal_dispatch(appeal=new_appeal(world), by=p.dispatcher)
        at_street = order_forward(order=city, by=p.east_dispatcher, unit=u.east_street, reason="先请街道看看")
        with pytest.raises(PushDownRefused):
            order_forward(order=at_street, by=p.street_leader, unit=u.east_community, reason="社区就近处理")
        with pytest.raises(PushDownRefused):
            order_add_assist(order=at_street, by=p.street_leader, unit=u.east_community)
        eco = order_forward(
            order=appeal_dispatch(appeal=new_appeal(world), by=p.dispatcher), by=p.east_dispatcher
        )
        order_return_request(
            order=eco,
            by=p.east_eco_handler,
            reason=ReturnReason.NOT_OUR_DUTY,
            explanation="应由街道处理",
            suggested_unit=u.east_street,
            basis_item=world.items.fumes,
        )
    assess(MONTH)
    burden_html = page(client, world.people.supervisor, "/assessment/burden/")
    totals = re.findall(
        r'<td class="num">([^<]*)</td>', re.search(r'<tr id="totals">(.*?)</tr>', burden_html, re.S).group(1)
    )
    # Hours: street 1 refused push-down × 4 + community 2 refused violations × 4.
    assert (totals[2], totals[7], totals[10]) == ("1", "2", "12")
    assert (
        burden_rows(burden_html)[0][0] == "C-E-1"
    )  # the street received the order the catalog gives elsewhere
    assessment_html = page(client, world.people.supervisor, "/assessment/")
    assert re.search(r'id="burden-hours_saved"><div class="n">12<', assessment_html)
    client.logout()
    public_html = html_module.unescape(client.get("/public/").content.decode())
    assert re.search(r'id="burden-access_list_refused"><div class="n">2<', public_html)
    assert re.search(r'id="burden-pushdowns_refused"><div class="n">1<', public_html)


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_the_pages_read_the_same_number_of_queries_for_more_units(client, world):
    """No query per row: adding units and their figures leaves each page's query count unchanged."""
    run = district_departments_run(world)
    client.force_login(world.people.supervisor)
    paths = ("/assessment/", "/assessment/burden/", "/public/")
    before = {path: queries_for(client, path) for path in paths}
    for n in range(5):
        department = unit_create(
            code=f"C-E-extra{n}",
            name=f"东区附加局{n}",
            kind="department",
            level="district",
            area=world.areas.east,
            parent=world.units.east_platform,
            sector=world.sectors.water,
        )
        result(run, department, received=1, score=60.0 + n, rank=5 + n, peers=9, zone="yellow")
        community = unit_create(
            code=f"C-E-1-x{n}",
            name=f"东一附加社区{n}",
            kind="community",
            level="community",
            area=world.areas.east_community,
            parent=world.units.east_street,
        )
        burden_row(run, community, received=n, assigned_elsewhere=n)
    after = {path: queries_for(client, path) for path in paths}
    assert after == before
