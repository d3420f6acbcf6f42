"""Deadline arithmetic on the working-day calendar, pinned at each edge with explicit datetimes.

The official dates below are what chinesecalendar 1.11.0 says for 2026: 春节 15–23 February with
make-up Saturdays on 14 and 28 February; 中秋 25–27 September and 国庆 1–7 October with make-up days
on Sunday 20 September and Saturday 10 October; 元旦 1–3 January with Sunday 4 January worked.
"""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yousu.catalog.choices import ClockKind, LimitUnit
from yousu.core.errors import DomainError
from yousu.core.workcalendar import CALENDAR, DAY, HOUR, MINUTE, WORKING, CalendarNotCovered, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
MIN = dt.timedelta(minutes=1)
HOURS = dt.timedelta(hours=1)
DAY_LENGTH = dt.timedelta(hours=7, minutes=30)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def days(n: int) -> dt.timedelta:
    return CAL.span(n, DAY, WORKING)


# ---------------------------------------------------------------- the official calendar


def test_2026_official_holidays_and_make_up_days_are_honoured():
    assert CAL.is_workday(dt.date(2026, 2, 17)) is False
    for day in range(15, 24):  # 春节
        assert CAL.is_workday(dt.date(2026, 2, day)) is False, day
    for day in (dt.date(2026, 2, 14), dt.date(2026, 2, 28)):  # make-up Saturdays
        assert day.weekday() == 5
        assert CAL.is_workday(day) is True
    for day in range(1, 8):  # 国庆
        assert CAL.is_workday(dt.date(2026, 10, day)) is False, day
    for day in (dt.date(2026, 9, 20), dt.date(2026, 10, 10), dt.date(2026, 1, 4)):
        assert day.weekday() in (5, 6)
        assert CAL.is_workday(day) is True
    assert CAL.is_workday(dt.date(2026, 9, 25)) is False  # 中秋, a Friday
    assert CAL.is_workday(dt.date(2026, 3, 10)) is True  # an ordinary Tuesday
    assert CAL.is_workday(dt.date(2026, 3, 7)) is False  # an ordinary Saturday


def test_day_length_is_the_sum_of_the_sessions():
    assert CAL.day_length == DAY_LENGTH


def test_choice_values_match_the_catalog():
    # The core spells these out because it may not import the catalog; they must stay equal.
    assert {MINUTE, HOUR, DAY} == set(LimitUnit.values)
    assert {WORKING, CALENDAR} == set(ClockKind.values)


@pytest.mark.parametrize(
    ("amount", "unit", "clock", "expected"),
    [
        (30, MINUTE, WORKING, dt.timedelta(minutes=30)),
        (30, MINUTE, CALENDAR, dt.timedelta(minutes=30)),
        (4, HOUR, WORKING, dt.timedelta(hours=4)),
        (4, HOUR, CALENDAR, dt.timedelta(hours=4)),
        (3, DAY, WORKING, 3 * DAY_LENGTH),
        (3, DAY, CALENDAR, dt.timedelta(hours=72)),
        (0, DAY, WORKING, dt.timedelta(0)),
    ],
)
def test_span_for_every_unit_and_clock(amount, unit, clock, expected):
    assert CAL.span(amount, unit, clock) == expected


@pytest.mark.parametrize(
    ("amount", "unit", "clock"),
    [
        (1, "week", WORKING),
        (1, DAY, "lunar"),
        (-1, HOUR, WORKING),
        (1.5, HOUR, WORKING),
        (True, DAY, WORKING),
    ],
)
def test_span_refuses_what_it_cannot_mean(amount, unit, clock):
    with pytest.raises(ValueError):
        CAL.span(amount, unit, clock)


# ---------------------------------------------------------------- add: working clock


