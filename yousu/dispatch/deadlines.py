"""An order's clock: its deadlines and its four time nodes, counted on the city's working calendar.

The four nodes (DESIGN.md §2, 督):
  response  — the response deadline (签收时限): the order must be signed for (or passed on) by then;
  yellow    — half of the completion time used (黄色预警);
  red       — one working day before the deadline, or a quarter of the limit before it when the limit
              is shorter than two days (红色预警、催办);
  overdue   — the completion deadline passed (超期：督办、提级).

Dispatch owns the clock (it sets and moves it when an order is created, accepted, extended, paused,
resumed or sent back); supervision reads `next_node`/`next_node_at` and fires the nodes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yousu.catalog.choices import ClockKind

from .choices import CLOCK_RUNNING_STATUSES, OrderStatus, TimeNode

if TYPE_CHECKING:
    from yousu.catalog.models import TimeLimitClass
    from yousu.core.workcalendar import WorkCalendar


@dataclass(frozen=True)
class Clock:
    start: dt.datetime
    response_due: dt.datetime
    completion_due: dt.datetime
    yellow_at: dt.datetime
    red_at: dt.datetime


def _working(time_limit_class: TimeLimitClass) -> bool:
    return time_limit_class.clock == ClockKind.WORKING


def order_clock(time_limit_class: TimeLimitClass, start: dt.datetime, calendar: WorkCalendar) -> Clock:
    """The clock of an order dispatched at `start`."""
    working = _working(time_limit_class)
    clock = time_limit_class.clock
    response = calendar.add(
        start,
        calendar.span(time_limit_class.response_amount, time_limit_class.response_unit, clock),
        working=working,
    )
    completion = calendar.add(
        start,
        calendar.span(time_limit_class.completion_amount, time_limit_class.completion_unit, clock),
        working=working,
    )
    yellow, red = warning_times(time_limit_class, start, completion, calendar)
    return Clock(start, response, completion, yellow, red)


def warning_times(
    time_limit_class: TimeLimitClass, start: dt.datetime, completion_due: dt.datetime, calendar: WorkCalendar
) -> tuple[dt.datetime, dt.datetime]:
    """(yellow, red) for a clock that started at `start` and ends at `completion_due`; recomputed
    whenever the deadline moves (an approved extension, a send-back)."""
    working = _working(time_limit_class)
    total = calendar.elapsed(start, completion_due, working=working)
    day = calendar.day_length if working else dt.timedelta(days=1)
    yellow = calendar.add(start, total / 2, working=working)
    # A limit shorter than two days would put "one day before" at or before half-time.
    before = day if total >= 2 * day else total / 4
    red = calendar.add(start, total - before, working=working)
    return yellow, red


def shift(time_limit_class: TimeLimitClass, moment: dt.datetime, by: dt.timedelta, calendar: WorkCalendar):
    """`moment` moved later by `by` of the class's own time (working or calendar)."""
    return calendar.add(moment, by, working=_working(time_limit_class))


def next_node(order) -> tuple[str, dt.datetime | None]:
    """The order's next unfired node and when it is due, or ("", None) while its clock is stopped.

    Nodes that are already due when a later one is due too are fired together by the sweep (the
    later one speaks for them), so the order here is by time, then by the nodes' natural order.
    """
    if order.status not in CLOCK_RUNNING_STATUSES or order.paused_at is not None:
        return "", None
    candidates = []
    if order.status == OrderStatus.DISPATCHED and order.response_fired_at is None:
        candidates.append((order.response_due, 0, TimeNode.RESPONSE))
    if order.yellow_fired_at is None and order.yellow_at is not None:
        candidates.append((order.yellow_at, 1, TimeNode.YELLOW))
    if order.red_fired_at is None and order.red_at is not None:
        candidates.append((order.red_at, 2, TimeNode.RED))
    if order.overdue_fired_at is None:
        candidates.append((order.completion_due, 3, TimeNode.OVERDUE))
    if not candidates:
        return "", None
    at, _rank, node = min(candidates)
    return str(node), at


def due_nodes(order, now: dt.datetime) -> list[str]:
    """Every unfired node of the order that is due at `now`, in firing order."""
    if order.status not in CLOCK_RUNNING_STATUSES or order.paused_at is not None:
        return []
    nodes = []
    if (
        order.status == OrderStatus.DISPATCHED
        and order.response_fired_at is None
        and order.response_due <= now
    ):
        nodes.append(TimeNode.RESPONSE)
    for node, at, fired in (
        (TimeNode.YELLOW, order.yellow_at, order.yellow_fired_at),
        (TimeNode.RED, order.red_at, order.red_fired_at),
        (TimeNode.OVERDUE, order.completion_due, order.overdue_fired_at),
    ):
        if fired is None and at is not None and at <= now:
            nodes.append(node)
    return [str(node) for node in nodes]


def schedule(order) -> dict:
    """The fields that put the order's next node on the sweep's index (for an update)."""
    node, at = next_node(order)
    order.next_node, order.next_node_at = node, at
    return {"next_node": node, "next_node_at": at}
