"""`yousu export` writes no formula (issue 21): units, areas and catalog items named like formulas are
exported as text, in XLSX (text cells) and in CSV (behind an apostrophe)."""

import csv
import io

import pytest
from django.core.management import call_command

from tests.spreadsheets import formula_cells, text_values
from yousu.catalog.models import CatalogItem
from yousu.core.tabular import formula_like
from yousu.org.models import Area, Unit

UNIT_NAME = '=HYPERLINK("http://x")'
AREA_NAME = "+1 东区"
ITEM_NAME = "=cmd|' /C calc'!A0"
ITEM_DESCRIPTION = "-1 先看这里"


@pytest.fixture
def named_like_formulas(world):
    Unit.objects.filter(pk=world.units.east_eco.pk).update(name=UNIT_NAME)
    Area.objects.filter(pk=world.areas.east.pk).update(name=AREA_NAME)
    CatalogItem.objects.filter(pk=world.items.fumes.pk).update(name=ITEM_NAME, description=ITEM_DESCRIPTION)


@pytest.mark.parametrize(
    ("subject", "names"),
    [("units", {UNIT_NAME}), ("areas", {AREA_NAME}), ("catalog", {ITEM_NAME, ITEM_DESCRIPTION})],
)
def test_the_export_command_writes_names_as_text(named_like_formulas, tmp_path, subject, names):
    xlsx, table = tmp_path / f"{subject}.xlsx", tmp_path / f"{subject}.csv"
    call_command("export", subject, str(xlsx), stdout=io.StringIO())
    call_command("export", subject, str(table), stdout=io.StringIO())
    assert formula_cells(xlsx.read_bytes()) == []
    assert names <= text_values(xlsx.read_bytes())
    with table.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not [cell for cell in cells if formula_like(cell)]
    assert {"'" + name for name in names} <= set(cells)