@pytest.mark.parametrize(
    ("start", "delta", "due", "why"),
    [
        (at(2026, 3, 10, 10, 0), days(3), at(2026, 3, 13, 10, 0), "Tuesday 10:00 + 3 days is Friday 10:00"),
        (at(2026, 3, 10, 11, 0), HOURS, at(2026, 3, 10, 12, 0), "ends exactly at 12:00, not 14:00"),
        (at(2026, 3, 10, 14, 0), 4 * HOURS, at(2026, 3, 10, 18, 0), "ends exactly at 18:00"),
        (at(2026, 3, 10, 8, 30), days(1), at(2026, 3, 10, 18, 0), "a whole day ends the same evening"),
        (at(2026, 3, 10, 8, 30), 3.5 * HOURS, at(2026, 3, 10, 12, 0), "the whole morning"),
        (at(2026, 3, 10, 12, 0), MIN, at(2026, 3, 10, 14, 1), "from the noon bell, after lunch"),
        (at(2026, 3, 10, 18, 0), MIN, at(2026, 3, 11, 8, 31), "from the evening bell, next morning"),
        (at(2026, 3, 10, 12, 30), 30 * MIN, at(2026, 3, 10, 14, 30), "received at lunch"),
        (at(2026, 3, 10, 7, 0), HOURS, at(2026, 3, 10, 9, 30), "received before opening"),
        (at(2026, 3, 10, 22, 0), HOURS, at(2026, 3, 11, 9, 30), "received at night"),
        (at(2026, 3, 11, 2, 0), HOURS, at(2026, 3, 11, 9, 30), "received after midnight"),
        (at(2026, 3, 7, 10, 0), 30 * MIN, at(2026, 3, 9, 9, 0), "received on a Saturday"),
        (at(2026, 3, 13, 17, 0), 2 * HOURS, at(2026, 3, 16, 9, 30), "Friday evening runs into Monday"),
        (at(2026, 3, 10, 11, 0), 8 * HOURS, at(2026, 3, 11, 11, 30), "sessions across a night"),
        (at(2026, 3, 10, 10, 0, 30, 5), MIN, at(2026, 3, 10, 10, 1, 30, 5), "seconds are kept"),
    ],
)
def test_add_on_ordinary_days(start, delta, due, why):
    assert CAL.add(start, delta) == due, why


@pytest.mark.parametrize(
    ("start", "delta", "due", "why"),
    [
        # 春节 2026
        (at(2026, 2, 12, 10, 0), days(3), at(2026, 2, 24, 10, 0), "Thu + 3: Fri, make-up Sat, Tue after"),
        (at(2026, 2, 13, 17, 59), days(1), at(2026, 2, 14, 17, 59), "Friday 17:59 → make-up Saturday"),
        (at(2026, 2, 14, 17, 59), days(1), at(2026, 2, 24, 17, 59), "17:59 on the eve of 春节"),
        (at(2026, 2, 14, 18, 0), MIN, at(2026, 2, 24, 8, 31), "18:00 on the eve of 春节"),
        (at(2026, 2, 17, 10, 0), HOURS, at(2026, 2, 24, 9, 30), "received during 春节"),
        (at(2026, 2, 24, 8, 30), days(1), at(2026, 2, 24, 18, 0), "first day back, whole day"),
        (at(2026, 2, 27, 10, 0), days(1), at(2026, 2, 28, 10, 0), "Friday → make-up Saturday 28th"),
        (at(2026, 2, 28, 10, 0), days(1), at(2026, 3, 2, 10, 0), "make-up Saturday → Monday"),
        # 中秋 and 国庆 2026
        (at(2026, 9, 19, 10, 0), HOURS, at(2026, 9, 20, 9, 30), "Saturday → make-up Sunday 20th"),
        (at(2026, 9, 24, 10, 0), days(1), at(2026, 9, 28, 10, 0), "Thursday over 中秋 to Monday"),
        (at(2026, 9, 30, 17, 59), days(1), at(2026, 10, 8, 17, 59), "17:59 on the eve of 国庆"),
        (at(2026, 9, 30, 10, 0), days(3), at(2026, 10, 10, 10, 0), "Wed + 3: Thu 8, Fri 9, make-up Sat 10"),
        (at(2026, 10, 1, 0, 0), days(1), at(2026, 10, 8, 18, 0), "received at midnight of 国庆"),
        (at(2026, 12, 31, 17, 0), HOURS, at(2026, 12, 31, 18, 0), "the last hour the package covers"),
    ],
)
def test_add_across_holidays_and_make_up_days(start, delta, due, why):
    assert CAL.add(start, delta) == due, why


