"""Stored XSS in a real browser: on the pages that show citizen text (the appeal's page, the dispatch
and unit desks, an order's page, the dashboard's hot issues, the citizen's progress page) no payload
of the corpus runs; each would set window.__xss."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from yousu.intelligence.hot_issues import hot_issues_periodic
from yousu.intelligence.models import HotIssue

from ..api.helpers import CITIZEN_PHONE, make_appeal
from ..browser.conftest import browser, open_as  # noqa: F401 -- the browser tests' fixtures
from ..browser.helpers import skip_without_chromium
from .conftest import east_order
from .xss import PAYLOADS

skip_without_chromium()

pytestmark = pytest.mark.django_db(transaction=True)

RAN = "window.__xss"


@pytest.fixture(autouse=True)
def no_policy(settings):
    """The templates' escaping is tested on its own: the Content-Security-Policy would stop most payloads
    even unescaped (tests/browser/test_csp.py proves that wall separately)."""
    settings.CONTENT_SECURITY_POLICY = None


def settle(page):
    """Wait until the page has loaded what it asks for: the load event waits for images too, so an
    img src=x has failed by then and its onerror would have run."""
    page.wait_for_load_state("load")
    return page


def test_the_browser_runs_a_payload_that_became_markup(open_as):  # noqa: F811
    """The check itself: markup of the corpus, once in the page, runs."""
    page = settle(open_as(None, "/h5/"))
    page.evaluate(f"document.body.insertAdjacentHTML('beforeend', {PAYLOADS[1]!r})")
    page.wait_for_function(f"{RAN} === 1")


def test_no_payload_runs_on_the_pages_that_show_citizen_text(open_as, scene, settings):  # noqa: F811
    settings.YOUSU_DASHBOARD_POLL_SECONDS = 3600
    world, people = scene.world, scene.world.people
    # Four payloads to an appeal: title, content, the citizen's name and the address.
    groups = [PAYLOADS[n : n + 4] for n in range(0, len(PAYLOADS), 4)]
    texts = [
        dict(zip(("title", "content", "citizen_name", "address"), group, strict=False)) for group in groups
    ]
    orders = [east_order(world, **fields) for fields in texts]
    for fields in texts:  # and the same still to dispatch, for the dispatch desk's queue
        make_appeal(world, **fields)
    hot_issues_periodic()
    # A hot issue is named by the words of citizens' appeals: here by a payload itself.
    assert HotIssue.objects.update(name=PAYLOADS[0]) >= 1

    pages = [
        open_as(people.dispatcher, "/dispatch/"),
        open_as(people.east_eco_handler, "/unit/"),
        open_as(people.admin, "/dashboard/"),
    ]
    expect(pages[2].locator("#detected-hot-issues tbody")).to_contain_text("window.__xss=1")
    for order in orders:
        pages.append(open_as(people.dispatcher, f"/dispatch/appeals/{order.appeal.code}/"))
        pages.append(open_as(people.east_eco_handler, f"/unit/orders/{order.pk}/"))
    citizen = open_as(None, "/h5/track/")
    for order in orders:
        citizen.goto("/h5/track/")
        citizen.get_by_label("诉求编号").fill(order.appeal.code)
        citizen.get_by_label("提交时留的手机号码").fill(CITIZEN_PHONE)
        citizen.get_by_role("button", name="查询").click()
        expect(citizen.locator("main")).to_contain_text(order.appeal.title)
        settle(citizen)
        assert citizen.evaluate(RAN) is None, order.appeal.title
    for page in pages:
        expect(page.locator("main")).to_contain_text("window.__xss=1")
        settle(page)
        assert page.evaluate(RAN) is None, page.url
