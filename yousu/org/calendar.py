"""A city's working calendar: the writes (office hours, overrides, declared years), the cached read
that deadline arithmetic (yousu.core.workcalendar) runs on, and the notices that tell administrators
a year their deadlines need is missing or only provisional (the desk banner, /healthz, `yousu check`
and `yousu check-deploy` all ask calendar_notices).

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
from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError
from yousu.core.workcalendar import WorkCalendar, official_covers

from .choices import Level, RoleCode
from .models import Area, CalendarOverride, CalendarYear, Person, Unit, WorkingCalendar
from .services import full_clean_or_raise

VERSION_KEY = "yousu:calendar-version:{city_id}"
# From this month on, deadlines (seven working days, extensions) run into the next year, so its calendar
# must be known: from 1 December administrators are told when it is not.
NEXT_YEAR_FROM_MONTH = 12
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


# ---------------------------------------------------------------- what administrators must be told


@dataclass(frozen=True)
class CalendarNotice:
    """A year a city's deadlines need that its calendar does not hold in full: not declared at all
    (deadlines into it raise CalendarNotCovered), or declared provisionally (only the days fixed by
    law entered, the rest of the State Council's arrangement still to come)."""

    city: Area
    year: int
    provisional: bool
    current: bool  # the year we are in (intake and dispatch fail), not the next one

    @property
    def state(self) -> str:
        return "provisional" if self.provisional else "undeclared"

    @property
    def message(self) -> str:
        values = {"city": self.city.name, "year": self.year}
        if self.provisional:
            return (
                _(
                    "%(city)s %(year)s 年工作日历为临时声明：只录入了法定固定日期的假日。国务院办公厅公布"
                    "节假日安排后，请录入全部节假日和调休上班日，并重新声明该年（不勾选“临时声明”）。"
                )
                % values
            )
        if self.current:
            return (
                _(
                    "%(city)s 尚未声明 %(year)s 年工作日历：国家节假日数据不含该年，办理时限无法计算，"
                    "受理和派单会失败。请在工作日历中录入该年的节假日和调休上班日并声明该年。"
                )
                % values
            )
        return (
            _(
                "%(city)s 尚未声明 %(year)s 年工作日历：国家节假日数据不含该年，跨年的办理时限将无法计算。"
                "请在工作日历中录入已确定的假日（如 1 月 1 日元旦）并声明该年，可先临时声明。"
            )
            % values
        )


def years_to_hold(today: dt.date) -> list[int]:
    """The years a city's calendar must hold on `today`: this one, and from 1 December the next, since
    the time limits (up to seven working days, and extensions) then start to run into it."""
    return [today.year, today.year + 1] if today.month >= NEXT_YEAR_FROM_MONTH else [today.year]


def calendar_notices(*, today: dt.date | None = None, cities=None) -> list[CalendarNotice]:
    """For each city (every active jurisdiction unless given), each year of years_to_hold that the
    chinesecalendar package does not cover and the city has not declared, or has declared only
    provisionally. Before 1 December, with this year covered, nothing is asked of the database."""
    from .selectors import jurisdictions

    today = today or timezone.localdate()
    years = [year for year in years_to_hold(today) if not official_covers(year)]
    if not years:
        return []
    cities = list(jurisdictions() if cities is None else cities)
    declared = {
        (city_id, year): provisional
        for city_id, year, provisional in CalendarYear.objects.filter(
            calendar__area__in=cities, year__in=years
        ).values_list("calendar__area_id", "year", "provisional")
    }
    notices = []
    for city in cities:
        for year in years:
            provisional = declared.get((city.pk, year))
            if provisional is None or provisional:
                notices.append(
                    CalendarNotice(
                        city=city, year=year, provisional=bool(provisional), current=year == today.year
                    )
                )
    return notices


def calendar_notices_for(person) -> list[CalendarNotice]:
    """The notices shown to `person` on every page (the desk banner): an administrator's for their own
    city, a superuser's for every city; nobody else's, since only they may enter a calendar."""
    from .selectors import jurisdictions_visible_to

    if not (person.is_authenticated and person.is_active):
        return []
    if not (person.is_superuser or person.has_role(RoleCode.ADMINISTRATOR)):
        return []
    today = timezone.localdate()
    if all(official_covers(year) for year in years_to_hold(today)):
        return []  # the common case, on every page: no query
    return calendar_notices(today=today, cities=jurisdictions_visible_to(person))


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
def calendar_year_declare(
    *, area: Area, year: int, source: str, by: Person, provisional: bool = False
) -> CalendarYear:
    """Declare that the city's holidays and make-up working days of `year` are entered as overrides,
    so deadlines may run into that year even where the official package stops.

    `provisional` declares it before the State Council has published the year's arrangement, with
    only the days fixed by law entered (元旦, 1 January). Declaring a provisional year again, not
    provisionally, confirms it once the arrangement is entered: the row is updated in place, so the
    year is never undeclared in between, and the provisional declaration stays in the calendar's
    admin history."""
    source = (source or "").strip()
    if not source:
        raise DomainError(_("必须写明依据，例如国务院办公厅通知的文号和标题"), field="source")
    _require_actor(by)
    row = _calendar_row(area)
    existing = CalendarYear.objects.select_for_update().filter(calendar=row, year=year).first()
    if existing is not None and not (existing.provisional and not provisional):
        if existing.provisional:
            raise DomainError(_("%(year)s 年已经临时声明") % {"year": year}, field="year")
        raise DomainError(_("%(year)s 年已经声明录入") % {"year": year}, field="year")
    if existing is not None:
        message = _("确认 %(year)s 年已全部录入；原临时声明人 %(by)s，原依据：%(source)s") % {
            "year": year,
            "by": existing.declared_by,
            "source": existing.source,
        }
        LogEntry.objects.log_actions(
            user_id=by.pk, queryset=[row], action_flag=CHANGE, change_message=message, single_object=True
        )
    declared = existing or CalendarYear(calendar=row, year=year)
    declared.source, declared.provisional = source, bool(provisional)
    declared.declared_by, declared.declared_at = by, timezone.now()
    full_clean_or_raise(declared)
    declared.save()
    return declared
