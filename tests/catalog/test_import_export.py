"""Imports: all rows or none, errors by row number; exports read back by the importers."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from yousu.catalog.io import export_catalog, export_rules, import_catalog, import_rules
from yousu.catalog.models import CatalogItem, ResponsibilityRule
from yousu.catalog.selectors import responsible_unit
from yousu.core.tabular import ImportFailed, TableError, read_table, write_table
from yousu.org.io import export_areas, export_units, import_areas, import_units
from yousu.org.models import Area, Unit

SHARED_TAXONOMY = Path(__file__).resolve().parents[3] / "shared" / "data" / "tipdm2020c" / "taxonomy.csv"
CATALOG_HEADER = "code,name,level,parent_code,keywords,appeal_kinds,time_limit_class,description"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_catalog_import_with_a_duplicate_code_writes_nothing(defaults, tmp_path):
    path = write(
        tmp_path,
        "catalog.csv",
        "\n".join(
            [
                CATALOG_HEADER,
                "A,城乡建设,1,,,,,",
                "A-1,市政设施,2,A,,,,",
                "A-1-1,井盖缺失,3,A-1,井盖,complaint|help,urgent,",
                "A-1-1,路灯不亮,3,A-1,路灯,投诉,quick,",
            ]
        ),
    )
    with pytest.raises(ImportFailed) as caught:
        import_catalog(read_table(path))
    assert [(e.row, e.column) for e in caught.value.errors] == [(5, "code")]
    assert "第 5 行" in str(caught.value) and "重复" in str(caught.value)
    assert CatalogItem.objects.count() == 0


def test_catalog_import_unknown_parent_and_bad_values_are_all_reported(defaults, tmp_path):
    path = write(
        tmp_path,
        "catalog.csv",
        "\n".join(
            [
                CATALOG_HEADER,
                "A,城乡建设,1,,,,,",
                "A-1-1,井盖缺失,3,NOPE,,,urgent,",
                "A-2,类别,2,A,,吵架,,",
                "A-3,类别,4,A,,,,",
                "A-4,类别,2,A,,,slow,",
            ]
        ),
    )
    with pytest.raises(ImportFailed) as caught:
        import_catalog(read_table(path))
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "parent_code"),
        (4, "appeal_kinds"),
        (5, "level"),
        (6, "time_limit_class"),
    ]
    assert CatalogItem.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [
        "code,name,level,parent,keywords,appeal_kinds,time_limit_class,description",  # misnamed column
        "code,name,level,parent_code,keywords,appeal_kinds,time_limit_class",  # missing column
    ],
)
def test_catalog_import_bad_header_is_refused_before_any_row(defaults, tmp_path, header):
    path = write(tmp_path, "catalog.csv", header + "\nA,城乡建设,1,,,,,\n")
    with pytest.raises(TableError, match="列"):
        import_catalog(read_table(path))
    assert CatalogItem.objects.count() == 0


def test_unreadable_files_are_clear_errors(defaults, tmp_path):
    with pytest.raises(TableError, match="找不到"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(TableError, match="空"):
        read_table(write(tmp_path, "empty.csv", ""))
    with pytest.raises(TableError, match="没有数据"):
        read_table(write(tmp_path, "header.csv", CATALOG_HEADER + "\n"))
    with pytest.raises(TableError, match=r"\.csv 或 \.xlsx"):
        read_table(write(tmp_path, "catalog.txt", "x"))
    with pytest.raises(TableError, match="Excel"):
        read_table(write(tmp_path, "fake.xlsx", "not a zip"))
    with pytest.raises(TableError, match="UTF-8"):
        read_table(write(tmp_path, "utf16.csv", CATALOG_HEADER, encoding="utf-16"))


def test_gbk_csv_from_a_chinese_spreadsheet_is_read(defaults, tmp_path):
    path = write(tmp_path, "catalog.csv", CATALOG_HEADER + "\nA,城乡建设,1,,,,,\n", encoding="gbk")
    import_catalog(read_table(path))
    assert CatalogItem.objects.get(code="A").name == "城乡建设"


def taxonomy_source(tmp_path):
    """The published taxonomy when the shared data is here, else a file in the same layout."""
    if SHARED_TAXONOMY.exists():
        return SHARED_TAXONOMY
    rows = (
        ["一级分类,二级分类,三级分类"]
        + [f"领域{d},类别{d}-{c},事项{d}-{c}-{i}" for d in range(3) for c in range(4) for i in range(5)]
        + ["领域0,类别0-0,其他", "领域1,类别1-0,其他"]
    )
    return write(tmp_path, "taxonomy.csv", "\n".join(rows))


def test_taxonomy_layout_imports_and_reimports_without_copies(defaults, tmp_path):
    source = taxonomy_source(tmp_path)
    with source.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[1:]
    domains = {r[0] for r in rows}
    categories = {(r[0], r[1]) for r in rows}
    import_catalog(read_table(source))
    assert CatalogItem.objects.filter(level=1).count() == len(domains)
    assert CatalogItem.objects.filter(level=2).count() == len(categories)
    assert CatalogItem.objects.filter(level=3).count() == len(rows)
    # "其他" under two different categories stays two items
    assert CatalogItem.objects.filter(level=3, name="其他").count() == sum(1 for r in rows if r[2] == "其他")
    codes_before = dict(CatalogItem.objects.values_list("path", "code"))
    import_catalog(read_table(source))
    assert dict(CatalogItem.objects.values_list("path", "code")) == codes_before
    assert all(i.time_limit_class.code == "normal" for i in CatalogItem.objects.filter(level=3)[:20])


def test_taxonomy_duplicate_row_is_reported(defaults, tmp_path):
    path = write(tmp_path, "t.csv", "一级分类,二级分类,三级分类\n甲,乙,丙\n甲,乙,丁\n甲,乙,丙\n")
    with pytest.raises(ImportFailed) as caught:
        import_catalog(read_table(path))
    assert caught.value.errors[0].row == 4
    assert CatalogItem.objects.count() == 0


def test_units_import_errors_are_numbered_and_nothing_is_written(world, tmp_path):
    header = "code,name,kind,level,parent_code,area_code,sector_code,sector_name,phone"
    path = write(
        tmp_path,
        "units.csv",
        "\n".join(
            [
                header,
                "N1,东区住建局,department,district,C-E-P,C-E,housing,住房和城乡建设,",
                "N2,东区教育局,department,district,NOPE,C-E,education,教育,",
                "N1,东区住建局二,department,district,C-E-P,C-E,housing,,",
                "N3,东区某局,department,district,C-E-P,NOWHERE,eco,,",
                "N4,某社区,社区/村,community,C-E-1,C-E-1,,,",
            ]
        ),
    )
    before = Unit.objects.count()
    with pytest.raises(ImportFailed) as caught:
        import_units(read_table(path))
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "parent_code"),
        (4, "code"),
        (5, "area_code"),
        (6, "area"),
    ]
    assert Unit.objects.count() == before
    assert not Unit.objects.filter(code="N1").exists()


def test_areas_import_accepts_chinese_kind_labels_and_geojson(defaults, tmp_path):
    header = "code,name,kind,parent_code,boundary"
    polygon = '"{""type"": ""Polygon"", ""coordinates"": [[[1,1],[2,1],[2,2],[1,2],[1,1]]]}"'
    path = write(
        tmp_path,
        "areas.csv",
        "\n".join(
            [
                header,
                "X,某市,市,,",
                "X-1,某区,区,X,",
                "X-1-1,某街道,街道,X-1,",
                "X-1-1-1,某社区,社区,X-1-1,",
                f"X-1-1-1-G,某网格,网格,X-1-1-1,{polygon}",
            ]
        ),
    )
    assert import_areas(read_table(path)) == 5
    assert Area.objects.get(code="X-1-1-1-G").level == "grid"


def test_org_and_catalog_round_trip_through_xlsx(world, tmp_path, django_db_blocker):
    exports = {}
    for name, exporter in (
        ("areas", export_areas),
        ("units", export_units),
        ("catalog", export_catalog),
        ("rules", export_rules),
    ):
        header, rows = exporter()
        path = tmp_path / f"{name}.xlsx"
        write_table(path, header, rows)
        exports[name] = path
    sheet = load_workbook(exports["units"]).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["code", "name", "kind"]

    snapshot = {
        "areas": sorted(Area.objects.values_list("code", "name", "kind", "level", "path")),
        "units": sorted(Unit.objects.values_list("code", "name", "kind", "level", "path", "area__code")),
        "items": sorted(CatalogItem.objects.values_list("code", "name", "level", "path", "keywords")),
    }
    admin = world.people.admin
    ResponsibilityRule.objects.all().delete()
    # Wipe everything the files describe and read it back.
    from yousu.catalog.models import AccessList, AccessListChange, AccessListEntry
    from yousu.org.models import GridAssignment, Person, WorkingCalendar

    WorkingCalendar.objects.all().delete()  # configuration of the city, not in these files
    AccessListEntry.objects.all().delete()
    AccessListChange.objects.all().delete()
    AccessList.objects.all().delete()
    GridAssignment.objects.all().delete()
    Person.objects.update(unit=None)
    for model in (Unit, CatalogItem, Area):
        while model.objects.exists():  # children first: the trees are protected
            model.objects.filter(children__isnull=True).delete()
    import_areas(read_table(exports["areas"]))
    import_units(read_table(exports["units"]))
    import_catalog(read_table(exports["catalog"]))
    assert snapshot == {
        "areas": sorted(Area.objects.values_list("code", "name", "kind", "level", "path")),
        "units": sorted(Unit.objects.values_list("code", "name", "kind", "level", "path", "area__code")),
        "items": sorted(CatalogItem.objects.values_list("code", "name", "level", "path", "keywords")),
    }
    # Rules that give items to communities need the access list, which only an approval restores.
    rows = [
        r
        for r in read_table(exports["rules"]).rows
        if r[1]["target"] != "territorial" or r[1]["level"] != "community"
    ]
    from yousu.core.tabular import Table

    import_rules(Table(header=read_table(exports["rules"]).header, rows=rows), by=admin)
    fumes = CatalogItem.objects.get(code="D1-01-01")
    grid = Area.objects.get(code="C-E-1-1-G1")
    assert responsible_unit(item=fumes, area=grid).unit.code == "C-E-eco"


def test_rules_reimport_of_the_same_file_changes_nothing_and_a_changed_row_makes_a_version(world, tmp_path):
    header, rows = export_rules()
    path = tmp_path / "rules.csv"
    write_table(path, header, rows)
    import_rules(read_table(path), by=world.people.admin)
    assert ResponsibilityRule.objects.count() == 4

    text = path.read_text(encoding="utf-8-sig").splitlines()
    week_ago = (timezone.localtime() - dt.timedelta(days=7)).isoformat()
    changed = next(line for line in text if line.startswith("D1-01-01,")).split(",")
    changed[4], changed[6], changed[7] = "market", week_ago, "会商决定"
    path.write_text("\n".join([text[0], ",".join(changed)]), encoding="utf-8")
    import_rules(read_table(path), by=world.people.admin)
    fumes = world.items.fumes
    assert ResponsibilityRule.objects.filter(item=fumes).count() == 2
    assert responsible_unit(item=fumes, area=world.areas.grid).unit == world.units.east_market
    earlier = timezone.now() - dt.timedelta(days=8)
    assert responsible_unit(item=fumes, area=world.areas.grid, at=earlier).unit == world.units.east_eco


def test_rules_import_refuses_community_target_off_the_list(world, tmp_path):
    path = write(
        tmp_path,
        "rules.csv",
        "\n".join(
            [
                "item_code,area_code,target,level,sector_code,unit_code,valid_from,reason",
                "D1-01-02,,sector,district,eco,,2026-02-01,初始",
                "D2-01-02,C-W,territorial,community,,,2026-02-01,让社区管停车",
            ]
        ),
    )
    with pytest.raises(ImportFailed) as caught:
        import_rules(read_table(path), by=world.people.admin)
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "target")]
    assert not ResponsibilityRule.objects.filter(item=world.items.dust).exists()


def test_xlsx_import_reads_numeric_codes_as_text(defaults, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "kind", "parent_code", "boundary"])
    sheet.append([630100, "某市", "city", None, None])
    sheet.append([630102, "某区", "district", 630100, None])
    path = tmp_path / "areas.xlsx"
    workbook.save(path)
    import_areas(read_table(path))
    assert Area.objects.get(code="630102").parent.code == "630100"
