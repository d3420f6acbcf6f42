"""Import of knowledge entries from CSV and XLSX: real files, every error with its row and column,
all rows or none, updates by entry number, the template, and the command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from yousu.core.errors import PermissionRefused
from yousu.knowledge import imports
from yousu.knowledge.imports import EXAMPLE_MARK, entries_import, import_template_xlsx
from yousu.knowledge.models import KnowledgeEntry, KnowledgeEntryVersion, SearchGeneration
from yousu.knowledge.search import search
from yousu.knowledge.services import entry_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
HEADER = ["问题", "答复口径", "维护单位", "相关事项", "关键词", "生效日期", "下次审核日期"]


def row(question="餐饮店油烟扰民怎么处理", **cells) -> list:
    values = {
        "问题": question,
        "答复口径": "餐饮油烟由区生态环境局依法查处，经营者须安装油烟净化设施。",
        "维护单位": "C-E-eco",
        "相关事项": "D1-01-01",
        "关键词": "油烟、餐饮",
        "生效日期": (TODAY - 10 * DAY).isoformat(),
        "下次审核日期": (TODAY + 100 * DAY).isoformat(),
    }
    values.update(cells)
    return [values[name] for name in HEADER]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(world, data, name="条目.csv", by=None, **options):
    return entries_import(file_name=name, data=data, by=by or world.people.east_eco_handler, **options)


def problems(result) -> set[tuple]:
    return {(p.row, p.column) for p in result.errors}


# ---------------------------------------------------------------- creating


def test_a_csv_creates_entries_with_their_versions_and_the_search_finds_them(world):
    generation = SearchGeneration.objects.filter(pk=1).values_list("generation", flat=True).first()
    result = run(
        world,
        csv_bytes(
            [
                row(),
                row("小区停水什么时候恢复", 答复口径="突发停水由供水企业抢修。", 相关事项="", 关键词="停水"),
            ]
        ),
    )
    assert result.ok and result.written
    assert (result.created, result.updated) == (2, 0)
    assert len(result.entry_ids) == 2
    fumes = KnowledgeEntry.objects.get(question="餐饮店油烟扰民怎么处理")
    assert fumes.owning_unit == world.units.east_eco
    assert list(fumes.items.all()) == [world.items.fumes]
    assert fumes.keywords == "油烟、餐饮"
    assert fumes.valid_from == TODAY - 10 * DAY and fumes.review_due == TODAY + 100 * DAY
    assert fumes.valid_until is None
    version = fumes.versions.get()
    assert version.version == 1 and version.note == "导入：条目.csv"
    assert version.changed_by == world.people.east_eco_handler
    assert SearchGeneration.objects.get(pk=1).generation != generation
    assert fumes.pk in [hit.entry_id for hit in search("饭店油烟扰民")]


def test_an_xlsx_with_date_cells_english_headers_and_every_column(world):
    header = [
        "question",
        "answer",
        "owning_unit",
        "items",
        "keywords",
        "source_title",
        "source_number",
        "source_url",
        "valid_from",
        "valid_until",
        "review_due",
    ]
    data = xlsx_bytes(
        [
            [
                "工地扬尘怎么投诉",
                "工地扬尘由区生态环境局查处。",
                "东区生态环境局",  # the unit's exact name instead of its code
                "D1-01-01、D1-01-02",
                "扬尘",
                "大气污染防治法",
                "主席令第31号",
                "https://example.gov.cn/law",
                dt.datetime(2026, 1, 5),  # a real Excel date cell
                "2030年1月31日",
                TODAY + 30 * DAY,
            ]
        ],
        header=header,
    )
    result = run(world, data, name="entries.XLSX")
    assert result.ok, [str(p) for p in result.errors]
    entry = KnowledgeEntry.objects.get(question="工地扬尘怎么投诉")
    assert entry.owning_unit == world.units.east_eco
    assert set(entry.items.all()) == {world.items.fumes, world.items.dust}
    assert entry.source_url == "https://example.gov.cn/law"
    assert entry.source_number == "主席令第31号"
    assert (entry.valid_from, entry.valid_until) == (dt.date(2026, 1, 5), dt.date(2030, 1, 31))
    assert entry.review_due == TODAY + 30 * DAY


def test_headers_are_matched_without_spaces_and_dates_in_every_written_form(world):
    header = [" 问 题 ", "答复口径", "维护单位", "生效日期", "下次审核日期", "失效日期"]
    due = TODAY + 50 * DAY
    rows = [
        ["问一", "答一", "C-E-eco", "2026-02-03", due.strftime("%Y/%m/%d"), ""],
        ["问二", "答二", "C-E-eco", "2026/2/3", f"{due.year}年{due.month}月{due.day}日", "2031-12-31"],
    ]
    result = run(world, csv_bytes(rows, header=header))
    assert result.ok, [str(p) for p in result.errors]
    assert set(KnowledgeEntry.objects.values_list("valid_from", "review_due", "valid_until")) == {
        (dt.date(2026, 2, 3), due, None),
        (dt.date(2026, 2, 3), due, dt.date(2031, 12, 31)),
    }


def test_a_gbk_csv_as_excel_saves_it_is_read(world):
    result = run(world, csv_bytes([row("供暖不热找谁", 相关事项="")], encoding="gbk"))
    assert result.ok, [str(p) for p in result.errors]
    assert KnowledgeEntry.objects.filter(question="供暖不热找谁").exists()


def test_a_csv_without_bom_is_read(world):
    result = run(world, csv_bytes([row()], encoding="utf-8"))
    assert result.ok and result.created == 1


# ---------------------------------------------------------------- errors


def test_every_row_error_is_reported_with_its_row_and_column_and_nothing_is_written(world, north):
    long_question = "长" * 501
    rows = [
        row(),  # row 2: good
        row("问题二", 维护单位="NOPE"),  # 3: unknown unit
        row("问题三", 相关事项="D9-99"),  # 4: unknown item
        row("问题四", 相关事项="N-D1-01-09"),  # 5: item of another city
        row("问题五", 生效日期="2026-13-01"),  # 6: malformed date
        row("问题六", 答复口径=""),  # 7: missing required cell
        row("问题七", 生效日期=TODAY.isoformat(), 下次审核日期=(TODAY - DAY).isoformat()),  # 8: review past
        row("问题八", 维护单位="C-W-market"),  # 9: not the person's unit
        row(long_question),  # 10: too long
        row(),  # 11: same question as row 2, same unit
        row("问题十", 生效日期="下个月"),  # 12: malformed date
    ]
    result = run(world, csv_bytes(rows))
    assert not result.ok and not result.written
    assert problems(result) == {
        (3, "维护单位"),
        (4, "相关事项"),
        (5, "相关事项"),
        (6, "生效日期"),
        (7, "答复口径"),
        (8, "下次审核日期"),
        (9, "维护单位"),
        (10, "问题"),
        (11, "问题"),
        (12, "生效日期"),
    }
    messages = {(p.row, p.column): p.message for p in result.errors}
    assert "NOPE" in messages[(3, "维护单位")]
    assert "D9-99" in messages[(4, "相关事项")]
    assert "北市" in messages[(5, "相关事项")]
    assert "第 2 行" in messages[(11, "问题")]
    assert "西区市场监督管理局" in messages[(9, "维护单位")]
    assert str(result.errors[0]).startswith("第 3 行【维护单位】：")
    # The good row 2 was rolled back with the rest.
    assert not KnowledgeEntry.objects.exists()
    assert not KnowledgeEntryVersion.objects.exists()
    assert result.created == 1 and result.entry_ids == []


def test_valid_until_before_valid_from_is_the_services_refusal_on_its_row(world):
    rows = [row(), row("问题二")]
    header = [*HEADER, "失效日期"]
    rows[1].append((TODAY - 20 * DAY).isoformat())
    rows[0].append("")
    result = run(world, csv_bytes(rows, header=header))
    assert problems(result) == {(3, "失效日期")}
    assert "失效日期不能早于生效日期" in result.errors[0].message
    assert not KnowledgeEntry.objects.exists()


def test_a_malformed_link_is_reported_on_its_column(world):
    header = [*HEADER, "依据链接"]
    result = run(world, csv_bytes([[*row(), "not a link"]], header=header))
    assert problems(result) == {(2, "依据链接")}


def test_the_column_is_named_as_the_file_names_it(world):
    header = ["question", "answer", "owning_unit", "valid_from", "review_due"]
    result = run(world, csv_bytes([["问", "答", "C-E-eco", "2026-01-01", "昨天"]], header=header))
    assert problems(result) == {(2, "review_due")}


def test_a_question_the_unit_already_has_is_refused_pointing_to_the_entry(world):
    existing = entry_create(
        by=world.people.admin,
        question="餐饮店油烟扰民怎么处理",
        answer="旧口径",
        owning_unit=world.units.east_eco,
        valid_from=TODAY,
        review_due=TODAY + 10 * DAY,
    )
    result = run(world, csv_bytes([row()]))
    assert problems(result) == {(2, "问题")}
    assert f"编号 {existing.pk}" in result.errors[0].message
    assert KnowledgeEntry.objects.count() == 1


def test_an_inactive_unit_and_an_ambiguous_unit_name_are_refused(world):
    unit = world.units.east_market
    unit.is_active = False
    unit.save(update_fields=["is_active"])
    world.units.west_eco.name = world.units.east_eco.name
    world.units.west_eco.save(update_fields=["name"])
    rows = [row(维护单位="C-E-market"), row("问题二", 维护单位=world.units.east_eco.name)]
    result = run(world, csv_bytes(rows), by=world.people.admin)
    assert problems(result) == {(2, "维护单位"), (3, "维护单位")}
    assert "停用" in result.errors[0].message and "单位编码" in result.errors[1].message


def test_cells_beyond_the_header_are_refused(world):
    result = run(world, csv_bytes([[*row(), "多余"]]))
    assert problems(result) == {(2, None)}
    assert "多余" in result.errors[0].message


def test_blank_lines_keep_the_row_numbers_excel_shows(world):
    data = csv_bytes([row(), ["", "", "", "", "", "", ""], row("问题二", 维护单位="NOPE")])
    assert problems(run(world, data)) == {(4, "维护单位")}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ([*HEADER, "备注"], {(1, "备注")}),
        ([h for h in HEADER if h != "答复口径"], {(1, "答复口径")}),
        ([*HEADER, "question"], {(1, "question")}),
    ],
    ids=["unknown", "missing-required", "same-column-twice"],
)
def test_header_errors_are_on_row_one(world, header, expected):
    rows = [[*row(), ""]] if len(header) > len(HEADER) else [row()[: len(header)]]
    result = run(world, csv_bytes(rows, header=header))
    assert problems(result) == expected
    assert not KnowledgeEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("条目.xls", b"\xd0\xcf\x11\xe0 old excel", ".xlsx"),
        ("条目.txt", b"text", ".txt"),
        ("条目", b"text", "无扩展名"),
        ("条目.csv", b"", "空"),
        ("条目.csv", "问题,答复口径,维护单位,生效日期,下次审核日期\n".encode(), "只有表头"),
        ("条目.xlsx", b"not a zip", "Excel"),
        ("条目.csv", "问题\x00答复".encode("utf-16"), "UTF"),
    ],
)
def test_files_that_cannot_be_read_are_refused_as_a_whole(world, name, data, words):
    result = run(world, data, name=name)
    assert len(result.errors) == 1
    assert result.errors[0].row is None
    assert words in result.errors[0].message


def test_too_many_bytes_or_rows_is_refused(world, monkeypatch):
    result = run(world, b"x" * (imports.MAX_BYTES + 1))
    assert "MB" in result.errors[0].message and result.errors[0].row is None

    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = [row(f"问题{i}") for i in range(4)]
    result = run(world, csv_bytes(rows))
    assert [p.row for p in result.errors] == [None]
    assert "3 行" in result.errors[0].message
    assert run(world, csv_bytes(rows[:3])).created == 3


def test_the_default_caps(world):
    assert imports.MAX_ROWS == 5000
    assert imports.MAX_BYTES == 10 * 1024 * 1024


# ---------------------------------------------------------------- permissions


def test_a_person_may_import_only_for_units_they_keep(world):
    data = csv_bytes([row(), row("问题二", 维护单位="C-E-market", 相关事项="")])
    refused = run(world, data, by=world.people.east_market_handler)
    assert problems(refused) == {(2, "维护单位")}
    assert not KnowledgeEntry.objects.exists()
    # The administrator curates every unit's entries.
    assert run(world, data, by=world.people.admin).created == 2


def test_an_operator_may_not_import(world):
    # An operator keeps no unit's entries: refused before the file is read, nothing written.
    with pytest.raises(PermissionRefused) as refused:
        run(world, csv_bytes([row()]), by=world.people.operator)
    assert refused.value.field == "by"
    assert not KnowledgeEntry.objects.exists()


def test_an_inactive_person_may_not_import(world):
    person = world.people.east_eco_handler
    person.is_active = False
    person.save(update_fields=["is_active"])
    result = run(world, csv_bytes([row()]), by=person)
    assert [p.row for p in result.errors] == [None]
    assert not KnowledgeEntry.objects.exists()


# ---------------------------------------------------------------- dry run and updates


def test_a_dry_run_checks_everything_and_writes_nothing(world):
    generation = SearchGeneration.objects.filter(pk=1).values_list("generation", flat=True).first()
    result = run(world, csv_bytes([row(), row("问题二")]), dry_run=True)
    assert result.ok and not result.written
    assert result.created == 2 and result.entry_ids == []
    assert not KnowledgeEntry.objects.exists()
    assert SearchGeneration.objects.filter(pk=1).values_list("generation", flat=True).first() == generation
    # The services' refusals are found on a dry run too.
    result = run(world, csv_bytes([row(), row(维护单位="C-W-market")]), dry_run=True)
    assert problems(result) == {(3, "维护单位")}


def test_an_entry_number_updates_that_entry_as_a_new_version(world):
    entry = entry_create(
        by=world.people.east_eco_handler,
        question="餐饮店油烟扰民怎么处理",
        answer="旧口径",
        owning_unit=world.units.east_eco,
        source_title="旧文件",
        valid_from=TODAY - DAY,
        review_due=TODAY + 10 * DAY,
    )
    header = ["条目编号", *HEADER]
    rows = [
        [entry.pk, *row(答复口径="新口径")],
        ["", *row("新问题", 相关事项="")],
    ]
    result = run(world, xlsx_bytes(rows, header=header), name="更新.xlsx")
    assert result.ok, [str(p) for p in result.errors]
    assert (result.created, result.updated) == (1, 1)
    entry.refresh_from_db()
    assert entry.version == 2 and entry.answer == "新口径"
    assert list(entry.items.all()) == [world.items.fumes]
    assert entry.source_title == "旧文件"  # a column the file lacks stays as it was
    assert entry.review_due == TODAY + 100 * DAY
    assert [v.answer for v in entry.versions.order_by("version")] == ["旧口径", "新口径"]
    assert entry.versions.get(version=2).note == "导入：更新.xlsx"
    assert KnowledgeEntry.objects.count() == 2

    # The same file again changes nothing of the entry: no new version, no duplicate.
    again = run(world, xlsx_bytes([rows[0]], header=header), name="更新.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert KnowledgeEntry.objects.get(pk=entry.pk).version == 2


def test_entry_numbers_that_do_not_exist_repeat_or_belong_to_others_are_refused(world):
    others = entry_create(
        by=world.people.admin,
        question="别的单位的条目",
        answer="口径",
        owning_unit=world.units.west_market,
        valid_from=TODAY,
        review_due=TODAY + 10 * DAY,
    )
    own = entry_create(
        by=world.people.east_eco_handler,
        question="自己的条目",
        answer="口径",
        owning_unit=world.units.east_eco,
        valid_from=TODAY,
        review_due=TODAY + 10 * DAY,
    )
    header = ["条目编号", *HEADER]
    rows = [
        [999999, *row("问题一")],
        [others.pk, *row("问题二")],
        [own.pk, *row("问题三")],
        [own.pk, *row("问题四")],
        ["abc", *row("问题五")],
    ]
    result = run(world, csv_bytes(rows, header=header))
    assert problems(result) == {(2, "条目编号"), (3, "条目编号"), (5, "条目编号"), (6, "条目编号")}
    assert KnowledgeEntry.objects.get(pk=own.pk).version == 1
    assert KnowledgeEntry.objects.get(pk=others.pk).version == 1


# ---------------------------------------------------------------- the template


def test_the_template_explains_each_column_and_skips_its_example(world):
    data = import_template_xlsx(owning_unit=world.units.east_eco)
    workbook = load_workbook(io.BytesIO(data))
    entries, notes = workbook.worksheets
    header = [cell.value for cell in entries[1]]
    assert header[:4] == ["条目编号", "问题", "答复口径", "维护单位"]
    assert {
        "相关事项",
        "关键词",
        "依据文件名称",
        "依据文号",
        "依据链接",
        "生效日期",
        "失效日期",
        "下次审核日期",
    } <= set(header)
    assert entries.cell(row=2, column=2).value.startswith(EXAMPLE_MARK)
    explained = {row[0]: row[2] for row in notes.iter_rows(min_row=2, values_only=True) if row and row[0]}
    assert explained["问题"] == "必填" and explained["失效日期"] == "选填"
    assert all(label in explained for label in header)

    # As downloaded: the example is skipped, and a file with nothing else is an error.
    as_is = run(world, data, name="模板.xlsx")
    assert as_is.skipped_rows == [2]
    assert not as_is.ok and "示例" in as_is.errors[0].message
    assert not KnowledgeEntry.objects.exists()

    # With the mark removed, the example row imports.
    question = entries.cell(row=2, column=2)
    question.value = question.value.removeprefix(EXAMPLE_MARK)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(world, buffer.getvalue(), name="模板.xlsx")
    assert result.ok, [str(p) for p in result.errors]
    assert result.created == 1 and result.skipped_rows == []
    entry = KnowledgeEntry.objects.get()
    assert entry.question == question.value and entry.owning_unit == world.units.east_eco
    assert entry.review_due > TODAY


def test_the_template_without_a_unit_still_opens(world):
    workbook = load_workbook(io.BytesIO(import_template_xlsx()))
    assert [sheet.title for sheet in workbook.worksheets] == ["知识条目", "填写说明"]


# ---------------------------------------------------------------- the command


@pytest.mark.parametrize("name", ["knowledge_import", "knowledge-import"])
def test_the_command_imports_and_prints_a_summary(world, tmp_path, name):
    path = tmp_path / "条目.csv"
    path.write_bytes(csv_bytes([row(), row("问题二")]))
    out = io.StringIO()
    call_command(name, str(path), "--by", "eve", "--dry-run", stdout=out)
    assert "将新建 2 条" in out.getvalue()
    assert not KnowledgeEntry.objects.exists()
    call_command(name, str(path), "--by", "eve", stdout=out)
    assert "已导入：新建 2 条，更新 0 条" in out.getvalue()
    assert KnowledgeEntry.objects.count() == 2


def test_the_command_fails_with_every_row_error(world, tmp_path):
    path = tmp_path / "条目.xlsx"
    path.write_bytes(xlsx_bytes([row(), row("问题二", 维护单位="NOPE"), row("问题三", 生效日期="明天")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="共 2 处错误"):
        call_command("knowledge_import", str(path), "--by", "eve", stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("第 3 行【维护单位】") and lines[1].startswith("第 4 行【生效日期】")
    assert not KnowledgeEntry.objects.exists()


def test_the_command_line_exits_non_zero_on_an_error_and_zero_on_success(
    world, tmp_path, capsys, monkeypatch
):
    from django.db import connections

    from yousu.cli import main

    # A command run from the command line closes every connection when it ends; in-process, that
    # would close the test's own transaction on PostgreSQL.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(维护单位="NOPE")]))
    assert main(["knowledge-import", str(bad), "--by", "eve"]) != 0
    err = capsys.readouterr().err
    assert "第 2 行【维护单位】" in err and "Traceback" not in err
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row()]))
    assert main(["knowledge-import", str(good), "--by", "eve"]) == 0
    assert "新建 1 条" in capsys.readouterr().out
    assert KnowledgeEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--by", "nobody"], "nobody"), (["--by", "eve"], "找不到文件")],
)
def test_the_command_refuses_an_unknown_user_or_file(world, tmp_path, args, words):
    path = tmp_path / ("条目.csv" if "nobody" in args else "missing.csv")
    if "nobody" in args:
        path.write_bytes(csv_bytes([row()]))
    with pytest.raises(CommandError, match=words):
        call_command("knowledge_import", str(path), *args)