def test_add_answers_in_the_calendar_zone_whatever_zone_it_is_given():
    start = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    due = CAL.add(start, days(3))
    assert due == at(2026, 3, 13, 10, 0)
    assert due.tzinfo == SHANGHAI
    assert due.utcoffset() == dt.timedelta(hours=8)


def test_add_zero_is_the_start_itself_and_negative_is_refused():
    assert CAL.add(at(2026, 3, 10, 22, 0), dt.timedelta(0)) == at(2026, 3, 10, 22, 0)
    with pytest.raises(ValueError):
        CAL.add(at(2026, 3, 10, 10, 0), -MIN)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        CAL.add(dt.datetime(2026, 3, 10, 10, 0), HOURS)
    with pytest.raises(ValueError, match="aware"):
        CAL.elapsed(dt.datetime(2026, 3, 10, 10, 0), at(2026, 3, 10, 11, 0))


def test_is_workday_takes_a_date_not_a_datetime():
    with pytest.raises(TypeError):
        CAL.is_workday(at(2026, 3, 10, 10, 0))


# ---------------------------------------------------------------- calendar clock (urgent orders)


def test_urgent_orders_count_every_hour_across_a_holiday():
    eve = at(2026, 9, 30, 17, 59)
    assert CAL.add(eve, CAL.span(24, HOUR, CALENDAR), working=False) == at(2026, 10, 1, 17, 59)
    assert CAL.add(eve, CAL.span(2, DAY, CALENDAR), working=False) == at(2026, 10, 2, 17, 59)
    assert CAL.add(eve, CAL.span(90, MINUTE, CALENDAR), working=False) == at(2026, 9, 30, 19, 29)
    assert CAL.elapsed(eve, at(2026, 10, 3, 17, 59), working=False) == dt.timedelta(hours=72)
    assert CAL.elapsed(at(2026, 10, 3, 17, 59), eve, working=False) == dt.timedelta(0)


def test_the_calendar_clock_needs_no_calendar_coverage():
    late = at(2026, 12, 31, 12, 0)
    assert CAL.add(late, CAL.span(3, DAY, CALENDAR), working=False) == at(2027, 1, 3, 12, 0)


# ---------------------------------------------------------------- elapsed


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (at(2026, 3, 10, 11, 0), at(2026, 3, 10, 15, 0), 2 * HOURS),  # over lunch
        (at(2026, 3, 10, 19, 0), at(2026, 3, 11, 8, 0), dt.timedelta(0)),  # a night
        (at(2026, 3, 10, 10, 0), at(2026, 3, 13, 10, 0), 3 * DAY_LENGTH),
        (at(2026, 9, 30, 17, 59), at(2026, 10, 8, 17, 59), DAY_LENGTH),  # 国庆
        (at(2026, 2, 14, 17, 0), at(2026, 2, 24, 9, 30), 2 * HOURS),  # 春节
        (at(2026, 2, 13, 8, 30), at(2026, 2, 28, 18, 0), 7 * DAY_LENGTH),  # Fri, Sat 14, Tue..Fri, Sat 28
        (at(2026, 3, 10, 15, 0), at(2026, 3, 10, 11, 0), dt.timedelta(0)),  # backwards
        (at(2026, 3, 10, 15, 0), at(2026, 3, 10, 15, 0), dt.timedelta(0)),
        (at(2026, 12, 31, 17, 0), at(2027, 1, 1, 0, 0), HOURS),  # touches 2027 only at midnight
    ],
)
def test_elapsed(a, b, expected):
    assert CAL.elapsed(a, b) == expected


