"""One appeal from the call to the citizen's rating, every step through the pages in chromium: the
operator takes the call at the workbench and adopts the suggestion; the city dispatcher dispatches it
on the suggested unit (three-level dispatch: to the district platform, which passes it on to the
bureau the suggestion names); the bureau signs for it and replies; the district dispatcher approves
the reply; the citizen, on a 390×844 phone, tracks it by code and phone and rates it; the leader's
dashboard draws its charts with the appeal in them. Each step is checked in the database as well
as on the page; the fixtures fail the test on any request to another host or script error and leave
screenshots when it fails."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.appeals.factories import reload, staff
from tests.intelligence.test_suggestions import FUMES, examples
from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal
from yousu.callbacks.models import Callback
from yousu.dispatch.choices import OrderStatus
from yousu.intelligence import services
from yousu.intelligence.models import DispatchSuggestion

from .helpers import audit, skip_without_chromium
from .test_dashboard import chart_data

skip_without_chromium()

PHONE = "13987654321"


@pytest.fixture
def model(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return services.model_train(examples=examples(), activate=True)


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()  # the citizen portal's rate limits count in the cache
    yield
    cache.clear()


def accessible(page) -> None:
    page.wait_for_load_state()  # a click's navigation finished: the new page is the one checked
    assert audit(page)["problems"] == []


def test_an_appeal_goes_from_the_call_to_the_citizen_s_rating(open_as, world, model):
    p = world.people

    # 接: the operator types the call; the aids suggest the item, its unit and the place.
    page = open_as(p.operator, "/intake/")
    expect(page.locator("#id_kind")).to_be_focused()
    page.get_by_label("诉求类型").select_option("complaint")
    page.get_by_label("回访电话").fill(PHONE)
    page.locator("#id_title").fill("饭店油烟")
    page.get_by_label("诉求内容").fill(FUMES)
    page.locator("#id_address").fill("东一社区")
    aids = page.locator("#intake-aids")
    expect(aids.locator(".suggestions li").first).to_contain_text("餐饮油烟污染")
    expect(aids.locator('button[data-adopt-area="C-E-1-1"]')).to_be_visible()
    expect(aids.locator(".suggestions li").first).to_contain_text("东区生态环境局")
    accessible(page)
    page.keyboard.press("Alt+1")
    page.keyboard.press("Alt+P")
    expect(page.locator("#id_item")).to_have_value(world.items.fumes.code)
    expect(page.locator("#id_area")).to_have_value("C-E-1-1")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status")).to_contain_text("已受理")
    appeal = Appeal.objects.get()
    expect(page.locator("#done-title")).to_have_text(f"诉求编号 {appeal.code}")
    assert (appeal.status, appeal.item, appeal.area) == (
        AppealStatus.RECEIVED,
        world.items.fumes,
        world.areas.east_community,
    )
    accessible(page)

    # 派: the city dispatcher dispatches on the suggestion (the next hop is the district platform).
    page = open_as(p.dispatcher, "/dispatch/")
    row = page.locator(f"#appeal-{appeal.code}")
    expect(row.locator(".suggested-unit")).to_contain_text("东区生态环境局")
    row.get_by_role("link", name=appeal.code).click()
    expect(page.locator("h1")).to_contain_text(appeal.code)
    accessible(page)
    page.locator("#suggestions").get_by_role("button", name="按此建议派给东区平台").click()
    expect(page.get_by_role("status")).to_have_text(f"已派单：{appeal.code} → 东区平台")
    assert DispatchSuggestion.objects.get(appeal=appeal).agreed is True

    # The district platform passes it on to the bureau the suggestion names.
    page = open_as(p.east_dispatcher, "/dispatch/")
    page.locator(f"#appeal-{appeal.code}").get_by_role("link", name=appeal.code).click()
    page.locator("#suggestions").get_by_role("button", name="按此建议转派东区生态环境局").click()
    expect(page.get_by_role("status")).to_contain_text(appeal.code)
    order = appeal.orders.get(unit=world.units.east_eco)
    assert order.status == OrderStatus.DISPATCHED

    # 办: the bureau signs for it and replies.
    page = open_as(p.east_eco_handler, "/unit/")
    queued = page.locator(f'#queue tr[data-order="{order.pk}"]')
    expect(queued.locator(".countdown")).to_have_class(re.compile(r"\bnode-normal\b"))
    queued.get_by_role("button", name="签收").click()
    expect(page.get_by_role("status")).to_contain_text(f"已签收：{appeal.code}")
    page.get_by_role("link", name="办理中").click()
    page.get_by_role("link", name=appeal.code).click()
    form = page.locator("#reply-form")
    expect(form).to_be_visible()
    accessible(page)
    form.get_by_label("办理结果").select_option("solved")
    form.get_by_label("答复内容").fill(
        "经现场检查，已责令该饭店安装油烟净化设施，复查排放达标。联系电话 0971-0000000。"
    )
    form.get_by_role("button", name="提交答复").click()
    expect(page.get_by_role("status")).to_contain_text("已答复，等待平台审核")
    assert reload(order).status == OrderStatus.REPLIED

    # The district dispatcher reviews the reply, with its score, and approves it.
    page = open_as(p.east_dispatcher, "/dispatch/reviews/replies/")
    reply = page.locator(f"#reply-{order.pk}")
    expect(reply.locator(".relevance")).to_have_text(re.compile(r"^\d+%$"))
    accessible(page)
    reply.get_by_role("button", name="同意办结").click()
    expect(page.get_by_role("status")).to_have_text(f"已审核办结：{appeal.code}")
    assert reload(order).status == OrderStatus.COMPLETED
    assert reload(appeal).status == AppealStatus.COMPLETED

    # 评: the citizen, on a phone, tracks it by code and phone, reads the reply and rates it.
    page = open_as(None, "/h5/track/", viewport=(390, 844))
    page.get_by_label("诉求编号").fill(appeal.code)
    page.get_by_label("提交时留的手机号码").fill(PHONE)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#timeline")).to_contain_text("已转交 东区生态环境局 办理")
    expect(page.locator("#timeline")).to_contain_text("平台审核通过，已办结")
    expect(page.locator("#reply")).to_contain_text("已责令该饭店安装油烟净化设施")
    expect(page.locator("main")).not_to_contain_text(PHONE)
    accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_text("已解决", exact=True).click()
    page.get_by_text("满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#rating")).to_contain_text("您的评价：已解决，满意")
    callback = Callback.objects.get(appeal=appeal)
    assert (callback.solved, callback.satisfaction) == (True, "satisfied")

    # 报: the leader's dashboard draws its charts with the appeal in them.
    page = open_as(staff(world.units.platform, "lena", "leader"), "/dashboard/")
    expect(page.locator("#fig-today-received [data-value]")).to_have_text("1")
    for name in ("channel", "kind", "categories", "map"):
        expect(page.locator(f"#chart-{name} canvas").first).to_be_visible()
    channels = {row["name"]: row["value"] for row in chart_data(page, "channel")}
    assert channels["12345 热线"] == 1
    kinds = {row["name"]: row["value"] for row in chart_data(page, "kind")}
    assert kinds["投诉"] == 1
