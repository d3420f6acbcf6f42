"""Import of knowledge entries from a CSV or XLSX file a unit fills in, and the template it fills.

Every row is checked before anything is kept, and every error is reported with the row number a
person sees in Excel (header = row 1, first data row = row 2) and the column as the file names it.
The rows are written through the services (entry_create, entry_update), so each entry gets its
version snapshot and the search generation moves; all of it in one transaction, rolled back at the
end on a dry run or if any row is wrong: a file is imported whole or not at all.

Why not yousu.core.tabular.read_table: it reads a path, loads the whole file before anything can be
capped, and turns date cells into text; an upload arrives as bytes, must be cut off at MAX_ROWS while
reading (a 10 MB XLSX can hold millions of rows), and real Excel date cells must stay dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError
from yousu.core.tabular import safe_row
from yousu.org.models import Person, Unit
from yousu.org.selectors import jurisdiction_of_area

from .models import KnowledgeEntry
from .services import _active, _may_edit, check_writes_entries, entry_create, entry_update

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
# A row whose question starts with this is the template's example: skipped, and said so in the result.
EXAMPLE_MARK = "【示例】"
_ITEM_SEPARATORS = re.compile(r"[、，,；;\s]+")
_SPACES = re.compile(r"\s+")
_DATE_NUMERIC = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_DATE_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")


@dataclass(frozen=True)
class Column:
    key: str  # the service's field name, also accepted as an English header
    label: str  # the Chinese header of the file (a file format: never translated)
    required: bool
    explanation: str  # lazily translated


COLUMNS = (
    Column(
        "entry_id",
        "条目编号",
        False,
        gettext_lazy("新建留空；填写已有知识条目的编号时，本行修改该条目（生成新版本），未出现的列保持不变"),
    ),
    Column("question", "问题", True, gettext_lazy("群众常问的问题，最多 500 字；同一维护单位的问题不能重复")),
    Column("answer", "答复口径", True, gettext_lazy("接线员答复群众时使用的标准口径")),
    Column(
        "owning_unit",
        "维护单位",
        True,
        gettext_lazy("负责保证条目准确并定期审核的单位，填单位编码或单位全称"),
    ),
    Column(
        "items", "相关事项", False, gettext_lazy("职责目录中三级事项的编码，多个用顿号、逗号、分号或空格分隔")
    ),
    Column("keywords", "关键词", False, gettext_lazy("便于检索的词，用顿号、逗号或空格分隔")),
    Column("source_title", "依据文件名称", False, gettext_lazy("答复口径依据的政策文件名称")),
    Column("source_number", "依据文号", False, gettext_lazy("政策文件的文号")),
    Column("source_url", "依据链接", False, gettext_lazy("政策文件的网址（http:// 或 https:// 开头）")),
    Column(
        "valid_from",
        "生效日期",
        True,
        gettext_lazy("格式 2026-01-31、2026/1/31 或 2026年1月31日，或 Excel 日期"),
    ),
    Column("valid_until", "失效日期", False, gettext_lazy("留空为长期有效；不能早于生效日期")),
    Column("review_due", "下次审核日期", True, gettext_lazy("到期前维护单位须审核条目；不能早于今天")),
)
_BY_KEY = {column.key: column for column in COLUMNS}
_HEADERS = {column.label: column for column in COLUMNS} | {column.key: column for column in COLUMNS}
_OPTIONAL_TEXT = ("keywords", "source_title", "source_number", "source_url")
_DATES = ("valid_from", "valid_until", "review_due")
# A service's refusal names a field; the row error names the column that holds it.
_FIELD_COLUMN = {"by": "owning_unit", "entry": "entry_id"}


@dataclass(frozen=True)
class ImportProblem:
    """One error of an import: `row` as Excel numbers it (None: the file as a whole), `column` as
    the file's header names it (None: the whole row), and the message."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = _("第 %(row)d 行") % {"row": self.row}
        if self.column:
            where += f"【{self.column}】"
        return f"{where}：{self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    """What an import did (or, on a dry run or with errors, would have done: then nothing is kept).

    `created`, `updated`, `unchanged`: counts of rows (an update whose values equal the entry's is
    unchanged and makes no version); `entry_ids`: the entries written, empty unless kept;
    `skipped_rows`: rows skipped as the template's example; `errors`: every problem found."""

    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    entry_ids: list[int] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "written": self.written,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "entry_ids": self.entry_ids,
            "skipped_rows": self.skipped_rows,
            "errors": [problem.as_dict() for problem in self.errors],
        }


