"""Celery tasks of supervision: the periodic sweep that Celery beat runs every minute."""

from __future__ import annotations

from yousu.celery import app

from .jobs import run_periodic


@app.task(name="yousu.supervision.tasks.sweep")
def sweep() -> dict:
    return run_periodic()
