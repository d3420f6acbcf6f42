"""The citizen portal on a phone (390×844, touch): submit an appeal with a tap on the map, get its code,
track it from another browser with the phone number, and rate it once the order is completed. Every
page passes the accessibility smoke check, fits the screen, and asks no host but the platform."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.appeals.factories import at_eco
from tests.callbacks.helpers import complete
from yousu.appeals.models import Appeal
from yousu.appeals.services import appeal_set_item
from yousu.callbacks.choices import CallbackStatus
from yousu.callbacks.models import Callback

from .helpers import audit, skip_without_chromium

skip_without_chromium()

PHONE = "13912340000"
PHONE_SIZE = (390, 844)


@pytest.fixture
def citizen_page(open_as):
    """citizen_page(path) → a page of a new anonymous phone context (touch, 390×844), guarded as
    open_as guards its pages."""
    cache.clear()  # the portal's rate limits count in the cache
    yield lambda path: open_as(None, path, viewport=PHONE_SIZE, mobile=True)
    cache.clear()


def check_page(page) -> None:
    """The accessibility smoke check, and nothing wider than the phone's screen."""
    assert audit(page)["problems"] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE[0]


def test_a_citizen_submits_with_a_tap_on_the_map_tracks_and_rates(citizen_page, world):
    page = citizen_page("/h5/")
    assert page.goto_response.status == 200
    check_page(page)
    page.get_by_role("link", name=re.compile("我要反映")).first.tap()
    expect(page).to_have_url(re.compile(r"/h5/submit/$"))

    # The map's base layer is the city's own boundaries: the grid is drawn last and takes the tap.
    grid = page.locator("#map path.leaflet-interactive").last
    expect(grid).to_be_visible()
    page.get_by_text("举报", exact=True).tap()
    page.get_by_label("诉求内容").fill("工地夜间施工，噪音很大，影响休息。")
    page.get_by_label("手机号码").fill(PHONE)
    grid.tap()
    expect(page.locator("#map-picked")).to_contain_text("东一社区第1网格")
    longitude = float(page.locator("#id_longitude").input_value())
    latitude = float(page.locator("#id_latitude").input_value())
    assert 101.2 <= longitude <= 101.4 and 31.2 <= latitude <= 31.4
    check_page(page)
    page.get_by_role("button", name="提交", exact=True).tap()

    code = page.locator("#appeal-code")
    expect(code).to_have_text(re.compile(r"^[A-Z]+\d{14}$"))
    check_page(page)
    appeal = Appeal.objects.get(code=code.inner_text())
    assert (appeal.kind, appeal.channel, appeal.area, appeal.title) == (
        "report",
        "web",
        world.areas.grid,
        "工地夜间施工，噪音很大，影响休息",
    )
    expect(page.locator("main")).to_contain_text("139****0000")
    expect(page.locator("main")).not_to_contain_text(PHONE)

    # Tracking from another browser: the code and the phone number.
    other = citizen_page("/h5/track/")
    check_page(other)
    other.get_by_label("诉求编号").fill(appeal.code)
    other.get_by_label("提交时留的手机号码").fill("13900000000")
    other.get_by_role("button", name="查询").tap()
    expect(other.locator("#errors")).to_contain_text("没有找到与该编号和手机号码相符的诉求")
    check_page(other)
    other.get_by_label("提交时留的手机号码").fill(PHONE)
    other.get_by_role("button", name="查询").tap()
    expect(other.locator("#timeline")).to_contain_text("已受理您的诉求（网站）")
    expect(other.locator("#rating")).to_have_count(0)
    check_page(other)

    # The platform handles it: dispatched as the catalog says, replied to and approved.
    appeal_set_item(appeal=appeal, item=world.items.fumes, by=world.people.dispatcher)
    _city, order = at_eco(world, appeal)
    complete(world, order)
    other.reload()
    expect(other.locator("#timeline")).to_contain_text("已转交 东区生态环境局 办理")
    expect(other.locator("#timeline")).to_contain_text("平台审核通过，已办结")
    expect(other.locator("#reply")).to_contain_text("已责令餐馆安装油烟净化器")
    check_page(other)

    other.get_by_text("已解决", exact=True).tap()
    other.get_by_text("基本满意", exact=True).tap()
    other.get_by_label("您的意见（选填）").fill("处理及时")
    other.get_by_role("button", name="提交评价").tap()
    expect(other.locator("#rating")).to_contain_text("感谢您的评价")
    expect(other.locator("#rating")).to_contain_text("您的评价：已解决，基本满意")
    expect(other.locator("#rating-form")).to_have_count(0)
    check_page(other)
    callback = Callback.objects.get(appeal=appeal)
    assert (callback.status, callback.satisfaction, callback.comment) == (
        CallbackStatus.DONE,
        "basically_satisfied",
        "处理及时",
    )


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(citizen_page, world):
    page = citizen_page("/h5/submit/")
    expect(page.locator("#map path.leaflet-interactive").first).to_be_visible()
    page.get_by_label("诉求内容").fill("楼道灯坏了很久。")
    page.get_by_label("地址").fill("东一社区 3 栋")
    page.get_by_role("button", name="提交", exact=True).tap()
    expect(page.locator("#errors")).to_contain_text("手机号码")
    # The page opens at the list of what to fix, not at the bottom where the button was.
    expect(page.locator("#errors")).to_be_focused()
    expect(page.locator("#errors")).to_be_in_viewport()
    expect(page.get_by_label("诉求内容")).to_have_value("楼道灯坏了很久。")
    check_page(page)
    assert not Appeal.objects.exists()


def test_without_any_boundary_the_map_gives_way_to_the_address(citizen_page, db, defaults):
    # No city set up at all: the map has nothing to draw and says to type the address instead.
    page = citizen_page("/h5/submit/")
    expect(page.locator("#map-picked")).to_have_text("暂无地图数据，请填写地址。")
    expect(page.locator("#map")).to_be_hidden()
