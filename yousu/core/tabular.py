"""Reading and writing tables (CSV or XLSX) for imports and exports, with row-numbered errors.

Row numbers are the ones a person sees in a spreadsheet: the header is row 1, data starts at
row 2, so an error message can be checked against the file directly.

Every spreadsheet the platform writes (these tables, the reports in yousu.reports.xlsx, the knowledge
import template) puts its cells through `safe_cell` (CSV) or `write_cell` / `safe_row` (XLSX): text
that a citizen, a unit or an API client typed is never read by Excel, WPS or LibreOffice as a formula.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


# OWASP's "CSV injection" rule: a spreadsheet takes a cell that starts with one of these for a formula
# (=HYPERLINK("http://…") sends the reader's click, and what the sheet holds, elsewhere; =cmd|' /C calc'!A0
# starts a program on an old Excel; + - @ start formulas too; a tab or carriage return hides the sign).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value) -> bool:
    """Text a spreadsheet would read as a formula. Only text: a number (-1, a negative figure) is a
    number and stays one."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value):
    """`value` as a CSV cell: formula-like text behind an apostrophe, which Excel and WPS show as the
    text itself and which read_table takes off again, so an export imports back unchanged."""
    return "'" + value if formula_like(value) else value


def write_cell(cell, value):
    """Put `value` into an openpyxl cell; formula-like text as a text cell (openpyxl would store a
    string starting with "=" as a formula) marked with Excel's quote prefix, so editing the cell keeps
    it text too. The cell shows and reads back exactly the text; returns the cell."""
    cell.value = value
    if formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def safe_row(sheet, values: Iterable) -> list:
    """A row for `sheet.append(...)` (write-only or not), formula-like text as text cells."""
    return [write_cell(WriteOnlyCell(sheet), value) if formula_like(value) else value for value in values]


def _unescaped(text: str) -> str:
    # The apostrophe safe_cell put before formula-like text in a CSV export.
    return text[1:] if text.startswith("'") and formula_like(text[1:]) else text


class TableError(Exception):
    """The file as a whole cannot be read (missing, wrong type, wrong encoding, no header)."""


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, column → text)


@dataclass
class RowError:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f" {self.column}" if self.column else "")
        return f"{where}：{self.message}"


class ImportFailed(Exception):
    """One or more rows are wrong; nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "；".join(str(e) for e in errors[:10])
        more = f"（另有 {len(errors) - 10} 处错误）" if len(errors) > 10 else ""
        super().__init__(f"导入失败，未写入任何数据。共 {len(errors)} 处错误：{shown}{more}")


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number in Excel comes back as 630102.0
    return str(value).strip()


def read_table(path: str | Path) -> Table:
    path = Path(path)
    if not path.exists():
        raise TableError(f"找不到文件：{path}")
    if not path.is_file():
        raise TableError(f"不是文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw_rows = _read_csv(path)
    elif suffix == ".xlsx":
        raw_rows = _read_xlsx(path)
    else:
        raise TableError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .csv 或 .xlsx")
    numbered = [(index, row) for index, row in enumerate(raw_rows, start=1) if any(_clean(c) for c in row)]
    if not numbered:
        raise TableError(f"文件是空的：{path}")
    _header_row, header_cells = numbered[0]
    header = [_clean(cell) for cell in header_cells]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise TableError("第一行应为表头")
    duplicates = {name for name in header if name and header.count(name) > 1}
    if duplicates:
        raise TableError(f"表头中有重复的列：{'、'.join(sorted(duplicates))}")
    rows = []
    for number, cells in numbered[1:]:
        values = [_clean(cell) for cell in cells]
        extra = [v for v in values[len(header) :] if v]
        if extra:
            rows.append((number, {**dict(zip(header, values, strict=False)), "__extra__": "、".join(extra)}))
            continue
        values += [""] * (len(header) - len(values))
        rows.append((number, dict(zip(header, values, strict=False))))
    if not rows:
        raise TableError(f"文件只有表头，没有数据：{path}")
    return Table(header=header, rows=rows)


def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    # Spreadsheets saved in mainland China are often GB18030/GBK rather than UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError("文件编码无法识别：请保存为 UTF-8 编码的 CSV")
    if "\x00" in text:
        raise TableError("文件含有二进制内容，不是 CSV 文本（UTF-16 文件请另存为 UTF-8）")
    try:
        return [[_unescaped(cell) for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise TableError(f"CSV 格式错误：{exc}") from None


def _read_xlsx(path: Path) -> list[list]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise TableError(f"无法读取 Excel 文件（{exc.__class__.__name__}）：请确认是 .xlsx 格式") from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def require_columns(table: Table, required: Sequence[str], optional: Sequence[str] = ()) -> None:
    """Every required column present, and no column that is neither required nor optional."""
    expected = ", ".join([*required, *optional])
    missing = [name for name in required if name not in table.header]
    if missing:
        raise TableError(
            _("缺少列：%(missing)s（表头应为：%(columns)s）")
            % {"missing": ", ".join(missing), "columns": expected}
        )
    unknown = [name for name in table.header if name and name not in required and name not in optional]
    if unknown:
        raise TableError(
            _("无法识别的列：%(unknown)s（表头应为：%(columns)s）")
            % {"unknown": ", ".join(unknown), "columns": expected}
        )


def write_table(path: str | Path, header: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write CSV (UTF-8 with BOM, so Excel opens Chinese text correctly) or XLSX; return the row count."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise TableError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .csv 或 .xlsx")
    if not path.parent.exists():
        raise TableError(f"目录不存在：{path.parent}")
    count = 0
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([safe_cell(v) for v in header])
            for row in rows:
                writer.writerow([safe_cell("" if v is None else v) for v in row])
                count += 1
        return count
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(safe_row(sheet, header))
    for row in rows:
        sheet.append(safe_row(sheet, ["" if v is None else v for v in row]))
        count += 1
    workbook.save(path)
    return count


def run_import(table: Table, handle_row) -> int:
    """Apply `handle_row(number, row)` to every row in one transaction; all rows or none.

    Each row runs in its own savepoint so that a database error in one row does not hide the
    errors of the rows after it; any error rolls the whole import back at the end.
    """
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from yousu.core.errors import DomainError

    errors: list[RowError] = []
    with transaction.atomic():
        for number, row in table.rows:
            if "__extra__" in row:
                errors.append(RowError(number, None, f"比表头多出的单元格：{row['__extra__']}"))
                continue
            try:
                with transaction.atomic():
                    handle_row(number, row)
            except DomainError as exc:
                errors.append(RowError(number, exc.field, exc.message))
            except ValidationError as exc:
                errors.append(RowError(number, None, " ".join(exc.messages)))
            except IntegrityError as exc:  # a constraint the checks above did not foresee
                errors.append(RowError(number, None, " ".join(str(exc).split())))
        if errors:
            raise ImportFailed(errors)
    return len(table.rows)


def choice_value(choices, text: str, column: str):
    """Accept a choice by its code or by its (Chinese) label."""
    from yousu.core.errors import DomainError

    for value, label in choices:
        if text == str(value) or text == str(label):
            return value
    allowed = "、".join(str(value) for value, _label in choices)
    raise DomainError(f"“{text}”不是有效值，可选：{allowed}", field=column)
