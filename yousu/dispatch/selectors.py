"""Reads of dispatch and handling: a unit's queue and its counts, where an order stands on its clock
(the time node a desk colours it by), and the whistles a unit blew or must report in to."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, QuerySet, When

from yousu.org.models import Unit

from .choices import CLOCK_RUNNING_STATUSES, OrderStatus, RequestStatus
from .models import ExtensionRequest, Order, ReportIn, ReturnRequest, Whistle
from .whistles import SUMMONED_KINDS

# Where an order stands on its clock, as a desk shows it (the four time nodes of deadlines.py, seen
# from the unit: before the yellow node, after it, after the red node, past the deadline; or stopped).
NODE_NORMAL, NODE_YELLOW, NODE_RED, NODE_OVERDUE, NODE_PAUSED = "normal", "yellow", "red", "overdue", "paused"
TIME_NODES = (NODE_NORMAL, NODE_YELLOW, NODE_RED, NODE_OVERDUE, NODE_PAUSED)


def unit_orders(unit: Unit, *, statuses=None) -> QuerySet[Order]:
    """The orders sent to `unit`, with what a queue row shows in the same query: the appeal and its
    item, whether a return or an extension request waits for review, and the deadline that matters
    now (the response deadline until the order is signed for, the completion deadline after),
    soonest first among the running ones."""
    orders = Order.objects.filter(unit=unit)
    if statuses:
        orders = orders.filter(status__in=list(statuses))
    return (
        orders.select_related("appeal", "appeal__item", "time_limit_class")
        .annotate(
            return_pending=Exists(
                ReturnRequest.objects.filter(order=OuterRef("pk"), status=RequestStatus.PENDING)
            ),
            extension_pending=Exists(
                ExtensionRequest.objects.filter(order=OuterRef("pk"), status=RequestStatus.PENDING)
            ),
            deadline=Case(
                When(status=OrderStatus.DISPATCHED, then=F("response_due")), default=F("completion_due")
            ),
            running=Case(When(status__in=CLOCK_RUNNING_STATUSES, then=0), default=1),
        )
        .order_by("running", "deadline", "-dispatched_at", "-id")
    )


def unit_order_counts(unit: Unit) -> dict[str, int]:
    """How many of the unit's orders are in each state (every state present, zero when none)."""
    counts = dict.fromkeys(OrderStatus.values, 0)
    rows = Order.objects.filter(unit=unit).values_list("status").annotate(n=Count("id")).order_by()
    counts.update(dict(rows))
    return counts


def clock_deadline(order: Order) -> dt.datetime | None:
    """The deadline the unit works against now: the response deadline (签收时限) until the order is
    signed for, then the completion deadline (办结时限); None while its clock does not run."""
    if order.status not in CLOCK_RUNNING_STATUSES:
        return None
    return order.response_due if order.status == OrderStatus.DISPATCHED else order.completion_due


def time_node(order: Order, now: dt.datetime) -> str:
    """The order's time node at `now` (one of TIME_NODES), or '' when its clock does not run (replied,
    completed, passed on). An unsigned order past its response deadline is overdue: that limit is
    the one it broke."""
    deadline = clock_deadline(order)
    if deadline is None:
        return ""
    if order.paused_at is not None:
        return NODE_PAUSED
    if deadline <= now or order.completion_due <= now:
        return NODE_OVERDUE
    if order.red_at is not None and order.red_at <= now:
        return NODE_RED
    if order.yellow_at is not None and order.yellow_at <= now:
        return NODE_YELLOW
    return NODE_NORMAL


def report_ins_owed_by(unit: Unit) -> QuerySet[ReportIn]:
    """The summons to `unit` (报到), those still to answer first, soonest due first."""
    return (
        ReportIn.objects.filter(unit=unit)
        .select_related("whistle", "whistle__blown_by_unit", "whistle__appeal", "reported_by")
        .annotate(open=Case(When(reported_at__isnull=True, then=0), default=1))
        .order_by("open", "whistle__report_in_due", "-id")
    )


def whistles_blown_by(unit: Unit) -> QuerySet[Whistle]:
    """The whistles `unit` blew, newest first, each with its summoned departments' report-ins."""
    return (
        Whistle.objects.filter(blown_by_unit=unit)
        .select_related("appeal", "blown_by")
        .prefetch_related(
            Prefetch(
                "report_ins",
                queryset=ReportIn.objects.select_related("unit", "reported_by").order_by("unit__code"),
            )
        )
    )


def departments_to_summon(unit: Unit) -> QuerySet[Unit]:
    """The departments and enterprises that serve `unit`'s place (of its own area or an area above
    it): those a street or community would summon. whistle_blow decides who may be summoned."""
    places = unit.area.ancestors()
    return Unit.objects.filter(kind__in=SUMMONED_KINDS, is_active=True, area__in=places).order_by("path")
