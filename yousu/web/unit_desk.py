"""The unit desk (部门/街道/社区工作台): the unit's queue by state with a countdown coloured by time node,
and the order page with the actions the domain allows the unit (accept, return request, assisting
unit, extension, reply with attachments, assisting part, pause and resume, forward down).

The services of yousu.dispatch decide every rule; this module shows and forwards, and turns their
refusals (DomainError) into messages on the page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yousu.appeals.models import Attachment
from yousu.appeals.selectors import citizen_for, events_of
from yousu.appeals.services import AttachmentIn
from yousu.catalog.models import AccessListEntry, CatalogItem
from yousu.catalog.selectors import access_lists_covering
from yousu.core.errors import DomainError
from yousu.dispatch.choices import (
    ACTIVE_ORDER_STATUSES,
    OrderRole,
    OrderStatus,
    PauseReason,
    ReplyResult,
    ReportInState,
    RequestStatus,
    ReturnReason,
)
from yousu.dispatch.models import Order, ReportIn
from yousu.dispatch.selectors import (
    NODE_NORMAL,
    NODE_OVERDUE,
    NODE_PAUSED,
    NODE_RED,
    NODE_YELLOW,
    clock_deadline,
    departments_to_summon,
    latest_decided_return,
    report_ins_owed_by,
    time_node,
    unit_order_counts,
    unit_orders,
)
from yousu.dispatch.services import (
    FORWARDING_KINDS,
    HANDLER_ROLES,
    order_accept,
    order_add_assist,
    order_extension_request,
    order_forward,
    order_pause,
    order_reply,
    order_resume,
    order_return_request,
    order_submit_assist_part,
)
from yousu.dispatch.whistles import DEFAULT_REPORT_IN_WITHIN, WHISTLING_KINDS, is_late, report_in_state
from yousu.org.choices import PLATFORM_KINDS, RoleCode, UnitKind
from yousu.org.models import Unit
from yousu.org.selectors import units_visible_to

from .actions import attempt
from .events import event_label
from .pickers import catalog_items, unit_tree

PER_PAGE = 100
# The queue's filters: the running orders by default, each state, or everything.
ACTIVE, ALL = "active", "all"
NODE_LABELS = {
    NODE_NORMAL: gettext_lazy("正常"),
    NODE_YELLOW: gettext_lazy("黄色预警"),
    NODE_RED: gettext_lazy("红色预警"),
    NODE_OVERDUE: gettext_lazy("已超期"),
    NODE_PAUSED: gettext_lazy("已挂起"),
}
# The countdown's words, shared with countdown.js so that the page reads the same before and after
# the script takes over.
COUNTDOWN_LEFT = gettext_lazy("剩余 %(time)s")
COUNTDOWN_OVER = gettext_lazy("超时 %(time)s")
COUNTDOWN_DAYS = gettext_lazy("%(days)s天 ")
# Orders whose unit has let the appeal go: it no longer handles it, nor calls the citizen back.
LET_GO_STATUSES = (OrderStatus.FORWARDED, OrderStatus.RETURNED)


# ---------------------------------------------------------------- who is at the desk


def desk_unit(request) -> Unit:
    """The unit whose desk this is: the signed-in person's own, if they work there as handler or
    leader. Platforms have their own desk (派单台)."""
    person = request.user
    unit = person.unit
    if unit is None or not person.is_active or not person.has_role(*HANDLER_ROLES):
        raise PermissionDenied(_("单位工作台供部门、街道、社区的承办人和负责人使用"))
    if unit.kind in PLATFORM_KINDS:
        raise PermissionDenied(_("平台人员请使用派单台"))
    return unit


def _order(request, order_id: int) -> Order:
    """An order of a unit the person may see (their own, and for a leader the units below); else 404."""
    order = (
        Order.objects.filter(pk=order_id, unit__in=units_visible_to(request.user))
        .select_related(
            "appeal",
            "appeal__item",
            "appeal__area",
            "unit",
            "dispatched_from",
            "time_limit_class",
            "accepted_by",
            "replied_by",
        )
        .first()
    )
    if order is None:
        raise Http404(_("工单不存在或无权查看"))
    return order


# ---------------------------------------------------------------- countdown


def _duration(seconds: int) -> str:
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    prefix = str(COUNTDOWN_DAYS) % {"days": days} if days else ""
    return f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}"


def countdown(order: Order, now: dt.datetime) -> dict | None:
    """What the countdown of an order shows at `now`, as countdown.js would draw it; None when the
    order's clock does not run."""
    deadline = clock_deadline(order)
    if deadline is None:
        return None
    node = time_node(order, now)
    seconds = int((deadline - now).total_seconds())
    text = (COUNTDOWN_LEFT if seconds >= 0 else COUNTDOWN_OVER) % {"time": _duration(seconds)}
    return {
        "node": node,
        "node_label": NODE_LABELS[node],
        "deadline": deadline,
        "deadline_label": _("签收时限") if order.status == OrderStatus.DISPATCHED else _("办结时限"),
        "text": text,
        "yellow": order.yellow_at,
        "red": order.red_at,
    }


