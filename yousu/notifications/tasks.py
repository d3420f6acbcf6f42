"""Celery tasks of notifications: thin wrappers that take ids and call the services.

A task that hits a database error is retried with back-off; a failed send is not an error here (the
service records it on the row and `deliver_due` retries it), so one bad address never fails a batch.
"""

from __future__ import annotations

from django.db import DatabaseError

from yousu.celery import app

from . import services

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 5}


@app.task(name="yousu.notifications.tasks.deliver_batch", **RETRY)
def deliver_batch(ids: list[int]) -> int:
    """Deliver the notifications just created by one `notify` call; returns how many were tried."""
    return sum(1 for notification_id in ids if services.deliver(notification_id) is not None)


@app.task(name="yousu.notifications.tasks.deliver_due", **RETRY)
def deliver_due() -> int:
    """Retry whatever is due (also what a lost queue message left behind)."""
    return services.deliver_due()
