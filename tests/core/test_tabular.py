"""No spreadsheet the platform writes holds a formula it did not mean (issue 21): formula-like text
(OWASP's = + - @ tab CR) is written as text — behind an apostrophe in CSV, as a quote-prefixed text cell
in XLSX — while numbers stay numbers, and an export reads back through read_table unchanged."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from tests.spreadsheets import PAYLOADS, formula_cells, text_values
from yousu.core.tabular import formula_like, read_table, safe_cell, safe_row, write_cell, write_table


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_like_text_is_escaped_and_numbers_are_not(payload):
    assert formula_like(payload)
    assert safe_cell(payload) == "'" + payload
    for number in (-1, -2.5, 0, 3):
        assert not formula_like(number) and safe_cell(number) == number
    for text in ("油烟扰民", "1+1", "a=b", "", "'=1"):
        assert safe_cell(text) == text


def test_an_xlsx_cell_keeps_the_text_as_text():
    workbook = Workbook()
    sheet = workbook.active
    for row, payload in enumerate(PAYLOADS, start=1):
        write_cell(sheet.cell(row=row, column=1), payload)
        write_cell(sheet.cell(row=row, column=2), -row)
    sheet.append(safe_row(sheet, ['=HYPERLINK("http://y")', -7, "正常文字"]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert formula_cells(buffer.getvalue()) == []
    # XML reads a carriage return back as a line feed; the text is otherwise exactly the payload.
    shown = {payload.replace("\r", "\n") for payload in PAYLOADS}
    assert shown | {'=HYPERLINK("http://y")', "正常文字"} <= text_values(buffer.getvalue())
    reread = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert reread["A1"].quotePrefix and reread["B1"].value == -1 and reread["B1"].data_type == "n"
    assert [cell.value for cell in reread[len(PAYLOADS) + 1]] == ['=HYPERLINK("http://y")', -7, "正常文字"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_table_escapes_every_cell_and_reads_back_unchanged(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    header = ["code", "name", "figure"]
    rows = [[f"C{n}", payload, -n] for n, payload in enumerate(PAYLOADS)]
    assert write_table(path, header, rows) == len(PAYLOADS)
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        # Nothing a spreadsheet would run; a real negative number is written as a number.
        assert not [cell for cell in cells if formula_like(cell) and not cell.lstrip("-").isdigit()]
        assert "'=cmd|' /C calc'!A0" in cells and "-3" in cells
    else:
        assert formula_cells(path.read_bytes()) == []
        figures = [row[2].value for row in load_workbook(path).active.iter_rows(min_row=2)]
        assert figures == [-n for n in range(len(PAYLOADS))]
    table = read_table(path)
    # The importers read the text itself back, not the apostrophe (a tab or CR is stripped as before).
    assert [row["name"] for _number, row in table.rows] == [p.strip() for p in PAYLOADS]