def countdown_labels() -> dict:
    return {
        "left": str(COUNTDOWN_LEFT),
        "over": str(COUNTDOWN_OVER),
        "days": str(COUNTDOWN_DAYS),
        "nodes": {node: str(label) for node, label in NODE_LABELS.items()},
    }


# ---------------------------------------------------------------- the queue


def _filters(counts: dict) -> list[dict]:
    active = sum(counts[status] for status in ACTIVE_ORDER_STATUSES)
    rows = [{"code": ACTIVE, "label": _("在办"), "n": active}]
    rows += [
        {"code": status.value, "label": status.label, "n": counts[status.value]} for status in OrderStatus
    ]
    rows.append({"code": ALL, "label": _("全部"), "n": sum(counts.values())})
    return rows


# ---------------------------------------------------------------- summons (报到)

# A missed report-in's supervision order (at most one), and the unit it was escalated to.
SUPERVISION_PREFETCH = "supervision_orders__escalated_to"
# The desk lists the first open summons; the whistle page has them all.
SUMMONS_SHOWN = 10


def report_in_row(report_in: ReportIn, now: dt.datetime) -> dict:
    """A report-in as the desks show it: its state in words, and the supervision order its miss issued
    (expects `supervision_orders` prefetched with SUPERVISION_PREFETCH)."""
    state = report_in_state(report_in, now)
    return {
        "report_in": report_in,
        "late": is_late(report_in),
        "overdue": report_in.reported_at is None and report_in.whistle.report_in_due <= now,
        "state": state,
        "state_label": ReportInState(state).label,
        "supervision": next(iter(report_in.supervision_orders.all()), None),
    }


@login_required
def desk(request):
    unit = desk_unit(request)
    now = timezone.now()
    state = request.GET.get("state") or ACTIVE
    if state not in (ACTIVE, ALL, *OrderStatus.values):
        state = ACTIVE
    statuses = ACTIVE_ORDER_STATUSES if state == ACTIVE else None if state == ALL else (state,)
    page = Paginator(unit_orders(unit, statuses=statuses), PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"order": order, "countdown": countdown(order, now)} for order in page]
    counts = unit_order_counts(unit)
    open_summons = report_ins_owed_by(unit).filter(reported_at__isnull=True)
    access_entries = None
    if unit.kind == UnitKind.COMMUNITY:
        access_entries = AccessListEntry.objects.filter(
            access_list__in=access_lists_covering(unit.area)
        ).select_related("item", "item__parent", "access_list")
    context = {
        "unit": unit,
        "now": now,
        "state": state,
        "filters": _filters(counts),
        "page": page,
        "rows": rows,
        "labels": countdown_labels(),
        "may_whistle": unit.kind in WHISTLING_KINDS,
        "report_ins_open": open_summons.count(),
        "summons": [
            report_in_row(row, now)
            for row in open_summons.prefetch_related(SUPERVISION_PREFETCH)[:SUMMONS_SHOWN]
        ],
        "access_entries": access_entries,
    }
    return render(request, "web/unit/desk.html", context)


# ---------------------------------------------------------------- the order page


def _own(person, order: Order) -> bool:
    """Whether the person works for the order's unit as handler or leader: the services let only
    them act on it (the page still forwards every action, and the service has the last word)."""
    return person.unit_id == order.unit_id and person.has_role(*HANDLER_ROLES)


