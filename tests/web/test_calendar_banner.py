"""The desk banner: from 1 December an administrator sees on every page that next year's working
calendar is not declared, or only provisionally; nobody else sees it, and nobody before December."""

import datetime as dt
from unittest import mock

from django.utils import timezone

from yousu.org.calendar import calendar_year_declare
from yousu.org.models import CalendarYear

DECEMBER = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 0))
NOVEMBER = timezone.make_aware(dt.datetime(2026, 11, 30, 9, 0))


def page(client, person, moment) -> str:
    client.force_login(person)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        response = client.get("/catalog/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_administrator_is_warned_of_an_undeclared_next_year_from_december(client, world):
    CalendarYear.objects.filter(calendar__area=world.areas.city, year=2027).delete()
    html = page(client, world.people.admin, DECEMBER)
    assert "site-notices" in html and "尚未声明 2027 年工作日历" in html
    assert "/admin/org/workingcalendar/" in html
    assert "site-notices" not in page(client, world.people.admin, NOVEMBER)


def test_a_provisional_year_is_shown_until_confirmed(client, world):
    CalendarYear.objects.filter(calendar__area=world.areas.city, year=2027).delete()
    admin = world.people.admin
    calendar_year_declare(area=world.areas.city, year=2027, source="已录入元旦", by=admin, provisional=True)
    assert "2027 年工作日历为临时声明" in page(client, admin, DECEMBER)
    calendar_year_declare(area=world.areas.city, year=2027, source="国办发明电", by=admin)
    assert "site-notices" not in page(client, admin, DECEMBER)


def test_others_do_not_see_it(client, world):
    CalendarYear.objects.filter(calendar__area=world.areas.city, year=2027).delete()
    for person in (world.people.dispatcher, world.people.east_eco_handler, world.people.operator):
        assert "site-notices" not in page(client, person, DECEMBER)
