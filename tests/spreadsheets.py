"""Helpers of the tests that open the platform's spreadsheets: text that tries to become a formula (the
OWASP "CSV injection" payloads), and the formula cells of a workbook (none should be there: the platform
writes no formula on purpose)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

# What a citizen, a unit or an API client may type where a spreadsheet later shows it.
PAYLOADS = [
    '=HYPERLINK("http://x")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]
# What survives the intake's stripping of a title (a leading tab or CR goes, the formula stays).
TITLES = [payload.strip() for payload in PAYLOADS]


def formula_cells(data: bytes) -> list[str]:
    """ "sheet!A1: value" of every cell the workbook stores as a formula."""
    workbook = load_workbook(io.BytesIO(data))
    return [
        f"{sheet.title}!{cell.coordinate}: {cell.value}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def text_values(data: bytes) -> set[str]:
    """Every text cell's value, as Excel would show it."""
    workbook = load_workbook(io.BytesIO(data))
    return {
        cell.value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