def _actions(person, order: Order, now: dt.datetime) -> set[str]:
    """The actions worth offering for the order's state and the person's roles."""
    if not _own(person, order):
        return set()
    found = set()
    return_pending = order.return_requests.filter(status=RequestStatus.PENDING).exists()
    if order.status == OrderStatus.DISPATCHED and not return_pending:
        found |= {"accept", "return"}
    running = order.status in (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)
    if (
        running
        and now < order.completion_due
        and not order.extension_requests.filter(status=RequestStatus.PENDING).exists()
    ):
        found.add("extension")
    if order.status == OrderStatus.ACCEPTED:
        found.add("reply" if order.role == OrderRole.LEAD else "assist_part")
        found.add("resume" if order.paused_at else "pause")
    if (
        order.role == OrderRole.LEAD
        and order.status in ACTIVE_ORDER_STATUSES
        and person.has_role(RoleCode.UNIT_LEADER)
    ):
        found.add("assist")
    if order.unit.kind in FORWARDING_KINDS and order.role == OrderRole.LEAD and running:
        found.add("forward")
    if order.unit.kind in WHISTLING_KINDS:
        found.add("whistle")
    return found


def _handling_units(order: Order) -> set[int]:
    return set(
        Order.objects.filter(appeal_id=order.appeal_id)
        .exclude(status__in=LET_GO_STATUSES)
        .values_list("unit_id", flat=True)
    )


def _events(order: Order) -> list[dict]:
    return [
        {
            "event": event,
            "label": event_label(event.action),
            "from": OrderStatus(event.from_state).label if event.from_state in OrderStatus.values else "",
            "to": OrderStatus(event.to_state).label if event.to_state in OrderStatus.values else "",
        }
        for event in events_of(order.appeal)
    ]