def test_elapsed_after_the_deadline_of_a_17_59_order_on_the_eve_of_a_holiday():
    start = at(2026, 9, 30, 17, 59)
    due = CAL.add(start, days(1))
    assert CAL.elapsed(start, due - MIN) == DAY_LENGTH - MIN
    # One more minute to 18:00, then nothing more counts that evening.
    assert CAL.elapsed(start, due + 3 * HOURS) == DAY_LENGTH + MIN


# Starts from 2024 to the end of November 2026 and up to ten working days: all inside the package.
starts = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),
    max_value=dt.datetime(2026, 11, 30, 23, 59),
    timezones=st.just(SHANGHAI),
)
working_time = st.integers(min_value=0, max_value=10 * 450 * 60).map(lambda s: dt.timedelta(seconds=s))


@settings(max_examples=400, deadline=None)
@given(start=starts, delta=working_time)
def test_elapsed_undoes_add(start, delta):
    due = CAL.add(start, delta)
    assert CAL.elapsed(start, due) == delta
    assert due >= start
    if delta:
        # The earliest instant: inside a session of a working day, or exactly at a session's end.
        assert CAL.is_workday(due.date())
        clock = due.timetz().replace(tzinfo=None)
        assert any(begin < clock <= end for begin, end in CAL.sessions)


@settings(max_examples=200, deadline=None)
@given(start=starts, first=working_time, second=working_time)
def test_add_is_monotonic_and_composes(start, first, second):
    one, other = sorted((first, second))
    assert CAL.add(start, one) <= CAL.add(start, other)
    assert CAL.elapsed(start, CAL.add(CAL.add(start, one), other)) == one + other


# ---------------------------------------------------------------- coverage


def test_a_year_the_package_does_not_cover_is_an_error_not_a_guess():
    with pytest.raises(CalendarNotCovered) as caught:
        CAL.is_workday(dt.date(2027, 1, 4))
    error = caught.value
    assert isinstance(error, DomainError)
    assert error.code == "calendar_not_covered"
    assert error.field == "date"
    assert error.date == dt.date(2027, 1, 4)
    assert "2027-01-04" in error.message and "声明" in error.message
    with pytest.raises(CalendarNotCovered):
        CAL.add(at(2026, 12, 31, 17, 0), days(1))
    with pytest.raises(CalendarNotCovered):
        CAL.elapsed(at(2026, 12, 31, 17, 0), at(2027, 1, 5, 10, 0))
    with pytest.raises(CalendarNotCovered):
        CAL.is_workday(dt.date(2003, 12, 31))


def test_a_declared_year_uses_its_overrides_and_otherwise_monday_to_friday():
    declared = WorkCalendar(
        declared_years=frozenset({2027}),
        overrides={dt.date(2027, 1, 1): False, dt.date(2027, 2, 6): True},
    )
    assert declared.is_workday(dt.date(2027, 1, 1)) is False  # a Friday the city entered as a holiday
    assert declared.is_workday(dt.date(2027, 1, 2)) is False  # Saturday
    assert declared.is_workday(dt.date(2027, 1, 4)) is True  # Monday
    assert declared.is_workday(dt.date(2027, 2, 6)) is True  # a Saturday entered as a make-up day
    assert declared.add(at(2026, 12, 31, 17, 0), days(1)) == at(2027, 1, 4, 17, 0)
    with pytest.raises(CalendarNotCovered):
        declared.is_workday(dt.date(2028, 1, 3))


def test_an_override_alone_answers_for_its_date_only():
    calendar = WorkCalendar(overrides={dt.date(2027, 2, 1): True})
    assert calendar.is_workday(dt.date(2027, 2, 1)) is True
    with pytest.raises(CalendarNotCovered):
        calendar.is_workday(dt.date(2027, 2, 2))


