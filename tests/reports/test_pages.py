"""The printable report pages: the numbers and their definitions, the Excel link, who may open them
and what bad input shows."""

import pytest

from yousu.evaluation import definitions
from yousu.reports.documents import DAILY

# Units of one or two orders each: every unit with an order is scored (see the fixture).
pytestmark = pytest.mark.usefixtures("small_sample")


def page(client, person, path):
    client.force_login(person)
    answer = client.get(path)
    return answer.status_code, answer.content.decode()


def test_pages_need_a_login(client, october):
    for path in ("/reports/", "/reports/daily/", "/reports/monthly/?month=2026-10"):
        answer = client.get(path)
        assert answer.status_code == 302 and "login" in answer["Location"]


def test_index_lists_days_and_months_by_what_the_person_may_read(client, october):
    p = october.world.people
    status, html = page(client, p.supervisor, "/reports/")
    assert status == 200
    assert 'href="/reports/monthly/?month=2026-10"' in html and 'id="days"' in html
    status, html = page(client, p.east_market_handler, "/reports/")
    assert status == 200 and 'id="days"' not in html and "/reports/monthly/" not in html
    assert 'href="/reports/unit/?month=2026-10&amp;unit=C-E-market"' in html


def test_daily_page_shows_the_figures_with_their_definitions(client, october):
    status, html = page(client, october.world.people.east_dispatcher, "/reports/daily/?date=2026-10-28")
    assert status == 200
    assert "每日简报 2026-10-28" in html and "reports/print.css" in html
    assert "/api/v1/reports/daily/?date=2026-10-28&amp;format=xlsx" in html and "下载 Excel" in html
    assert str(DAILY["open_at_end"]["definition"]) in html
    assert october.b.appeal.code in html and 'class="overdue"' in html


def test_monthly_page_shows_groups_totals_zones_and_definitions(client, october):
    status, html = page(client, october.world.people.supervisor, "/reports/monthly/?month=2026-10")
    assert status == 200
    assert "区/县/园区 · 职能部门" in html and "小计" in html
    assert "66.7%" in html  # the group's completion rate, 2 of 3
    assert "50.0%" in html  # the environment bureau's completion rate
    assert 'class="zone-blue"' in html
    for entry in definitions.RATES.values():
        assert str(entry["definition"]) in html
    assert str(definitions.BURDEN["hours_saved"]["definition"]) in html
    assert "/api/v1/reports/monthly/?month=2026-10&amp;format=xlsx" in html


def test_unit_page_shows_the_units_row_its_peers_and_its_orders(client, october):
    status, html = page(
        client, october.world.people.east_eco_handler, "/reports/unit/?month=2026-10&unit=C-E-eco"
    )
    assert status == 200
    assert "东区生态环境局 月度工作单 2026-10" in html
    assert "1/2" in html and "东区市场监督管理局" in html  # its rank and a peer
    assert str(definitions.RATES["completion_rate"]["formula"]) in html
    assert october.a.appeal.code in html and october.b.appeal.code in html
    assert html.count('class="overdue"') == 1  # B only


@pytest.mark.parametrize(
    ("who", "path", "status", "text"),
    [
        ("east_market_handler", "/reports/daily/", 403, "只有领导"),
        ("east_market_handler", "/reports/unit/?month=2026-10&unit=C-E-eco", 403, "unit"),
        ("supervisor", "/reports/daily/?date=2026-02-30", 400, "date"),
        ("supervisor", "/reports/monthly/?month=2026-09", 404, "month"),
        ("supervisor", "/reports/monthly/", 400, "month"),
        ("supervisor", "/reports/unit/?month=2026-10&unit=NO-SUCH", 404, "unit"),
    ],
)
def test_refusals_and_bad_input_are_pages_naming_the_field(client, october, who, path, status, text):
    answer_status, html = page(client, getattr(october.world.people, who), path)
    assert answer_status == status
    assert text in html and 'role="alert"' in html


def test_only_assessors_get_links_to_every_units_sheet(client, october):
    unit_link = 'href="/reports/unit/?month=2026-10&amp;unit=C-E-eco"'
    _status, html = page(client, october.world.people.supervisor, "/reports/monthly/?month=2026-10")
    assert unit_link in html
    status, html = page(client, october.world.people.east_dispatcher, "/reports/monthly/?month=2026-10")
    assert status == 200 and "东区生态环境局" in html and unit_link not in html
