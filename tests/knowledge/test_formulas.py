"""The knowledge import keeps formula-like text as text (issue 21): a question or answer that starts with
= + - @ is stored as the characters typed, from CSV and from an XLSX text cell, and the import template
(the knowledge base's one spreadsheet) holds no formula."""

import csv
import io

import pytest
from openpyxl import Workbook

from tests.spreadsheets import formula_cells
from yousu.core.tabular import safe_row
from yousu.knowledge.imports import entries_import, import_template_xlsx
from yousu.knowledge.models import KnowledgeEntry

from .test_import import HEADER, row

pytestmark = pytest.mark.django_db

QUESTIONS = ['=HYPERLINK("http://x")', "+1 怎么办", "-1 路公交改线了吗", "@SUM(1)"]
ANSWER = "=cmd|' /C calc'!A0"


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for cells in [HEADER, *rows]:
        sheet.append(safe_row(sheet, cells))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "build"), [("条目.csv", _csv), ("条目.xlsx", _xlsx)])
def test_formula_like_questions_and_answers_are_stored_as_typed(world, name, build):
    rows = [row(question, 答复口径=ANSWER, 关键词="@油烟") for question in QUESTIONS]
    result = entries_import(file_name=name, data=build(rows), by=world.people.east_eco_handler)
    assert result.ok and result.created == len(QUESTIONS), [str(p) for p in result.errors]
    stored = KnowledgeEntry.objects.order_by("pk")
    assert [entry.question for entry in stored] == QUESTIONS
    assert {(entry.answer, entry.keywords) for entry in stored} == {(ANSWER, "@油烟")}


def test_the_import_template_holds_no_formula(world):
    assert formula_cells(import_template_xlsx(owning_unit=world.units.east_eco)) == []
    assert formula_cells(import_template_xlsx()) == []
