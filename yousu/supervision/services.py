"""The supervision desk's actions: urge an order, issue a supervision order (optionally escalated to the
unit above), the unit's leader answers it, the supervisor closes it (销号)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.events import record_event
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import ACTIVE_ORDER_STATUSES
from yousu.dispatch.models import Order
from yousu.notifications.services import notify
from yousu.org.choices import PLATFORM_KINDS, RoleCode
from yousu.org.models import Person, Unit
from yousu.org.selectors import can_see_unit

from .choices import SupervisionStatus
from .models import SupervisionOrder, Urge
from .sweep import answer_due

TEXT_LIMIT = 2000


def may_supervise(person: Person, order: Order) -> bool:
    """Supervisors, and the dispatchers of a platform over the order's unit."""
    return may_supervise_unit(person, order.unit)


def may_supervise_unit(person: Person, unit: Unit) -> bool:
    """Supervisors, and the dispatchers of a platform over `unit`: also who supervises a department
    that let a report-in limit pass."""
    if person is None or not person.is_active:
        return False
    # Not a superuser as such: the flag maintains data, it supervises no unit (docs/accounts.md).
    if person.has_role(RoleCode.SUPERVISOR):
        return True
    return bool(
        person.has_role(RoleCode.DISPATCHER)
        and person.unit is not None
        and person.unit.kind in PLATFORM_KINDS
        and can_see_unit(person, unit)
    )


def may_close(person: Person, supervision: SupervisionOrder) -> bool:
    """Whether supervision_order_close would let `person` close it now (the desk offers the form)."""
    if supervision.status == SupervisionStatus.CLOSED:
        return False
    if supervision.report_in_id is not None:
        allowed = may_supervise_unit(person, supervision.unit)
    else:
        allowed = may_supervise(person, supervision.order)
    return allowed and (supervision.status == SupervisionStatus.ANSWERED or _matter_settled(supervision))


def _matter_settled(supervision: SupervisionOrder) -> bool:
    """The order has been finished, or the summoned department has reported in after all."""
    if supervision.report_in_id is not None:
        return supervision.report_in.reported_at is not None
    return supervision.order.status not in ACTIVE_ORDER_STATUSES


def _record(supervision: SupervisionOrder, action: str, *, by: Person, reason: str, **payload) -> None:
    """The event of an answer or a close, in the log of the appeal it concerns: the order's, or the
    appeal a whistle was blown for (a problem a street found itself has none; the row is the record)."""
    if supervision.report_in_id is not None:
        whistle = supervision.report_in.whistle
        if whistle.appeal_id is None:
            return
        record_event(
            whistle.appeal,
            action,
            actor=by,
            reason=reason,
            payload={
                "supervision_order": supervision.pk,
                "whistle": whistle.pk,
                "unit": supervision.unit.code,
                **payload,
            },
        )
        return
    record_event(
        supervision.order.appeal,
        action,
        actor=by,
        order_id=supervision.order_id,
        reason=reason,
        payload={"supervision_order": supervision.pk, **payload},
    )


def _text(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("必须填写%(label)s") % {"label": label}, field=field)
    if len(value) > TEXT_LIMIT:
        raise DomainError(_("不能超过 %(n)d 个字符") % {"n": TEXT_LIMIT}, field=field)
    return value


def _open_order(order: Order, by: Person, what: str) -> Order:
    order = Order.objects.select_related("appeal", "unit", "unit__parent").get(pk=order.pk)
    if not may_supervise(by, order):
        raise PermissionRefused(_("只有督办员或上级平台派单员可以%(what)s") % {"what": what}, field="by")
    if order.status not in ACTIVE_ORDER_STATUSES:
        raise DomainError(
            _("工单当前为“%(status)s”，不能%(what)s") % {"status": order.get_status_display(), "what": what},
            field="order",
        )
    return order


@transaction.atomic
def urge_issue(*, order: Order, by: Person, text: str) -> Urge:
    """催办 by hand: the unit (and its leaders) are told at once."""
    order = _open_order(order, by, _("催办"))
    text = _text(text, "text", _("催办内容"))
    urge = Urge.objects.create(
        order=order, unit=order.unit, text=text, issued_by=by, issued_at=timezone.now()
    )
    record_event(
        order.appeal,
        "urged",
        actor=by,
        order_id=order.pk,
        reason=text,
        payload={"unit": order.unit.code, "urge": urge.pk},
    )
    notify(kind="urge", text=text, unit=order.unit, order=order)
    return urge


