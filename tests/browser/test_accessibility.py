"""Every page, as the person it is for opens it, passes the accessibility smoke check (labels on form
controls, one h1 and no skipped heading level, names on buttons and links, alt text, contrast of the
zone and time-node colours) and asks no host but the platform (the fixture refuses and records any
other request, and fails the test on one or on a script error)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from tests.appeals.factories import at_eco, new_appeal
from tests.public.helpers import district_departments_run
from yousu.dispatch.services import order_accept
from yousu.grid.services import (
    daily_report_submit,
    grid_report_create,
    joint_meeting_record,
    problem_dispatch,
    problem_study,
)

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
    # 未诉先办: people of the grid fixture (worker, secretary, stationed) or of world.people.
    ("worker", "/grid/report/"),
    ("secretary", "/grid/daily/"),
    ("street_leader", "/grid/study/"),
    ("east_dispatcher", "/grid/district/"),
    ("east_dispatcher", "/grid/meetings/"),
    ("east_dispatcher", "/grid/meetings/new/"),
    ("east_dispatcher", "/grid/meetings/{meeting}/"),
    ("stationed", "/grid/stationed/"),
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


@pytest.fixture
def grid_scenario(grid):
    """Something on every grid desk: a problem to study, one sent up to the district, a grid report
    for the stationed staff, and a joint meeting with a decision."""
    w = grid.world
    u, p = w.units, w.people
    today = timezone.localdate()
    report = daily_report_submit(
        community=u.east_community,
        day=today,
        by=grid.secretary,
        problems=[
            {"text": "餐馆油烟直排", "kind": grid.pollution, "area": w.areas.grid},
            {"text": "楼道堆放杂物", "kind": grid.sanitation, "area": w.areas.grid, "address": "东一路 3 号"},
        ],
    )
    first, _second = report.problems.order_by("id")
    sent = problem_study(problem=first, by=p.street_leader, decision="send_up", reason="超出街道能力")
    grid_report_create(
        by=grid.worker, kind=grid.pollution, text="夜市油烟", mode="assisted", grid=w.areas.grid
    )
    dispatched = grid_report_create(
        by=grid.worker, kind=grid.pollution, text="烧烤油烟", mode="assisted", grid=w.areas.grid
    )
    problem_dispatch(problem=dispatched, by=p.east_dispatcher, units=[u.east_eco], mode="assisted")
    meeting = joint_meeting_record(
        by=p.east_dispatcher,
        convened_by=u.east_platform,
        held_on=today,
        title="油烟问题联席会议",
        attendees=[u.east_eco, u.east_street],
        minutes="街道组织商户整改",
        matters=[
            {
                "appeal": dispatched.appeal,
                "discussion": "未装净化器",
                "decisions": [
                    {
                        "kind": "order",
                        "text": "组织整改",
                        "owner": u.east_street,
                        "due": timezone.now() + dt.timedelta(days=3),
                    }
                ],
            }
        ],
    )
    return {"meeting": meeting.pk, "sent": sent.pk}


@pytest.mark.parametrize(("who", "path"), PAGES, ids=[f"{who or 'anonymous'}:{path}" for who, path in PAGES])
def test_the_page_passes_the_accessibility_smoke_check(open_as, world, scenario, request, who, path):
    values = dict(scenario)
    person = getattr(world.people, who, None) if who else None
    if path.startswith("/grid/"):
        values.update(request.getfixturevalue("grid_scenario"))
        person = person or getattr(request.getfixturevalue("grid"), who)
    page = open_as(person, path.format(**values))
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
        <span class="zone-yellow">黄</span>
        </body></html>"""
    )
    # Coloured from a script: the page's Content-Security-Policy refuses a style attribute in markup.
    page.locator(".zone-yellow").evaluate(
        "e => { e.style.background = '#fff4e5'; e.style.color = '#fdb022'; }"
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
