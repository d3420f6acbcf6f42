"""A city's stored working calendar: services that refuse nonsense, the cached read that picks up every
change, the admin that writes through the services, and the demo city's calendar."""

import datetime as dt
from unittest import mock

import pytest
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from yousu.core.errors import DomainError
from yousu.core.workcalendar import CalendarNotCovered, WorkCalendar, official_covers
from yousu.demo.builder import ensure_demo_calendar
from yousu.demo.city import CALENDAR_DECLARED_YEARS
from yousu.org import calendar as calendar_module
from yousu.org.calendar import (
    VERSION_KEY,
    calendar_for_area,
    calendar_for_unit,
    calendar_notices,
    calendar_notices_for,
    calendar_override_remove,
    calendar_override_set,
    calendar_year_declare,
    working_calendar_set_hours,
)
from yousu.org.models import CalendarOverride, CalendarYear, WorkingCalendar
from yousu.org.services import area_create

PINNED = timezone.make_aware(dt.datetime(2026, 11, 20, 9, 15))
STORM = dt.date(2026, 3, 10)  # an ordinary Tuesday
SPRING_FESTIVAL = dt.date(2026, 2, 17)


def hours(area, **changes):
    values = {
        "morning_start": dt.time(8, 30),
        "morning_end": dt.time(12, 0),
        "afternoon_start": dt.time(14, 0),
        "afternoon_end": dt.time(18, 0),
    }
    return working_calendar_set_hours(area=area, **{**values, **changes})


