"""Every page, as the person it is for opens it, passes the accessibility smoke check (labels on form
controls, one h1 and no skipped heading level, names on buttons and links, alt text, contrast of the
zone and time-node colours) and asks no host but the platform (the fixture refuses and records any
other request, and fails the test on one or on a script error)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from tests.appeals.factories import at_eco, new_appeal
from tests.public.helpers import district_departments_run
from yousu.dispatch.services import order_accept

from .helpers import audit, skip_without_chromium

skip_without_chromium()

# (who, path): who is an attribute of world.people, or None for an anonymous visitor. Paths with
# {order} or {appeal} take the scenario's order and appeal.
PAGES = [
    (None, "/"),
    (None, "/accounts/login/"),
    (None, "/catalog/"),
    (None, "/catalog/lookup/"),
    (None, "/catalog/access-list/"),
    (None, "/public/"),
    (None, "/public/cases/"),
    (None, "/h5/"),
    (None, "/h5/submit/"),
    (None, "/h5/track/"),
    ("operator", "/intake/"),
    ("operator", "/inbox/"),
    ("operator", "/callbacks/desk/"),
    ("dispatcher", "/dispatch/"),
    ("dispatcher", "/dispatch/appeals/{waiting}/"),
    ("east_dispatcher", "/dispatch/reviews/replies/"),
    ("east_dispatcher", "/dispatch/reviews/returns/"),
    ("east_dispatcher", "/dispatch/reviews/extensions/"),
    ("east_dispatcher", "/dispatch/reviews/consultations/"),
    ("east_eco_handler", "/"),
    ("east_eco_handler", "/unit/"),
    ("east_eco_handler", "/unit/orders/{order}/"),
    ("east_eco_handler", "/unit/whistles/"),
    ("street_leader", "/unit/"),
    ("east_community_handler", "/unit/"),
    ("supervisor", "/"),
    ("supervisor", "/supervision/"),
    ("supervisor", "/dashboard/"),
    ("supervisor", "/assessment/"),
    ("supervisor", "/assessment/burden/"),
    ("supervisor", "/reports/"),
    ("supervisor", "/reports/daily/"),
    ("supervisor", "/reports/monthly/?month=2026-10"),
    ("supervisor", "/reports/unit/?month=2026-10&unit=C-E-eco"),
]


@pytest.fixture
def scenario(world):
    """Something on every page: an assessed month with zones, an order being handled, one waiting."""
    # The default scheme comes from a data migration that a live-server test's flush removes.
    importlib.import_module("yousu.evaluation.migrations.0002_default_scheme").create_default_scheme(
        django_apps, None
    )
    district_departments_run(world)
    waiting = new_appeal(world, title="等待派单的诉求")
    _city, eco = at_eco(world)
    order_accept(order=eco, by=world.people.east_eco_handler)
    return {"order": eco.pk, "appeal": eco.appeal.code, "waiting": waiting.code}


@pytest.mark.parametrize(("who", "path"), PAGES, ids=[f"{who or 'anonymous'}:{path}" for who, path in PAGES])
def test_the_page_passes_the_accessibility_smoke_check(open_as, world, scenario, who, path):
    person = getattr(world.people, who) if who else None
    page = open_as(person, path.format(**scenario))
    assert page.goto_response.status == 200
    page.wait_for_load_state("networkidle")
    found = audit(page)
    assert found["problems"] == []


def test_the_zone_colours_are_checked_where_they_are_shown(open_as, world, scenario):
    # The check above only means something if it found the coloured labels: the assessment shows
    # a zone for every ranked unit.
    page = open_as(world.people.supervisor, "/assessment/")
    assert audit(page)["coloured_checked"] >= 4


def test_the_check_finds_each_kind_of_problem(open_as, world):
    # The check must be able to fail: a page with one of each problem it looks for.
    page = open_as(None, "/")
    page.set_content(
        """<html><head><title>x</title></head><body>
        <h1>一</h1><h1>二</h1><h4>跳级</h4>
        <input name="phone"><button></button><img src="/static/x.png">
        <span class="zone-yellow" style="background:#fff4e5;color:#fdb022">黄</span>
        </body></html>"""
    )
    problems = "\n".join(audit(page)["problems"])
    for expected in (
        "<html> has no lang",
        "2 visible h1",
        "heading jumps from h1 to h4",
        'form control without a label: <input name="phone">',
        "<button> without a name",
        "image without alt",
        "contrast 1.",
    ):
        assert expected in problems
