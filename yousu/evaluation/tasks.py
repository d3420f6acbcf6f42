"""Celery task of the assessment: on the 1st of each month, assess the month just ended."""

from __future__ import annotations

from django.utils import timezone

from yousu.celery import app

from .assessment import assess_month, previous_month


@app.task(name="yousu.evaluation.tasks.assess_previous_month")
def assess_previous_month() -> dict:
    month = previous_month(timezone.localdate())
    run = assess_month(month=month, note="每月自动考评")
    return {"month": run.month_label, "version": run.version, "seconds": run.seconds}
