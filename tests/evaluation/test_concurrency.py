"""Two people computing a month's first assessment at once: both succeed, as versions 1 and 2, and
one of them is current. Needs two connections to one database: runs on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from tests.notifications.test_concurrency import run_at_once
from tests.supervision.clock import at, frozen
from yousu.evaluation.assessment import assess_month
from yousu.evaluation.models import AssessmentRun

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two runs racing need two connections to one database: runs on PostgreSQL (DATABASE_URL)",
)

OCTOBER = dt.date(2026, 10, 1)


def test_two_first_runs_of_a_month_at_once_become_versions_one_and_two(transactional_db, world):
    with frozen(at(2026, 11, 1, 3, 0)):  # the clock patch reaches both threads
        results = run_at_once(lambda: assess_month(month=OCTOBER), lambda: assess_month(month=OCTOBER))
    assert all(isinstance(run, AssessmentRun) for run in results), results
    assert sorted(run.version for run in results) == [1, 2]
    runs = AssessmentRun.objects.filter(month=OCTOBER)
    assert runs.count() == 2 and runs.filter(is_current=True).get().version == 2