def at(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def bare_city(world):
    """A city with no calendar of its own (the test city declares the years past the package)."""
    return area_create(code="B", name="新设测试市", kind="city")


# ---------------------------------------------------------------- reading


def test_a_city_without_a_calendar_gets_the_defaults(world, bare_city):
    calendar = calendar_for_area(bare_city)
    assert calendar == WorkCalendar(tz=timezone.get_default_timezone())
    assert calendar.day_length == dt.timedelta(hours=7, minutes=30)
    assert calendar.is_workday(SPRING_FESTIVAL) is False
    with pytest.raises(CalendarNotCovered):
        calendar.is_workday(dt.date(2027, 1, 4))


def test_every_area_and_unit_of_a_city_shares_its_calendar(world):
    calendar_override_set(
        area=world.areas.city,
        date=STORM,
        is_workday=False,
        reason="市政府决定：暴雨停工",
        by=world.people.admin,
    )
    for area in (world.areas.city, world.areas.east, world.areas.west_community, world.areas.grid):
        assert calendar_for_area(area).is_workday(STORM) is False, area
    for unit in (world.units.platform, world.units.east_market, world.units.east_community):
        assert calendar_for_unit(unit).is_workday(STORM) is False, unit
    other_city = area_create(code="D", name="邻市", kind="city")
    assert calendar_for_area(other_city).is_workday(STORM) is True


def test_a_stored_calendar_drives_the_arithmetic(world):
    city = world.areas.city
    hours(city, morning_start=dt.time(9, 0), morning_end=dt.time(13, 0), afternoon_start=dt.time(13, 30))
    calendar_override_set(
        area=city, date=SPRING_FESTIVAL, is_workday=True, reason="春节值班", by=world.people.admin
    )
    calendar = calendar_for_unit(world.units.east_eco)
    assert calendar.day_length == dt.timedelta(hours=8, minutes=30)
    assert calendar.add(at(2026, 2, 14, 17, 59), calendar.span(1, "day", "working")) == at(
        2026, 2, 17, 17, 59
    )


# ---------------------------------------------------------------- caching


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """`with committing(): write` runs the write's on-commit callbacks at the end of the block, as a
    real commit would (the test's own transaction never commits); only committed calendars are kept."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_kept_calendar_is_reused_until_a_change_is_announced(world, committing):
    city, admin = world.areas.city, world.people.admin
    with committing():
        override = calendar_override_set(area=city, date=STORM, is_workday=False, reason="暴雨停工", by=admin)
    first = calendar_for_area(city)
    assert calendar_for_area(world.areas.grid) is first  # kept, not rebuilt

    with committing():
        calendar_override_set(area=city, date=STORM, is_workday=True, reason="改为照常上班", by=admin)
    second = calendar_for_area(city)
    assert second is not first
    assert second.is_workday(STORM) is True
    assert calendar_for_area(city) is second

    # An admin edit is a model save or delete: it announces the change too.
    override.refresh_from_db()
    override.is_workday = False
    with committing():
        override.save()
    assert calendar_for_area(city).is_workday(STORM) is False
    with committing():
        override.delete()
    assert calendar_for_area(city).is_workday(STORM) is True

    with committing():
        hours(city, afternoon_end=dt.time(17, 30))
    assert calendar_for_area(city).day_length == dt.timedelta(hours=7)


def test_a_change_made_by_another_process_is_picked_up_through_the_shared_version(world, committing):
    city, admin = world.areas.city, world.people.admin
    with committing():
        override = calendar_override_set(area=city, date=STORM, is_workday=False, reason="暴雨停工", by=admin)
    assert calendar_for_area(city).is_workday(STORM) is False
    # Another process changes the row and bumps the version in the shared cache; this process's
    # memory is not told.
    CalendarOverride.objects.filter(pk=override.pk).update(is_workday=True)
    assert calendar_for_area(city).is_workday(STORM) is False  # still the kept calendar
    cache.incr(VERSION_KEY.format(city_id=city.pk))
    assert calendar_for_area(city).is_workday(STORM) is True


def test_a_calendar_built_inside_a_rolled_back_transaction_is_not_kept(world, committing):
    city, admin = world.areas.city, world.people.admin
    with committing():
        hours(city)
    assert calendar_for_area(city).is_workday(STORM) is True
    with pytest.raises(RuntimeError), transaction.atomic():
        calendar_override_set(area=city, date=STORM, is_workday=False, reason="暴雨停工", by=admin)
        assert calendar_for_area(city).is_workday(STORM) is False
        raise RuntimeError("roll back")
    assert calendar_for_area(city).is_workday(STORM) is True


def test_a_lost_version_still_means_a_rebuild(world, committing):
    city = world.areas.city
    with committing():
        hours(city)
    first = calendar_for_area(city)
    assert calendar_for_area(city) is first
    cache.delete(VERSION_KEY.format(city_id=city.pk))
    assert calendar_for_area(city) is not first


def test_kept_calendars_expire_even_without_a_bump(world, committing):
    city = world.areas.city
    with committing():
        hours(city)
    first = calendar_for_area(city)
    assert calendar_for_area(city) is first
    with mock.patch.object(calendar_module, "LOCAL_LIFETIME", 0.0):
        assert calendar_for_area(city) is not first


# ---------------------------------------------------------------- writing


def test_office_hours_are_validated_with_the_field_named(world, bare_city):
    city = bare_city
    for changes, field in (
        ({"morning_end": dt.time(8, 0)}, "morning_end"),
        ({"afternoon_start": dt.time(11, 0)}, "afternoon_start"),
        ({"afternoon_end": dt.time(13, 0)}, "afternoon_end"),
    ):
        with pytest.raises(DomainError) as caught:
            hours(city, **changes)
        assert caught.value.field == field, changes
    with pytest.raises(DomainError) as not_a_city:
        hours(world.areas.east)
    assert not_a_city.value.field == "area"
    assert not WorkingCalendar.objects.filter(area=bare_city).exists()
    # A continuous day (no lunch break between the sessions) is allowed.
    row = hours(city, morning_end=dt.time(13, 0), afternoon_start=dt.time(13, 0))
    assert calendar_for_area(city).sessions == row.sessions()


def test_setting_an_override_twice_updates_it_and_records_who_and_when(world):
    city, admin = world.areas.city, world.people.admin
    with mock.patch("django.utils.timezone.now", return_value=PINNED):
        first = calendar_override_set(area=city, date=STORM, is_workday=False, reason="  暴雨停工 ", by=admin)
    assert (first.reason, first.set_by, first.set_at) == ("暴雨停工", admin, PINNED)
    again = calendar_override_set(
        area=city, date=STORM, is_workday=True, reason="恢复上班", by=world.people.admin2
    )
    assert again.pk == first.pk
    assert CalendarOverride.objects.get().set_by == world.people.admin2
    assert WorkingCalendar.objects.get().area == city  # created with the defaults on first use


def test_an_override_needs_a_reason_a_person_and_a_city(world):
    city, admin = world.areas.city, world.people.admin
    cases = (
        ({"area": city, "reason": "  ", "by": admin}, "reason"),
        ({"area": city, "reason": "停工", "by": None}, "by"),
        ({"area": world.areas.east_street, "reason": "停工", "by": admin}, "area"),
    )
    for arguments, field in cases:
        with pytest.raises(DomainError) as caught:
            calendar_override_set(date=STORM, is_workday=False, **arguments)
        assert caught.value.field == field
    assert not CalendarOverride.objects.exists()


def test_removing_an_override_is_recorded_in_the_calendar_history(world):
    city, admin = world.areas.city, world.people.admin
    override = calendar_override_set(area=city, date=STORM, is_workday=False, reason="暴雨停工", by=admin)
    with pytest.raises(DomainError) as nobody:
        calendar_override_remove(override=override, by=None)
    assert nobody.value.field == "by"
    calendar_override_remove(override=override, by=world.people.admin2)
    assert not CalendarOverride.objects.exists()
    entry = LogEntry.objects.get()
    assert entry.user == world.people.admin2
    assert entry.object_id == str(WorkingCalendar.objects.get().pk)
    assert "2026-03-10" in entry.change_message and "暴雨停工" in entry.change_message
    assert calendar_for_area(city).is_workday(STORM) is True


def test_a_declared_year_lets_deadlines_run_past_the_package(world, bare_city):
    city, admin = bare_city, world.people.admin
    start = at(2026, 12, 31, 17, 0)
    with pytest.raises(CalendarNotCovered):
        calendar_for_area(city).add(start, dt.timedelta(hours=8))
    calendar_override_set(
        area=city, date=dt.date(2027, 1, 1), is_workday=False, reason="元旦放假（演示）", by=admin
    )
    with mock.patch("django.utils.timezone.now", return_value=PINNED):
        declared = calendar_year_declare(
            area=city, year=2027, source="本市 2027 年节假日安排（测试）", by=admin
        )
    assert (declared.declared_by, declared.declared_at) == (admin, PINNED)
    calendar = calendar_for_area(bare_city)
    assert calendar.declared_years == frozenset({2027})
    assert calendar.add(start, dt.timedelta(hours=8)) == at(2027, 1, 4, 17, 30)


def test_declaring_a_year_is_validated(world, bare_city):
    city, admin = bare_city, world.people.admin
    calendar_year_declare(area=city, year=2027, source="依据", by=admin)
    cases = (
        ({"year": 2027, "source": "再次声明", "by": admin}, "year"),
        ({"year": 1999, "source": "依据", "by": admin}, "year"),
        ({"year": 2028, "source": " ", "by": admin}, "source"),
        ({"year": 2028, "source": "依据", "by": None}, "by"),
    )
    for arguments, field in cases:
        with pytest.raises(DomainError) as caught:
            calendar_year_declare(area=city, **arguments)
        assert caught.value.field == field, arguments
    assert CalendarYear.objects.filter(calendar__area=bare_city).count() == 1


def test_a_provisional_year_is_confirmed_in_place_and_the_first_declaration_kept_in_history(world, bare_city):
    city, admin, admin2 = bare_city, world.people.admin, world.people.admin2
    first = calendar_year_declare(area=city, year=2027, source="已录入元旦", by=admin, provisional=True)
    assert first.provisional and calendar_for_area(city).declared_years == frozenset({2027})
    with pytest.raises(DomainError) as again:
        calendar_year_declare(area=city, year=2027, source="再次临时声明", by=admin, provisional=True)
    assert again.value.field == "year"
    with mock.patch("django.utils.timezone.now", return_value=PINNED):
        confirmed = calendar_year_declare(area=city, year=2027, source="国办发明电〔2026〕X号", by=admin2)
    assert confirmed.pk == first.pk and not confirmed.provisional
    assert (confirmed.source, confirmed.declared_by, confirmed.declared_at) == (
        "国办发明电〔2026〕X号",
        admin2,
        PINNED,
    )
    entry = LogEntry.objects.get()
    assert entry.user == admin2 and "已录入元旦" in entry.change_message
    # A year declared in full is not declared again, provisionally or not.
    for provisional in (False, True):
        with pytest.raises(DomainError) as refused:
            calendar_year_declare(area=city, year=2027, source="再次", by=admin, provisional=provisional)
        assert refused.value.field == "year"
    assert CalendarYear.objects.filter(calendar__area=city).count() == 1


# ---------------------------------------------------------------- notices


def notices(**kwargs):
    return [(n.city.code, n.year, n.state, n.current) for n in calendar_notices(**kwargs)]


def test_from_1_december_a_next_year_neither_covered_nor_declared_is_a_notice(world, bare_city):
    # chinesecalendar 1.11.0 stops at 2026; the test city (C) declares 2027 and 2028, the bare one nothing.
    assert not official_covers(2027)
    assert notices(today=dt.date(2026, 11, 30)) == []
    assert notices(today=dt.date(2026, 12, 1)) == [("B", 2027, "undeclared", False)]
    declared = calendar_year_declare(
        area=bare_city, year=2027, source="已录入元旦", by=world.people.admin, provisional=True
    )
    assert notices(today=dt.date(2026, 12, 1)) == [("B", 2027, "provisional", False)]
    assert notices(today=dt.date(2026, 11, 30)) == []  # before December, not even the provisional one
    calendar_year_declare(area=bare_city, year=2027, source="国办发明电", by=world.people.admin)
    assert notices(today=dt.date(2026, 12, 1)) == [] and CalendarYear.objects.get(pk=declared.pk).year == 2027
    # In 2028 itself a missing year is the current one (intake and dispatch fail).
    assert notices(today=dt.date(2028, 6, 1)) == [("B", 2028, "undeclared", True)]


def test_a_year_the_package_covers_needs_no_declaration(world, bare_city):
    with mock.patch("yousu.org.calendar.official_covers", return_value=True):
        assert notices(today=dt.date(2026, 12, 1)) == []


def test_the_notices_follow_the_platform_clock(world, bare_city):
    # 16:30 UTC on 30 November is 00:30 on 1 December in the platform's zone (Asia/Shanghai).
    before = dt.datetime(2026, 11, 30, 15, 59, tzinfo=dt.UTC)
    after = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=before):
        assert notices() == []
    with mock.patch("django.utils.timezone.now", return_value=after):
        assert notices() == [("B", 2027, "undeclared", False)]


def test_only_administrators_are_shown_the_notices(world, bare_city):
    december = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 0))
    with mock.patch("django.utils.timezone.now", return_value=december):
        # The test city's own administrator: its city declared 2027; the bare city is not theirs.
        assert calendar_notices_for(world.people.admin) == []
        assert calendar_notices_for(world.people.dispatcher) == []
        superuser = world.people.admin2
        superuser.is_superuser = True
        superuser.save()
        assert [n.city for n in calendar_notices_for(superuser)] == [bare_city]
        CalendarYear.objects.filter(calendar__area=world.areas.city, year=2027).delete()
        assert [(n.city, n.year) for n in calendar_notices_for(world.people.admin)] == [
            (world.areas.city, 2027)
        ]
    november = timezone.make_aware(dt.datetime(2026, 11, 7, 9, 0))
    with mock.patch("django.utils.timezone.now", return_value=november):
        assert calendar_notices_for(superuser) == []


# ---------------------------------------------------------------- admin


def inline_management(prefix: str, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_the_admin_writes_through_the_services(world, bare_city, client):
    admin = world.people.admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    city = bare_city

    bad = client.post(
        reverse("admin:org_workingcalendar_add"),
        {
            "area": city.pk,
            "morning_start": "08:30",
            "morning_end": "12:00",
            "afternoon_start": "11:00",
            "afternoon_end": "18:00",
            **inline_management("overrides", 0),
            **inline_management("years", 0),
        },
    )
    assert bad.status_code == 200
    assert "下午上班时间不能早于上午下班时间" in bad.content.decode()
    assert not WorkingCalendar.objects.filter(area=bare_city).exists()

    response = client.post(
        reverse("admin:org_workingcalendar_add"),
        {
            "area": city.pk,
            "morning_start": "09:00",
            "morning_end": "12:00",
            "afternoon_start": "14:00",
            "afternoon_end": "18:00",
            **inline_management("overrides", 1),
            "overrides-0-date": "2026-03-10",
            "overrides-0-is_workday": "",
            "overrides-0-reason": "市政府决定：暴雨停工",
            **inline_management("years", 1),
            "years-0-year": "2027",
            "years-0-source": "本市 2027 年节假日安排（测试）",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = WorkingCalendar.objects.get(area=city)
    assert row.morning_start == dt.time(9, 0)
    override = row.overrides.get()
    assert (override.date, override.is_workday, override.set_by) == (STORM, False, admin)
    assert row.years.get().declared_by == admin
    calendar = calendar_for_area(city)
    assert calendar.is_workday(STORM) is False and calendar.declared_years == frozenset({2027})

    change_url = reverse("admin:org_workingcalendar_change", args=[row.pk])
    assert client.get(change_url).status_code == 200
    removed = client.post(
        change_url,
        {
            "morning_start": "09:00",
            "morning_end": "12:00",
            "afternoon_start": "14:00",
            "afternoon_end": "18:00",
            **inline_management("overrides", 1, initial=1),
            "overrides-0-id": override.pk,
            "overrides-0-calendar": row.pk,
            "overrides-0-DELETE": "on",
            **inline_management("years", 1, initial=1),
            "years-0-id": row.years.get().pk,
            "years-0-calendar": row.pk,
        },
    )
    assert removed.status_code == 302, removed.content.decode()[:2000]
    assert not row.overrides.exists()
    assert row.years.count() == 1
    assert calendar_for_area(city).is_workday(STORM) is True
    assert LogEntry.objects.filter(user=admin, change_message__contains="2026-03-10").exists()


def test_the_admin_declares_a_year_provisionally_and_confirms_it_by_adding_it_again(world, bare_city, client):
    admin = world.people.admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    row = hours(bare_city)
    change_url = reverse("admin:org_workingcalendar_change", args=[row.pk])
    office = {
        "morning_start": "08:30",
        "morning_end": "12:00",
        "afternoon_start": "14:00",
        "afternoon_end": "18:00",
    }
    response = client.post(
        change_url,
        {
            **office,
            **inline_management("overrides", 0),
            **inline_management("years", 1),
            "years-0-year": "2027",
            "years-0-provisional": "on",
            "years-0-source": "已录入元旦（测试）",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    declared = row.years.get()
    assert declared.provisional and declared.declared_by == admin
    assert "临时声明" in client.get(change_url).content.decode()
    confirmed = client.post(
        change_url,
        {
            **office,
            **inline_management("overrides", 0),
            **inline_management("years", 2, initial=1),
            "years-0-id": declared.pk,
            "years-0-calendar": row.pk,
            "years-1-year": "2027",
            "years-1-source": "国办发明电（测试）",
        },
    )
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    assert [(y.pk, y.provisional, y.source) for y in row.years.all()] == [
        (declared.pk, False, "国办发明电（测试）")
    ]
    # A year declared in full is not added again: the form says so, nothing is written.
    repeated = client.post(
        change_url,
        {
            **office,
            **inline_management("overrides", 0),
            **inline_management("years", 2, initial=1),
            "years-0-id": declared.pk,
            "years-0-calendar": row.pk,
            "years-1-year": "2027",
            "years-1-source": "再次声明（测试）",
        },
    )
    assert repeated.status_code == 200 and "errorlist" in repeated.content.decode()
    assert row.years.get().source == "国办发明电（测试）"


# ---------------------------------------------------------------- demo


def test_the_demo_city_calendar_is_repeatable(world, bare_city):
    city, admin = bare_city, world.people.admin
    ensure_demo_calendar(city=city, by=admin)
    ensure_demo_calendar(city=city, by=admin)
    row = WorkingCalendar.objects.get(area=city)
    assert row.sessions() == WorkCalendar().sessions
    storm = row.overrides.get(date=dt.date(2026, 12, 18))
    assert "演示" in storm.reason
    # No holiday beyond the package is guessed: the declared years say what is entered, and are
    # provisional until the State Council's arrangement is.
    assert [(y.year, y.source, y.provisional) for y in row.years.all()] == CALENDAR_DECLARED_YEARS
    calendar = calendar_for_area(city)
    assert calendar.is_workday(storm.date) is False


def test_the_demo_2027_is_provisional_and_new_years_day_is_off(world, bare_city):
    ensure_demo_calendar(city=bare_city, by=world.people.admin)
    declared = WorkingCalendar.objects.get(area=bare_city).years.get(year=2027)
    assert declared.provisional and str(declared) == "2027（临时声明）"
    calendar = calendar_for_area(bare_city)
    # 元旦 is fixed by law on 1 January; 1 January 2027 is a Friday, the first working day is the 4th.
    assert calendar.is_workday(dt.date(2027, 1, 1)) is False
    assert calendar.is_workday(dt.date(2027, 1, 4)) is True
    assert calendar.add(at(2026, 12, 31, 17, 0), dt.timedelta(hours=2)) == at(2027, 1, 4, 9, 30)


def test_the_calendar_speaks_english_too(world):
    with translation.override("en"):
        assert str(WorkingCalendar._meta.verbose_name) == "Working calendar"
        error = CalendarNotCovered(dt.date(2027, 1, 4))
        assert "does not cover 2027-01-04" in error.message
