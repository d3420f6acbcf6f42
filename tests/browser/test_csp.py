"""The pages under their Content-Security-Policy in a real browser: the header is there, the dashboard's
charts and tooltips, the language switch and the map work with it (the fixture fails a test on any
violation chromium reports), and markup that escaped the templates does not run."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.appeals.factories import new_appeal, staff

from ..security.xss import PAYLOADS
from .helpers import skip_without_chromium

skip_without_chromium()


def policy_of(page) -> dict[str, list[str]]:
    header = page.goto_response.headers.get("content-security-policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


@pytest.fixture
def leader(world, settings):
    settings.YOUSU_DASHBOARD_POLL_SECONDS = 3600
    return staff(world.units.platform, "lena", "leader")


def test_the_dashboard_draws_its_charts_and_tooltips_under_the_policy(open_as, world, leader):
    new_appeal(world)
    new_appeal(world, channel="web", kind="report", title="工地夜间扬尘")
    page = open_as(leader, "/dashboard/")
    policy = policy_of(page)
    assert policy["script-src"][0] == "'self'" and "'unsafe-inline'" not in policy["script-src"]
    assert policy["style-src"] == ["'self'"] and "'unsafe-eval'" not in policy["script-src"]
    expect(page.locator("#fig-today-received [data-value]")).to_have_text("2")
    # Each kind of tooltip the dashboard has (a pie's item, the bars' axis, the map's area), shown as a
    # pointer would show it: ECharts writes an HTML tooltip's markup with style attributes.
    for name, action in (
        ("channel", "{type: 'showTip', seriesIndex: 0, dataIndex: 0}"),
        ("categories", "{type: 'showTip', seriesIndex: 0, dataIndex: 0}"),
        ("map", "{type: 'showTip', seriesIndex: 0, name: 'C-E'}"),
    ):
        page.evaluate(
            f"echarts.getInstanceByDom(document.getElementById('chart-{name}')).dispatchAction({action})"
        )
        page.wait_for_timeout(300)
    # A tooltip is drawn in the chart itself, not as HTML the policy would strip of its styles.
    assert page.locator("#dashboard [style*='z-index: 9999999']").count() == 0


def test_the_language_switch_submits_itself_without_an_inline_handler(open_as, db):
    page = open_as(None, "/")
    assert "default-src" in policy_of(page)
    page.get_by_label("语言").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("body")).to_contain_text("Responsibility catalog")


def test_markup_that_escaped_the_templates_does_not_run(open_as, db):
    """The policy is the second wall: a payload pasted into a page as markup (as a template bug would)
    is refused, and chromium reports the refusal."""
    page = open_as(None, "/h5/")
    page.evaluate(f"document.body.insertAdjacentHTML('beforeend', {PAYLOADS[1]!r})")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert any("inline event handler" in text for text in page.csp_violations), page.csp_violations
    page.csp_violations.clear()  # expected here; the fixture fails any other test on one
