"""A city's working calendar: the writes (office hours, overrides, declared years) and the cached read
that deadline arithmetic (yousu.core.workcalendar) runs on.

Caching: each process keeps the calendars it has built, keyed by city id, together with the
version number that Django's cache held for that city when it was built. Every write, whether
through these services or a model's save/delete (the admin), bumps the version, so the next read in
any process that shares the cache rebuilds the calendar. The version is bumped once at the write,
so this process's own reads see it at once, and again when the transaction commits, because a
process that rebuilt in between read the rows as they were before the commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import time

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError
from yousu.core.workcalendar import WorkCalendar

from .choices import Level
from .models import Area, CalendarOverride, CalendarYear, Person, Unit, WorkingCalendar
from .services import full_clean_or_raise

VERSION_KEY = "yousu:calendar-version:{city_id}"
# A process rebuilds a calendar at least this often even without a bump: a safety net for a
# deployment whose cache is not shared between processes (the local-memory default).
LOCAL_LIFETIME = 300.0

# city id → (version, monotonic time built, calendar)
_built: dict[int, tuple[int, float, WorkCalendar]] = {}
# Cities written in a transaction of this process that has not committed yet: a calendar built from
# those rows would outlive a rollback, so it is not kept.
_uncommitted: set[int] = set()


# ---------------------------------------------------------------- reading


def calendar_for_area(area: Area) -> WorkCalendar:
    """The working calendar of the city that `area` lies in (the defaults if it has none)."""
    if area.level == Level.CITY:
        city_id = area.pk
    else:
        city_id = Area.objects.filter(code=area.path_codes()[0]).values_list("pk", flat=True).get()
    return calendar_for_city_id(city_id)


def calendar_for_unit(unit: Unit) -> WorkCalendar:
    """The working calendar of the city the unit serves in."""
    return calendar_for_area(unit.area)


def calendar_for_city_id(city_id: int) -> WorkCalendar:
    version = _version(city_id)
    kept = _built.get(city_id)
    now = time.monotonic()
    if kept is not None and kept[0] == version and now - kept[1] < LOCAL_LIFETIME:
        return kept[2]
    calendar = _build(city_id)
    if city_id not in _uncommitted:
        _built[city_id] = (version, now, calendar)
    return calendar


def _build(city_id: int) -> WorkCalendar:
    tz = timezone.get_default_timezone()
    row = WorkingCalendar.objects.filter(area_id=city_id).first()
    if row is None:
        return WorkCalendar(tz=tz)
    return WorkCalendar(
        sessions=row.sessions(),
        overrides=dict(row.overrides.values_list("date", "is_workday")),
        declared_years=frozenset(row.years.values_list("year", flat=True)),
        tz=tz,
    )


def _version(city_id: int) -> int:
    key = VERSION_KEY.format(city_id=city_id)
    version = cache.get(key)
    if version is None:
        # Starting from the clock, not from 1: after the cache lost the key, a new count must not
        # meet a number that a process still holds for an older calendar.
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key)
    return version


def _bump(city_id: int) -> None:
    key = VERSION_KEY.format(city_id=city_id)
    try:
        cache.incr(key)
    except ValueError:  # not in the cache (never read, or evicted)
        cache.set(key, time.time_ns(), timeout=None)


def calendar_changed(city_id: int) -> None:
    """Make every process rebuild this city's calendar: now, and again after the commit."""
    _bump(city_id)
    _built.pop(city_id, None)
    if transaction.get_connection().in_atomic_block:
        _uncommitted.add(city_id)
        transaction.on_commit(functools.partial(_committed, city_id))


def _committed(city_id: int) -> None:
    _uncommitted.discard(city_id)
    _bump(city_id)


# ---------------------------------------------------------------- writing


def _require_city(area: Area) -> None:
    if area is None or area.level != Level.CITY:
        raise DomainError(_("工作日历按辖区（市级区域）设立"), field="area")


def _require_actor(by: Person | None) -> None:
    if by is None:
        raise DomainError(_("必须记录由谁作出这一变更"), field="by")


def _calendar_row(area: Area) -> WorkingCalendar:
    _require_city(area)
    row = WorkingCalendar.objects.filter(area=area).first()
    if row is None:
        row = WorkingCalendar(area=area)
        full_clean_or_raise(row)
        row.save()
    return row


@transaction.atomic
def working_calendar_set_hours(
    *,
    area: Area,
    morning_start: dt.time,
    morning_end: dt.time,
    afternoon_start: dt.time,
    afternoon_end: dt.time,
) -> WorkingCalendar:
    """Set a city's office hours (creating its calendar if it has none)."""
    _require_city(area)
    row = WorkingCalendar.objects.filter(area=area).first() or WorkingCalendar(area=area)
    row.morning_start, row.morning_end = morning_start, morning_end
    row.afternoon_start, row.afternoon_end = afternoon_start, afternoon_end
    full_clean_or_raise(row)
    row.save()
    return row


@transaction.atomic
def calendar_override_set(
    *, area: Area, date: dt.date, is_workday: bool, reason: str, by: Person
) -> CalendarOverride:
    """Make `date` a working day or a day off in the city, whatever the official calendar says."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("必须写明原因，例如“市政府决定：暴雨停工”或“调休上班”"), field="reason")
    _require_actor(by)
    row = _calendar_row(area)
    override = CalendarOverride.objects.filter(calendar=row, date=date).first() or CalendarOverride(
        calendar=row, date=date
    )
    override.is_workday, override.reason = bool(is_workday), reason
    override.set_by, override.set_at = by, timezone.now()
    full_clean_or_raise(override)
    override.save()
    return override


@transaction.atomic
def calendar_override_remove(*, override: CalendarOverride, by: Person) -> None:
    """Remove an override; the date follows the official calendar again.

    An override is configuration, not a citizen's record, so the row goes. Who removed what and when
    is written to the calendar's admin history (LogEntry), where admin edits are recorded too.
    """
    _require_actor(by)
    calendar = override.calendar
    message = _("删除例外日 %(override)s，原设定人 %(set_by)s") % {
        "override": override,
        "set_by": override.set_by,
    }
    override.delete()
    LogEntry.objects.log_actions(
        user_id=by.pk, queryset=[calendar], action_flag=CHANGE, change_message=message, single_object=True
    )


@transaction.atomic
def calendar_year_declare(*, area: Area, year: int, source: str, by: Person) -> CalendarYear:
    """Declare that all of the city's holidays and make-up working days of `year` are entered as
    overrides, so deadlines may run into that year even where the official package stops."""
    source = (source or "").strip()
    if not source:
        raise DomainError(_("必须写明依据，例如国务院办公厅通知的文号和标题"), field="source")
    _require_actor(by)
    row = _calendar_row(area)
    if row.years.filter(year=year).exists():
        raise DomainError(_("%(year)s 年已经声明录入") % {"year": year}, field="year")
    declared = CalendarYear(
        calendar=row, year=year, source=source, declared_by=by, declared_at=timezone.now()
    )
    full_clean_or_raise(declared)
    declared.save()
    return declared
