"""Celery task of the assessment: beat runs it early on the 1st; the periodic job runs the same hook every
minute, so whichever comes first assesses the month just ended and the other finds nothing to do."""

from __future__ import annotations

from yousu.celery import app

from .publication import assessment_periodic


@app.task(name="yousu.evaluation.tasks.assess_previous_month")
def assess_previous_month() -> dict:
    return assessment_periodic()
