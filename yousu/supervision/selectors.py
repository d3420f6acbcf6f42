"""What the supervision desk reads: orders overdue or about to be, by unit, open supervision orders, and
the summons whose report-in is near its limit or past it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from yousu.dispatch.choices import CLOCK_RUNNING_STATUSES
from yousu.dispatch.models import Order, ReportIn
from yousu.org.models import Person
from yousu.org.selectors import units_visible_to

from .choices import SupervisionStatus
from .models import SupervisionOrder

OVERDUE, DUE_SOON, PAUSED = "overdue", "due_soon", "paused"
WATCH_STATES = (OVERDUE, DUE_SOON, PAUSED)


def watched_orders(
    person: Person, *, now: dt.datetime | None = None, state: str | None = None
) -> QuerySet[Order]:
    """Running orders of the units `person` may see that are overdue (past the completion deadline),
    due soon (past the red node, before the deadline) or paused; a paused clock's deadline has not
    moved yet, so paused orders are a state of their own rather than overdue."""
    now = now or timezone.now()
    running = Order.objects.filter(status__in=CLOCK_RUNNING_STATUSES, unit__in=units_visible_to(person))
    overdue = Q(paused_at__isnull=True, completion_due__lte=now)
    due_soon = Q(paused_at__isnull=True, red_at__lte=now, completion_due__gt=now)
    paused = Q(paused_at__isnull=False)
    condition = {OVERDUE: overdue, DUE_SOON: due_soon, PAUSED: paused}.get(state, overdue | due_soon | paused)
    return (
        running.filter(condition)
        .select_related("appeal", "unit", "time_limit_class")
        .order_by("completion_due", "id")
    )


def watch_state(order: Order, now: dt.datetime) -> str:
    if order.paused_at is not None:
        return PAUSED
    return OVERDUE if order.completion_due <= now else DUE_SOON


def watch_by_unit(person: Person, *, now: dt.datetime | None = None) -> list[dict]:
    """Per unit: how many of its running orders are overdue, due soon and paused, worst first."""
    now = now or timezone.now()
    rows = (
        watched_orders(person, now=now)
        .values("unit_id", "unit__code", "unit__name")
        .annotate(
            overdue=Count("id", filter=Q(paused_at__isnull=True, completion_due__lte=now)),
            due_soon=Count("id", filter=Q(paused_at__isnull=True, completion_due__gt=now)),
            paused=Count("id", filter=Q(paused_at__isnull=False)),
        )
        .order_by()
    )
    open_counts = dict(
        SupervisionOrder.objects.filter(status=SupervisionStatus.OPEN)
        .values_list("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    result = [
        {
            "unit_id": row["unit_id"],
            "unit_code": row["unit__code"],
            "unit_name": row["unit__name"],
            "overdue": row["overdue"],
            "due_soon": row["due_soon"],
            "paused": row["paused"],
            "open_supervision_orders": open_counts.get(row["unit_id"], 0),
        }
        for row in rows
    ]
    result.sort(key=lambda row: (-row["overdue"], -row["due_soon"], row["unit_code"]))
    return result


def supervision_orders_visible_to(person: Person) -> QuerySet[SupervisionOrder]:
    """Supervisors see all; a unit sees those it must answer and those escalated to it."""
    rows = SupervisionOrder.objects.select_related(
        "order__appeal",
        "unit",
        "escalated_to",
        "report_in__whistle__blown_by_unit",
        "report_in__whistle__appeal",
    )
    if not person.is_authenticated or not person.is_active:
        return rows.none()
    visible = units_visible_to(person)
    return rows.filter(Q(unit__in=visible) | Q(escalated_to__in=visible))


def watched_report_ins(person: Person, *, now: dt.datetime | None = None) -> QuerySet[ReportIn]:
    """Summons not yet answered that are past their warning or their limit, of the departments
    `person` may see or of the whistles a unit they may see blew: the report-ins to chase, the missed
    (limit passed) first, then the soonest due; each with its supervision order, if one was issued."""
    now = now or timezone.now()
    visible = units_visible_to(person)
    return (
        ReportIn.objects.filter(reported_at__isnull=True)
        .filter(Q(warn_at__lte=now) | Q(whistle__report_in_due__lte=now))
        .filter(Q(unit__in=visible) | Q(whistle__blown_by_unit__in=visible))
        .select_related("unit", "unit__parent", "whistle__blown_by_unit", "whistle__appeal")
        .prefetch_related(
            Prefetch("supervision_orders", queryset=SupervisionOrder.objects.select_related("escalated_to"))
        )
        .order_by("whistle__report_in_due", "id")
    )
