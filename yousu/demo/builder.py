"""Build (or bring up to date) the demo city: areas, units, catalog, access list, rules, people.

Everything goes through the same importers and services a real city would use, so the demo is
also a check that they work together. Running it again changes nothing that is already there.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from yousu.catalog.choices import AccessChangeAction
from yousu.catalog.io import import_catalog, import_rules
from yousu.catalog.models import AccessList, CatalogItem
from yousu.catalog.services import (
    access_list_create,
    access_list_decide,
    access_list_establish,
    access_list_propose,
)
from yousu.core.tabular import Table, read_table
from yousu.core.workcalendar import DEFAULT_SESSIONS
from yousu.intelligence.places import import_place_names
from yousu.org.calendar import calendar_override_set, calendar_year_declare, working_calendar_set_hours
from yousu.org.io import import_areas, import_units
from yousu.org.models import Area, Person, Unit, WorkingCalendar
from yousu.org.services import area_set_appeal_code_prefix, grid_assign, person_create

from .activity import SCENARIOS
from .city import (
    CALENDAR_DECLARED_YEARS,
    CALENDAR_OVERRIDES,
    CITY,
    CITY_APPEAL_PREFIX,
    CITY_PLATFORM,
    area_rows,
    unit_rows,
)
from .knowledge import ensure_demo_knowledge
from .people import DEMO_GRID_DUTIES, DEMO_PASSWORD, DEMO_PEOPLE

DATA_DIR = Path(__file__).resolve().parent / "data"
ACCESS_LIST_NAME = "西宁市社区工作事项准入清单（演示）"
ACCESS_LIST_CAP = 47


@dataclass
class DemoSummary:
    areas: int
    units: int
    catalog_nodes: int
    items: int
    access_list_items: int
    rules_in_force: int
    people: list[tuple[str, str, str, str]]  # username, name, unit, roles


def _table(rows: list[dict]) -> Table:
    header = list(rows[0])
    return Table(header=header, rows=[(number, row) for number, row in enumerate(rows, start=2)])


@transaction.atomic
def build_demo() -> DemoSummary:
    import_areas(_table(area_rows()))
    area_set_appeal_code_prefix(Area.objects.get(code=CITY[0]), CITY_APPEAL_PREFIX)
    import_units(_table(unit_rows()))
    # Roads, landmarks and aliases so that the demo's appeals resolve to places.
    import_place_names(read_table(DATA_DIR / "places.csv"))
    import_catalog(read_table(DATA_DIR / "catalog.csv"))
    people = _ensure_people()
    admin, proposer = people["admin"], people["ymj_street"]
    ensure_demo_calendar(city=Area.objects.get(code=CITY[0]), by=admin)
    _ensure_access_list(proposer=proposer, approver=admin)
    import_rules(read_table(DATA_DIR / "rules.csv"), by=admin)
    # After the rules: each entry is kept by the unit they name for its matter.
    ensure_demo_knowledge(by=admin, scenarios=SCENARIOS, platform=Unit.objects.get(code=CITY_PLATFORM))
    return summarise()


def _ensure_people() -> dict[str, Person]:
    people = {}
    for username, name, unit_code, roles, staff, superuser in DEMO_PEOPLE:
        person = Person.objects.filter(username=username).first()
        if person is None:
            person = person_create(
                username=username,
                full_name=name,
                unit=Unit.objects.get(code=unit_code) if unit_code else None,
                roles=roles,
                password=DEMO_PASSWORD,
                is_staff=staff,
                is_superuser=superuser,
                is_demo=True,
            )
        people[username] = person
    for username, area_code, duty, unit_code in DEMO_GRID_DUTIES:
        grid_assign(
            area=Area.objects.get(code=area_code),
            person=people[username],
            duty=duty,
            unit=Unit.objects.get(code=unit_code) if unit_code else None,
        )
    return people


def ensure_demo_calendar(*, city: Area, by: Person) -> WorkingCalendar:
    """The demo city's working calendar: default office hours, the demo's own overrides and its
    (provisionally) declared years."""
    calendar = WorkingCalendar.objects.filter(area=city).first()
    if calendar is None:
        (morning_start, morning_end), (afternoon_start, afternoon_end) = DEFAULT_SESSIONS
        calendar = working_calendar_set_hours(
            area=city,
            morning_start=morning_start,
            morning_end=morning_end,
            afternoon_start=afternoon_start,
            afternoon_end=afternoon_end,
        )
    for date, is_workday, reason in CALENDAR_OVERRIDES:
        day = dt.date.fromisoformat(date)
        if not calendar.overrides.filter(date=day).exists():
            calendar_override_set(area=city, date=day, is_workday=is_workday, reason=reason, by=by)
    for year, source, provisional in CALENDAR_DECLARED_YEARS:
        if not calendar.years.filter(year=year).exists():
            calendar_year_declare(area=city, year=year, source=source, by=by, provisional=provisional)
    return calendar


def _ensure_access_list(*, proposer: Person, approver: Person) -> AccessList:
    """The demo's list is filled by the city in one step while it is being set up, then set up
    (设立): from then on changes climb street → district → city and the list may not grow."""
    city = Area.objects.get(code=CITY[0])
    access_list = AccessList.objects.filter(area=city).first() or access_list_create(
        name=ACCESS_LIST_NAME, area=city, cap=ACCESS_LIST_CAP
    )
    if access_list.established_at is not None:
        return access_list
    with (DATA_DIR / "access_list.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            item = CatalogItem.objects.get(code=row["item_code"])
            if access_list.entries.filter(item=item).exists():
                continue
            change = access_list.changes.filter(item=item, status="proposed").first() or access_list_propose(
                access_list=access_list,
                action=AccessChangeAction.ADD,
                item=item,
                reason=row["reason"],
                by=proposer,
            )
            access_list_decide(
                change=change, approve=True, note="演示数据：设立清单时由市级审批", by=approver
            )
    return access_list_establish(access_list=access_list, by=approver)


def summarise() -> DemoSummary:
    from django.utils import timezone

    from yousu.catalog.models import AccessListEntry, ResponsibilityRule

    people = [
        (p.username, p.full_name, p.unit.name if p.unit else "", "、".join(str(r) for r in p.roles.all()))
        for p in Person.objects.filter(is_demo=True)
        .exclude(password__startswith="!")  # actors can't log in
        .select_related("unit")
        .prefetch_related("roles")
        .order_by("id")
    ]
    return DemoSummary(
        areas=Area.objects.count(),
        units=Unit.objects.count(),
        catalog_nodes=CatalogItem.objects.count(),
        items=CatalogItem.objects.filter(level=3).count(),
        access_list_items=AccessListEntry.objects.count(),
        rules_in_force=ResponsibilityRule.objects.in_force(timezone.now()).count(),
        people=people,
    )
