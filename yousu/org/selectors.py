"""Reads of the organisation model, including who may see which unit's data.

Visibility is decided here, once, so that every page, API and export asks the same question:
a unit's staff see their own unit only; a unit leader also sees the units below it; a district
platform's dispatcher sees its district; city-wide roles see their whole jurisdiction (the city at
the root of their unit's area); the provincial role and superusers see every jurisdiction.

A jurisdiction is a city-level area, the root of an area tree. Everything else belongs to one through
an area: a unit through its area, an appeal through `Appeal.jurisdiction`, a calendar part through
its city, a local catalog item through `CatalogItem.jurisdiction`.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yousu.core.errors import NotFound
from yousu.core.geo import contains

from .choices import PLATFORM_KINDS, Level, RoleCode
from .models import Area, Person, Unit

CITY_WIDE_ROLES = (RoleCode.ADMINISTRATOR, RoleCode.SUPERVISOR, RoleCode.LEADER, RoleCode.OPERATOR)


def jurisdictions() -> QuerySet[Area]:
    """Every active jurisdiction (city-level area) of the deployment."""
    return Area.objects.filter(level=Level.CITY, is_active=True).defer("boundary").order_by("code")


def jurisdiction_of_area(area: Area | None) -> Area | None:
    """The city at the root of the area's tree (the area itself for a city)."""
    if area is None:
        return None
    if area.level == Level.CITY:
        return area
    return Area.objects.defer("boundary").filter(code=area.path_codes()[0], level=Level.CITY).first()


def jurisdiction_of(person: Person) -> Area | None:
    """The jurisdiction a person works in: the city of their unit's area. Without a unit (an
    administrator setting the platform up), the deployment's only jurisdiction if it has one; with
    several, none: such a person must be given a unit or the provincial role."""
    if not hasattr(person, "_jurisdiction"):
        unit = getattr(person, "unit", None)
        if unit is not None:
            person._jurisdiction = jurisdiction_of_area(unit.area)
        else:
            only = list(jurisdictions()[:2])
            person._jurisdiction = only[0] if len(only) == 1 else None
    return person._jurisdiction


def sees_every_jurisdiction(person: Person) -> bool:
    """Superusers and the provincial role read across jurisdictions; everyone else reads one."""
    return bool(
        person.is_authenticated
        and person.is_active
        and (person.is_superuser or person.has_role(RoleCode.PROVINCIAL))
    )


def jurisdictions_visible_to(person: Person) -> QuerySet[Area]:
    if sees_every_jurisdiction(person):
        return jurisdictions()
    own = jurisdiction_of(person) if person.is_authenticated and person.is_active else None
    return jurisdictions().filter(pk=own.pk) if own is not None else Area.objects.none()


def is_jurisdiction_wide(person: Person) -> bool:
    """Reads everything of (at least) one whole jurisdiction: a city-wide role of its city, the
    provincial role or a superuser."""
    if not person.is_authenticated or not person.is_active:
        return False
    return sees_every_jurisdiction(person) or person.has_role(*CITY_WIDE_ROLES)


def in_jurisdiction_of(person: Person, field: str) -> Q:
    """A filter keeping rows whose `field` (an Area path lookup prefix, e.g. "area__path") lies in the
    person's jurisdiction; matches everything for those who see every jurisdiction, nothing for a
    person without one."""
    if sees_every_jurisdiction(person):
        return Q()
    own = jurisdiction_of(person)
    if own is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__startswith": own.path})


def scope_within(person: Person, area: Area | None) -> Area | None:
    """The area a jurisdiction-wide figure or list is limited to: the chosen area when it lies in the
    person's jurisdiction, else (nothing chosen) the jurisdiction itself; None means every
    jurisdiction, for those who see them all. An area of another jurisdiction is refused (404)."""
    if sees_every_jurisdiction(person):
        return area
    own = jurisdiction_of(person)
    if own is None:
        raise NotFound(_("没有所属辖区"), field="area")
    if area is None:
        return own
    if not area.path.startswith(own.path):
        raise NotFound(_("区域不存在或不在本辖区：%(code)s") % {"code": area.code}, field="area")
    return area


def in_own_jurisdiction(person: Person, rows: QuerySet, field: str = "jurisdiction") -> QuerySet:
    """Rows of the person's jurisdiction (`field` names the city Area), all for those who see every one."""
    if sees_every_jurisdiction(person):
        return rows
    own = jurisdiction_of(person)
    return rows.filter(**{field: own}) if own is not None else rows.none()


def units_visible_to(person: Person) -> QuerySet[Unit]:
    units = Unit.objects.all()
    if not person.is_authenticated or not person.is_active:
        return units.none()
    if sees_every_jurisdiction(person):
        return units
    if person.has_role(*CITY_WIDE_ROLES):
        # City-wide roles see their own jurisdiction, never a neighbouring city's.
        return units.filter(in_jurisdiction_of(person, "area__path"))
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
    if sees_every_jurisdiction(person):
        return Person.objects.all()
    if person.has_role(RoleCode.ADMINISTRATOR):
        # An administrator manages the people of their jurisdiction (and those without a unit yet).
        return Person.objects.filter(in_jurisdiction_of(person, "unit__area__path") | Q(unit__isnull=True))
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


def leaders_by_unit(unit_ids) -> dict[int, list[Person]]:
    """The active leaders of each of `unit_ids`, in one query: those a node or a notice speaks to by name."""
    found: dict[int, list[Person]] = {}
    for person in Person.objects.filter(
        unit_id__in=unit_ids, roles__code=RoleCode.UNIT_LEADER, is_active=True
    ).distinct():
        found.setdefault(person.unit_id, []).append(person)
    return found
