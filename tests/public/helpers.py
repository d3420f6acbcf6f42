"""Builders of the public-page and assessment-page tests: a settled appeal (completed, called back,
closed), and an assessment run written row by row so each figure on a page is known in advance."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from yousu.callbacks.models import Callback
from yousu.callbacks.services import callback_record, callbacks_create_due
from yousu.evaluation.models import AssessmentRun, AssessmentScheme, BurdenFigure, UnitAssessment

from ..callbacks.helpers import completed_order

MONTH = dt.date(2026, 10, 1)


def settled_appeal(world, **appeal_fields):
    """A hotline appeal taken through completion and a satisfied callback: the appeal is closed."""
    order = completed_order(world, idempotency_key="", **appeal_fields)
    callbacks_create_due()
    callback = Callback.objects.get(order=order, appeal=order.appeal)
    callback_record(
        callback=callback, by=world.people.operator, solved=True, satisfaction="satisfied", unit_caused=None
    )
    order.appeal.refresh_from_db()
    return order.appeal


def run_of_month(month=MONTH, *, version=1, is_current=True, note="") -> AssessmentRun:
    return AssessmentRun.objects.create(
        month=month,
        version=version,
        scheme=AssessmentScheme.objects.order_by("valid_from").first(),
        computed_at=timezone.now(),
        is_current=is_current,
        note=note,
    )


def result(run, unit, **figures) -> UnitAssessment:
    return UnitAssessment.objects.create(run=run, unit=unit, level=unit.level, kind=unit.kind, **figures)


def burden(run, unit, **figures) -> BurdenFigure:
    return BurdenFigure.objects.create(run=run, unit=unit, **figures)


def district_departments_run(world, month=MONTH, **run_fields) -> AssessmentRun:
    """Four district departments ranked 1–4 (blue, yellow, yellow, red), the platforms unranked, and
    burden figures for both streets and both communities."""
    u = world.units
    run = run_of_month(month, **run_fields)
    result(
        run,
        u.east_eco,
        received=10,
        assessed=10,
        responded=9,
        due=10,
        completed=8,
        completed_on_time=7,
        called_back=8,
        solved=6,
        satisfied=7,
        response_rate=0.9,
        completion_rate=0.8,
        on_time_rate=0.875,
        resolution_rate=0.75,
        satisfaction_rate=0.875,
        score=91.5,
        rank=1,
        peers=4,
        zone="blue",
    )
    result(
        run,
        u.west_eco,
        received=4,
        assessed=4,
        responded=3,
        due=4,
        completed=3,
        response_rate=0.75,
        completion_rate=0.75,
        score=78.0,
        rank=2,
        peers=4,
        zone="yellow",
    )
    result(
        run,
        u.east_market,
        received=2,
        assessed=2,
        responded=2,
        due=2,
        completed=1,
        response_rate=1.0,
        completion_rate=0.5,
        score=70.0,
        rank=3,
        peers=4,
        zone="yellow",
    )
    result(
        run,
        u.west_market,
        received=5,
        assessed=5,
        responded=1,
        due=5,
        completed=1,
        response_rate=0.2,
        completion_rate=0.2,
        score=35.25,
        rank=4,
        peers=4,
        zone="red",
    )
    result(run, u.east_platform, received=12, assessed=1, responded=0, due=1, completed=0)
    burden(
        run,
        u.east_street,
        received=7,
        assigned_elsewhere=3,
        pushdowns_refused=2,
        pushdowns_refused_by_rule=1,
        whistles=2,
        report_ins_due=4,
        report_ins_on_time=3,
        access_list_refused=1,
        hours_saved=12.0,
    )
    burden(
        run,
        u.east_community,
        received=9,
        assigned_elsewhere=5,
        pushdowns_refused=1,
        pushdowns_refused_by_rule=1,
        whistles=0,
        report_ins_due=0,
        report_ins_on_time=0,
        access_list_refused=2,
        hours_saved=12.5,
    )
    burden(run, u.west_street, received=2, assigned_elsewhere=0, pushdowns_refused=0)
    burden(run, u.west_community, received=1, assigned_elsewhere=1, pushdowns_refused=0, hours_saved=4.0)
    return run
