"""The start page for a signed-in person: their desks, what waits at each, counted from the same
selectors the desks use; nothing of the kind for a visitor."""

from __future__ import annotations

import re

from django.test import Client

from tests.appeals.factories import at_eco, new_appeal
from yousu.dispatch.choices import ReturnReason
from yousu.dispatch.services import appeal_dispatch, order_accept, order_return_request


def home(person) -> str:
    client = Client()
    client.force_login(person)
    answer = client.get("/")
    assert answer.status_code == 200
    return answer.content.decode()


def count(html: str, desk: str, label: str) -> int:
    card = re.search(rf'id="work-{desk}">(.*?)</div>', html, re.S).group(1)
    match = re.search(rf'<span class="n">(\d+)</span> <span class="label">{label}</span>', card)
    assert match, (desk, label)
    return int(match.group(1))


def test_an_operator_sees_today_s_intakes(world):
    new_appeal(world)
    new_appeal(world, kind="inquiry")
    html = home(world.people.operator)
    assert count(html, "intake-desk", "今日受理") == 2
    assert 'id="work-dispatch-desk"' not in html and 'id="work-unit-desk"' not in html


def test_a_dispatcher_sees_the_queue_and_what_waits_for_review(world):
    new_appeal(world)
    new_appeal(world)
    html = home(world.people.dispatcher)
    assert count(html, "dispatch-desk", "待派单") == 2
    assert count(html, "dispatch-desk", "待审核答复") == 0
    # The district platform's dispatcher: a return request from the bureau below waits for review.
    _city, eco = at_eco(world)
    order_return_request(
        order=eco,
        by=world.people.east_eco_handler,
        reason=ReturnReason.WRONG_AREA,
        explanation="不在本区",
        suggested_unit=world.units.west_eco,
        basis_item=world.items.fumes,
    )
    assert count(home(world.people.east_dispatcher), "dispatch-desk", "待审核退单") == 1


def test_a_handler_sees_orders_to_accept_and_in_hand(world):
    _city, first = at_eco(world)
    at_eco(world)
    order_accept(order=first, by=world.people.east_eco_handler)
    html = home(world.people.east_eco_handler)
    assert count(html, "unit-desk", "待签收") == 1
    assert count(html, "unit-desk", "办理中") == 1
    assert count(html, "unit-desk", "已超期") == 0
    assert 'href="/unit/"' in html


def test_a_supervisor_sees_the_watch_counts(world):
    appeal_dispatch(appeal=new_appeal(world), by=world.people.dispatcher)
    html = home(world.people.supervisor)
    assert count(html, "supervision-desk", "已超期") == 0
    assert 'id="work-dashboard"' in html


def test_a_visitor_sees_no_work_section(world):
    assert 'id="my-work-title"' not in Client().get("/").content.decode()
