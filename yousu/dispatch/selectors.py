"""Reads of dispatch and handling: a unit's queue and its counts, where an order stands on its clock
(the time node a desk colours it by), and the whistles a unit blew or must report in to."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal
from yousu.org.choices import PLATFORM_KINDS, RoleCode
from yousu.org.models import Person, Unit
from yousu.org.selectors import units_visible_to

from .choices import CLOCK_RUNNING_STATUSES, OrderRole, OrderStatus, RequestStatus
from .models import Consultation, ExtensionRequest, Order, ReportIn, ReturnRequest, Whistle
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


def appeals_reached_through_dispatch(person: Person) -> Q:
    """Dispatch's share of who reaches an appeal (a hook of appeals.selectors.appeals_visible_to): the
    appeals with an order for a unit the person can see, the duplicates linked to them (they follow
    its orders), and, for a platform's dispatcher, the appeals received by the units the platform
    serves, which wait in its queue (a grid worker's report below a district platform)."""
    handled = Order.objects.filter(unit__in=units_visible_to(person)).values("appeal_id")
    reach = Q(pk__in=handled) | Q(duplicate_of__in=handled)
    unit = person.unit if person.unit_id else None
    if unit is not None and unit.kind in PLATFORM_KINDS and person.has_role(RoleCode.DISPATCHER):
        reach |= Q(intake_unit__in=platform_served_units(unit))
    return reach


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


# ---------------------------------------------------------------- the dispatcher desk (派单台)


def platform_served_units(platform: Unit) -> QuerySet[Unit]:
    """The units whose nearest platform, at or above them, is `platform`: the platform itself and the
    units below it with no lower platform in between. Appeals received by such a unit (a grid
    worker's report, say) and consultations convened by it are this platform's to dispatch and decide,
    as `consultations.convening_platform` reads the unit tree."""
    lower = (
        Unit.objects.filter(kind__in=PLATFORM_KINDS, path__startswith=platform.path)
        .exclude(pk=platform.pk)
        .values_list("path", flat=True)
    )
    units = Unit.objects.filter(path__startswith=platform.path)
    for path in lower:
        units = units.exclude(path__startswith=path)
    return units


def _held_for_dispatch(platform: Unit) -> QuerySet[Order]:
    # An order at a platform is never handled there: it waits to be passed on, whether just arrived
    # or signed for, or back after the unit below had its return approved (the forward undone).
    return Order.objects.filter(
        unit=platform, role=OrderRole.LEAD, status__in=(OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)
    )


def dispatch_queue(platform: Unit) -> QuerySet[Appeal]:
    """What waits for `platform`'s dispatchers, oldest first: appeals received at the platform (or by a
    unit it serves that does not dispatch) and not yet dispatched, and appeals whose lead order came
    down to the platform to be passed on (three-level dispatch). `held_order_id` names that order;
    `waiting_since` is when the appeal arrived at the platform."""
    held = _held_for_dispatch(platform)
    held_here = held.filter(appeal=OuterRef("pk")).order_by("-dispatched_at")
    return (
        Appeal.objects.filter(
            Q(
                status=AppealStatus.RECEIVED,
                duplicate_of__isnull=True,
                intake_unit__in=platform_served_units(platform),
            )
            | Q(pk__in=held.values("appeal_id"))
        )
        .annotate(
            held_order_id=Subquery(held_here.values("pk")[:1]),
            waiting_since=Coalesce(Subquery(held_here.values("dispatched_at")[:1]), F("received_at")),
        )
        .select_related("area", "item", "dispatch_suggestion")
        .order_by("waiting_since", "pk")
    )


def held_order(platform: Unit, appeal: Appeal) -> Order | None:
    """The lead order of `appeal` that waits at `platform` to be passed on, if any."""
    return _held_for_dispatch(platform).filter(appeal=appeal).select_related("unit").first()


def _reviewed_by(platform: Unit, prefix: str = "") -> Q:
    """Orders that `platform` reviews (services.reviewing_platform): those it dispatched, and those
    a unit that is not a platform (a street, a lead unit adding an assistant) sent on below them."""
    condition = Q(**{f"{prefix}dispatched_from": platform})
    passed_on_below = Q()  # every order on the way up was sent by a unit that is not a platform
    served = platform_served_units(platform)
    step = prefix
    for _depth in range(4):
        passed_on_below &= ~Q(**{f"{step}dispatched_from__kind__in": PLATFORM_KINDS})
        # The chain starts at a street or community that took its own appeal on (自办).
        condition |= passed_on_below & Q(
            **{f"{step}parent__isnull": True, f"{step}dispatched_from__in": served}
        )
        step = f"{step}parent__"
        if _depth < 3:
            condition |= Q(**{f"{step}dispatched_from": platform}) & passed_on_below
    return condition


def return_requests_to_review(platform: Unit) -> QuerySet[ReturnRequest]:
    """Pending return requests (退单) on orders `platform` dispatched, oldest first: it decides them."""
    return (
        ReturnRequest.objects.filter(status=RequestStatus.PENDING, order__dispatched_from=platform)
        .select_related(
            "order",
            "order__appeal",
            "order__appeal__item",
            "order__appeal__area",
            "unit",
            "suggested_unit",
            "basis_item",
            "requested_by",
        )
        .order_by("requested_at", "id")
    )


def returns_refused_by_rule(platform: Unit) -> QuerySet[ReturnRequest]:
    """Return requests on `platform`'s orders that the rule refused without review, newest first."""
    return (
        ReturnRequest.objects.filter(status=RequestStatus.REFUSED_BY_RULE, order__dispatched_from=platform)
        .select_related("order", "order__appeal", "unit", "suggested_unit", "basis_item")
        .order_by("-requested_at", "-id")
    )


def latest_decided_return(order: Order) -> ReturnRequest | None:
    """The order's unit's latest decided return on it: unless the dispatcher reopened the question
    (`may_file_again`), a second return on the order is refused by rule (one per order and unit)."""
    return (
        order.return_requests.filter(unit_id=order.unit_id)
        .exclude(status=RequestStatus.PENDING)
        .order_by("-requested_at", "-id")
        .first()
    )


def returns_to_reopen(platform: Unit) -> QuerySet[ReturnRequest]:
    """Refused returns on `platform`'s orders that it may still reopen: not reopened yet, on an order
    still waiting, unaccepted, at the unit that filed them (return_request_reopen checks the rest)."""
    return ReturnRequest.objects.filter(
        order__dispatched_from=platform,
        status__in=(RequestStatus.REFUSED, RequestStatus.REFUSED_BY_RULE),
        reopened_at__isnull=True,
        order__status=OrderStatus.DISPATCHED,
        order__unit_id=F("unit_id"),
    )


def extension_requests_to_review(platform: Unit) -> QuerySet[ExtensionRequest]:
    """Pending extension requests (延期) that `platform` reviews, oldest first."""
    return (
        ExtensionRequest.objects.filter(Q(status=RequestStatus.PENDING) & _reviewed_by(platform, "order__"))
        .select_related("order", "order__appeal", "order__unit", "requested_by")
        .order_by("requested_at", "id")
    )


def replies_to_review(platform: Unit) -> QuerySet[Order]:
    """Lead orders whose reply (办结申请) waits for `platform`'s review, longest waiting first."""
    return (
        Order.objects.filter(Q(status=OrderStatus.REPLIED, role=OrderRole.LEAD) & _reviewed_by(platform))
        .select_related("appeal", "unit", "replied_by")
        .order_by("replied_at", "id")
    )


def consultations_open_at(platform: Unit) -> QuerySet[Consultation]:
    """Consultations (会商) convened at `platform` (or a unit it serves) and not yet decided."""
    return (
        Consultation.objects.filter(
            decided_at__isnull=True, convening_unit__in=platform_served_units(platform)
        )
        .select_related("appeal", "item", "convening_unit", "convened_by")
        .prefetch_related(Prefetch("parties", queryset=Unit.objects.order_by("path")))
        .order_by("opened_at", "id")
    )


def auto_dispatches_withdrawable(platform: Unit) -> QuerySet[Order]:
    """Orders `platform` sent by automatic dispatch that the unit has not signed for yet: the ones a
    dispatcher may still withdraw (auto.auto_dispatch_withdraw)."""
    return (
        Order.objects.filter(
            dispatched_from=platform,
            role=OrderRole.LEAD,
            status=OrderStatus.DISPATCHED,
            appeal__dispatch_suggestion__auto_order_id=F("pk"),
            appeal__dispatch_suggestion__withdrawn_at__isnull=True,
        )
        .select_related("appeal", "unit")
        .order_by("-dispatched_at", "-id")
    )
