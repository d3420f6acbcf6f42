"""The public page: no login, no personal data, the month's ranking with zones, burden headline, and
the typical cases a supervisor published (and only those not withdrawn); the supervisor's pages."""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import CITIZEN_NAME, CITIZEN_PHONE
from tests.appeals.factories import at_eco
from yousu.public.models import TypicalCase
from yousu.public.services import typical_case_publish, typical_case_withdraw

from .helpers import MONTH, district_departments_run, run_of_month, settled_appeal

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world):
    appeal = settled_appeal(
        world,
        content=f"我是{CITIZEN_NAME}，住新城大道88号3单元501室，电话{CITIZEN_PHONE}，楼下油烟直排。",
    )
    case = typical_case_publish(
        appeal=appeal,
        by=world.people.supervisor,
        title="餐饮油烟直排问题得到解决",
        summary=f"{CITIZEN_NAME}反映，新城大道88号楼下餐饮店油烟直排，电话{CITIZEN_PHONE}。",
        outcome="区生态环境局责令安装油烟净化器，复查达标。",
    )
    # The case is October's so that it shows with the October assessment.
    TypicalCase.objects.filter(pk=case.pk).update(month=MONTH)
    return case


def text_of(response) -> str:
    return response.content.decode()


def test_the_page_needs_no_login_and_shows_no_personal_data(client, world, published):
    district_departments_run(world)
    page = client.get("/public/")
    html = text_of(page)
    assert page.status_code == 200
    assert "餐饮油烟直排问题得到解决" in html and "复查达标" in html
    for secret in (CITIZEN_NAME, CITIZEN_PHONE, "88号", "501", published.appeal.code, "新城大道88"):
        assert secret not in html
    # Nothing finer than the street: the grid's and the community's names stay off the page.
    assert "东一街道" in html and "东一社区第1网格" not in html
    # A citizen's page links to public pages, not to the staff desks.
    raw = page.content.decode()
    assert 'href="/public/"' in raw
    for desk in ("/supervision/", "/callbacks/desk/", "/dashboard/", "/admin/"):
        assert f'href="{desk}"' not in raw


def test_ranking_by_peer_group_with_zones(client, world):
    district_departments_run(world)
    html = text_of(client.get("/public/"))
    rows = re.findall(r'<tr class="zone-(\w+)"><td class="num">(\d+) / 4</td><td>([^<]+)</td>', html)
    assert rows == [
        ("blue", "1", "东区生态环境局"),
        ("yellow", "2", "西区生态环境局"),
        ("yellow", "3", "东区市场监督管理局"),
        ("red", "4", "西区市场监督管理局"),
    ]
    assert "区/县/园区 · 职能部门" in html
    # The platform has no rank and is not shown in the ranking.
    assert "东区平台" not in html
    assert "红区 1 个，黄区 2 个，蓝区 1 个" in html


def test_headline_shows_burden_totals_and_rates_with_their_definitions(client, world):
    district_departments_run(world)
    html = text_of(client.get("/public/"))
    burden = html[html.index('id="burden-headline"') : html.index('id="headline"')]
    # Hours saved 12 + 12.5 + 0 + 4; pushdowns refused 2 + 1; access-list refusals 1 + 2.
    assert re.search(r'id="burden-hours_saved"><div class="n">28.5<', burden)
    assert re.search(r'id="burden-pushdowns_refused"><div class="n">3<', burden)
    assert re.search(r'id="burden-access_list_refused"><div class="n">3<', burden)
    assert "本月部门或企业提出、建议改由本单位承办而被驳回的退单申请数" in burden
    # City response rate: (9 + 3 + 2 + 1) / (10 + 4 + 2 + 5), platforms left out.
    assert re.search(r'id="rate-response_rate"><div class="n">71.4%<', html)
    assert "本月派给本单位的主办工单中，在签收时限内签收的比例" in html


def test_a_withdrawn_case_vanishes_from_the_page_and_its_link(client, world, published):
    district_departments_run(world)
    assert "餐饮油烟直排问题得到解决" in text_of(client.get("/public/"))
    assert client.get(f"/public/cases/{published.pk}/").status_code == 200
    typical_case_withdraw(case=published, by=world.people.admin, reason="群众要求撤下")
    assert "餐饮油烟直排问题得到解决" not in text_of(client.get("/public/"))
    assert client.get(f"/public/cases/{published.pk}/").status_code == 404


