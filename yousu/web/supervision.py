"""The supervision desk (督办台): overdue and about-to-be-overdue orders by unit, urge and supervision
order by hand, the summons whose report-in is near its limit or past it (吹哨报到) with their escalation,
and the open supervision orders, which it closes (销号). The actions go through the supervision services,
which decide who may act; this page only shows and forwards."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yousu.dispatch.choices import ReportInState
from yousu.dispatch.models import CriticismNotice, Order
from yousu.dispatch.services import criticism_notice_issue
from yousu.dispatch.whistles import report_in_state
from yousu.notifications.selectors import inbox_for
from yousu.org.choices import PLATFORM_KINDS, RoleCode
from yousu.org.selectors import units_visible_to
from yousu.supervision.choices import SupervisionStatus
from yousu.supervision.selectors import (
    DUE_SOON,
    OVERDUE,
    PAUSED,
    supervision_orders_visible_to,
    watch_by_unit,
    watch_state,
    watched_orders,
    watched_report_ins,
)
from yousu.supervision.services import (
    may_close,
    may_supervise,
    supervision_order_close,
    supervision_order_issue,
    urge_issue,
)

from .actions import attempt

NOTICES = 50
ALERTS = 10

STATES = {OVERDUE: gettext_lazy("已超期"), DUE_SOON: gettext_lazy("临近超期"), PAUSED: gettext_lazy("挂起")}


def may_issue_notice(person) -> bool:
    """Whether to offer the notice form; criticism_notice_issue decides for each unit."""
    return person.has_role(RoleCode.SUPERVISOR, RoleCode.ADMINISTRATOR) or (
        person.has_role(RoleCode.DISPATCHER)
        and person.unit_id is not None
        and person.unit.kind in PLATFORM_KINDS
    )


@login_required
def desk(request):
    now = timezone.now()
    state = request.GET.get("state") or None
    if state not in (None, *STATES):
        state = None
    orders = list(watched_orders(request.user, now=now, state=state)[:200])
    rows = [
        {
            "order": order,
            "state": watch_state(order, now),
            "state_label": STATES[watch_state(order, now)],
            "may_act": may_supervise(request.user, order),
        }
        for order in orders
    ]
    supervision_orders = [
        {"supervision": supervision, "may_close": may_close(request.user, supervision)}
        for supervision in supervision_orders_visible_to(request.user).filter(
            status__in=(SupervisionStatus.OPEN, SupervisionStatus.ANSWERED)
        )[:200]
    ]
    report_ins = []
    for report_in in watched_report_ins(request.user, now=now)[:200]:
        state = report_in_state(report_in, now)
        supervision = next(iter(report_in.supervision_orders.all()), None)
        report_ins.append(
            {
                "report_in": report_in,
                "state": state,
                "state_label": ReportInState(state).label,
                "supervision": supervision,
            }
        )
    notices = (
        CriticismNotice.objects.filter(unit__in=units_visible_to(request.user))
        .select_related("unit", "order__appeal")
        .order_by("-issued_at")[:NOTICES]
    )
    context = {
        "now": now,
        "notices": notices,
        "may_notice": may_issue_notice(request.user),
        "alerts": inbox_for(request.user).filter(read_at__isnull=True)[:ALERTS],
        "state": state,
        "states": STATES,
        "units": watch_by_unit(request.user, now=now),
        "rows": rows,
        "supervision_orders": supervision_orders,
        "report_ins": report_ins,
    }
    return render(request, "web/supervision.html", context)


def _order(request, order_id: int) -> Order:
    order = Order.objects.filter(pk=order_id, unit__in=units_visible_to(request.user)).first()
    if order is None:
        raise Http404(_("工单不存在或无权查看"))
    return order


def _act(request, action, done: str):
    attempt(request, action, done)
    state = request.POST.get("state")
    return redirect(f"{reverse('supervision-desk')}?state={state}" if state in STATES else "supervision-desk")


@login_required
@require_POST
def urge(request, order_id: int):
    order = _order(request, order_id)
    text = request.POST.get("text", "")
    return _act(
        request,
        lambda: urge_issue(order=order, by=request.user, text=text),
        _("已催办：%(code)s") % {"code": order.appeal.code},
    )


@login_required
@require_POST
def supervise(request, order_id: int):
    order = _order(request, order_id)
    reason = request.POST.get("reason", "")
    escalate = request.POST.get("escalate") == "on"
    return _act(
        request,
        lambda: supervision_order_issue(order=order, by=request.user, reason=reason, escalate=escalate),
        _("已下发督办单：%(code)s") % {"code": order.appeal.code},
    )


@login_required
@require_POST
def notice(request, order_id: int):
    """通报批评 of the unit that holds an overdue order, with the order recorded beside it."""
    order = _order(request, order_id)
    reason = request.POST.get("reason", "")
    return _act(
        request,
        lambda: criticism_notice_issue(unit=order.unit, order=order, reason=reason, by=request.user),
        _("已通报批评：%(unit)s") % {"unit": order.unit.name},
    )


@login_required
@require_POST
def close(request, supervision_id: int):
    """销号 of a supervision order the person can see; supervision_order_close decides who may."""
    supervision = supervision_orders_visible_to(request.user).filter(pk=supervision_id).first()
    if supervision is None:
        raise Http404(_("督办单不存在或无权查看"))
    note = request.POST.get("note", "")
    return _act(
        request,
        lambda: supervision_order_close(supervision=supervision, by=request.user, note=note),
        _("已销号：%(unit)s") % {"unit": supervision.unit.name},
    )
