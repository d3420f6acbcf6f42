"""Import and export of the catalog and its responsibility rules (CSV or XLSX).

Two catalog layouts are read: Yousu's own (one row per node, with codes) and the plain 3-column
taxonomy layout (一级分类, 二级分类, 三级分类) used by published appeal taxonomies, for which codes
are generated and kept stable across re-imports by matching names under the same parent.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from yousu.core.errors import DomainError
from yousu.core.tabular import Table, TableError, choice_value, require_columns, run_import
from yousu.org.choices import Level
from yousu.org.models import Area, Person, Sector, Unit

from .choices import AppealKind, CatalogLevel, RuleTarget
from .models import CatalogItem, ResponsibilityRule, TimeLimitClass
from .services import item_create, item_update, rule_change, rule_create

CATALOG_COLUMNS = [
    "code",
    "name",
    "level",
    "parent_code",
    "keywords",
    "appeal_kinds",
    "time_limit_class",
    "description",
]
TAXONOMY_COLUMNS = ["一级分类", "二级分类", "三级分类"]
RULE_COLUMNS = [
    "item_code",
    "area_code",
    "target",
    "level",
    "sector_code",
    "unit_code",
    "valid_from",
    "reason",
]
KIND_SEPARATORS = re.compile(r"[|、，,;；\s]+")


def catalog_layout(table: Table) -> str:
    if set(TAXONOMY_COLUMNS) <= set(table.header):
        require_columns(table, TAXONOMY_COLUMNS)
        return "taxonomy"
    require_columns(table, CATALOG_COLUMNS)
    return "yousu"


def import_catalog(table: Table, *, default_time_limit_class: str = "normal") -> int:
    layout = catalog_layout(table)
    default_class = TimeLimitClass.objects.filter(code=default_time_limit_class).first()
    if default_class is None:
        raise TableError(f"时限类别 {default_time_limit_class} 不存在")
    if layout == "taxonomy":
        return _import_taxonomy(table, default_class)
    return _import_native(table)


def _appeal_kinds(text: str) -> list[str]:
    kinds = []
    for part in KIND_SEPARATORS.split(text):
        if part:
            kind = choice_value(AppealKind.choices, part, "appeal_kinds")
            if kind not in kinds:
                kinds.append(kind)
    return kinds


def _import_native(table: Table) -> int:
    seen: dict[str, int] = {}
    classes = {c.code: c for c in TimeLimitClass.objects.all()}

    def handle(number: int, row: dict) -> None:
        code = row["code"]
        if not code:
            raise DomainError("不能为空", field="code")
        if code in seen:
            raise DomainError(f"编码 {code} 在第 {seen[code]} 行已出现过（编码重复）", field="code")
        seen[code] = number
        if not row["name"]:
            raise DomainError("不能为空", field="name")
        try:
            level = int(row["level"])
        except ValueError:
            raise DomainError("级别应为 1、2 或 3", field="level") from None
        if level not in CatalogLevel.values:
            raise DomainError("级别应为 1、2 或 3", field="level")
        parent = None
        if row["parent_code"]:
            parent = CatalogItem.objects.filter(code=row["parent_code"]).first()
            if parent is None:
                raise DomainError(
                    f"上级 {row['parent_code']} 不存在（须在前面的行或已有数据中）", field="parent_code"
                )
        time_limit_class = None
        if row["time_limit_class"]:
            time_limit_class = classes.get(row["time_limit_class"])
            if time_limit_class is None:
                raise DomainError(
                    f"时限类别 {row['time_limit_class']} 不存在，可选：{'、'.join(classes)}",
                    field="time_limit_class",
                )
        fields = dict(
            name=row["name"],
            parent=parent,
            keywords=row["keywords"],
            appeal_kinds=_appeal_kinds(row["appeal_kinds"]),
            time_limit_class=time_limit_class,
            description=row["description"],
        )
        existing = CatalogItem.objects.filter(code=code).first()
        if existing:
            if existing.level != level:
                raise DomainError(
                    f"已有编码 {code} 的级别是 {existing.level}，不能改为 {level}", field="level"
                )
            item_update(existing, **fields)
        else:
            item_create(code=code, level=level, **fields)

    return run_import(table, handle)


def _import_taxonomy(table: Table, default_class: TimeLimitClass) -> int:
    """Each row is a domain/category/item path of names; nodes are shared by name under a parent."""
    seen_paths: dict[tuple[str, str, str], int] = {}

    def child(parent: CatalogItem | None, name: str, level: int) -> CatalogItem:
        existing = CatalogItem.objects.filter(parent=parent, level=level, name=name).first()
        if existing:
            return existing
        siblings = CatalogItem.objects.filter(parent=parent, level=level)
        if parent is None:
            code = _next_code("T", siblings, width=2)
        else:
            code = _next_code(parent.code + "-", siblings, width=2 if level == 2 else 3)
        return item_create(
            code=code,
            name=name,
            level=level,
            parent=parent,
            time_limit_class=default_class if level == CatalogLevel.ITEM else None,
        )

    def handle(number: int, row: dict) -> None:
        names = [row[column] for column in TAXONOMY_COLUMNS]
        for column, name in zip(TAXONOMY_COLUMNS, names, strict=True):
            if not name:
                raise DomainError("不能为空", field=column)
        key = tuple(names)
        if key in seen_paths:
            raise DomainError(f"与第 {seen_paths[key]} 行重复", field="三级分类")
        seen_paths[key] = number
        domain = child(None, names[0], CatalogLevel.DOMAIN)
        category = child(domain, names[1], CatalogLevel.CATEGORY)
        child(category, names[2], CatalogLevel.ITEM)

    return run_import(table, handle)


def _next_code(prefix: str, siblings, *, width: int) -> str:
    used = {item.code for item in siblings}
    number = len(used) + 1
    while True:
        code = f"{prefix}{number:0{width}d}"
        if code not in used and not CatalogItem.objects.filter(code=code).exists():
            return code
        number += 1


def _parse_moment(text: str, column: str) -> dt.datetime:
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise DomainError("时间格式应为 2026-01-01 或 2026-01-01T08:00:00+08:00", field=column)
        moment = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def import_rules(table: Table, *, by: Person) -> int:
    """Put each row's rule in force. A row equal to the rule in force is left alone; a row that
    differs becomes a new version from its valid_from (the old one is closed, not overwritten)."""
    require_columns(table, RULE_COLUMNS)
    seen: dict[tuple[str, str], int] = {}

    def handle(number: int, row: dict) -> None:
        if not row["item_code"]:
            raise DomainError("不能为空", field="item_code")
        key = (row["item_code"], row["area_code"])
        if key in seen:
            raise DomainError(f"同一事项和区域在第 {seen[key]} 行已有规则", field="item_code")
        seen[key] = number
        item = CatalogItem.objects.filter(code=row["item_code"]).first()
        if item is None:
            raise DomainError(f"目录事项 {row['item_code']} 不存在", field="item_code")
        area = None
        if row["area_code"]:
            area = Area.objects.filter(code=row["area_code"]).first()
            if area is None:
                raise DomainError(f"区域 {row['area_code']} 不存在", field="area_code")
        target = choice_value(RuleTarget.choices, row["target"], "target")
        level = choice_value(Level.choices, row["level"], "level") if row["level"] else ""
        sector = unit = None
        if row["sector_code"]:
            sector = Sector.objects.filter(code=row["sector_code"]).first()
            if sector is None:
                raise DomainError(f"职能领域 {row['sector_code']} 不存在", field="sector_code")
        if row["unit_code"]:
            unit = Unit.objects.filter(code=row["unit_code"]).first()
            if unit is None:
                raise DomainError(f"单位 {row['unit_code']} 不存在", field="unit_code")
        valid_from = _parse_moment(row["valid_from"], "valid_from") if row["valid_from"] else timezone.now()
        if not row["reason"]:
            raise DomainError("必须写明依据", field="reason")
        target_fields = dict(target=target, level=level, sector=sector, unit=unit)
        current = ResponsibilityRule.objects.filter(item=item, area=area, valid_until__isnull=True).first()
        if current is None:
            rule_create(
                item=item, area=area, valid_from=valid_from, reason=row["reason"], by=by, **target_fields
            )
        elif not _same_target(current, **target_fields):
            rule_change(rule=current, effective_at=valid_from, reason=row["reason"], by=by, **target_fields)

    return run_import(table, handle)


def _same_target(rule: ResponsibilityRule, *, target, level, sector, unit) -> bool:
    if rule.target != target:
        return False
    if target == RuleTarget.UNIT:
        return rule.unit_id == (unit.pk if unit else None)
    return rule.level == level and rule.sector_id == (sector.pk if sector else None)


def export_catalog():
    items = CatalogItem.objects.select_related("parent", "time_limit_class").order_by("path")
    rows = (
        [
            i.code,
            i.name,
            i.level,
            i.parent.code if i.parent else "",
            i.keywords,
            "|".join(i.appeal_kinds),
            i.time_limit_class.code if i.time_limit_class else "",
            i.description,
        ]
        for i in items
    )
    return CATALOG_COLUMNS, rows


def export_rules(at: dt.datetime | None = None):
    """The rules in force at `at` (now by default) in the import layout."""
    rules = (
        ResponsibilityRule.objects.in_force(at or timezone.now())
        .select_related("item", "area", "sector", "unit")
        .order_by("item__path", "area__path")
    )
    rows = (
        [
            r.item.code,
            r.area.code if r.area else "",
            r.target,
            r.level if r.target != RuleTarget.UNIT else "",
            r.sector.code if r.sector else "",
            r.unit.code if r.unit else "",
            timezone.localtime(r.valid_from).isoformat(),
            r.reason,
        ]
        for r in rules
    )
    return RULE_COLUMNS, rows
