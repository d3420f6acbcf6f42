"""The periodic job, one function for every way it runs: Celery beat (production), the in-process
timer of `yousu serve` (the embedded default) and `yousu sweep` (once, by hand or from cron)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

from yousu.dispatch.auto import auto_dispatch_pending
from yousu.notifications.services import deliver_due

from .report_ins import sweep_report_ins
from .sweep import sweep_time_nodes

logger = logging.getLogger(__name__)
LAST_SWEEP_KEY = "yousu:last-sweep"
# Later stages (callbacks, evaluation) add their periodic work here from their AppConfig.ready(), so
# this module never imports the apps that come after supervision. Each hook takes `now=` and returns
# something JSON-serialisable, reported under the hook's name.
PERIODIC_HOOKS: list[Callable[..., object]] = []


def run_periodic(now: dt.datetime | None = None) -> dict:
    """Fire the due time nodes of orders and of report-ins, then send the notifications that are due
    (new ones and retries)."""
    now = now or timezone.now()
    # First, so that an appeal dispatched automatically gets its notifications in this same run.
    auto_dispatched = auto_dispatch_pending(now=now)
    fired = sweep_time_nodes(now=now).as_dict()
    report_ins = sweep_report_ins(now=now).as_dict()
    # At the current time, not `now`: the notifications the sweep just wrote are due from their creation.
    sent = deliver_due(now=max(now, timezone.now()))
    hooks = {hook.__name__: hook(now=now) for hook in PERIODIC_HOOKS}
    cache.set(LAST_SWEEP_KEY, now.isoformat(), timeout=None)
    return {
        "at": now.isoformat(),
        "auto_dispatched": auto_dispatched,
        "fired": fired,
        "report_ins": report_ins,
        "notifications_delivered": sent,
        **hooks,
    }


def last_sweep() -> dt.datetime | None:
    value = cache.get(LAST_SWEEP_KEY)
    return dt.datetime.fromisoformat(value) if value else None


class InProcessScheduler(threading.Thread):
    """Runs `run_periodic` every `interval` seconds in a daemon thread, for a single machine without a
    queue. A failed run is logged and the next one tries again; it never stops the web server."""

    def __init__(self, interval: float):
        super().__init__(name="yousu-sweep", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                result = run_periodic()
                if (
                    any(result["fired"].values())
                    or any(result["report_ins"].values())
                    or result["notifications_delivered"]
                ):
                    logger.info("sweep: %s", result)
            except Exception:
                logger.exception("sweep failed; trying again in %s s", self.interval)
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
