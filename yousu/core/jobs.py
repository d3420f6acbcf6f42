"""Handing work to the job queue after the current transaction commits.

An action (dispatch, a time node firing) must never fail or roll back because the queue is down: the
work it leaves behind is a row (a pending notification, a due node) that the periodic job also finds.
Enqueueing is only a way to get there sooner.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def queue_configured() -> bool:
    return bool(getattr(settings, "CELERY_BROKER_URL", ""))


def enqueue_on_commit(task, *args) -> None:
    """Send `task` with `args` to the queue once the surrounding transaction commits (at once outside
    one). Without a broker, or if the broker refuses, the periodic job picks the work up instead."""
    if not queue_configured():
        return

    def send():
        try:
            task.delay(*args)
        except Exception:  # the broker is outside our control; the periodic job is the fallback
            logger.warning("could not enqueue %s; the periodic job will do it", task.name, exc_info=True)

    transaction.on_commit(send)
