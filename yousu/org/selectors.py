"""Reads of the organisation model, including who may see which unit's data.

Visibility is decided here, once, so that every page, API and export asks the same question:
a unit's staff see their own unit only; a unit leader also sees the units below it; a district
platform's dispatcher sees its district; city-wide roles see everything.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yousu.core.geo import contains

from .choices import PLATFORM_KINDS, Level, RoleCode
from .models import Area, Person, Unit

CITY_WIDE_ROLES = (RoleCode.ADMINISTRATOR, RoleCode.SUPERVISOR, RoleCode.LEADER, RoleCode.OPERATOR)


def units_visible_to(person: Person) -> QuerySet[Unit]:
    units = Unit.objects.all()
    if not person.is_authenticated or not person.is_active:
        return units.none()
    if person.is_superuser or person.has_role(*CITY_WIDE_ROLES):
        return units
    own = person.unit
    if own is None:
        return units.none()
    visible = Q(pk=own.pk)
    if person.has_role(RoleCode.DISPATCHER) and own.kind in PLATFORM_KINDS:
        # A platform dispatches to every unit serving its territory.
        visible |= Q(area__path__startswith=own.area.path)
    if person.has_role(RoleCode.UNIT_LEADER, RoleCode.DISPATCHER):
        visible |= Q(path__startswith=own.path)
    return units.filter(visible)


def distinct_units(units) -> list[Unit]:
    """The units in their given order, each once, without Nones (a form may repeat or omit one)."""
    seen, result = set(), []
    for unit in units or []:
        if unit is not None and unit.pk not in seen:
            seen.add(unit.pk)
            result.append(unit)
    return result


def can_see_unit(person: Person, unit: Unit) -> bool:
    return units_visible_to(person).filter(pk=unit.pk).exists()


def people_visible_to(person: Person) -> QuerySet[Person]:
    if not person.is_authenticated or not person.is_active:
        return Person.objects.none()
    if person.is_superuser or person.has_role(RoleCode.ADMINISTRATOR):
        return Person.objects.all()
    return Person.objects.filter(Q(unit__in=units_visible_to(person)) | Q(pk=person.pk))


def area_for_point(longitude: float, latitude: float, *, within: Area | None = None) -> Area | None:
    """The finest area whose boundary covers the point (usually a grid), or None.

    Walks down the tree, so only the children of a matched area are tested; an area without a
    boundary is looked through to its children.
    """
    candidates = list(
        Area.objects.filter(is_active=True, parent=within)
        if within
        else Area.objects.filter(is_active=True, level=Level.CITY)
    )
    best = None
    while candidates:
        found = None
        for area in candidates:
            if area.boundary is None or contains(area.boundary, longitude, latitude):
                # Unbounded areas are tentative: keep looking among their children.
                if area.boundary is not None:
                    found = area
                    break
                deeper = area_for_point(longitude, latitude, within=area)
                if deeper is not None:
                    return deeper
        if found is None:
            break
        best = found
        candidates = list(found.children.filter(is_active=True))
    return best