@transaction.atomic
def supervision_order_issue(
    *, order: Order, by: Person, reason: str, escalate: bool = False
) -> SupervisionOrder:
    """督办单 by hand, answered by the unit's leader within one working day; with `escalate`, the unit
    above is told and watches it too (提级)."""
    order = _open_order(order, by, _("督办"))
    reason = _text(reason, "reason", _("督办事由"))
    if order.supervision_orders.filter(status=SupervisionStatus.OPEN).exists():
        raise DomainError(_("该工单已有待反馈的督办单"), field="order")
    escalated_to = order.unit.parent if escalate else None
    if escalate and escalated_to is None:
        raise DomainError(_("%(unit)s没有上级单位，不能提级") % {"unit": order.unit.name}, field="escalate")
    now = timezone.now()
    supervision = SupervisionOrder.objects.create(
        order=order,
        unit=order.unit,
        escalated_to=escalated_to,
        reason=reason,
        issued_by=by,
        issued_at=now,
        answer_due=answer_due(order.unit, now),
    )
    record_event(
        order.appeal,
        "supervision_order",
        actor=by,
        order_id=order.pk,
        reason=reason,
        payload={
            "unit": order.unit.code,
            "supervision_order": supervision.pk,
            **({"escalated_to": escalated_to.code} if escalated_to else {}),
        },
    )
    text = _("督办：%(reason)s（工单%(code)s，请于%(due)s前反馈）") % {
        "reason": reason,
        "code": order.appeal.code,
        "due": timezone.localtime(supervision.answer_due).strftime("%Y-%m-%d %H:%M"),
    }
    notify(kind="supervision_order", text=text, unit=order.unit, order=order)
    for leader in Person.objects.filter(unit=order.unit, roles__code=RoleCode.UNIT_LEADER, is_active=True):
        notify(kind="supervision_order", text=text, person=leader, order=order)
    if escalated_to is not None:
        notify(kind="escalation", text=text, unit=escalated_to, order=order)
    return supervision


@transaction.atomic
def supervision_order_answer(*, supervision: SupervisionOrder, by: Person, answer: str) -> SupervisionOrder:
    """The supervised unit's leader says what was done and by when it will be finished."""
    supervision = (
        SupervisionOrder.objects.select_for_update(of=("self",))
        .select_related("order__appeal", "unit", "report_in__whistle__appeal")
        .get(pk=supervision.pk)
    )
    if not (by.is_active and by.unit_id == supervision.unit_id and by.has_role(RoleCode.UNIT_LEADER)):
        raise PermissionRefused(_("督办单由被督办单位负责人反馈"), field="by")
    if supervision.status != SupervisionStatus.OPEN:
        raise DomainError(
            _("督办单当前为“%(status)s”，不能反馈") % {"status": supervision.get_status_display()},
            field="status",
        )
    answer = _text(answer, "answer", _("反馈内容"))
    now = timezone.now()
    supervision.status, supervision.answer = SupervisionStatus.ANSWERED, answer
    supervision.answered_by, supervision.answered_at = by, now
    supervision.save(update_fields=["status", "answer", "answered_by", "answered_at"])
    _record(supervision, "supervision_answered", by=by, reason=answer, on_time=now <= supervision.answer_due)
    return supervision


@transaction.atomic
def supervision_order_close(*, supervision: SupervisionOrder, by: Person, note: str = "") -> SupervisionOrder:
    """销号: the supervisor accepts the answer (or the order was finished, or the summoned department
    has reported in) and closes the matter."""
    supervision = (
        SupervisionOrder.objects.select_for_update(of=("self",))
        .select_related("order__appeal", "order__unit", "unit", "report_in__whistle__appeal")
        .get(pk=supervision.pk)
    )
    if supervision.report_in_id is not None:
        allowed = may_supervise_unit(by, supervision.unit)
    else:
        allowed = may_supervise(by, supervision.order)
    if not allowed:
        raise PermissionRefused(_("只有督办员或上级平台派单员可以销号"), field="by")
    if supervision.status == SupervisionStatus.CLOSED:
        raise DomainError(_("督办单已销号"), field="status")
    if supervision.status == SupervisionStatus.OPEN and not _matter_settled(supervision):
        if supervision.report_in_id is not None:
            raise DomainError(_("被督办单位尚未反馈，也未报到，不能销号"), field="status")
        raise DomainError(_("被督办单位尚未反馈，工单也未办结，不能销号"), field="status")
    now = timezone.now()
    supervision.status, supervision.close_note = SupervisionStatus.CLOSED, (note or "").strip()
    supervision.closed_by, supervision.closed_at = by, now
    supervision.save(update_fields=["status", "close_note", "closed_by", "closed_at"])
    _record(supervision, "supervision_closed", by=by, reason=supervision.close_note)
    return supervision
