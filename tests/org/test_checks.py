"""`yousu check` (Django's system checks) tells an administrator when next year's working calendar is
missing from 1 December, and shows a provisional year without failing `--fail-level WARNING`."""

import datetime as dt
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from yousu.org.calendar import calendar_year_declare
from yousu.org.checks import PROVISIONAL, UNDECLARED, working_calendar_years
from yousu.org.services import area_create

DECEMBER = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 0))
NOVEMBER = timezone.make_aware(dt.datetime(2026, 11, 30, 23, 59))


@pytest.fixture
def city(defaults):
    return area_create(code="K", name="检查市", kind="city")


def found():
    return [(message.id, message.level) for message in working_calendar_years()]


def test_before_december_nothing_is_said(city):
    with mock.patch("django.utils.timezone.now", return_value=NOVEMBER):
        assert found() == []


def test_from_december_an_undeclared_next_year_is_a_warning_and_fails_the_lint(city):
    with mock.patch("django.utils.timezone.now", return_value=DECEMBER):
        [message] = working_calendar_years()
        assert message.id == UNDECLARED and message.is_serious() is False
        assert "检查市" in message.msg and "2027" in message.msg
        with pytest.raises(SystemCheckError):
            call_command("check", fail_level="WARNING")


def test_a_provisional_year_is_shown_but_passes_and_a_full_one_is_silent(city, world):
    calendar_year_declare(area=city, year=2027, source="已录入元旦", by=world.people.admin, provisional=True)
    with mock.patch("django.utils.timezone.now", return_value=DECEMBER):
        assert found() == [(PROVISIONAL, 20)]  # checks.INFO
        call_command("check", fail_level="WARNING")
        calendar_year_declare(area=city, year=2027, source="国办发明电", by=world.people.admin)
        assert found() == []


def test_a_database_that_cannot_answer_says_nothing(city):
    with (
        mock.patch("django.utils.timezone.now", return_value=DECEMBER),
        mock.patch("yousu.org.calendar.calendar_notices", side_effect=RuntimeError("no database")),
    ):
        assert found() == []