def test_month_is_chosen_among_assessed_months(client, world):
    district_departments_run(world)
    run_of_month(MONTH.replace(month=9))
    html = text_of(client.get("/public/"))
    assert 'value="2026-10" selected' in html and 'value="2026-09"' in html
    september = text_of(client.get("/public/", {"month": "2026-09"}))
    assert "本月没有参与排名的单位" in september and "东区生态环境局" not in september
    missing = client.get("/public/", {"month": "2025-01"})
    assert missing.status_code == 200 and "2025-01 尚无考评结果" in text_of(missing)
    bad = client.get("/public/", {"month": "十月"})
    assert bad.status_code == 200 and "月份格式应为 YYYY-MM" in text_of(bad)


def test_without_any_assessment_the_page_still_answers(client, world):
    page = client.get("/public/")
    assert page.status_code == 200 and "尚无月度考评结果" in text_of(page)


def test_a_supervisor_publishes_from_the_redacted_preview(client, world):
    appeal = settled_appeal(world, content=f"{CITIZEN_NAME}来电：新城大道88号油烟直排，回电{CITIZEN_PHONE}。")
    client.force_login(world.people.supervisor)
    preview = text_of(client.get("/public/cases/new/", {"appeal": appeal.code}))
    assert "王某来电：新城大道【门牌号】油烟直排，回电【电话】。" in preview
    assert CITIZEN_PHONE not in preview and CITIZEN_NAME not in preview
    refused = client.post(
        "/public/cases/new/",
        {
            "appeal": appeal.code,
            "title": "油烟",
            "summary": "请拨 一三八零零零零五六七八",
            "outcome": "已解决",
        },
    )
    assert refused.status_code == 400 and "诉求人电话" in text_of(refused)
    assert 'class="error-field"' in text_of(refused) and not TypicalCase.objects.exists()
    done = client.post(
        "/public/cases/new/",
        {
            "appeal": appeal.code,
            "title": "油烟扰民解决了",
            "summary": "王某反映油烟直排。",
            "outcome": "已解决",
        },
        follow=True,
    )
    assert "已发布典型案例" in text_of(done)
    case = TypicalCase.objects.get()
    assert case.published_by == world.people.supervisor
    withdrawn = client.post(f"/public/cases/{case.pk}/withdraw/", {"reason": "改写"}, follow=True)
    assert "已撤下典型案例" in text_of(withdrawn)
    case.refresh_from_db()
    assert case.withdrawn_by == world.people.supervisor


def test_an_unsettled_appeal_is_refused_on_the_form(client, world):
    _city, order = at_eco(world)
    client.force_login(world.people.supervisor)
    page = client.post(
        "/public/cases/new/",
        {"appeal": order.appeal.code, "title": "标题", "summary": "摘要", "outcome": "结果"},
    )
    assert page.status_code == 400 and "尚未结案" in text_of(page) and not TypicalCase.objects.exists()


@pytest.mark.parametrize("who", ["operator", "east_market_handler"])
def test_others_may_not_open_the_publishing_pages(client, world, who):
    appeal = settled_appeal(world)
    client.force_login(getattr(world.people, who))
    assert client.get("/public/cases/").status_code == 403
    assert client.get("/public/cases/new/", {"appeal": appeal.code}).status_code == 403
    assert (
        client.post(
            "/public/cases/new/", {"appeal": appeal.code, "title": "t", "summary": "s", "outcome": "o"}
        ).status_code
        == 403
    )
    assert not TypicalCase.objects.exists()


def test_publishing_pages_need_a_login(client, world):
    page = client.get("/public/cases/new/?appeal=X")
    assert page.status_code == 302 and "login" in page["Location"]


def test_a_nul_in_the_appeal_code_is_an_unknown_appeal(client, world):
    # Found on PostgreSQL by tests/security/test_bad_query.py: PostgreSQL refuses NUL in a query.
    client.force_login(world.people.supervisor)
    answer = client.get("/public/cases/new/", {"appeal": "YS\x00"})
    assert answer.status_code == 302 and answer["Location"] == "/public/cases/"


def test_a_nul_in_the_jurisdiction_code_is_an_unknown_jurisdiction(client, world):
    # Found on PostgreSQL by tests/security/test_bad_query.py: PostgreSQL refuses NUL in a query.
    answer = client.get("/public/", {"jurisdiction": "C\x00"})
    assert answer.status_code == 200 and "没有辖区" in answer.content.decode()
