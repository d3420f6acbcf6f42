"""The unit desk in a real browser: a handler signs for an order and replies with a photo; the countdown
carries its time node as a class and as words, ticks by itself, and passes the accessibility check
(node colours at 4.5:1 or more) on a desktop and a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.appeals.factories import at_eco, new_appeal, reload
from tests.supervision.clock import at, frozen
from yousu.appeals.models import Attachment
from yousu.dispatch.choices import OrderStatus

from .helpers import audit, skip_without_chromium

skip_without_chromium()

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def row_of(page, order):
    return page.locator(f'#queue tr[data-order="{order.pk}"]')


def test_a_handler_accepts_and_replies_with_an_attachment(open_as, world):
    order = at_eco(world)[1]
    page = open_as(world.people.east_eco_handler, "/unit/")
    assert page.goto_response.status == 200
    row = row_of(page, order)
    expect(row.locator(".countdown")).to_have_class(re.compile(r"\bnode-normal\b"))
    expect(row.locator(".cd-node")).to_have_text("正常")

    row.get_by_role("button", name="签收").click()
    expect(page.get_by_role("status")).to_contain_text(f"已签收：{order.appeal.code}")
    assert reload(order).status == OrderStatus.ACCEPTED

    page.get_by_role("link", name="办理中").click()
    page.get_by_role("link", name=order.appeal.code).click()
    expect(page.locator("#countdown .countdown")).to_have_class(re.compile(r"\bnode-normal\b"))
    form = page.locator("#reply-form")
    form.get_by_label("办理结果").select_option("solved")
    form.get_by_label("答复内容").fill("已责令商户安装油烟净化器并检测达标")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "整改后.png", "mimeType": "image/png", "buffer": PNG}]
    )
    form.get_by_role("button", name="提交答复").click()
    expect(page.get_by_role("status")).to_contain_text("已答复，等待平台审核")
    expect(page.locator("#order-status")).to_have_text("已答复待审核")
    expect(page.get_by_role("link", name="整改后.png")).to_be_visible()
    order = reload(order)
    assert order.status == OrderStatus.REPLIED
    assert Attachment.objects.get(order_id=order.pk).size == len(PNG)
    checked = audit(page)
    assert checked["problems"] == []


def test_the_countdown_ticks_and_shows_each_node_legibly(open_as, world):
    running = at_eco(world)[1]
    # Dispatched long ago (the server's clock is frozen only while creating it): overdue now.
    with frozen(at(2026, 3, 10, 10, 0)):
        late = at_eco(world, new_appeal(world, title="早前的油烟投诉"))[1]
    for viewport in ((1366, 768), (390, 844)):
        page = open_as(world.people.east_eco_handler, "/unit/", viewport=viewport)
        left = row_of(page, running).locator(".cd-left")
        first = left.text_content()
        assert first.startswith("剩余 ")
        expect(left).not_to_have_text(first, timeout=3000)
        overdue = row_of(page, late).locator(".countdown")
        expect(overdue).to_have_class(re.compile(r"\bnode-overdue\b"))
        expect(overdue.locator(".cd-node")).to_have_text("已超期")
        expect(overdue.locator(".cd-left")).to_have_text(re.compile(r"^超时 \d+天 \d\d:\d\d:\d\d$"))
        checked = audit(page)
        assert checked["problems"] == [] and checked["coloured_checked"] >= 2
        # The queue fits a phone's screen: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_street_blows_the_whistle_and_a_department_reports_in_from_a_phone(open_as, world):
    street = open_as(world.people.street_leader, "/unit/whistles/")
    form = street.locator("form.whistle-form")
    form.get_by_label("要解决的问题").fill("小区门口占道经营，街道无执法权")
    form.get_by_label(world.units.east_eco.name).check()
    form.get_by_label(world.units.east_market.name).check()
    form.get_by_role("button", name="吹哨").click()
    expect(street.get_by_role("status")).to_contain_text("已吹哨")
    expect(street.locator(f'li[data-unit="{world.units.east_eco.code}"]')).to_contain_text("未报到")

    department = open_as(world.people.east_eco_handler, "/unit/", viewport=(390, 844))
    department.get_by_role("link", name=re.compile("报到")).click()
    row = department.locator("#report-ins tbody tr").first
    expect(row).to_contain_text("小区门口占道经营")
    row.get_by_label("到场人员").fill("执法队张三、李四")
    row.get_by_role("button", name="报到").click()
    expect(department.get_by_role("status")).to_have_text("已报到")
    assert audit(department)["problems"] == []

    street.reload()
    expect(street.locator(f'li[data-unit="{world.units.east_eco.code}"]')).to_contain_text("执法队张三、李四")
    expect(street.locator(f'li[data-unit="{world.units.east_market.code}"]')).to_contain_text("未报到")
    assert audit(street)["problems"] == []
