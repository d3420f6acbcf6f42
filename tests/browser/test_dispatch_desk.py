"""The dispatcher desk in a real browser: a dispatcher opens an appeal from the queue, sees the
suggestion and dispatches it on the suggested unit; a district dispatcher approves a reply, confirming
its low score; the pages pass the accessibility smoke check on a desk screen and a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.appeals.factories import at_eco, new_appeal, reload
from tests.intelligence.test_suggestions import FUMES, examples
from yousu.appeals.choices import AppealStatus
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.services import order_accept, order_reply
from yousu.intelligence import services
from yousu.intelligence.models import DispatchSuggestion

from .helpers import audit, skip_without_chromium

skip_without_chromium()


@pytest.fixture
def model(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return services.model_train(examples=examples(), activate=True)


def test_a_dispatcher_dispatches_an_appeal_on_the_suggested_unit(open_as, world, model):
    appeal = new_appeal(world, item=None, title="饭店油烟", content=FUMES)
    page = open_as(world.people.dispatcher, "/dispatch/")
    assert page.goto_response.status == 200
    row = page.locator(f"#appeal-{appeal.code}")
    expect(row.locator(".suggested-item")).to_have_text("餐饮油烟污染")
    expect(row.locator(".suggested-unit")).to_contain_text("东区生态环境局")
    assert audit(page)["problems"] == []

    row.get_by_role("link", name=appeal.code).click()
    expect(page.locator("h1")).to_contain_text(appeal.code)
    suggestions = page.locator("#suggestions")
    expect(suggestions.locator("tbody tr").first).to_contain_text("餐饮油烟污染")
    expect(suggestions.locator("tbody tr").first).to_contain_text("%")
    assert audit(page)["problems"] == []
    suggestions.get_by_role("button", name="按此建议派给东区平台").click()

    expect(page.get_by_role("status")).to_have_text(f"已派单：{appeal.code} → 东区平台")
    expect(page).to_have_url(re.compile(r"/dispatch/$"))
    expect(page.locator(f"#appeal-{appeal.code}")).to_have_count(0)
    appeal = reload(appeal)
    assert appeal.status == AppealStatus.DISPATCHED
    assert appeal.orders.get().unit == world.units.east_platform
    assert DispatchSuggestion.objects.get(appeal=appeal).agreed is True


def test_a_district_dispatcher_approves_a_low_scored_reply_after_confirming(open_as, world, settings):
    settings.YOUSU_REPLY_REVIEW_LOW_SCORE = 60
    p = world.people
    _city, order = at_eco(world)
    order_accept(order=order, by=p.east_eco_handler)
    order_reply(order=order, by=p.east_eco_handler, text="已收悉。", result="solved")

    page = open_as(p.east_dispatcher, "/dispatch/", viewport=(390, 844))
    expect(page.locator("#count-replies .n")).to_have_text("1")
    page.locator("#count-replies").click()
    reply = page.locator(f"#reply-{order.pk}")
    expect(reply.locator(".total")).to_contain_text("低于 60 分")
    expect(reply.locator(".relevance")).to_have_text(re.compile(r"^\d+%$"))
    assert audit(page)["problems"] == []

    reply.get_by_role("button", name="同意办结").click()
    expect(page.locator("p.error")).to_contain_text("确认后才能办结")
    assert reload(order).status == OrderStatus.REPLIED

    reply = page.locator(f"#reply-{order.pk}")
    reply.get_by_label(re.compile("确认仍同意办结")).check()
    reply.get_by_role("button", name="同意办结").click()
    expect(page.get_by_role("status")).to_have_text(f"已审核办结：{order.appeal.code}")
    expect(page.locator(f"#reply-{order.pk}")).to_have_count(0)
    assert reload(order).status == OrderStatus.COMPLETED