def test_a_city_override_wins_over_the_package_both_ways():
    city = WorkCalendar(
        overrides={
            dt.date(2026, 2, 17): True,  # duty day in 春节
            dt.date(2026, 3, 10): False,  # an extra day off (e.g. a storm)
            dt.date(2026, 2, 28): False,  # make-up Saturday cancelled
        }
    )
    assert city.is_workday(dt.date(2026, 2, 17)) is True
    assert city.is_workday(dt.date(2026, 3, 10)) is False
    assert city.is_workday(dt.date(2026, 2, 28)) is False
    assert city.add(at(2026, 2, 14, 17, 59), days(1)) == at(2026, 2, 17, 17, 59)
    assert city.add(at(2026, 3, 9, 17, 0), 2 * HOURS) == at(2026, 3, 11, 9, 30)
    assert city.add(at(2026, 2, 27, 10, 0), days(1)) == at(2026, 3, 2, 10, 0)
    assert city.elapsed(at(2026, 3, 9, 8, 30), at(2026, 3, 11, 18, 0)) == 2 * DAY_LENGTH


def test_the_caller_changing_its_dict_later_changes_nothing():
    overrides = {dt.date(2026, 3, 10): False}
    calendar = WorkCalendar(overrides=overrides)
    overrides[dt.date(2026, 3, 10)] = True
    assert calendar.is_workday(dt.date(2026, 3, 10)) is False


# ---------------------------------------------------------------- other office hours


def test_a_city_with_other_office_hours():
    city = WorkCalendar(sessions=((dt.time(9, 0), dt.time(13, 0)), (dt.time(13, 30), dt.time(17, 30))))
    assert city.day_length == dt.timedelta(hours=8)
    assert city.span(2, DAY, WORKING) == dt.timedelta(hours=16)
    assert city.add(at(2026, 3, 10, 8, 30), HOURS) == at(2026, 3, 10, 10, 0)
    assert city.add(at(2026, 3, 10, 12, 0), HOURS) == at(2026, 3, 10, 13, 0)
    assert city.add(at(2026, 3, 10, 13, 0), MIN) == at(2026, 3, 10, 13, 31)
    assert city.add(at(2026, 9, 30, 17, 29), city.span(1, DAY, WORKING)) == at(2026, 10, 8, 17, 29)
    assert city.elapsed(at(2026, 3, 10, 12, 0), at(2026, 3, 10, 14, 0)) == dt.timedelta(hours=1, minutes=30)


def test_one_session_a_day_and_a_calendar_in_another_zone():
    city = WorkCalendar(sessions=((dt.time(9, 0), dt.time(17, 0)),), tz=dt.UTC)
    assert city.day_length == dt.timedelta(hours=8)
    start = dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC)
    assert city.add(start, 2 * HOURS) == dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.UTC)
    # Given in Shanghai time, counted on the calendar's own office hours.
    assert city.add(at(2026, 3, 11, 0, 0), HOURS) == dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "sessions",
    [
        (),
        ((dt.time(12, 0), dt.time(8, 30)),),
        ((dt.time(8, 30), dt.time(12, 0)), (dt.time(11, 0), dt.time(18, 0))),
        ((dt.time(14, 0), dt.time(18, 0)), (dt.time(8, 30), dt.time(12, 0))),
    ],
)
def test_sessions_must_be_sorted_and_must_not_overlap(sessions):
    with pytest.raises(ValueError):
        WorkCalendar(sessions=sessions)


# ---------------------------------------------------------------- cost


def test_a_long_holiday_is_walked_a_day_at_a_time():
    calendar = WorkCalendar()
    calendar.add(at(2026, 9, 30, 17, 59), days(7))
    # Sept 30 to Oct 16 is 17 calendar days: each asked about once, whatever the minutes.
    assert len(calendar._workdays) <= 17


def test_thousands_of_deadlines_are_cheap():
    start = at(2026, 9, 21, 9, 13)
    began = time.perf_counter()
    for step in range(5000):
        CAL.add(start + step * 7 * MIN, days(7))
    # About 50 ms on a laptop; the bound is loose so that only a minute-by-minute walk fails it.
    assert time.perf_counter() - began < 3


def test_equal_calendars_are_equal_and_hash_alike():
    one = WorkCalendar(overrides={dt.date(2026, 3, 10): False}, declared_years=frozenset({2027}))
    other = WorkCalendar(overrides={dt.date(2026, 3, 10): False}, declared_years={2027})
    assert one == other and hash(one) == hash(other)
    assert one != WorkCalendar()
