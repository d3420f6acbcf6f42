"""Deadlines of an order from its time-limit class.

One function, so that the supervision stage can replace calendar arithmetic with the working-day
calendar (holidays, make-up days, office hours) without touching dispatch. Until then, working
hours and working days are counted as calendar hours and days.
"""

from __future__ import annotations

import datetime as dt

from yousu.catalog.choices import LimitUnit
from yousu.catalog.models import TimeLimitClass

_UNIT = {
    LimitUnit.MINUTE: dt.timedelta(minutes=1),
    LimitUnit.HOUR: dt.timedelta(hours=1),
    LimitUnit.DAY: dt.timedelta(days=1),
}


def order_deadlines(time_limit_class: TimeLimitClass, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(response deadline, completion deadline) for an order dispatched at `start`."""
    response = start + time_limit_class.response_amount * _UNIT[time_limit_class.response_unit]
    completion = start + time_limit_class.completion_amount * _UNIT[time_limit_class.completion_unit]
    return response, completion
