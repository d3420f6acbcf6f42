"""`yousu assess`: a good month prints a summary and stores a version; a bad month is one line and a
non-zero exit."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.appeals.factories import at_eco
from tests.supervision.clock import at, frozen
from yousu.cli import main
from yousu.evaluation.models import AssessmentRun


def test_assess_a_month_twice(world, capsys):
    out = io.StringIO()
    with frozen(at(2026, 11, 2, 9, 0)):
        call_command("assess", "--month", "2026-10", "--by", "sam", stdout=out)
        call_command("assess", "--month", "2026-10", "--note", "重算", stdout=out)
    text = out.getvalue()
    assert "2026-10 第 1 版" in text and "2026-10 第 2 版" in text
    assert "与第 1 版相比，0 个单位的数据有变化" in text
    runs = AssessmentRun.objects.filter(month=dt.date(2026, 10, 1)).order_by("version")
    assert [(run.version, run.is_current) for run in runs] == [(1, False), (2, True)]
    assert runs[0].computed_by == world.people.supervisor and runs[1].note == "重算"


@pytest.mark.parametrize("month", ["2026-13", "October", "2999-01"])
def test_a_bad_month_is_refused(world, month):
    with pytest.raises(CommandError, match="month"):
        call_command("assess", "--month", month, stdout=io.StringIO())
    assert not AssessmentRun.objects.exists()


def test_the_command_line_prints_one_line_and_exits_non_zero(world, capsys):
    assert main(["assess", "--month", "2026-13"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "YYYY-MM" in err


def test_the_monthly_job_assesses_the_month_just_ended(world):
    from yousu.evaluation.tasks import assess_previous_month

    with frozen(at(2026, 10, 1, 2, 0)):
        # September saw nothing dispatched: there is nothing to assess (the platform started in October).
        assert assess_previous_month()["assessed"] == []
    with frozen(at(2026, 10, 12, 9, 0)):
        at_eco(world)
    with frozen(at(2026, 11, 1, 2, 0)):
        done = assess_previous_month()
        again = assess_previous_month()
    assert done["assessed"] == ["2026-10 v1"]
    # Idempotent: the periodic job runs the same hook every minute and finds nothing more to do.
    assert again == {"assessed": [], "finalised": [], "projected": []}
    assert AssessmentRun.objects.get().note == "每月自动考评"


def test_the_job_is_scheduled_for_two_oclock_on_the_first():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["assess-previous-month"]
    assert entry["task"] == "yousu.evaluation.tasks.assess_previous_month"
    schedule = entry["schedule"]
    assert (schedule.day_of_month, schedule.hour, schedule.minute) == ({1}, {2}, {0})
