"""Reads of intake: possible duplicates, and the citizen's personal data as each person may see it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from yousu.org.choices import LEVEL_DEPTH, Level, RoleCode, UnitKind
from yousu.org.models import Area, Person

from .choices import OPEN_APPEAL_STATUSES
from .models import Appeal, PersonalDataAccess

DUPLICATE_WINDOW = dt.timedelta(days=30)


def possible_duplicates(
    *, item=None, area: Area | None, text: str = "", exclude: Appeal | None = None, limit: int = 5
) -> list[Appeal]:
    """Open appeals about the same matter and place: same catalog item in the same community (or
    finer place), or, without an item, much the same words in the same community."""
    if area is None:
        return []
    # A community, or a coarser area, is its own place: only a finer one (a grid) looks it up.
    community_depth = LEVEL_DEPTH[Level.COMMUNITY]
    place = area if LEVEL_DEPTH[area.level] <= community_depth else area.ancestor_at(Level.COMMUNITY) or area
    candidates = Appeal.objects.filter(
        status__in=OPEN_APPEAL_STATUSES,
        duplicate_of__isnull=True,
        area__path__startswith=place.path,
        received_at__gte=timezone.now() - DUPLICATE_WINDOW,
    ).order_by("received_at")
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    if item is not None:
        return list(candidates.filter(item=item)[:limit])
    words = _bigrams(text)
    scored = []
    for appeal in candidates[:200]:
        other = _bigrams(appeal.title + appeal.content)
        if words and other:
            overlap = len(words & other) / len(words | other)
            if overlap >= 0.3:
                scored.append((overlap, appeal))
    scored.sort(key=lambda pair: -pair[0])
    return [appeal for _score, appeal in scored[:limit]]


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text if not ch.isspace())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


@dataclass(frozen=True)
class CitizenView:
    name: str
    phone: str
    masked: bool
    hidden: bool


def may_see_citizen_in_full(
    person: Person, appeal: Appeal, *, handling_unit_ids: set[int] | None = None
) -> bool:
    """Intake, the dispatching platforms, and the handler who must call back see the citizen in full;
    a confidential appeal hides the citizen from handling units altogether."""
    if person.is_superuser or person.has_role(RoleCode.OPERATOR):
        return True
    unit = person.unit
    if unit is None:
        return False
    if person.has_role(RoleCode.DISPATCHER) and (
        unit.kind == UnitKind.CITY_PLATFORM
        or (unit.kind == UnitKind.DISTRICT_PLATFORM and _dispatches(unit, appeal, handling_unit_ids))
    ):
        return True
    if appeal.confidential:
        return False
    return (
        bool(handling_unit_ids)
        and unit.pk in handling_unit_ids
        and person.has_role(RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER)
    )


def _dispatches(platform, appeal: Appeal, handling_unit_ids: set[int] | None) -> bool:
    # A district platform dispatches the appeals of its own territory, not those of its neighbours.
    in_territory = appeal.area_id is not None and appeal.area.path.startswith(platform.area.path)
    return in_territory or bool(handling_unit_ids and platform.pk in handling_unit_ids)


def citizen_for(
    person: Person, appeal: Appeal, *, handling_unit_ids: set[int] | None = None, purpose: str = "查看诉求"
) -> CitizenView:
    """The citizen's name and phone as `person` may see them; an unmasked view is recorded."""
    if appeal.anonymous:
        return CitizenView(name="", phone="", masked=False, hidden=False)
    if may_see_citizen_in_full(person, appeal, handling_unit_ids=handling_unit_ids):
        PersonalDataAccess.objects.create(appeal=appeal, person=person, purpose=purpose)
        return CitizenView(name=appeal.citizen_name, phone=appeal.citizen_phone, masked=False, hidden=False)
    if appeal.confidential:
        return CitizenView(name="", phone="", masked=True, hidden=True)
    return CitizenView(
        name=mask_name(appeal.citizen_name), phone=mask_phone(appeal.citizen_phone), masked=True, hidden=False
    )


def events_of(appeal: Appeal) -> QuerySet:
    return appeal.events.select_related("actor", "actor_unit").order_by("at", "id")