@login_required
def order_page(request, order_id: int):
    order = _order(request, order_id)
    now = timezone.now()
    person = request.user
    actions = _actions(person, order, now)
    appeal = order.appeal
    # The masking rules (and the record of an unmasked view) are the appeals app's.
    citizen = citizen_for(
        person, appeal, handling_unit_ids=_handling_units(order), purpose="单位工作台查看工单"
    )
    others = (
        Order.objects.filter(appeal_id=appeal.pk)
        .exclude(pk=order.pk)
        .select_related("unit")
        .order_by("dispatched_at", "id")
    )
    helpers = (
        Order.objects.filter(parent=order, role__in=(OrderRole.ASSIST, OrderRole.JOINT))
        .select_related("unit", "assist_part")
        .order_by("dispatched_at")
    )
    units = Unit.objects.filter(is_active=True).exclude(kind__in=PLATFORM_KINDS).order_by("path")
    offers_return = "return" in actions
    context = {
        "order": order,
        "appeal": appeal,
        "citizen": citizen,
        "attachments": Attachment.objects.filter(appeal=appeal).order_by("uploaded_at", "id"),
        "countdown": countdown(order, now),
        "labels": countdown_labels(),
        "events": _events(order),
        "others": others,
        "helpers": helpers,
        "return_requests": order.return_requests.select_related(
            "suggested_unit", "basis_item", "requested_by"
        ),
        "extension_requests": order.extension_requests.select_related("requested_by"),
        "pause": order.pauses.filter(ended_at__isnull=True).first() if order.paused_at else None,
        "actions": actions,
        "return_reasons": ReturnReason.choices,
        "reply_results": ReplyResult.choices,
        "pause_reasons": PauseReason.choices,
        # A return names the unit held responsible and the catalog item relied on, picked by name.
        "responsible_units": unit_tree(appeal.jurisdiction, exclude=(order.unit_id,))
        if offers_return
        else (),
        "basis_items": catalog_items(appeal.jurisdiction) if offers_return else (),
        "return_repeats": offers_return and _return_repeats(order),
        "assist_units": units.exclude(pk=order.unit_id) if "assist" in actions else (),
        "assist_roles": [
            (OrderRole.ASSIST, OrderRole.ASSIST.label),
            (OrderRole.JOINT, OrderRole.JOINT.label),
        ],
        "children": order.unit.children.filter(is_active=True).order_by("path")
        if "forward" in actions
        else (),
        "departments": departments_to_summon(order.unit) if "whistle" in actions else (),
        "default_hours": int(DEFAULT_REPORT_IN_WITHIN.total_seconds() // 3600),
    }
    return render(request, "web/unit/order.html", context)


@login_required
def attachment(request, order_id: int, attachment_id: int):
    """A file of an appeal the person may see (media files are never served to anyone directly)."""
    order = _order(request, order_id)
    found = Attachment.objects.filter(pk=attachment_id, appeal_id=order.appeal_id).first()
    if found is None:
        raise Http404(_("附件不存在"))
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


# ---------------------------------------------------------------- the actions


def _act(request, order: Order, action, done: str):
    attempt(request, action, done)
    target = request.POST.get("next", "")
    # Back to where the action was started: the queue (签收 from a row) or the order page.
    if target.startswith("/unit/"):
        return redirect(target)
    return redirect("unit-order", order_id=order.pk)


def _unit_from(request, name: str) -> Unit | None:
    value = request.POST.get(name) or ""
    if not value.isdigit():
        return None
    return Unit.objects.filter(pk=int(value)).first()


def _item_from(request, name: str) -> CatalogItem | None:
    value = request.POST.get(name) or ""
    if not value.isdigit():
        return None
    return CatalogItem.objects.filter(pk=int(value)).first()


def _return_repeats(order: Order) -> bool:
    """Whether a return filed now would be the unit's second on the order without the dispatcher's
    leave: the page says so before the unit files one that counts against it."""
    earlier = latest_decided_return(order)
    return earlier is not None and not earlier.may_file_again


@login_required
@require_POST
def accept(request, order_id: int):
    order = _order(request, order_id)
    return _act(
        request,
        order,
        lambda: order_accept(order=order, by=request.user),
        _("已签收：%(code)s") % {"code": order.appeal.code},
    )


@login_required
@require_POST
def return_request(request, order_id: int):
    order = _order(request, order_id)
    post = request.POST

    def run():
        made = order_return_request(
            order=order,
            by=request.user,
            reason=post.get("reason", ""),
            explanation=post.get("explanation", ""),
            suggested_unit=_unit_from(request, "suggested_unit"),
            basis_item=_item_from(request, "basis_item"),
            basis_note=post.get("basis_note", ""),
        )
        if made.status == RequestStatus.REFUSED_BY_RULE:
            # Filed and refused at once: the refusal is the outcome, and it counts against the unit.
            return DomainError(_("退单申请已按规则驳回（计入本单位）：%(note)s") % {"note": made.review_note})
        return None

    return _act(request, order, run, _("已提交退单申请，等待派单单位审核"))


@login_required
@require_POST
def assist(request, order_id: int):
    order = _order(request, order_id)
    unit = _unit_from(request, "unit")

    def run():
        if unit is None:
            raise DomainError(_("请选择协办单位"), field="unit")
        order_add_assist(
            order=order,
            by=request.user,
            unit=unit,
            role=request.POST.get("role") or OrderRole.ASSIST,
            reason=request.POST.get("reason", ""),
        )

    return _act(request, order, run, _("已增加协办单位：%(unit)s") % {"unit": unit.name if unit else ""})


@login_required
@require_POST
def extension(request, order_id: int):
    order = _order(request, order_id)

    def run():
        try:
            until = forms.DateTimeField().clean(request.POST.get("until", ""))
        except forms.ValidationError:
            raise DomainError(_("请填写申请延至的日期和时间"), field="until") from None
        order_extension_request(
            order=order, by=request.user, until=until, reason=request.POST.get("reason", "")
        )

    return _act(request, order, run, _("已提交延期申请，等待平台审核"))


@login_required
@require_POST
def reply(request, order_id: int):
    order = _order(request, order_id)
    files = [
        AttachmentIn(name=upload.name or "", data=upload.read())
        for upload in request.FILES.getlist("attachments")
    ]
    return _act(
        request,
        order,
        lambda: order_reply(
            order=order,
            by=request.user,
            text=request.POST.get("text", ""),
            result=request.POST.get("result", ""),
            attachments=files,
        ),
        _("已答复，等待平台审核"),
    )


@login_required
@require_POST
def assist_part(request, order_id: int):
    order = _order(request, order_id)
    return _act(
        request,
        order,
        lambda: order_submit_assist_part(order=order, by=request.user, text=request.POST.get("text", "")),
        _("已提交协办意见"),
    )


@login_required
@require_POST
def pause(request, order_id: int):
    order = _order(request, order_id)
    return _act(
        request,
        order,
        lambda: order_pause(
            order=order,
            by=request.user,
            reason=request.POST.get("reason", ""),
            explanation=request.POST.get("explanation", ""),
        ),
        _("已挂起，计时暂停"),
    )


@login_required
@require_POST
def resume(request, order_id: int):
    order = _order(request, order_id)
    return _act(
        request,
        order,
        lambda: order_resume(order=order, by=request.user, note=request.POST.get("note", "")),
        _("已恢复计时"),
    )


@login_required
@require_POST
def forward(request, order_id: int):
    order = _order(request, order_id)
    return _act(
        request,
        order,
        lambda: order_forward(
            order=order,
            by=request.user,
            unit=_unit_from(request, "unit"),
            reason=request.POST.get("reason", ""),
        ),
        _("已转派下级"),
    )
