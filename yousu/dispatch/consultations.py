"""Consultation (会商): when responsibility for a matter is disputed, the platform convenes the units,
records the meeting and its decision (lead and assisting units), carries the decision out on the
appeal, and proposes a change to the responsibility catalog that a city administrator adopts with
one action, as a new catalog version."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from yousu.appeals.choices import AppealStatus
from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.appeals.selectors import check_reach
from yousu.catalog.choices import RuleTarget
from yousu.catalog.models import CatalogItem, ResponsibilityRule
from yousu.catalog.services import _check_target, _may_approve, rule_change, rule_create
from yousu.core.errors import DomainError, PermissionRefused
from yousu.org.choices import RoleCode
from yousu.org.models import Person, Sector, Unit
from yousu.org.selectors import distinct_units

from .choices import ACTIVE_ORDER_STATUSES, OrderRole, OrderStatus
from .models import Consultation, Order
from .services import (
    PLATFORM_KINDS,
    appeal_dispatch,
    order_add_assist,
    order_forward,
    records_pushdown_attempts,
)

MAX_TOPIC = 200
MAX_MEETING_RECORD = 20000
# The lead order that makes a unit responsible for an appeal (the DB allows one at a time).
LIVE_LEAD_STATUSES = (*ACTIVE_ORDER_STATUSES, OrderStatus.COMPLETED)
# Fields of a catalog rule whose errors are about the consultation's proposal, not its other inputs.
RULE_TARGET_FIELDS = ("target", "level", "sector", "unit")


def _active(by: Person | None) -> None:
    if by is None or not by.is_active:
        raise PermissionRefused("必须由在岗人员操作", field="by")


def _as_proposal_error(exc: DomainError) -> DomainError:
    """The catalog names the rule's fields; a consultation's input calls them proposed_*."""
    if exc.field in RULE_TARGET_FIELDS:
        return type(exc)(exc.message, field=f"proposed_{exc.field}")
    return exc


def convening_platform(consultation: Consultation) -> Unit | None:
    """The platform that answers for a consultation: the convening unit or the nearest platform above."""
    for unit in reversed(consultation.convening_unit.chain()):
        if unit.kind in PLATFORM_KINDS:
            return unit
    return None


def _may_convene(by: Person) -> bool:
    # Not a superuser as such: the flag maintains data and convenes nobody (docs/accounts.md).
    if by.has_role(RoleCode.SUPERVISOR, RoleCode.ADMINISTRATOR):
        return True
    return by.has_role(RoleCode.DISPATCHER) and by.unit is not None and by.unit.kind in PLATFORM_KINDS


@transaction.atomic
def consultation_open(
    *, item: CatalogItem, topic: str, parties: list[Unit], by: Person, appeal: Appeal | None = None
) -> Consultation:
    """Convene the units that dispute a matter; the event goes on the appeal that raised it, if any."""
    _active(by)
    if not _may_convene(by):
        raise PermissionRefused("只有平台派单员、督办员或系统管理员可以发起会商", field="by")
    if by.unit is None:
        raise PermissionRefused("发起会商的人员须属于一个单位（召集单位）", field="by")
    topic = (topic or "").strip()
    if not topic:
        raise DomainError("必须写明会商议题", field="topic")
    if len(topic) > MAX_TOPIC:
        raise DomainError(f"议题不能超过 {MAX_TOPIC} 个字符", field="topic")
    if item is None or item.level != 3:
        raise DomainError("会商须针对一个三级事项", field="item")
    if not item.is_active:
        raise DomainError(f"事项“{item.name}”已停用", field="item")
    parties = distinct_units(parties)
    if len(parties) < 2:
        raise DomainError("会商至少要有两个参加单位", field="parties")
    for unit in parties:
        if unit.kind in PLATFORM_KINDS:
            raise DomainError(f"{unit.name}是派单平台，不能作为会商的参加单位", field="parties")
        if not unit.is_active:
            raise DomainError(f"{unit.name}已停用", field="parties")
    if appeal is not None:
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        check_reach(by, [appeal], field="appeal")
        if appeal.duplicate_of_id:
            # A linked appeal follows its original; the decision has to land on the one that is handled.
            raise DomainError(
                f"诉求 {appeal.code} 已并入 {appeal.duplicate_of.code}，请针对后者发起会商", field="appeal"
            )
    consultation = Consultation.objects.create(
        appeal=appeal,
        item=item,
        topic=topic,
        convened_by=by,
        convening_unit=by.unit,
        opened_at=timezone.now(),
    )
    consultation.parties.set(parties)
    if appeal is not None:
        record_event(
            appeal,
            "consultation_opened",
            actor=by,
            reason=topic,
            payload={
                "consultation": consultation.pk,
                "item": item.code,
                "parties": [unit.code for unit in parties],
            },
        )
    return consultation


@records_pushdown_attempts
@transaction.atomic
def consultation_decide(
    *,
    consultation: Consultation,
    by: Person,
    meeting_record: str,
    lead_unit: Unit,
    assisting_units: list[Unit],
    proposed_target: str = "",
    proposed_level: str = "",
    proposed_sector: Sector | None = None,
    proposed_unit: Unit | None = None,
) -> Consultation:
    """Record the meeting and the decision once, validate the proposed catalog rule, and carry the
    decision out on the appeal: lead order to the lead unit, assisting orders to the others."""
    _active(by)
    # Lock the consultation so that two people deciding at once yield one decision.
    consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("convening_unit", "item")
        .get(pk=consultation.pk)
    )
    platform = convening_platform(consultation)
    if not (
        by.has_role(RoleCode.ADMINISTRATOR)
        or (platform is not None and by.unit_id == platform.pk and by.has_role(RoleCode.DISPATCHER))
    ):
        raise PermissionRefused("只有召集平台的派单员或系统管理员可以作出会商决定", field="by")
    if consultation.decided_at is not None:
        raise DomainError("该会商已经作出决定，不能再次决定", field="status")
    meeting_record = (meeting_record or "").strip()
    if not meeting_record:
        raise DomainError("必须填写会商记录", field="meeting_record")
    if len(meeting_record) > MAX_MEETING_RECORD:
        raise DomainError(f"会商记录不能超过 {MAX_MEETING_RECORD} 个字符", field="meeting_record")
    party_ids = set(consultation.parties.values_list("pk", flat=True))
    if lead_unit is None:
        raise DomainError("必须确定主办单位", field="lead_unit")
    if lead_unit.pk not in party_ids:
        raise DomainError(f"主办单位须是会商的参加单位，{lead_unit.name}不是", field="lead_unit")
    assisting_units = distinct_units(assisting_units)
    for unit in assisting_units:
        if unit.pk == lead_unit.pk:
            raise DomainError(f"{unit.name}已是主办单位，不能同时协办", field="assisting_units")
        if unit.pk not in party_ids:
            raise DomainError(f"协办单位须是会商的参加单位，{unit.name}不是", field="assisting_units")

    proposed_target = (proposed_target or "").strip()
    proposed_level = (proposed_level or "").strip()
    if proposed_target or proposed_level or proposed_sector is not None or proposed_unit is not None:
        if not proposed_target:
            raise DomainError("提出职责目录调整建议须选择责任方式", field="proposed_target")
        try:
            # The same checks a catalog rule gets (including the community access list), applied to
            # the jurisdiction-wide rule that adoption would create.
            proposed_level = _check_target(
                item=consultation.item,
                area=None,
                target=proposed_target,
                level=proposed_level,
                sector=proposed_sector,
                unit=proposed_unit,
            )
        except DomainError as exc:
            raise _as_proposal_error(exc) from None
        if proposed_target != RuleTarget.SECTOR:
            proposed_sector = None
        if proposed_target != RuleTarget.UNIT:
            proposed_unit = None

    consultation.meeting_record = meeting_record
    consultation.decided_at = timezone.now()
    consultation.decided_by = by
    consultation.lead_unit = lead_unit
    consultation.proposed_target = proposed_target
    consultation.proposed_level = proposed_level
    consultation.proposed_sector = proposed_sector
    consultation.proposed_unit = proposed_unit
    consultation.save(
        update_fields=[
            "meeting_record",
            "decided_at",
            "decided_by",
            "lead_unit",
            "proposed_target",
            "proposed_level",
            "proposed_sector",
            "proposed_unit",
        ]
    )
    consultation.assisting_units.set(assisting_units)
    if consultation.appeal_id:
        appeal = Appeal.objects.select_for_update().get(pk=consultation.appeal_id)
        record_event(
            appeal,
            "consultation_decided",
            actor=by,
            reason=meeting_record,
            payload={
                "consultation": consultation.pk,
                "lead": lead_unit.code,
                "assisting": [unit.code for unit in assisting_units],
                "proposed_target": proposed_target,
                "proposed_level": proposed_level,
                "proposed_sector": proposed_sector.code if proposed_sector else None,
                "proposed_unit": proposed_unit.code if proposed_unit else None,
            },
        )
        _carry_out(consultation, appeal, by=by, lead_unit=lead_unit, assisting_units=assisting_units)
    return consultation


def _decision_reason(consultation: Consultation, lead_unit: Unit, assisting_units: list[Unit]) -> str:
    text = f"会商决定：由{lead_unit.name}主办"
    if assisting_units:
        text += f"，{'、'.join(unit.name for unit in assisting_units)}协办"
    return f"{text}（{consultation.topic}）"


def _live_lead(appeal: Appeal) -> Order | None:
    return appeal.orders.filter(role=OrderRole.LEAD, status__in=LIVE_LEAD_STATUSES).first()


def _carry_out(
    consultation: Consultation, appeal: Appeal, *, by: Person, lead_unit: Unit, assisting_units: list[Unit]
) -> None:
    """Send the appeal to the decided lead unit where the decider may do so, then add the assisting
    units; whatever the decider may not do is written to the log as work left for the dispatcher."""
    reason = _decision_reason(consultation, lead_unit, assisting_units)
    lead = _live_lead(appeal)
    from_callers_platform = by.unit_id is not None and lead_unit.parent_id == by.unit_id
    pending_dispatch = False
    if lead is not None and lead.unit_id == lead_unit.pk:
        pass  # the decided unit already holds the lead order
    elif appeal.status == AppealStatus.RECEIVED and from_callers_platform:
        lead = _as_far_as_allowed(
            lambda: appeal_dispatch(appeal=appeal, by=by, unit=lead_unit, reason=reason)
        )
        pending_dispatch = lead is None
    elif (
        lead is not None
        and lead.unit_id == by.unit_id
        and lead.status in (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)
        and from_callers_platform
    ):
        # The caller's platform holds the order (three-level dispatch): it sends it on to the lead unit.
        lead = _as_far_as_allowed(lambda: order_forward(order=lead, by=by, unit=lead_unit, reason=reason))
        pending_dispatch = lead is None
    else:
        lead, pending_dispatch = None, appeal.status in (AppealStatus.RECEIVED, AppealStatus.DISPATCHED)
    if pending_dispatch:
        record_event(
            appeal,
            "consultation_dispatch_pending",
            actor=by,
            reason=f"{reason}；请派单员按会商决定派单",
            payload={"consultation": consultation.pk, "lead": lead_unit.code},
        )
    if lead is None or lead.status not in ACTIVE_ORDER_STATUSES:
        if assisting_units and pending_dispatch:
            record_event(
                appeal,
                "consultation_assist_pending",
                actor=by,
                reason="主办工单派出后，请为协办单位派协办工单",
                payload={"consultation": consultation.pk, "assisting": [u.code for u in assisting_units]},
            )
        return
    busy = set(appeal.orders.filter(status__in=ACTIVE_ORDER_STATUSES).values_list("unit_id", flat=True))
    left = []
    for unit in assisting_units:
        if unit.pk in busy:
            continue  # already handling this appeal
        added = _as_far_as_allowed(
            lambda unit=unit: order_add_assist(order=lead, by=by, unit=unit, reason=reason)
        )
        if added is None:
            left.append(unit.code)
    if left:
        record_event(
            appeal,
            "consultation_assist_pending",
            actor=by,
            reason="请有权的派单员或主办单位负责人按会商决定增加协办单位",
            payload={"consultation": consultation.pk, "assisting": left},
        )


def _as_far_as_allowed(action):
    """Run a dispatch service; None if the decider may not do it (e.g. an administrator who is not a
    dispatcher). Any other refusal stops the decision, so nothing is left half-done."""
    try:
        with transaction.atomic():
            return action()
    except PermissionRefused:
        return None


def _may_adopt(by: Person) -> bool:
    # Adopting a rule changes the catalog, so it sits with whoever approves catalog changes: the city.
    return _may_approve(by)


@transaction.atomic
def consultation_adopt_rule(*, consultation: Consultation, by: Person) -> ResponsibilityRule:
    """One action: the proposal becomes the jurisdiction-wide rule for the item from now on, as a new
    catalog version (the rule in force is closed, never edited), naming the consultation as its reason."""
    _active(by)
    consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("item", "appeal")
        .get(pk=consultation.pk)
    )
    if not _may_adopt(by):
        raise PermissionRefused("只有市级系统管理员可以采纳会商建议的责任规则", field="by")
    if consultation.adopted_rule_id is not None:
        raise DomainError("该会商的建议已被采纳", field="adopted_rule")
    if not consultation.proposed_target:
        raise DomainError("该会商没有提出职责目录调整建议", field="proposed_target")
    now = timezone.now()
    reason = f"会商决定（会商 #{consultation.pk}：{consultation.topic}）"
    target = {
        "target": consultation.proposed_target,
        "level": consultation.proposed_level,
        "sector": consultation.proposed_sector,
        "unit": consultation.proposed_unit,
    }
    in_force = (
        ResponsibilityRule.objects.in_force(now)
        .filter(item=consultation.item, area__isnull=True)
        .order_by("-valid_from")
        .first()
    )
    try:
        if in_force is not None:
            rule = rule_change(rule=in_force, reason=reason, by=by, effective_at=now, **target)
        else:
            rule = rule_create(
                item=consultation.item, area=None, reason=reason, by=by, valid_from=now, **target
            )
    except DomainError as exc:
        raise _as_proposal_error(exc) from None
    consultation.adopted_rule = rule
    consultation.adopted_by = by
    consultation.save(update_fields=["adopted_rule", "adopted_by"])
    if consultation.appeal_id:
        record_event(
            consultation.appeal,
            "consultation_rule_adopted",
            actor=by,
            reason=reason,
            payload={
                "consultation": consultation.pk,
                "rule": rule.pk,
                "replaces": in_force.pk if in_force is not None else None,
            },
        )
    return rule
