"""The sweep: fire every order's time nodes that are due (预警、催办、督办、提级).

It reads the orders whose `next_node_at` has passed through the partial index on that column, so it
touches only due rows however many orders are open. Each batch is claimed with row locks that other
sweepers skip (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), and inside the lock
a node fires only if it is still unfired; the fired time and the next node are written in the same
transaction, so two sweepers running at once never fire a node twice. It is idempotent: running it
again at the same moment finds nothing.

What a node does:
  response — an urge (催办) to the unit that has not signed for the order;
  yellow   — a yellow warning to the unit;
  red      — a red warning and an urge to the unit and its leaders;
  overdue  — a supervision order (督办单) to the unit's leaders, escalated to the unit above (提级).
When several nodes are due at once (the sweep was stopped, or the clock was moved), the latest of
yellow/red/overdue speaks for the earlier ones, which are marked fired and named in its event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.models import Event
from yousu.core.timestamps import payload_time
from yousu.core.workcalendar import CalendarNotCovered
from yousu.dispatch.choices import TimeNode
from yousu.dispatch.deadlines import due_nodes, schedule
from yousu.dispatch.models import Order
from yousu.notifications.services import notify_many
from yousu.org.calendar import calendar_for_unit
from yousu.org.models import Unit
from yousu.org.selectors import leaders_by_unit

from .models import SupervisionOrder, Urge

logger = logging.getLogger(__name__)
FIRED_FIELD = {
    TimeNode.RESPONSE: "response_fired_at",
    TimeNode.YELLOW: "yellow_fired_at",
    TimeNode.RED: "red_fired_at",
    TimeNode.OVERDUE: "overdue_fired_at",
}
WARNING_NODES = (TimeNode.YELLOW, TimeNode.RED, TimeNode.OVERDUE)


@dataclass
class SweepResult:
    fired: Counter = field(default_factory=Counter)
    orders: int = 0

    def as_dict(self) -> dict:
        return {"orders": self.orders, **{str(node): self.fired[node] for node in TimeNode.values}}


def sweep_time_nodes(*, now: dt.datetime | None = None, batch_size: int = 1000) -> SweepResult:
    """Fire every time node due at `now` (default: the current time); return what fired."""
    now = now or timezone.now()
    result = SweepResult()
    claim_due(
        Order.objects.select_related("appeal", "unit", "unit__parent"),
        now=now,
        batch_size=batch_size,
        fire=lambda orders: _fire(orders, now, result),
    )
    return result


def claim_due(rows: QuerySet, *, now: dt.datetime, batch_size: int, fire: Callable[[list], None]) -> None:
    """Claim the rows of `rows` whose `next_node_at` has passed, a batch at a time, each batch locked
    for its transaction (SKIP LOCKED where the database has it, so sweepers running at once share the
    work) and handed to `fire`, which must fire or reschedule every row it gets: a full batch then
    means more are due, a short one that the sweep is done."""
    while True:
        with transaction.atomic():
            due = rows.filter(next_node_at__lte=now).order_by("next_node_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True, of=("self",))
            batch = list(due[:batch_size])
            if batch:
                fire(batch)
        if len(batch) < batch_size:
            return


@dataclass
class _Batch:
    """What one batch of the sweep writes, collected first and inserted in bulk."""

    now: dt.datetime
    leaders: dict
    calendars: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    urges: list = field(default_factory=list)
    supervision_orders: list = field(default_factory=list)
    notices: list = field(default_factory=list)


def _fire(orders: list[Order], now: dt.datetime, result: SweepResult) -> None:
    batch = _Batch(now=now, leaders=leaders_by_unit({order.unit_id for order in orders}))
    for order in orders:
        nodes = due_nodes(order, now)
        for node in nodes:
            setattr(order, FIRED_FIELD[node], now)
        schedule(order)
        if not nodes:
            continue  # a stale entry (the clock moved without the index): rescheduled above
        result.orders += 1
        if TimeNode.RESPONSE in nodes:
            _node_effects(batch, order, TimeNode.RESPONSE, [])
            result.fired[TimeNode.RESPONSE] += 1
        warnings = [node for node in nodes if node in WARNING_NODES]
        if warnings:
            _node_effects(batch, order, warnings[-1], warnings[:-1])
            for node in warnings:
                result.fired[node] += 1
    _save_clocks(orders)
    Event.objects.bulk_create(batch.events)
    Urge.objects.bulk_create(batch.urges)
    SupervisionOrder.objects.bulk_create(batch.supervision_orders)
    notify_many(batch.notices)


CLOCK_FIELDS = (*FIRED_FIELD.values(), "next_node", "next_node_at")


def _save_clocks(orders: list[Order]) -> None:
    """Write the fired times and next nodes of a batch in one statement. On PostgreSQL that is an
    UPDATE joined to the batch's values (Django's bulk_update builds a CASE per row and field, which
    costs more Python time than the whole rest of the sweep); elsewhere bulk_update."""
    if connection.vendor != "postgresql":
        Order.objects.bulk_update(orders, CLOCK_FIELDS)
        return
    meta = Order._meta
    fields = [meta.get_field(name) for name in CLOCK_FIELDS]
    names = ", ".join(field.column for field in fields)
    arrays = ", ".join(
        f"%s::{'timestamptz' if field.get_internal_type() == 'DateTimeField' else 'text'}[]"
        for field in fields
    )
    assignments = ", ".join(f"{field.column} = batch.{field.column}" for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} SET {assignments} "
            f"FROM unnest(%s::bigint[], {arrays}) AS batch(id, {names}) "
            f"WHERE {meta.db_table}.{meta.pk.column} = batch.id",
            [
                [order.pk for order in orders],
                *[[getattr(order, name) for order in orders] for name in CLOCK_FIELDS],
            ],
        )


def node_text(order: Order, node: str) -> str:
    code, unit = order.appeal.code, order.unit.name
    local = timezone.localtime(order.completion_due).strftime("%Y-%m-%d %H:%M")
    if node == TimeNode.RESPONSE:
        return _("工单%(code)s已超过签收时限，请%(unit)s立即签收办理。") % {"code": code, "unit": unit}
    if node == TimeNode.YELLOW:
        return _("黄色预警：工单%(code)s办理时限已过半，办结时限为%(due)s。") % {"code": code, "due": local}
    if node == TimeNode.RED:
        return _("红色预警：工单%(code)s即将超期（办结时限%(due)s），请%(unit)s抓紧办理。") % {
            "code": code,
            "due": local,
            "unit": unit,
        }
    return _("工单%(code)s已超过办结时限（%(due)s），已向%(unit)s下发督办单。") % {
        "code": code,
        "due": local,
        "unit": unit,
    }


def answer_due(unit: Unit, now: dt.datetime, calendars: dict | None = None) -> dt.datetime:
    """A supervision order is answered by the supervised `unit` within one working day of its calendar."""
    if calendars is None:
        calendar = calendar_for_unit(unit)
    else:
        # One look-up per unit's area in a sweep batch, not one per order.
        calendar = calendars.get(unit.area_id)
        if calendar is None:
            calendar = calendars[unit.area_id] = calendar_for_unit(unit)
    try:
        return calendar.add(now, calendar.day_length)
    except CalendarNotCovered:
        # The sweep must not stop firing every other node because the city has not entered next
        # year's holidays yet: the answer is due in 24 hours, and the log says what to fix.
        logger.warning("calendar of %s does not cover %s: supervision answer due in 24 h", unit, now.date())
        return now + dt.timedelta(days=1)


def _node_effects(batch: _Batch, order: Order, node: str, superseded: list[str]) -> None:
    text = node_text(order, node)
    escalated_to = order.unit.parent if node == TimeNode.OVERDUE else None
    batch.events.append(
        Event(
            appeal=order.appeal,
            order_id=order.pk,
            at=batch.now,
            action="time_node",
            reason=text,
            payload={
                "node": str(node),
                "unit": order.unit.code,
                "completion_due": payload_time(order.completion_due),
                "superseded": [str(each) for each in superseded],
                **({"escalated_to": escalated_to.code} if escalated_to else {}),
            },
        )
    )
    batch.notices.append({"kind": f"{node}_node", "text": text, "unit": order.unit, "order": order})
    if node in (TimeNode.RESPONSE, TimeNode.RED):
        batch.urges.append(Urge(order=order, unit=order.unit, node=node, text=text, issued_at=batch.now))
    if node in (TimeNode.RED, TimeNode.OVERDUE):
        for leader in batch.leaders.get(order.unit_id, []):
            batch.notices.append({"kind": f"{node}_node", "text": text, "person": leader, "order": order})
    if node == TimeNode.OVERDUE:
        batch.supervision_orders.append(
            SupervisionOrder(
                order=order,
                unit=order.unit,
                escalated_to=escalated_to,
                node=node,
                reason=text,
                issued_at=batch.now,
                answer_due=answer_due(order.unit, batch.now, batch.calendars),
            )
        )
        if escalated_to is not None:
            batch.notices.append(
                {
                    "kind": "escalation",
                    "text": _("提级督办：%(unit)s的工单%(code)s已超期，请督促办理。")
                    % {"unit": order.unit.name, "code": order.appeal.code},
                    "unit": escalated_to,
                    "order": order,
                }
            )
