"""Import and export of areas and units (CSV or XLSX); the column layouts are in the README."""

from __future__ import annotations

import json

from django.db.models import QuerySet

from yousu.core.errors import DomainError
from yousu.core.tabular import Table, choice_value, require_columns, run_import

from .choices import AreaKind, Level, UnitKind
from .models import Area, Sector, Unit
from .services import area_create, area_update, sector_ensure, unit_create, unit_update

AREA_COLUMNS = ["code", "name", "kind", "parent_code", "boundary"]
UNIT_COLUMNS = [
    "code",
    "name",
    "kind",
    "level",
    "parent_code",
    "area_code",
    "sector_code",
    "sector_name",
    "phone",
]


def _required(row: dict, column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise DomainError("不能为空", field=column)
    return value


def _once(seen: dict, code: str, number: int, what: str) -> None:
    if code in seen:
        raise DomainError(f"{what}编码 {code} 在第 {seen[code]} 行已出现过（编码重复）", field="code")
    seen[code] = number


def import_areas(table: Table) -> int:
    require_columns(table, AREA_COLUMNS)
    seen: dict[str, int] = {}

    def handle(number: int, row: dict) -> None:
        code = _required(row, "code")
        _once(seen, code, number, "区域")
        kind = choice_value(AreaKind.choices, _required(row, "kind"), "kind")
        parent = None
        if row["parent_code"]:
            parent = Area.objects.filter(code=row["parent_code"]).first()
            if parent is None:
                raise DomainError(
                    f"上级区域 {row['parent_code']} 不存在（须在前面的行或已有数据中）", field="parent_code"
                )
        boundary = None
        if row["boundary"]:
            try:
                boundary = json.loads(row["boundary"])
            except json.JSONDecodeError as exc:
                raise DomainError(f"不是有效的 GeoJSON：{exc.msg}", field="boundary") from None
            if isinstance(boundary, dict) and boundary.get("type") == "Feature":
                boundary = boundary.get("geometry")
        existing = Area.objects.filter(code=code).first()
        name = _required(row, "name")
        if existing:
            area_update(existing, name=name, kind=kind, parent=parent, boundary=boundary)
        else:
            area_create(code=code, name=name, kind=kind, parent=parent, boundary=boundary)

    return run_import(table, handle)


def import_units(table: Table) -> int:
    require_columns(table, UNIT_COLUMNS)
    seen: dict[str, int] = {}

    def handle(number: int, row: dict) -> None:
        code = _required(row, "code")
        _once(seen, code, number, "单位")
        kind = choice_value(UnitKind.choices, _required(row, "kind"), "kind")
        level = choice_value(Level.choices, _required(row, "level"), "level")
        area = Area.objects.filter(code=_required(row, "area_code")).first()
        if area is None:
            raise DomainError(f"服务区域 {row['area_code']} 不存在", field="area_code")
        parent = None
        if row["parent_code"]:
            parent = Unit.objects.filter(code=row["parent_code"]).first()
            if parent is None:
                raise DomainError(
                    f"上级单位 {row['parent_code']} 不存在（须在前面的行或已有数据中）", field="parent_code"
                )
        sector = None
        if row["sector_code"]:
            known = Sector.objects.filter(code=row["sector_code"]).first()
            if known is None and not row["sector_name"]:
                raise DomainError(
                    f"职能领域 {row['sector_code']} 是新的，请在 sector_name 列写出名称", field="sector_name"
                )
            sector = sector_ensure(code=row["sector_code"], name=row["sector_name"] or known.name)
        fields = dict(
            name=_required(row, "name"),
            kind=kind,
            level=level,
            area=area,
            parent=parent,
            sector=sector,
            phone=row["phone"],
        )
        existing = Unit.objects.filter(code=code).first()
        if existing:
            unit_update(existing, **fields)
        else:
            unit_create(code=code, **fields)

    return run_import(table, handle)


def export_areas(queryset: QuerySet[Area] | None = None):
    areas = (
        (queryset if queryset is not None else Area.objects.all()).select_related("parent").order_by("path")
    )
    rows = (
        [
            a.code,
            a.name,
            a.kind,
            a.parent.code if a.parent else "",
            json.dumps(a.boundary, ensure_ascii=False) if a.boundary else "",
        ]
        for a in areas
    )
    return AREA_COLUMNS, rows


def export_units(queryset: QuerySet[Unit] | None = None):
    units = (
        (queryset if queryset is not None else Unit.objects.all())
        .select_related("parent", "area", "sector")
        .order_by("path")
    )
    rows = (
        [
            u.code,
            u.name,
            u.kind,
            u.level,
            u.parent.code if u.parent else "",
            u.area.code,
            u.sector.code if u.sector else "",
            u.sector.name if u.sector else "",
            u.phone,
        ]
        for u in units
    )
    return UNIT_COLUMNS, rows