class _FileRefused(Exception):
    """The file as a whole cannot be imported; carries its problems."""

    def __init__(self, *problems: ImportProblem):
        self.problems = list(problems)


# ---------------------------------------------------------------- reading


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code or number typed in Excel comes back as 630102.0
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _rows(file_name: str, data: bytes):
    """(spreadsheet row number, cells) of the file's non-empty rows; raises _FileRefused."""
    suffix = PurePath(file_name or "").suffix.lower()
    if suffix == ".xls":
        raise _FileRefused(
            ImportProblem(None, None, _("不支持旧版 Excel（.xls）文件：请另存为 .xlsx 后再导入"))
        )
    if suffix not in (".csv", ".xlsx"):
        raise _FileRefused(
            ImportProblem(
                None,
                None,
                _("不支持的文件类型 %(suffix)s：请用 .csv 或 .xlsx")
                % {"suffix": suffix or _("（无扩展名）")},
            )
        )
    if len(data) > MAX_BYTES:
        raise _FileRefused(
            ImportProblem(
                None, None, _("文件超过 %(mb)d MB，请分成几个文件导入") % {"mb": MAX_BYTES // 2**20}
            )
        )
    if not data:
        raise _FileRefused(ImportProblem(None, None, _("文件是空的")))
    raw = _csv_rows(data) if suffix == ".csv" else _xlsx_rows(data)
    for number, cells in enumerate(raw, start=1):
        if any(_text(cell) for cell in cells):
            yield number, list(cells)


def _csv_rows(data: bytes):
    # Many offices save CSV from Excel in GBK; GB18030 is its superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _FileRefused(ImportProblem(None, None, _("文件编码无法识别：请保存为 UTF-8 编码的 CSV")))
    if "\x00" in text:
        raise _FileRefused(
            ImportProblem(None, None, _("文件含有二进制内容，不是 CSV 文本（UTF-16 文件请另存为 UTF-8）"))
        )
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as error:
        raise _FileRefused(
            ImportProblem(None, None, _("CSV 格式错误：%(error)s") % {"error": error})
        ) from None


def _xlsx_rows(data: bytes):
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise _FileRefused(
            ImportProblem(
                None,
                None,
                _("无法读取 Excel 文件（%(kind)s）：请确认是 .xlsx 格式")
                % {"kind": error.__class__.__name__},
            )
        ) from None
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _header_key(text: str) -> str:
    return _SPACES.sub("", text).lower()


_HEADER_KEYS = {_header_key(name): column for name, column in _HEADERS.items()}


def _read(file_name: str, data: bytes) -> tuple[dict[str, str], list[tuple[int, dict]]]:
    """The columns found ({key: header as written}) and the data rows ({key: cell}); at most
    MAX_ROWS rows are read, so a huge file is refused without being loaded."""
    rows = _rows(file_name, data)
    first = next(rows, None)
    if first is None:
        raise _FileRefused(ImportProblem(None, None, _("文件是空的")))
    header_row, header_cells = first
    headers = [_text(cell) for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    problems, columns, positions = [], {}, {}
    for position, header in enumerate(headers):
        if not header:
            continue
        column = _HEADER_KEYS.get(_header_key(header))
        if column is None:
            problems.append(
                ImportProblem(
                    header_row,
                    header,
                    _("无法识别的列（可用的列：%(columns)s）")
                    % {"columns": "、".join(c.label for c in COLUMNS)},
                )
            )
        elif column.key in columns:
            problems.append(
                ImportProblem(
                    header_row, header, _("与“%(other)s”是同一列，重复了") % {"other": columns[column.key]}
                )
            )
        else:
            columns[column.key] = header
            positions[column.key] = position
    for column in COLUMNS:
        if column.required and column.key not in columns:
            problems.append(ImportProblem(header_row, column.label, _("缺少必填的列")))
    if problems:
        raise _FileRefused(*problems)

    data_rows = []
    for number, cells in rows:
        if len(data_rows) == MAX_ROWS:
            raise _FileRefused(
                ImportProblem(
                    None, None, _("文件超过 %(max)d 行数据，请分成几个文件导入") % {"max": MAX_ROWS}
                )
            )
        extra = [_text(cell) for cell in cells[len(headers) :] if _text(cell)]
        row = {key: cells[position] if position < len(cells) else None for key, position in positions.items()}
        if extra:
            row["__extra__"] = "、".join(extra)
        data_rows.append((number, row))
    if not data_rows:
        raise _FileRefused(ImportProblem(None, None, _("文件只有表头，没有数据")))
    return columns, data_rows


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    match = _DATE_NUMERIC.fullmatch(text) or _DATE_CHINESE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return dt.date(*(int(part) for part in match.groups()))


# ---------------------------------------------------------------- checking and writing


class _Row:
    """The problems of one row, each naming its column as the file's header does."""

    def __init__(self, number: int, columns: dict[str, str]):
        self.number, self.columns, self.problems = number, columns, []

    def refuse(self, key: str | None, message: str) -> None:
        column = self.columns.get(key) or (_BY_KEY[key].label if key in _BY_KEY else None)
        self.problems.append(ImportProblem(self.number, column, message))


class _Lookups:
    """Units, items and entries the file names, each fetched in one query."""

    def __init__(self, rows: list[tuple[int, dict]]):
        unit_texts = {_text(row.get("owning_unit")) for _number, row in rows} - {""}
        self.units_by_code = {
            u.code: u for u in Unit.objects.filter(code__in=unit_texts).select_related("area")
        }
        self.units_by_name: dict[str, list[Unit]] = {}
        for unit in Unit.objects.filter(name__in=unit_texts).select_related("area"):
            self.units_by_name.setdefault(unit.name, []).append(unit)
        codes = {code for _n, row in rows for code in _ITEM_SEPARATORS.split(_text(row.get("items"))) if code}
        self.items = {
            i.code: i for i in CatalogItem.objects.filter(code__in=codes).select_related("jurisdiction")
        }
        ids = {int(t) for _n, row in rows if (t := _text(row.get("entry_id"))).isdigit()}
        self.entries = {
            e.pk: e
            for e in KnowledgeEntry.objects.filter(pk__in=ids)
            .select_related("owning_unit")
            .prefetch_related("items")
        }
        self._cities: dict[int, object] = {}

    def city(self, unit: Unit):
        if unit.pk not in self._cities:
            self._cities[unit.pk] = jurisdiction_of_area(unit.area)
        return self._cities[unit.pk]


def _check_row(
    row: _Row, cells: dict, columns: dict[str, str], lookups: _Lookups, by: Person, today: dt.date
) -> tuple[KnowledgeEntry | None, dict]:
    """The entry the row updates (None: a new one) and the row's values for the services; every
    problem found is recorded on `row` (the values are then not to be written)."""
    if "__extra__" in cells:
        row.refuse(None, _("比表头多出的单元格：%(cells)s") % {"cells": cells["__extra__"]})
    values: dict = {}
    for column in COLUMNS:
        if column.required and not _text(cells.get(column.key)):
            row.refuse(column.key, _("必须填写"))

    entry = None
    entry_text = _text(cells.get("entry_id"))
    if entry_text:
        entry = lookups.entries.get(int(entry_text)) if entry_text.isdigit() else None
        if entry is None:
            row.refuse("entry_id", _("没有编号为 %(id)s 的知识条目（新建条目请留空）") % {"id": entry_text})
        else:
            try:
                _may_edit(by, entry.owning_unit)
            except DomainError as refused:
                row.refuse("entry_id", refused.message)

    unit = None
    unit_text = _text(cells.get("owning_unit"))
    if unit_text:
        unit = lookups.units_by_code.get(unit_text)
        named = lookups.units_by_name.get(unit_text, [])
        if unit is None and len(named) > 1:
            row.refuse("owning_unit", _("有多个单位名为“%(name)s”，请填写单位编码") % {"name": unit_text})
        elif unit is None and named:
            unit = named[0]
        if unit is None and not named:
            row.refuse("owning_unit", _("找不到单位“%(unit)s”（填单位编码或单位全称）") % {"unit": unit_text})
        elif unit is not None and not unit.is_active:
            row.refuse("owning_unit", _("单位“%(unit)s”已停用") % {"unit": unit.name})
            unit = None
        elif unit is not None:
            try:
                _may_edit(by, unit)
            except DomainError as refused:
                row.refuse("owning_unit", refused.message)
                unit = None
    values["owning_unit"] = unit

    if "items" in columns:
        items = []
        for code in _ITEM_SEPARATORS.split(_text(cells.get("items"))):
            if not code:
                continue
            item = lookups.items.get(code)
            if item is None:
                row.refuse("items", _("职责目录中没有编码为 %(code)s 的事项") % {"code": code})
            elif unit is not None and not item.is_available_in(lookups.city(unit)):
                row.refuse(
                    "items",
                    _("事项 %(code)s 是%(city)s的地方事项，不能用于本单位的知识条目")
                    % {"code": code, "city": item.jurisdiction.name},
                )
            elif item not in items:
                items.append(item)
        values["items"] = items

    for key in _DATES:
        if key not in columns:
            continue
        raw = cells.get(key)
        if not _text(raw):
            values[key] = None
            continue
        try:
            values[key] = _date(raw)
        except ValueError:
            row.refuse(key, _("日期“%(text)s”无法识别，请写成 2026-01-31 这样的格式") % {"text": _text(raw)})
    if values.get("review_due") is not None and values["review_due"] < today:
        row.refuse("review_due", _("下次审核日期已过，请填写今天或以后的日期"))

    for key in ("question", "answer", *_OPTIONAL_TEXT):
        if key in columns:
            values[key] = _text(cells.get(key))
    return entry, values


def _changes(entry: KnowledgeEntry, values: dict) -> dict:
    """The fields the row changes, `items` included only if the set differs."""
    changes = {key: value for key, value in values.items() if key != "items" and getattr(entry, key) != value}
    if "items" in values and {i.pk for i in values["items"]} != {i.pk for i in entry.items.all()}:
        changes["items"] = values["items"]
    return changes


def entries_import(*, file_name: str, data: bytes, by: Person, dry_run: bool = False) -> ImportResult:
    """Import knowledge entries from a CSV (UTF-8, with or without BOM, or GB18030/GBK) or XLSX
    (first sheet) file: `file_name` decides the format by its extension, `data` is the file's bytes.

    Columns (header row, Chinese or English, spaces ignored): 问题/question, 答复口径/answer,
    维护单位/owning_unit (unit code or exact name), 生效日期/valid_from, 下次审核日期/review_due are
    required; 相关事项/items (catalog codes), 关键词/keywords, 依据文件名称/source_title,
    依据文号/source_number, 依据链接/source_url, 失效日期/valid_until, 条目编号/entry_id are
    optional. A row with an 条目编号 updates that entry through entry_update (a new version; an
    optional column missing from the file leaves the field unchanged, an empty cell clears it; a row
    equal to the entry is counted as unchanged and writes nothing); other rows create entries
    through entry_create. Rows whose 问题 starts with 【示例】 are skipped (the template's example).

    All rows are checked, all problems reported (ImportResult.errors, each with the spreadsheet row
    number and the column), and either every row is written or none: one transaction, rolled back
    if any row fails or `dry_run` is set. Never raises for a problem in the file; returns
    ImportResult (see its as_dict() for an API response). A person who writes no unit's entries
    (a read-only role, an operator) is refused before the file is read: PermissionRefused."""
    result = ImportResult(dry_run=dry_run)
    if by is not None and by.is_active:
        check_writes_entries(by)
    try:
        _active(by)
        columns, rows = _read(file_name, data)
    except DomainError as refused:
        result.errors.append(ImportProblem(None, None, refused.message))
        return result
    except _FileRefused as refused:
        result.errors.extend(refused.problems)
        return result

    today = timezone.localdate()
    lookups = _Lookups(rows)
    note = _("导入：%(file)s") % {"file": PurePath(file_name).name}
    seen_questions: dict[tuple[int, str], int] = {}
    seen_entries: dict[int, int] = {}
    with transaction.atomic():
        for number, cells in rows:
            if _text(cells.get("question")).startswith(EXAMPLE_MARK):
                result.skipped_rows.append(number)
                continue
            row = _Row(number, columns)
            entry, values = _check_row(row, cells, columns, lookups, by, today)
            if entry is not None:
                if entry.pk in seen_entries:
                    row.refuse("entry_id", _("与第 %(row)d 行是同一条目") % {"row": seen_entries[entry.pk]})
                seen_entries.setdefault(entry.pk, number)
            question, unit = _text(cells.get("question")), values["owning_unit"]
            if question and unit:
                key = (unit.pk, _SPACES.sub("", question))
                if key in seen_questions:
                    row.refuse(
                        "question",
                        _("与第 %(row)d 行的问题相同（同一维护单位）") % {"row": seen_questions[key]},
                    )
                seen_questions.setdefault(key, number)
                if entry is None and not row.problems:
                    twin = (
                        KnowledgeEntry.objects.filter(owning_unit=unit, question=question)
                        .values_list("pk", flat=True)
                        .first()
                    )
                    if twin is not None:
                        row.refuse(
                            "question",
                            _("该维护单位已有相同问题的知识条目（编号 %(id)d）；要修改它，请填写条目编号")
                            % {"id": twin},
                        )
            if row.problems:
                result.errors.extend(row.problems)
                continue
            try:
                with transaction.atomic():
                    if entry is None:
                        written = entry_create(by=by, note=note, **values)
                        result.created += 1
                    else:
                        changes = _changes(entry, values)
                        if not changes:
                            result.unchanged += 1
                            continue
                        written = entry_update(entry=entry, by=by, note=note, **changes)
                        result.updated += 1
                    result.entry_ids.append(written.pk)
            except DomainError as refused:
                row.refuse(_FIELD_COLUMN.get(refused.field, refused.field), refused.message)
                result.errors.extend(row.problems)
        if not result.created and not result.updated and not result.unchanged and not result.errors:
            result.errors.append(ImportProblem(None, None, _("文件中没有要导入的条目（示例行已跳过）")))
        if result.errors or dry_run:
            transaction.set_rollback(True)
    if not result.written:
        result.entry_ids = []
    return result


# ---------------------------------------------------------------- the template


def import_template_xlsx(*, owning_unit: Unit | None = None) -> bytes:
    """An XLSX template: the header row, one example row (its question starts with 【示例】, which
    the import skips; remove the mark and the row imports), and a second sheet explaining each
    column. With `owning_unit`, the example names that unit."""
    today = timezone.localdate()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("知识条目")
    # Through core.tabular.safe_row like every spreadsheet the platform writes: no text is a formula.
    sheet.append(safe_row(sheet, [column.label for column in COLUMNS]))
    example = {
        "question": f"{EXAMPLE_MARK}餐饮店油烟扰民怎么处理？",
        "answer": _(
            "餐饮油烟由所在区生态环境局依法查处，经营者须安装油烟净化设施并保持正常使用。"
            "（示例行：导入时跳过；删去问题开头的【示例】后本行也会导入）"
        ),
        "owning_unit": owning_unit.code if owning_unit is not None else _("填写单位编码"),
        "keywords": "油烟、餐饮",
        "source_title": "中华人民共和国大气污染防治法",
        "source_number": "主席令第三十一号",
        "valid_from": today,
        "review_due": today + dt.timedelta(days=365),
    }
    sheet.append(safe_row(sheet, [example.get(column.key, "") for column in COLUMNS]))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    example_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 40 if column.key in ("question", "answer") else 16
        header = sheet.cell(row=1, column=index)
        header.font, header.fill = bold, fill
        cell = sheet.cell(row=2, column=index)
        cell.fill = example_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column.key in _DATES:
            cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(_("填写说明"))
    notes.append(safe_row(notes, [_("列名"), _("英文列名"), _("是否必填"), _("说明")]))
    for column in COLUMNS:
        notes.append(
            safe_row(
                notes,
                [
                    column.label,
                    column.key,
                    _("必填") if column.required else _("选填"),
                    str(column.explanation),
                ],
            )
        )
    notes.append([])
    for line in (
        _("第 1 行是表头，请勿修改；从第 2 行起每行一个知识条目，每个文件最多 %(max)d 行。")
        % {"max": MAX_ROWS},
        _("问题以【示例】开头的行是示例，导入时跳过。"),
        _("任何一行有错，整个文件都不会导入；请按提示的行号和列名改正后重新导入。"),
        _("也可以保存为 CSV（UTF-8 或 GBK 编码）导入。"),
    ):
        notes.append(safe_row(notes, [line]))
    for cell in notes[1]:
        cell.font, cell.fill = bold, fill
    for letter, width in zip("ABCD", (14, 14, 10, 80), strict=True):
        notes.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
