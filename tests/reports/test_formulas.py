"""The report workbooks hold no formula (issue 21): appeals whose title, content and citizen's name are
formula payloads from the portal or the API, a unit and a catalog item named like formulas, and the daily
brief, the monthly report and the unit's monthly sheet opened with openpyxl find every one as text. The
platform writes no formula on purpose, so any formula cell is a failure."""

import datetime as dt
import io

import pytest

from tests.appeals.factories import at_eco, new_appeal
from tests.evaluation.helpers import assess
from tests.spreadsheets import TITLES, formula_cells, text_values
from tests.supervision.clock import at, frozen
from yousu.catalog.models import CatalogItem
from yousu.dispatch.services import order_accept
from yousu.org.models import Unit
from yousu.reports import documents
from yousu.reports.xlsx import workbook_of

pytestmark = pytest.mark.usefixtures("small_sample")

OCTOBER = dt.date(2026, 10, 1)
UNIT_NAME = '=HYPERLINK("http://x","东区生态环境局")'
ITEM_NAME = "@SUM(1)"


@pytest.fixture
def month_of_payloads(world):
    """October 2026: one appeal per payload sent to the east environment bureau on 12 October and
    signed for, never completed (overdue by the 28th); the bureau and the fumes item renamed."""
    Unit.objects.filter(pk=world.units.east_eco.pk).update(name=UNIT_NAME)
    CatalogItem.objects.filter(pk=world.items.fumes.pk).update(name=ITEM_NAME)
    with frozen(at(2026, 10, 12, 9, 0)):
        orders = [
            at_eco(world, new_appeal(world, title=title, content=title, citizen_name=title[:60]))[1]
            for title in TITLES
        ]
    with frozen(at(2026, 10, 12, 9, 30)):
        for order in orders:
            order_accept(order=order, by=world.people.east_eco_handler)
    return assess(OCTOBER)


def xlsx_of(document: dict) -> bytes:
    buffer = io.BytesIO()
    workbook_of(document).save(buffer)
    return buffer.getvalue()


def test_the_daily_brief_lists_the_titles_as_text(month_of_payloads):
    for day in (dt.date(2026, 10, 12), dt.date(2026, 10, 28)):
        data = xlsx_of(documents.daily_brief(day))
        assert formula_cells(data) == []
    # The 28th lists the overdue orders with their titles and unit; the 12th the item's name.
    assert set(TITLES) | {UNIT_NAME} <= text_values(xlsx_of(documents.daily_brief(dt.date(2026, 10, 28))))
    assert ITEM_NAME in text_values(xlsx_of(documents.daily_brief(dt.date(2026, 10, 12))))


def test_the_monthly_report_names_the_unit_as_text(month_of_payloads):
    data = xlsx_of(documents.monthly_report(month_of_payloads))
    assert formula_cells(data) == []
    assert UNIT_NAME in text_values(data)


def test_the_unit_s_monthly_sheet_lists_the_titles_as_text(world, month_of_payloads):
    data = xlsx_of(documents.unit_sheet(month_of_payloads, world.units.east_eco))
    assert formula_cells(data) == []
    assert set(TITLES) | {UNIT_NAME} <= text_values(data)
