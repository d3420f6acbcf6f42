"""The leader's dashboard in a real browser: figures that update without reload, charts and a map with
data, the district filter, the error state of a failed poll, two screen sizes, and a refused clerk."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from tests.appeals.factories import at_eco, at_market, new_appeal, staff
from tests.conftest import box
from tests.evaluation.helpers import assess
from tests.supervision.clock import at, frozen
from yousu.dispatch.services import order_accept
from yousu.org.services import area_create

from .helpers import skip_without_chromium

skip_without_chromium()

TODAY_RECEIVED = "#fig-today-received [data-value]"


@pytest.fixture
def leader(world, settings):
    # A short poll so a new appeal shows within the test; the page reads the interval from the settings.
    settings.YOUSU_DASHBOARD_POLL_SECONDS = 1
    return staff(world.units.platform, "lena", "leader")


def chart_data(page, name: str):
    """The data of the first series of an ECharts instance, as the page drew it."""
    return page.evaluate(
        "name => echarts.getInstanceByDom(document.getElementById('chart-' + name)).getOption().series[0].data",
        name,
    )


def test_a_leader_sees_the_figures_and_a_new_appeal_arrives_without_reload(open_as, world, leader):
    new_appeal(world)
    page = open_as(leader, "/dashboard/")
    assert page.goto_response.status == 200
    expect(page.locator(TODAY_RECEIVED)).to_have_text("1")
    expect(page.locator("#fig-received [data-value]")).to_have_text("1")
    expect(page.locator("#updated")).to_have_text(re.compile(r"^更新于 \d\d:\d\d:\d\d$"))
    # Each number shows its definition, as the summary states it.
    definitions = page.evaluate("document.getElementById('dashboard').lastSummary().definitions")
    expect(page.locator("#fig-received .definition")).to_have_text(definitions["received"])
    expect(page.locator("#fig-completion-rate .definition")).to_have_text(definitions["completion_rate"])
    # Today's figures say they are today's, whatever the period.
    expect(page.locator("#fig-today-received .definition")).to_have_text(definitions["today_received"])
    assert definitions["received"]

    # A mark on the window survives only if the page is never reloaded.
    page.evaluate("window.notReloaded = true")
    new_appeal(world, title="又一家餐馆油烟扰民")
    expect(page.locator(TODAY_RECEIVED)).to_have_text("2")
    expect(page.locator("#fig-received [data-value]")).to_have_text("2")
    assert page.evaluate("window.notReloaded") is True
    assert page.foreign_requests == [] and page.console_errors == []


def test_the_charts_and_the_map_are_drawn_with_the_figures(open_as, world, leader):
    new_appeal(world)
    new_appeal(world, channel="web", kind="report", title="工地夜间扬尘")
    page = open_as(leader, "/dashboard/")
    expect(page.locator(TODAY_RECEIVED)).to_have_text("2")
    for name in ("channel", "kind", "categories", "hot", "map"):
        expect(page.locator(f"#chart-{name} canvas").first).to_be_visible()
    channels = {row["name"]: row["value"] for row in chart_data(page, "channel")}
    assert channels["12345 热线"] == 1 and channels["网站"] == 1
    kinds = {row["name"]: row["value"] for row in chart_data(page, "kind")}
    assert kinds["投诉"] == 1 and kinds["举报"] == 1
    assert chart_data(page, "categories") == [2]
    # The map joins the summary's areas with the served boundaries by code: both appeals are in the east.
    assert (
        page.evaluate(
            "echarts.getInstanceByDom(document.getElementById('chart-map')).getOption().series[0].map"
        )
        == "yousu-city"
    )
    by_code = {row["name"]: row["value"] for row in chart_data(page, "map")}
    assert by_code["C-E"] == 2 and by_code.get("C-W", 0) == 0
    expect(page.locator("#map-note")).to_be_hidden()
    assert page.foreign_requests == [] and page.console_errors == []


def test_the_district_filter_changes_the_figures_and_the_map(open_as, world, leader):
    west_street = area_create(
        code="C-W-2", name="西二街道", kind="street", parent=world.areas.west, boundary=box(100, 30, 101, 31)
    )
    new_appeal(world)
    new_appeal(world, title="东区第二件")
    new_appeal(world, area=west_street, title="西区一件")
    page = open_as(leader, "/dashboard/")
    expect(page.locator("#fig-received [data-value]")).to_have_text("3")

    page.select_option("#district", "C-W")
    expect(page.locator("#fig-received [data-value]")).to_have_text("1")
    expect(page.locator(TODAY_RECEIVED)).to_have_text("1")
    expect(page.locator("#scope")).to_have_text("西区")
    # The map now shows the district's streets that have a boundary.
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-map')).getOption().series[0].map"
        " === 'yousu-C-W'"
    )
    assert {row["name"]: row["value"] for row in chart_data(page, "map")}["C-W-2"] == 1

    expect(page.locator("#map-note")).to_be_hidden()

    # The east's only street has no boundary: the note says so and the figures are drawn as bars.
    page.select_option("#district", "C-E")
    expect(page.locator("#fig-received [data-value]")).to_have_text("2")
    expect(page.locator("#map-note")).to_be_visible()
    assert chart_data(page, "map") == [2]

    page.select_option("#district", "")
    expect(page.locator("#fig-received [data-value]")).to_have_text("3")
    expect(page.locator("#scope")).to_have_text("全市")
    expect(page.locator("#map-note")).to_be_hidden()


def test_periods_ask_the_summary_for_their_range(open_as, world, leader):
    new_appeal(world)
    page = open_as(leader, "/dashboard/")
    expect(page.locator("#fig-received [data-value]")).to_have_text("1")
    for period in ("7d", "month", "year"):
        with page.expect_response(lambda r, p=period: f"period={p}" in r.url and r.status == 200):
            page.click(f"[data-period='{period}']")
        expect(page.locator(f"[data-period='{period}']")).to_have_attribute("aria-pressed", "true")
        page.wait_for_function(
            "p => document.getElementById('dashboard').lastSummary().period.key === p", arg=period
        )
        expect(page.locator("#fig-received [data-value]")).to_have_text("1")


def test_a_failed_poll_keeps_the_last_figures_and_says_so(open_as, world, leader):
    new_appeal(world)
    page = open_as(leader, "/dashboard/")
    expect(page.locator(TODAY_RECEIVED)).to_have_text("1")
    # The server goes away: every poll now fails.
    page.route(
        "**/api/v1/dashboard/summary/**",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"error": {"code": "unavailable", "message": "服务暂不可用", "field": None}}),
        ),
    )
    expect(page.locator("#poll-error")).to_be_visible()
    expect(page.locator("#poll-error")).to_contain_text("服务暂不可用")
    expect(page.locator(TODAY_RECEIVED)).to_have_text("1")
    # It comes back: the error goes and new figures show.
    new_appeal(world, title="恢复后的一件")
    page.unroute("**/api/v1/dashboard/summary/**")
    expect(page.locator(TODAY_RECEIVED)).to_have_text("2")
    expect(page.locator("#poll-error")).to_be_hidden()


def test_custom_dates_that_end_before_they_start_show_the_summary_s_message(open_as, world, leader):
    new_appeal(world)
    page = open_as(leader, "/dashboard/")
    expect(page.locator("#fig-received [data-value]")).to_have_text("1")
    page.click("[data-period='custom']")
    expect(page.locator("#custom-dates")).to_be_visible()
    page.fill("#start", "2026-11-20")
    page.fill("#end", "2026-11-01")
    with page.expect_response(lambda r: "period=custom" in r.url and r.status == 400):
        page.click("#apply-dates")
    expect(page.locator("#poll-error")).to_be_visible()
    expect(page.locator("#fig-received [data-value]")).to_have_text("1")


@pytest.mark.parametrize("viewport", [(1920, 1080), (1366, 768)])
def test_the_dashboard_fits_a_wall_screen_and_a_laptop(open_as, world, leader, viewport):
    new_appeal(world)
    page = open_as(leader, "/dashboard/", viewport=viewport)
    expect(page.locator(TODAY_RECEIVED)).to_have_text("1")
    # Nothing runs off the side of the screen, and the headline figures are in the first screenful.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]
    for figure in page.locator(".figure").all():
        box_ = figure.bounding_box()
        assert box_["y"] + box_["height"] <= viewport[1]
    # Every chart has room to draw in.
    for name in ("channel", "kind", "categories", "hot", "map"):
        size = page.locator(f"#chart-{name}").bounding_box()
        assert size["width"] >= 250 and size["height"] >= 250


def test_a_unit_clerk_is_refused(open_as, world, leader):
    page = open_as(world.people.east_market_handler, "/dashboard/")
    assert page.goto_response.status == 403
    expect(page.locator("#refused")).to_contain_text("您无权查看数据看板")
    assert page.locator("#dashboard").count() == 0


def contrast(rgb_a: str, rgb_b: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(rgb: str) -> float:
        channels = [int(part) / 255 for part in re.findall(r"\d+", rgb)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture
def october(world):
    """Two orders dispatched in October 2026 and never answered (so overdue now), and October assessed."""
    # The default scheme comes from a data migration that a live-server test's flush removes.
    importlib.import_module("yousu.evaluation.migrations.0002_default_scheme").create_default_scheme(
        django_apps, None
    )
    with frozen(at(2026, 10, 12, 9, 0)):
        eco = at_eco(world)[1]
        order_accept(order=eco, by=world.people.east_eco_handler)
        market = at_market(world)[1]
    assess(dt.date(2026, 10, 1))
    return [eco, market]


def test_the_overdue_list_shows_the_most_overdue_open_orders(open_as, world, leader, october):
    page = open_as(leader, "/dashboard/")
    page.wait_for_function("() => document.getElementById('dashboard').lastSummary() !== null")
    overdue = page.evaluate("document.getElementById('dashboard').lastSummary().overdue")
    assert overdue["count"] >= 2
    expect(page.locator("#overdue-count")).to_have_text(str(overdue["count"]))
    codes = page.locator("#overdue tbody tr td:first-child").all_text_contents()
    assert codes == [order["appeal_code"] for order in overdue["orders"]]
    assert {october[0].appeal.code, october[1].appeal.code} <= set(codes)
    first = page.locator("#overdue tbody tr").first.locator("td")
    expect(first.nth(4)).to_have_text(f"{overdue['orders'][0]['overdue_hours']:.1f}")


@pytest.mark.usefixtures("small_sample")  # the october units have one or two orders each
def test_the_ranking_is_coloured_by_zone_with_a_legend_and_readable_colours(open_as, world, leader, october):
    page = open_as(leader, "/dashboard/", viewport=(1920, 1080))
    expect(page.locator("#ranking-title")).to_have_text(re.compile("2026-10"))
    ranking = page.evaluate("document.getElementById('dashboard').lastSummary().ranking")
    assert ranking["rows"], "the assessed month ranks the units that had orders"
    rows = page.locator("#ranking tbody tr")
    expect(rows).to_have_count(len(ranking["rows"]))
    words = {"red": "红区", "yellow": "黄区", "blue": "蓝区"}
    for n, expected in enumerate(ranking["rows"]):
        row = rows.nth(n)
        expect(row).to_have_class(f"zone-row-{expected['zone']}")
        expect(row.locator("td").nth(2)).to_have_text(expected["unit"]["name"])
        expect(row.locator(".zone")).to_have_text(words[expected["zone"]])
    # The legend names every zone, and each zone's word is readable on its colour (WCAG AA, 4.5:1).
    legend = page.locator(".zone-legend .zone")
    expect(legend).to_have_text(["红区", "黄区", "蓝区"])
    for n in range(3):
        colours = legend.nth(n).evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
        )
        assert contrast(*colours) >= 4.5, colours


def test_the_page_passes_an_accessibility_smoke_check(open_as, world, leader):
    page = open_as(leader, "/dashboard/")
    expect(page.locator(TODAY_RECEIVED)).to_have_text("0")
    problems = page.evaluate(
        """() => {
          const found = [];
          if (!document.documentElement.lang) found.push('html without lang');
          if (document.querySelectorAll('main h1').length !== 1) found.push('not one h1');
          for (const field of document.querySelectorAll('main input, main select')) {
            if (field.type !== 'hidden' && !field.labels.length && !field.getAttribute('aria-label')) {
              found.push('unlabelled ' + (field.id || field.name));
            }
          }
          for (const button of document.querySelectorAll('main button')) {
            if (!button.textContent.trim()) found.push('button without text');
          }
          for (const chart of document.querySelectorAll('.chart')) {
            if (chart.getAttribute('role') !== 'img' || !chart.getAttribute('aria-label')) found.push('chart ' + chart.id);
          }
          for (const panel of document.querySelectorAll('.panel')) {
            if (!panel.querySelector('h2')) found.push('panel without heading');
          }
          return found;
        }"""
    )
    assert problems == []


def test_the_filters_live_in_the_address_so_a_screen_can_be_bookmarked(open_as, world, leader):
    new_appeal(world)
    new_appeal(world, area=world.areas.west_community, title="西区一件")
    page = open_as(leader, "/dashboard/?period=month&district=C-W")
    expect(page.locator("#fig-received [data-value]")).to_have_text("1")
    expect(page.locator("#scope")).to_have_text("西区")
    expect(page.locator("[data-period='month']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#district")).to_have_value("C-W")
    page.select_option("#district", "")
    expect(page.locator("#fig-received [data-value]")).to_have_text("2")
    assert page.url.endswith("/dashboard/?period=month")
    # Values the page does not offer leave the defaults rather than an error.
    page = open_as(leader, "/dashboard/?period=decade&district=NOPE")
    expect(page.locator("#fig-received [data-value]")).to_have_text("2")
    expect(page.locator("[data-period='today']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#poll-error")).to_be_hidden()


def test_the_detected_hot_issues_are_listed_by_heat(open_as, world, leader):
    from yousu.intelligence.hot_issues import hot_issues_periodic

    page = open_as(leader, "/dashboard/")
    expect(page.locator("#detected-hot-issues tbody")).to_have_text("近期没有热点问题。")
    for _ in range(3):
        new_appeal(world)
    hot_issues_periodic()
    # The next poll brings it, without a reload.
    row = page.locator("#detected-hot-issues tbody tr").first.locator("td")
    expect(row.nth(2)).to_have_text("3")
    shown = page.evaluate("document.getElementById('dashboard').lastSummary().detected_hot_issues")
    expect(row.nth(0)).to_have_text(shown[0]["name"])
    expect(row.nth(1)).to_have_text(world.areas.grid.name)
    assert "油烟" in shown[0]["name"]
    expect(page.locator("[data-definition=detected_hot_issues]")).not_to_be_empty()
    assert page.console_errors == []
