"""Deadline arithmetic on a working-day calendar: China's official holidays and make-up working days
(调休) from the `chinesecalendar` package, a city's own overrides, and the city's office hours.

Pure arithmetic: no models, no database, no "now". The org app builds a `WorkCalendar` from a
city's stored calendar (`yousu.org.calendar.calendar_for_area`); everything here takes explicit
aware datetimes and answers in the calendar's time zone.

Conventions
-----------
- Working time is office time: the sessions of a working day (default 08:30–12:00 and 14:00–18:00,
  7 h 30 min a day). Nights, the lunch break, weekends and holidays do not count. A start outside
  office hours starts counting at the next session's opening.
- "N working days" is N × the day's office time, counted from the moment of receipt. An order
  received at 10:00 on a Tuesday with 3 working days is due at 10:00 on the Friday (when all four are
  working days). One received at 17:59 on the eve of a holiday with 1 working day uses 1 minute that
  evening and the rest after the holiday: it is due at 17:59 on the first working day after.
- A deadline is the earliest instant at which the time has run out: when it falls exactly on the end
  of a session, that end (12:00 or 18:00) is the answer, not the next session's opening.
- The calendar clock (urgent orders) counts every hour, 24 × 7; a calendar day is 24 hours.
- A day is a working day if the city overrides it so; otherwise as the package says for the years it
  covers; otherwise, for a year the city has declared fully entered, Monday to Friday. Any other date
  raises `CalendarNotCovered`: a deadline is never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError

# The same values as yousu.catalog.choices.LimitUnit and ClockKind (a test keeps them equal); spelled
# out here because the core may not import the apps that build on it.
MINUTE, HOUR, DAY = "minute", "hour", "day"
WORKING, CALENDAR = "working", "calendar"

DEFAULT_SESSIONS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 0), dt.time(18, 0)))
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

_ONE_DAY = dt.timedelta(days=1)
_ZERO = dt.timedelta(0)


class CalendarNotCovered(DomainError):
    """A date in a year the package does not cover and the city has not declared entered."""

    code = "calendar_not_covered"

    def __init__(self, day: dt.date):
        super().__init__(
            _(
                "工作日历没有覆盖 %(date)s：国家节假日数据不含 %(year)s 年。请系统管理员在工作日历中"
                "录入 %(year)s 年的法定节假日和调休上班日，并声明该年已录入。"
            )
            % {"date": day.isoformat(), "year": day.year},
            field="date",
        )
        self.date = day


def _official_workday(day: dt.date) -> bool | None:
    """What the package says about `day`: a working day, a day off, or None outside its years."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # the package's way of saying "no data for that year"
        return None


def official_covers(year: int) -> bool:
    """Whether the package holds the official holidays and make-up days of `year` (it covers whole
    years: each is added once the State Council publishes it, in November or December before)."""
    return _official_workday(dt.date(year, 1, 1)) is not None


def _offset(moment: dt.time) -> dt.timedelta:
    return dt.timedelta(
        hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
    )


