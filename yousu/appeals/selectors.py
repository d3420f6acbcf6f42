"""Reads of intake: who reaches which appeal, possible duplicates, and the citizen's personal data as
each person may see it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.errors import NotFound
from yousu.org.choices import LEVEL_DEPTH, Level, RoleCode, UnitKind
from yousu.org.models import Area, Person
from yousu.org.selectors import in_own_jurisdiction, is_jurisdiction_wide

from .choices import OPEN_APPEAL_STATUSES
from .models import Appeal, PersonalDataAccess

DUPLICATE_WINDOW = dt.timedelta(days=30)

# Later stages widen who reaches an appeal without this app importing them: dispatch adds the units
# its orders went to and a platform's queue (registered from its AppConfig.ready). Each hook gives a
# filter on Appeal for a person who is not jurisdiction-wide.
APPEAL_REACH_HOOKS: list[Callable[[Person], Q]] = []


# ---------------------------------------------------------------- who reaches an appeal


def appeals_visible_to(person: Person | None) -> QuerySet[Appeal]:
    """The appeals a person may see and act on: the one answer that pages, the API and the services
    (a hot issue's dispatch, a link between duplicates) all ask. City-wide roles reach every appeal of
    their jurisdiction; others the appeals their unit received and what later stages give them (an
    order for a unit they can see, a platform's own queue)."""
    appeals = Appeal.objects.all()
    if person is None or not person.is_authenticated or not person.is_active:
        return appeals.none()
    if is_jurisdiction_wide(person):
        return in_own_jurisdiction(person, appeals)
    reach = [hook(person) for hook in APPEAL_REACH_HOOKS]
    if person.unit_id:
        reach.append(Q(intake_unit_id=person.unit_id))
    if not reach:
        return appeals.none()
    seen = reach[0]
    for more in reach[1:]:
        seen |= more
    return appeals.filter(seen)


def appeals_beyond_reach(person: Person | None, appeals: Iterable[Appeal]) -> list[Appeal]:
    """Those of `appeals` that the person does not reach (one query), in the order given."""
    appeals = list(appeals)
    if not appeals:
        return []
    reached = set(
        appeals_visible_to(person).filter(pk__in={a.pk for a in appeals}).values_list("pk", flat=True)
    )
    return [appeal for appeal in appeals if appeal.pk not in reached]


def check_reach(person: Person | None, appeals: Iterable[Appeal], *, field: str) -> None:
    """Refuse an action on an appeal the person does not reach as if it did not exist (NotFound): the
    answer must not tell an outsider that another unit's appeal is there. Without a person (the
    platform's own jobs) there is nobody to check."""
    if person is None:
        return
    beyond = appeals_beyond_reach(person, appeals)
    if beyond:
        raise NotFound(_("没有诉求 %(code)s，或您无权办理") % {"code": beyond[0].code}, field=field)


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
