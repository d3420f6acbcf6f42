"""What the pages' pickers offer, by name and never by code: a city's unit tree grouped under the
platform that dispatches to each unit, and its catalog's items grouped by domain and category."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from yousu.catalog.choices import CatalogLevel
from yousu.catalog.models import CatalogItem
from yousu.org.choices import PLATFORM_KINDS
from yousu.org.models import Area, Unit

# A full-width space per level below the group's top, so that a community sits under its street.
INDENT = "\u3000"


@dataclass
class Choice:
    pk: int
    label: str


@dataclass
class ChoiceGroup:
    label: str
    choices: list[Choice] = field(default_factory=list)


def unit_tree(jurisdiction: Area | None, *, exclude: tuple[int, ...] = ()) -> list[ChoiceGroup]:
    """The active units of `jurisdiction` (a city) that handle orders, under the platform nearest above
    each, indented by their depth below it; platforms are the groups, not choices."""
    units = Unit.objects.filter(is_active=True).order_by("path")
    if jurisdiction is not None:
        units = units.filter(area__path__startswith=jurisdiction.path)
    units = list(units)
    platforms = {unit.code: unit for unit in units if unit.kind in PLATFORM_KINDS}
    groups: dict[str, ChoiceGroup] = {code: ChoiceGroup(unit.name) for code, unit in platforms.items()}
    for unit in units:
        if unit.kind in PLATFORM_KINDS or unit.pk in exclude:
            continue
        above = unit.path_codes()[:-1]
        platform = next((code for code in reversed(above) if code in platforms), None)
        if platform is None:
            continue  # a unit no platform dispatches to receives no orders
        depth = len(above) - above.index(platform) - 1
        groups[platform].choices.append(Choice(unit.pk, INDENT * depth + unit.name))
    return [group for group in groups.values() if group.choices]


def catalog_items(jurisdiction: Area | None) -> list[ChoiceGroup]:
    """The active three-level items `jurisdiction`'s appeals may use, grouped as "domain / category"."""
    items = CatalogItem.objects.filter(level=CatalogLevel.ITEM, is_active=True).order_by("path")
    if jurisdiction is not None:
        items = items.filter(Q(jurisdiction__isnull=True) | Q(jurisdiction=jurisdiction))
    names = dict(CatalogItem.objects.filter(level__lt=CatalogLevel.ITEM).values_list("code", "name"))
    groups: dict[str, ChoiceGroup] = {}
    for item in items:
        above = item.path_codes()[:-1]
        label = " / ".join(names.get(code, "") for code in above)
        groups.setdefault(label, ChoiceGroup(label)).choices.append(Choice(item.pk, item.name))
    return list(groups.values())