@dataclass(frozen=True)
class WorkCalendar:
    """One city's working calendar. Immutable, so one instance can serve every request of a process."""

    sessions: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_SESSIONS
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    declared_years: frozenset[int] = frozenset()
    tz: dt.tzinfo = DEFAULT_TZ
    # Derived in __post_init__: sessions as offsets from midnight, and answers of is_workday already
    # given (the package scans its whole table on every call, and a sweep asks about the same days
    # thousands of times).
    _spans: tuple[tuple[dt.timedelta, dt.timedelta], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _day_length: dt.timedelta = field(init=False, repr=False, compare=False, default=dt.timedelta(0))
    _workdays: dict[dt.date, bool] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self):
        if not self.sessions:
            raise ValueError("a working calendar needs at least one office session")
        spans = tuple((_offset(start), _offset(end)) for start, end in self.sessions)
        previous_end = _ZERO
        for start, end in spans:
            if not start < end:
                raise ValueError(f"office session {start}–{end} must start before it ends")
            if start < previous_end:
                raise ValueError("office sessions must be sorted and must not overlap")
            previous_end = end
        if self.tz is None or self.tz.utcoffset(dt.datetime(2000, 1, 1)) is None:
            raise ValueError("a working calendar needs a time zone")
        # Private copies: a caller changing its dict later must not change answers already memoised.
        object.__setattr__(self, "sessions", tuple((start, end) for start, end in self.sessions))
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "declared_years", frozenset(self.declared_years))
        object.__setattr__(self, "_spans", spans)
        object.__setattr__(self, "_day_length", sum((end - start for start, end in spans), _ZERO))

    def __hash__(self):
        # The generated hash would fail on the overrides mapping; equal calendars hash alike.
        return hash((self.sessions, frozenset(self.overrides.items()), self.declared_years, self.tz))

    # ------------------------------------------------------------------ days

    def is_workday(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            # Which date a moment falls on depends on the time zone; the caller must decide that.
            raise TypeError("is_workday takes a date; convert a datetime to the calendar's time zone first")
        known = self._workdays.get(day)
        if known is None:
            known = self._decide(day)
            self._workdays[day] = known
        return known

    def _decide(self, day: dt.date) -> bool:
        if day in self.overrides:
            return bool(self.overrides[day])
        official = _official_workday(day)
        if official is not None:
            return official
        if day.year in self.declared_years:
            return day.weekday() < 5
        raise CalendarNotCovered(day)

    @property
    def day_length(self) -> dt.timedelta:
        """Office time in one working day (7 h 30 min with the default sessions)."""
        return self._day_length

    # ------------------------------------------------------------------ amounts

    def span(self, amount: int, unit: str, clock: str) -> dt.timedelta:
        """A time limit as a duration: on the calendar clock a day is 24 h, on the working clock it
        is one day's office time; minutes and hours are the same on both clocks."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError(f"a time limit is a whole number not below zero, not {amount!r}")
        if clock not in (WORKING, CALENDAR):
            raise ValueError(f"unknown clock {clock!r}")
        if unit == MINUTE:
            return dt.timedelta(minutes=amount)
        if unit == HOUR:
            return dt.timedelta(hours=amount)
        if unit == DAY:
            return amount * (self.day_length if clock == WORKING else _ONE_DAY)
        raise ValueError(f"unknown time-limit unit {unit!r}")

    # ------------------------------------------------------------------ instants

    def add(self, start: dt.datetime, delta: dt.timedelta, *, working: bool = True) -> dt.datetime:
        """The moment `delta` of (working or calendar) time after `start`, in the calendar's zone."""
        if delta < _ZERO:
            raise ValueError("add() takes a duration not below zero")
        if not working:
            # Through UTC, so the answer is `delta` of real time even across a change of UTC offset.
            return (self._utc(start) + delta).astimezone(self.tz)
        local = self._local(start)
        if not delta:
            return local
        day, position = local.date(), local - self._midnight(local.date())
        remaining = delta
        day_length, opening, closing = self.day_length, self._spans[0][0], self._spans[-1][1]
        while True:
            # Nothing of this day is left after the last session: its status need not even be known.
            if position < closing and self.is_workday(day):
                if position <= opening and remaining > day_length:
                    # A whole working day at once: the walk takes one step per day, not per session.
                    remaining -= day_length
                else:
                    for start_offset, end_offset in self._spans:
                        if position >= end_offset:
                            continue
                        begin = max(position, start_offset)
                        available = end_offset - begin
                        if remaining <= available:
                            return self._midnight(day) + begin + remaining
                        remaining -= available
            day, position = day + _ONE_DAY, _ZERO

    def elapsed(self, a: dt.datetime, b: dt.datetime, *, working: bool = True) -> dt.timedelta:
        """The (working or calendar) time from `a` to `b`; zero when `b` is not after `a`."""
        if not working:
            return max(self._utc(b) - self._utc(a), _ZERO)
        a, b = self._local(a), self._local(b)
        if b <= a:
            return _ZERO
        first, last = a.date(), b.date()
        from_a, to_b = a - self._midnight(first), b - self._midnight(last)
        if first == last:
            return self._office_time(first, from_a, to_b)
        total = self._office_time(first, from_a, _ONE_DAY) + self._office_time(last, _ZERO, to_b)
        day_length = self.day_length
        day = first + _ONE_DAY
        while day < last:
            if self.is_workday(day):
                total += day_length
            day += _ONE_DAY
        return total

    # ------------------------------------------------------------------ helpers

    def _office_time(self, day: dt.date, low: dt.timedelta, high: dt.timedelta) -> dt.timedelta:
        """Office time of `day` between two offsets from its midnight."""
        overlap = sum(
            (max(min(end, high) - max(start, low), _ZERO) for start, end in self._spans),
            _ZERO,
        )
        # Only asked when it matters, so an interval that merely touches an uncovered date at
        # midnight does not fail.
        return overlap if overlap and self.is_workday(day) else _ZERO

    def _midnight(self, day: dt.date) -> dt.datetime:
        # Offsets are added as wall-clock time (aware arithmetic in one zone), which is what office
        # hours are.
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.tz)

    def _local(self, moment: dt.datetime) -> dt.datetime:
        self._require_aware(moment)
        return moment.astimezone(self.tz)

    def _utc(self, moment: dt.datetime) -> dt.datetime:
        self._require_aware(moment)
        return moment.astimezone(dt.UTC)

    @staticmethod
    def _require_aware(moment: dt.datetime) -> None:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("deadline arithmetic takes aware datetimes only")
