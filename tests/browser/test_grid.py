"""未诉先办 in chromium: a grid worker on a phone (390×844, touch) reports a matter by tapping the map,
picking the kind and the handling mode and attaching a photo, and gets the appeal's code; the
community's daily report goes to the street, which studies it and sends it up to the district.
Each step is checked in the database; the pages pass the accessibility smoke check, fit the phone's
screen, and ask no host but the platform."""

from __future__ import annotations

import base64
import re

from django.utils import timezone
from playwright.sync_api import expect

from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.models import Attachment
from yousu.grid.choices import HandlingMode, StreetDecision
from yousu.grid.models import FoundProblem
from yousu.grid.selectors import problems_for_district
from yousu.grid.services import daily_report_submit

from .helpers import audit, skip_without_chromium

skip_without_chromium()

PHONE_SIZE = (390, 844)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def check_page(page, *, phone: bool = False) -> None:
    page.wait_for_load_state()
    assert audit(page)["problems"] == []
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE[0]


def test_a_grid_worker_reports_from_a_phone_with_a_tap_on_the_map(open_as, grid):
    page = open_as(grid.worker, "/grid/report/", viewport=PHONE_SIZE, mobile=True)
    assert page.goto_response.status == 200
    grid_shape = page.locator("#map path.leaflet-interactive").last
    expect(grid_shape).to_be_visible()
    check_page(page, phone=True)

    page.get_by_label("上报事项类别").select_option(label="生态环境污染")
    page.get_by_label("问题描述").fill("东一路餐馆油烟直排，居民楼外墙熏黑")
    page.get_by_label("网格", exact=True).select_option("")  # the map decides the grid
    page.get_by_role("radio", name=re.compile("^联办")).tap()
    grid_shape.tap()
    expect(page.locator("#map-picked")).to_contain_text("东一社区第1网格")
    page.get_by_label("现场照片（选填）").set_input_files(
        [{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="上报", exact=True).tap()

    code = page.locator("#appeal-code")
    expect(code).to_have_text(re.compile(r"^[A-Z]+\d{14}$"), timeout=20_000)
    check_page(page, phone=True)
    problem = FoundProblem.objects.select_related("appeal").get()
    appeal = problem.appeal
    assert appeal.code == code.inner_text()
    assert (appeal.channel, appeal.status, appeal.area) == (
        Channel.GRID_REPORT,
        AppealStatus.RECEIVED,
        grid.world.areas.grid,
    )
    assert (problem.kind, problem.mode) == (grid.pollution, HandlingMode.JOINT)
    assert 101.2 <= problem.longitude <= 101.4 and 31.2 <= problem.latitude <= 31.4
    assert Attachment.objects.get(appeal=appeal).name == "现场.png"
    expect(page.locator("#my-reports")).to_contain_text("待区级研判派单")
    assert list(problems_for_district(grid.world.units.east_platform)) == [problem]


def test_the_street_studies_a_daily_report_problem_and_sends_it_up(open_as, grid):
    w = grid.world
    report = daily_report_submit(
        community=w.units.east_community,
        day=timezone.localdate(),
        by=grid.secretary,
        problems=[{"text": "餐馆油烟直排，尚无居民投诉", "kind": grid.pollution, "area": w.areas.grid}],
    )
    (problem,) = report.problems.all()
    page = open_as(w.people.street_leader, "/grid/study/")
    check_page(page)
    expect(page.locator("#today-reports")).to_contain_text("已报送")
    item = page.locator(f"#problem-{problem.pk}")
    expect(item).to_contain_text("此前无群众诉求")
    # A drop without a reason is refused next to the reason.
    item.get_by_role("button", name="不予立项").click()
    expect(page.locator(f"#problem-{problem.pk} .field-error")).to_contain_text("不能为空")
    check_page(page)
    page.locator(f"#problem-{problem.pk}").get_by_label("研判意见（不予立项时必填）").fill("超出街道能力")
    page.locator(f"#problem-{problem.pk}").get_by_role("button", name="报区级研判派单").click()
    expect(page.get_by_role("status")).to_contain_text("研判完成")
    expect(page.locator("#nothing-to-study")).to_be_visible()
    problem.refresh_from_db()
    assert problem.street_decision == StreetDecision.SEND_UP
    assert problem.street_reason == "超出街道能力"
    assert (problem.appeal.channel, problem.appeal.status) == (Channel.PROACTIVE, AppealStatus.RECEIVED)
    assert list(problems_for_district(w.units.east_platform)) == [problem]

    # The district sees it with the catalog's proposal.
    district = open_as(w.people.east_dispatcher, "/grid/district/")
    check_page(district)
    expect(district.locator(f"#problem-{problem.pk}")).to_contain_text("东区生态环境局")
