"""Dispatch and handling services: the order state machine and the seeds' rules.

- Three-level dispatch: city platform → city department / enterprise / district platform;
  district platform → district department / street / district government; street → community,
  and only for items on the community access list (no push-down).
- First-receiver responsibility: a department, enterprise or community that receives an order
  cannot pass it on; it may ask to return it before accepting, for a listed reason, and the
  dispatcher decides. A return that pushes a department's item down to a street or community is
  refused by rule. Refused returns count against the unit.
- Every transition is checked against ORDER_TRANSITIONS, claimed with a conditional update (so
  two people acting at once get one success and one clear conflict), and written to the event log.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.choices import AppealStatus
from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.appeals.services import AttachmentIn, appeal_set_item, attachment_add, attachments_check
from yousu.catalog.models import CatalogItem, TimeLimitClass
from yousu.catalog.selectors import (
    Responsibility,
    community_may_receive,
    delegation_exception_for,
    responsible_unit,
)
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.core.timestamps import payload_time
from yousu.intelligence.reply_review import score_reply
from yousu.intelligence.suggestions import suggestion_settle
from yousu.org.calendar import calendar_for_unit
from yousu.org.choices import GRASSROOTS_KINDS, PLATFORM_KINDS, Level, RoleCode, UnitKind
from yousu.org.models import Person, Unit

from .choices import (
    ACTIVE_ORDER_STATUSES,
    CLOCK_RUNNING_STATUSES,
    ORDER_TRANSITIONS,
    OrderRole,
    OrderStatus,
    PauseReason,
    ReplyResult,
    RequestStatus,
    ReturnReason,
)
from .deadlines import order_clock, schedule, shift, warning_times
from .models import (
    AssistPart,
    ClockPause,
    Consultation,
    CriticismNotice,
    ExtensionRequest,
    Order,
    ReturnRequest,
)
from .selectors import latest_decided_return

logger = logging.getLogger(__name__)

# Later stages learn of an approved reply here without dispatch importing them (the knowledge base
# registers its proposals in its AppConfig.ready). Each runs inside the approval's transaction, so
# what it writes commits with the approval, but in a savepoint whose failure is logged and dropped:
# a stage that learns from the reply must never undo the approval itself.
ORDER_COMPLETED_HOOKS: list[Callable[[Order], None]] = []

# Units that hand orders further down; every other kind must handle what it receives.
FORWARDING_KINDS = (UnitKind.CITY_PLATFORM, UnitKind.DISTRICT_PLATFORM, UnitKind.STREET)
HANDLER_ROLES = (RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER)


class Conflict(DomainError):
    """Someone else changed the order first; reload and try again."""

    code = "conflict"


# ---------------------------------------------------------------- who may act


def _member(by: Person, unit: Unit, roles, what: str) -> None:
    """Only the acting unit's own people in the right role act in its name. A superuser is no
    exception: a 12345 platform's system administrator maintains the data (the admin site: units,
    people, catalog, calendars), and does not accept, reply to or review a citizen's appeal in a
    unit's name; an action nobody of the unit took would stand in its record and its assessment
    (docs/accounts.md). The same holds in every service that acts on appeals and orders."""
    if by is None or not by.is_active:
        raise PermissionRefused("必须由在岗人员操作", field="by")
    if by.unit_id != unit.pk or not by.has_role(*roles):
        raise PermissionRefused(f"只有{unit.name}的相应人员可以{what}", field="by")


def _dispatcher_of(by: Person, unit: Unit, what: str) -> None:
    roles = (
        (RoleCode.DISPATCHER,)
        if unit.kind in PLATFORM_KINDS
        else (RoleCode.UNIT_LEADER, RoleCode.UNIT_HANDLER)
    )
    _member(by, unit, roles, what)


def nearest_platform(unit: Unit) -> Unit | None:
    """The platform at or above `unit` that dispatches for it (the lowest one on its chain)."""
    for above in reversed(unit.chain()):
        if above.kind in PLATFORM_KINDS:
            return above
    return None


def reviewing_platform(order: Order) -> Unit:
    """The platform that answers for an order: the one that dispatched it, or above a street; for an
    appeal a street or community took on itself (自办), the platform that serves that unit."""
    current = order
    while current.dispatched_from.kind not in PLATFORM_KINDS and current.parent_id:
        current = current.parent
    if current.dispatched_from.kind not in PLATFORM_KINDS:
        return nearest_platform(current.dispatched_from) or current.dispatched_from
    return current.dispatched_from


# ---------------------------------------------------------------- transitions


def _transition(
    order: Order,
    to: str,
    *,
    by: Person | None,
    action: str,
    reason: str = "",
    payload: dict | None = None,
    **fields,
) -> Order:
    """Move `order` to `to` if nobody moved it since it was read; write the event."""
    if order.status == to:
        # The same action arrived twice (two people, or one double click): the second one conflicts.
        raise Conflict(f"工单已经是“{order.get_status_display()}”，请刷新", field="status")
    if to not in ORDER_TRANSITIONS[OrderStatus(order.status)]:
        raise DomainError(
            f"工单当前为“{order.get_status_display()}”，不能{OrderStatus(to).label}", field="status"
        )
    claimed = Order.objects.filter(pk=order.pk, status=order.status, version=order.version).update(
        status=to, version=order.version + 1, **fields
    )
    if claimed != 1:
        raise Conflict("工单刚刚被他人处理过，请刷新后再试", field="status")
    before = order.status
    order.refresh_from_db()
    _reschedule(order)
    record_event(
        order.appeal,
        action,
        actor=by,
        order_id=order.pk,
        from_state=before,
        to_state=to,
        reason=reason,
        payload={"unit": order.unit.code, **(payload or {})},
    )
    return order


def _reschedule(order: Order) -> None:
    """Put the order's next time node on the sweep's index after its state or clock changed."""
    before = (order.next_node, order.next_node_at)
    fields = schedule(order)
    if (order.next_node, order.next_node_at) != before:
        Order.objects.filter(pk=order.pk).update(**fields)


def _set_appeal_status(
    appeal: Appeal, status: str, *, by: Person | None, action: str, reason: str = ""
) -> None:
    before = appeal.status
    if before == status:
        return
    Appeal.objects.filter(pk=appeal.pk).update(status=status, updated_at=timezone.now())
    appeal.status = status
    record_event(appeal, action, actor=by, from_state=before, to_state=status, reason=reason)
    for duplicate in appeal.duplicates.exclude(status=status):
        # Linked appeals follow the one that is handled, each keeping its own trail; when it is
        # reopened they are linked to it again, not in handling of their own (they have no orders).
        if status in (AppealStatus.COMPLETED, AppealStatus.CLOSED):
            _set_appeal_status(duplicate, status, by=by, action=f"follows_{action}", reason=appeal.code)
        elif duplicate.status != AppealStatus.LINKED:
            _set_appeal_status(
                duplicate, AppealStatus.LINKED, by=by, action=f"follows_{action}", reason=appeal.code
            )


# ---------------------------------------------------------------- dispatch


def proposal(appeal: Appeal) -> Responsibility:
    """What the catalog says: the responsible unit for the appeal's item and place."""
    if appeal.item_id is None:
        raise DomainError("请先为诉求选定目录事项", field="item")
    if appeal.area_id is None:
        raise DomainError("请先确定诉求所在区域", field="area")
    return responsible_unit(item=appeal.item, area=appeal.area)


def next_hop(from_unit: Unit, target: Unit) -> Unit:
    """The unit `from_unit` sends to on the way to `target` (three-level dispatch)."""
    chain = target.chain()
    if from_unit not in chain:
        raise DomainError(f"{target.name}不在{from_unit.name}的派单范围内", field="unit")
    index = chain.index(from_unit)
    if index == len(chain) - 1:
        raise DomainError("不能派给本单位自己", field="unit")
    return chain[index + 1]


def _check_receiver(from_unit: Unit, unit: Unit, appeal: Appeal, order: Order | None = None) -> None:
    if not unit.is_active:
        raise DomainError(f"{unit.name}已停用", field="unit")
    if unit.parent_id != from_unit.pk:
        raise DomainError(
            f"三级派单：{from_unit.name}只能派给直属下级单位，{unit.name}不是其直属下级", field="unit"
        )
    if unit.kind == UnitKind.COMMUNITY and (
        appeal.item is None or not community_may_receive(item=appeal.item, community=unit)
    ):
        raise _attempt(
            PushDownRefused(
                f"事项“{appeal.item.name if appeal.item else '（未定）'}”不在社区工作事项准入清单内，"
                f"不能派给{unit.name}；请派给负责的职能部门",
                field="unit",
            ),
            appeal=appeal,
            unit=unit,
            from_unit=from_unit,
            order=order,
            via="access_list",
        )


def _pushes_down(responsibility: Responsibility | None, unit: Unit) -> bool:
    """Whether giving `unit` the order goes against the catalog by pushing a department's item down: the
    catalog names a unit that is not a street or community, and `unit` is a street or community that is
    not on that unit's own dispatch chain (a street above a street-level department is only a relay)."""
    if responsibility is None or unit.kind not in GRASSROOTS_KINDS:
        return False
    owner = responsibility.unit
    return owner.kind not in GRASSROOTS_KINDS and not owner.path.startswith(unit.path)


def _delegation(
    *, from_unit: Unit, unit: Unit, appeal: Appeal, responsibility: Responsibility | None, order: Order | None
) -> dict | None:
    """The recorded basis that lets a department's item go to a street or community against the
    catalog: a decided consultation naming that unit (or a community below it) as lead, or a catalog
    exception the city platform approved. None when the catalog is followed; refused (and the attempt
    recorded for the grassroots-burden figures) when nothing allows it."""
    if not _pushes_down(responsibility, unit):
        return None
    consultation = (
        Consultation.objects.filter(
            item=appeal.item, decided_at__isnull=False, lead_unit__path__startswith=unit.path
        )
        .filter(Q(appeal=appeal) | Q(appeal__isnull=True, lead_unit__area__in=appeal.area.ancestors()))
        .select_related("lead_unit")
        # A decision on this very appeal first, then the latest matter-wide one.
        .order_by(F("appeal_id").asc(nulls_last=True), "-decided_at", "-id")
        .first()
    )
    if consultation is not None:
        return {
            "basis": "consultation",
            "id": consultation.pk,
            "relay": consultation.lead_unit_id != unit.pk,
        }
    exception = delegation_exception_for(item=appeal.item, area=appeal.area, unit=unit)
    if exception is not None:
        final = exception.unit_id == unit.pk or (
            exception.unit_id is None and exception.unit_kind == unit.kind
        )
        return {"basis": "exception", "id": exception.pk, "relay": not final}
    owner = responsibility.unit
    raise _attempt(
        PushDownRefused(
            _(
                "职责目录规定“%(item)s”在%(area)s由%(owner)s负责，不能交给%(unit)s"
                "（防止层层向基层转嫁责任）；确需由街道或社区办理的，须有会商决定或经市级平台批准的目录例外"
            )
            % {"item": appeal.item.name, "area": appeal.area.name, "owner": owner.name, "unit": unit.name},
            field="unit",
        ),
        appeal=appeal,
        unit=unit,
        from_unit=from_unit,
        order=order,
        via="forward",
    )


def _attempt(
    refusal: PushDownRefused,
    *,
    appeal: Appeal,
    unit: Unit,
    from_unit: Unit,
    via: str,
    order: Order | None = None,
) -> PushDownRefused:
    """Mark a refusal as someone's attempt to push work down onto a street or community: `via` says how
    (access_list: an item off a community's access list; forward: against the catalog's rule)."""
    refusal.attempt = {"appeal": appeal, "unit": unit, "from_unit": from_unit, "order": order, "via": via}
    return refusal


def records_pushdown_attempts(service):
    """Keep a trace of every refused push-down (拒绝违反准入清单派单).

    The refusal rolls the service's transaction back, and any event with it; but the attempt is what
    the grassroots-burden figures count (access-list violations refused), so it is written after the
    rollback. When the service ran inside another transaction (a consultation decision dispatching on
    its behalf, say), that one is rolled back too as the refusal passes through it: each decorated
    layer the refusal leaves writes the attempt again if the write it knows of was undone, so exactly
    one record survives. Only attempts by a person to send or add a community are recorded; a catalog
    that itself points at a community is refused by the catalog and not counted here.
    """

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except PushDownRefused as refusal:
            attempt = getattr(refusal, "attempt", None)
            depth = len(transaction.get_connection().atomic_blocks)
            if attempt is not None and attempt.get("recorded_at_depth", depth + 1) > depth:
                # Never written, or written inside a transaction that has since been rolled back.
                _record_pushdown_attempt(refusal, by=kwargs.get("by"), **attempt)
                attempt["recorded_at_depth"] = depth
            raise

    return wrapper


def _record_pushdown_attempt(
    refusal: PushDownRefused | None,
    *,
    appeal: Appeal,
    unit: Unit,
    from_unit: Unit,
    by,
    via: str,
    order=None,
    reason: str = "",
    **_ignored,
) -> None:
    """The `pushdown_refused` event the grassroots-burden figures count, by the unit it would have
    burdened and by `via` (access_list, forward, return)."""
    with transaction.atomic():
        record_event(
            appeal,
            "pushdown_refused",
            actor=by,
            order_id=order.pk if order is not None else None,
            reason=refusal.message if refusal is not None else reason,
            payload={
                "unit": unit.code,
                "unit_id": unit.pk,
                "from_unit": from_unit.code,
                "item": appeal.item.code if appeal.item_id else "",
                "via": via,
            },
        )


def _create_order(
    *,
    appeal: Appeal,
    unit: Unit,
    from_unit: Unit,
    by: Person,
    role: str,
    parent: Order | None,
    responsibility: Responsibility | None,
    override_reason: str,
    time_limit_class: TimeLimitClass,
    extra_payload: dict | None = None,
) -> Order:
    if not unit.area.path.startswith(appeal.jurisdiction.path):
        # Unit trees never cross cities, but a rule or a consultation could still name another
        # city's unit: an appeal is handled only by units of the jurisdiction that received it.
        raise DomainError(
            f"{unit.name}不属于诉求所在辖区（{appeal.jurisdiction.name}），不能承办", field="unit"
        )
    now = timezone.now()
    if parent is not None:
        # The clock started when the appeal was first dispatched; forwarding down does not reset it.
        clock = {
            "clock_start": parent.clock_start,
            "response_due": parent.response_due,
            "completion_due": parent.completion_due,
            "yellow_at": parent.yellow_at,
            "red_at": parent.red_at,
        }
    else:
        started = order_clock(time_limit_class, now, calendar_for_unit(unit))
        clock = {
            "clock_start": started.start,
            "response_due": started.response_due,
            "completion_due": started.completion_due,
            "yellow_at": started.yellow_at,
            "red_at": started.red_at,
        }
    completion_due = clock["completion_due"]
    try:
        with transaction.atomic():
            order = Order(
                appeal=appeal,
                unit=unit,
                role=role,
                parent=parent,
                dispatched_by=by,
                dispatched_from=from_unit,
                dispatched_at=now,
                proposed_unit=responsibility.unit if responsibility else None,
                rule=responsibility.rule if responsibility else None,
                override_reason=override_reason,
                time_limit_class=time_limit_class,
                **clock,
            )
            schedule(order)
            order.save(force_insert=True)
    except IntegrityError:
        raise Conflict("该诉求已有在办的主办工单", field="appeal") from None
    record_event(
        appeal,
        "dispatched",
        actor=by,
        order_id=order.pk,
        to_state=order.status,
        reason=override_reason,
        payload={
            "unit": unit.code,
            "from": from_unit.code,
            "role": role,
            "proposed": responsibility.unit.code if responsibility else None,
            "completion_due": payload_time(completion_due),
            **(extra_payload or {}),
        },
    )
    return order


def _target_and_reason(from_unit: Unit, appeal: Appeal, unit: Unit | None, reason: str):
    try:
        responsibility = proposal(appeal)
    except DomainError:
        if unit is None:
            raise
        responsibility = None
    proposed_hop = None
    if responsibility is not None:
        try:
            proposed_hop = next_hop(from_unit, responsibility.unit)
        except DomainError:
            # The catalog's unit is not below this one (an earlier override) or is this unit itself
            # (a street asked to push its own item down): a unit named with a reason may still be tried.
            if unit is None:
                raise
    unit = unit or proposed_hop
    reason = (reason or "").strip()
    if unit != proposed_hop and not reason:
        raise DomainError(
            f"职责目录建议派给{proposed_hop.name if proposed_hop else '（无建议）'}；改派{unit.name}须写明理由",
            field="reason",
        )
    return unit, responsibility, reason


@records_pushdown_attempts
@transaction.atomic
def appeal_dispatch(
    *,
    appeal: Appeal,
    by: Person,
    unit: Unit | None = None,
    reason: str = "",
    time_limit_class: TimeLimitClass | None = None,
    item: CatalogItem | None = None,
) -> Order:
    """The city platform sends a received appeal to the next unit toward the responsible one.

    With `item`, the dispatcher settles the catalog item in the same step (an `item_set` event): a
    refused dispatch leaves the appeal's item as it was."""
    platform = by.unit if by is not None else None
    if platform is None or platform.kind not in PLATFORM_KINDS:
        raise PermissionRefused("只有平台派单员可以派单", field="by")
    _dispatcher_of(by, platform, "派单")
    if item is not None and item.pk != appeal.item_id:
        appeal = appeal_set_item(appeal=appeal, item=item, by=by)
    return _dispatch_from_platform(
        appeal=appeal, platform=platform, by=by, unit=unit, reason=reason, time_limit_class=time_limit_class
    )


def _dispatch_from_platform(
    *,
    appeal: Appeal,
    platform: Unit,
    by: Person | None,
    unit: Unit | None,
    reason: str,
    time_limit_class: TimeLimitClass | None,
    auto: dict | None = None,
) -> Order:
    """The dispatch itself, by a dispatcher or (with `auto`, and no person) by the platform's rule."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.RECEIVED:
        raise DomainError(f"诉求当前为“{appeal.get_status_display()}”，不能派单", field="status")
    unit, responsibility, reason = _target_and_reason(platform, appeal, unit, reason)
    _check_receiver(platform, unit, appeal)
    delegated = _delegation(
        from_unit=platform, unit=unit, appeal=appeal, responsibility=responsibility, order=None
    )
    time_limit_class = _raise_only(appeal, time_limit_class)
    extra_payload = {}
    if auto:
        extra_payload["auto"] = auto
    if delegated:
        extra_payload["delegated"] = delegated
    order = _create_order(
        appeal=appeal,
        unit=unit,
        from_unit=platform,
        by=by,
        role=OrderRole.LEAD,
        parent=None,
        responsibility=responsibility,
        override_reason=reason,
        time_limit_class=time_limit_class,
        extra_payload=extra_payload,
    )
    _set_appeal_status(appeal, AppealStatus.DISPATCHED, by=by, action="appeal_dispatched")
    # The suggestion and the choice side by side: what the first-try accuracy is measured on.
    followed = responsibility is not None and unit == _next_hop_or_none(platform, responsibility.unit)
    suggestion_settle(
        appeal=appeal,
        item=appeal.item,
        unit=responsibility.unit if followed else unit,
        by=by,
        auto=bool(auto),
        order_id=order.pk,
    )
    return order


@transaction.atomic
def appeal_dispatch_on_spot(*, appeal: Appeal, platform: Unit, by: Person, unit: Unit) -> Order:
    """A department's staff on a grid (驻格/巡格) takes a waiting appeal for their department on the
    spot: the platform's dispatch to the unit the catalog names, recorded with the staff member as
    actor. Only the catalog's own unit, one hop below the platform: no override happens here."""
    if platform.kind not in PLATFORM_KINDS:
        raise DomainError(f"{platform.name}不是派单平台", field="platform")
    if by is None or not by.is_active or by.unit_id != unit.pk:
        raise PermissionRefused(f"只有{unit.name}的人员可以现场签收", field="by")
    responsibility = proposal(appeal)
    if responsibility.unit.pk != unit.pk or _next_hop_or_none(platform, unit) != unit:
        raise DomainError(f"职责目录未将此诉求交{unit.name}办理，请由平台派单", field="unit")
    return _dispatch_from_platform(
        appeal=appeal, platform=platform, by=by, unit=unit, reason="", time_limit_class=None
    )


def _next_hop_or_none(from_unit: Unit, target: Unit) -> Unit | None:
    try:
        return next_hop(from_unit, target)
    except DomainError:
        return None


def _raise_only(appeal: Appeal, requested: TimeLimitClass | None) -> TimeLimitClass:
    default = appeal.item.effective_time_limit_class() if appeal.item_id else None
    default = default or TimeLimitClass.objects.filter(code="normal").first()
    if requested is None:
        return default
    if default is not None and requested.urgency < default.urgency:
        raise DomainError(f"时限类别只能调高，不能低于“{default.name}”", field="time_limit_class")
    return requested


# The grassroots units that may take an appeal they received on themselves (自办).
SELF_HANDLING_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY)


@transaction.atomic
def appeal_handle_self(*, appeal: Appeal, unit: Unit, by: Person, reason: str = "") -> Order:
    """自办: a street or community takes on an appeal it received itself (a problem it found), as a
    lead order it gives itself; the platform that serves it reviews the reply as for any order. A
    community may take on only what its access list allows: self-handling is no way around the list."""
    appeal = (
        Appeal.objects.select_for_update(of=("self",)).select_related("item", "intake_unit").get(pk=appeal.pk)
    )
    if appeal.status != AppealStatus.RECEIVED:
        raise DomainError(f"诉求当前为“{appeal.get_status_display()}”，不能自办", field="status")
    if unit.kind not in SELF_HANDLING_KINDS:
        raise DomainError("只有街道或社区可以自办", field="unit")
    if appeal.intake_unit_id != unit.pk:
        raise DomainError(f"{unit.name}只能自办本单位受理的诉求", field="unit")
    if by is None or not by.is_active or by.unit_id != unit.pk:
        raise PermissionRefused(f"只有{unit.name}的人员可以自办", field="by")
    if unit.kind == UnitKind.COMMUNITY and (
        appeal.item is None or not community_may_receive(item=appeal.item, community=unit)
    ):
        raise DomainError(
            f"事项“{appeal.item.name if appeal.item else '（未定）'}”不在社区工作事项准入清单内，"
            f"{unit.name}不能自办；请选择协办或联办，由职能部门办理",
            field="mode",
        )
    try:
        responsibility = proposal(appeal)
    except DomainError:
        responsibility = None
    order = _create_order(
        appeal=appeal,
        unit=unit,
        from_unit=unit,
        by=by,
        role=OrderRole.LEAD,
        parent=None,
        responsibility=responsibility,
        override_reason=(reason or "").strip(),
        time_limit_class=_raise_only(appeal, None),
        extra_payload={"self_handled": True},
    )
    _set_appeal_status(appeal, AppealStatus.DISPATCHED, by=by, action="appeal_dispatched")
    return order


@records_pushdown_attempts
@transaction.atomic
def order_forward(*, order: Order, by: Person, unit: Unit | None = None, reason: str = "") -> Order:
    """A district platform or a street sends its order one level down; nobody else may pass one on."""
    order = Order.objects.select_for_update().select_related("appeal", "unit").get(pk=order.pk)
    if order.unit.kind not in FORWARDING_KINDS:
        raise DomainError(
            f"首接负责：{order.unit.name}收到的工单须自行办理，不能转派；确属派错可在签收前申请退单",
            field="unit",
        )
    _dispatcher_of(by, order.unit, "转派")
    if order.role != OrderRole.LEAD:
        raise DomainError("协办工单不能转派", field="role")
    unit, responsibility, reason = _target_and_reason(order.unit, order.appeal, unit, reason)
    _check_receiver(order.unit, unit, order.appeal, order)
    delegated = _delegation(
        from_unit=order.unit, unit=unit, appeal=order.appeal, responsibility=responsibility, order=order
    )
    _transition(
        order, OrderStatus.FORWARDED, by=by, action="forwarded", reason=reason, payload={"to": unit.code}
    )
    return _create_order(
        appeal=order.appeal,
        unit=unit,
        from_unit=order.unit,
        by=by,
        role=OrderRole.LEAD,
        parent=order,
        responsibility=responsibility,
        override_reason=reason,
        time_limit_class=order.time_limit_class,
        extra_payload={"delegated": delegated} if delegated else None,
    )


@records_pushdown_attempts
@transaction.atomic
def order_add_assist(
    *,
    order: Order,
    by: Person,
    unit: Unit,
    role: str = OrderRole.ASSIST,
    reason: str = "",
    due: dt.datetime | None = None,
) -> Order:
    """The dispatching platform (or the lead unit's leader) brings in an assisting or joint unit.
    With `due` (a joint meeting's deadline for its part), the new order runs to that deadline instead
    of the lead's."""
    if due is not None and due <= timezone.now():
        raise DomainError("完成时限必须晚于现在", field="due")
    order = Order.objects.select_related("appeal", "unit").get(pk=order.pk)
    if role not in (OrderRole.ASSIST, OrderRole.JOINT):
        raise DomainError("办理方式只能是协办或联办", field="role")
    if order.role != OrderRole.LEAD or order.status not in ACTIVE_ORDER_STATUSES:
        raise DomainError("只能为在办的主办工单增加协办单位", field="order")
    platform = reviewing_platform(order)
    if not (
        (by.unit_id == platform.pk and by.has_role(RoleCode.DISPATCHER))
        or (by.unit_id == order.unit_id and by.has_role(RoleCode.UNIT_LEADER))
    ):
        raise PermissionRefused("只有派单平台或主办单位负责人可以增加协办单位", field="by")
    if (
        unit.pk == order.unit_id
        or order.appeal.orders.filter(unit=unit, status__in=ACTIVE_ORDER_STATUSES).exists()
    ):
        raise DomainError(f"{unit.name}已在办理此诉求", field="unit")
    if unit.kind in PLATFORM_KINDS:
        raise DomainError("平台不能作为协办单位", field="unit")
    if unit.kind == UnitKind.COMMUNITY and not community_may_receive(item=order.appeal.item, community=unit):
        raise _attempt(
            PushDownRefused(f"事项不在社区工作事项准入清单内，不能请{unit.name}协办", field="unit"),
            appeal=order.appeal,
            unit=unit,
            from_unit=by.unit or platform,
            order=order,
            via="access_list",
        )
    added = _create_order(
        appeal=order.appeal,
        unit=unit,
        from_unit=by.unit or platform,
        by=by,
        role=role,
        parent=order,
        responsibility=None,
        override_reason=reason or "",
        time_limit_class=order.time_limit_class,
        extra_payload={"due": payload_time(due)} if due is not None else None,
    )
    if due is not None:
        _move_deadline(added, due)
        added.refresh_from_db()
    return added


# ---------------------------------------------------------------- handling


@transaction.atomic
def order_accept(*, order: Order, by: Person) -> Order:
    order = Order.objects.select_related("unit", "appeal").get(pk=order.pk)
    roles = (RoleCode.DISPATCHER,) if order.unit.kind in PLATFORM_KINDS else HANDLER_ROLES
    _member(by, order.unit, roles, "签收")
    if order.return_requests.filter(status=RequestStatus.PENDING).exists():
        raise DomainError("退单申请审核中，暂不能签收", field="status")
    if order.status == OrderStatus.ACCEPTED:
        # The other handler of a simultaneous pair who arrives after the winner has committed.
        raise Conflict(f"工单已由{order.accepted_by}签收", field="status")
    if order.status != OrderStatus.DISPATCHED:
        # FORWARDED → ACCEPTED exists only for an undone forward, never for signing for it.
        raise DomainError(f"工单当前为“{order.get_status_display()}”，不能签收", field="status")
    now = timezone.now()
    return _transition(
        order,
        OrderStatus.ACCEPTED,
        by=by,
        action="accepted",
        accepted_at=now,
        accepted_by=by,
        payload={"on_time": now <= order.response_due},
    )


@transaction.atomic
def order_reply(
    *, order: Order, by: Person, text: str, result: str, attachments: list[AttachmentIn] | None = None
) -> Order:
    """办结申请: the lead unit answers the citizen; the platform reviews it."""
    order = Order.objects.select_related("unit", "appeal").get(pk=order.pk)
    _member(by, order.unit, HANDLER_ROLES, "答复")
    if order.role != OrderRole.LEAD:
        raise DomainError("协办单位提交协办意见，由主办单位答复群众", field="role")
    text = (text or "").strip()
    if not text:
        raise DomainError("不能为空", field="text")
    if len(text) > 4000:
        raise DomainError("不能超过 4000 个字符", field="text")
    if result not in ReplyResult.values:
        raise DomainError(f"办理结果只能是：{'、'.join(ReplyResult.values)}", field="result")
    attachments = attachments_check(attachments)  # before anything is written
    if order.paused_at is not None:
        order = order_resume(order=order, by=by, note="答复时自动恢复计时")
    now = timezone.now()
    # Scored once, at reply time, against the deadline as it then stood: the reviewing dispatcher
    # sees what the unit sent, and a later change of the scorer does not rewrite it.
    review = score_reply(
        appeal_text=f"{order.appeal.title}。{order.appeal.content}",
        reply_text=text,
        result=result,
        replied_at=now,
        clock_start=order.clock_start,
        completion_due=order.completion_due,
    )
    order = _transition(
        order,
        OrderStatus.REPLIED,
        by=by,
        action="replied",
        reply_text=text,
        reply_result=result,
        replied_at=now,
        replied_by=by,
        reply_review=review.as_dict(),
        payload={"result": result, "reply_score": review.total, "reply_score_low": review.low},
    )
    for attachment in attachments:
        attachment_add(appeal=order.appeal, attachment=attachment, by=by, order_id=order.pk)
    return order


@transaction.atomic
def order_submit_assist_part(*, order: Order, by: Person, text: str) -> Order:
    order = Order.objects.select_related("unit", "appeal").get(pk=order.pk)
    _member(by, order.unit, HANDLER_ROLES, "提交协办意见")
    if order.role == OrderRole.LEAD:
        raise DomainError("主办工单请直接答复", field="role")
    text = (text or "").strip()
    if not text:
        raise DomainError("不能为空", field="text")
    order = _transition(
        order,
        OrderStatus.REPLIED,
        by=by,
        action="assist_part_submitted",
        replied_at=timezone.now(),
        replied_by=by,
    )
    AssistPart.objects.create(order=order, text=text, submitted_by=by, submitted_at=timezone.now())
    return order


@transaction.atomic
def order_review(
    *, order: Order, by: Person, approve: bool, note: str = "", confirm_low_score: bool = False
) -> Order:
    """The dispatching platform approves the reply (办结) or sends it back (退回重办). A reply whose
    score (reply_review) is low is approved only when the dispatcher confirms it."""
    order = Order.objects.select_related("unit", "appeal").get(pk=order.pk)
    platform = reviewing_platform(order)
    _member(by, platform, (RoleCode.DISPATCHER,), "审核答复")
    if order.role != OrderRole.LEAD:
        raise DomainError("协办工单随主办工单办结", field="role")
    if order.status != OrderStatus.REPLIED:
        raise DomainError(f"工单当前为“{order.get_status_display()}”，没有待审核的答复", field="status")
    if not approve:
        if not (note or "").strip():
            raise DomainError("退回重办须写明理由", field="note")
        return _transition(
            order,
            OrderStatus.ACCEPTED,
            by=by,
            action="sent_back",
            reason=note.strip(),
            send_back_count=order.send_back_count + 1,
        )
    review = order.reply_review or {}
    low = bool(review.get("low"))
    if low and not confirm_low_score:
        reasons = "；".join(review.get("reasons") or [])
        raise DomainError(
            f"答复质量评分 {review.get('total')} 分，低于 {review.get('threshold')} 分"
            + (f"（{reasons}）" if reasons else "")
            + "，确认后才能办结",
            field="confirm_low_score",
        )
    now = timezone.now()
    payload = {"on_time": now <= order.completion_due}
    if low:
        payload.update(low_score_confirmed=True, reply_score=review.get("total"))
    order = _transition(
        order,
        OrderStatus.COMPLETED,
        by=by,
        action="completed",
        reason=(note or "").strip(),
        completed_at=now,
        payload=payload,
    )
    # Every assisting order of the appeal ends with the lead — also one added to an earlier lead whose
    # return was approved, and one its unit never signed for (its clock must not run on alone).
    for helper in order.appeal.orders.filter(
        role__in=(OrderRole.ASSIST, OrderRole.JOINT), status__in=ACTIVE_ORDER_STATUSES
    ):
        _transition(helper, OrderStatus.COMPLETED, by=by, action="completed_with_lead", completed_at=now)
    _set_appeal_status(order.appeal, AppealStatus.COMPLETED, by=by, action="appeal_completed")
    for hook in ORDER_COMPLETED_HOOKS:
        try:
            with transaction.atomic():
                hook(order)
        except Exception:
            logger.exception("order %s: completion hook %s failed", order.pk, getattr(hook, "__name__", hook))
    return order


@transaction.atomic
def order_send_back(*, order: Order, by: Person, reason: str) -> Order:
    """Reopen a completed order (e.g. after an unsatisfied callback)."""
    order = Order.objects.select_related("unit", "appeal").get(pk=order.pk)
    platform = reviewing_platform(order)
    # The callback desk sits at the city platform: its staff may reopen orders of any platform below.
    above = [unit for unit in platform.chain() if unit.kind in PLATFORM_KINDS]
    if not (
        by.is_active
        and by.unit in above
        and by.has_role(RoleCode.DISPATCHER, RoleCode.SUPERVISOR, RoleCode.OPERATOR)
    ):
        raise PermissionRefused(
            f"只有{platform.name}或上级平台的派单员、督办员、接线员可以退回重办", field="by"
        )
    if not (reason or "").strip():
        raise DomainError("退回重办须写明理由", field="reason")
    if order.role != OrderRole.LEAD:
        raise DomainError("协办工单随主办工单退回重办", field="role")
    if order.status != OrderStatus.COMPLETED:
        raise DomainError("只有已办结的工单可以退回重办", field="status")
    # Redoing a completed order (退回重办) gets a completion period of its class from now; nodes that
    # already fired for this order do not fire again.
    now = timezone.now()
    redo = order_clock(order.time_limit_class, now, calendar_for_unit(order.unit))
    order = _transition(
        order,
        OrderStatus.ACCEPTED,
        by=by,
        action="sent_back",
        reason=reason.strip(),
        send_back_count=order.send_back_count + 1,
        completed_at=None,
        clock_start=now,
        completion_due=max(order.completion_due, redo.completion_due),
        yellow_at=redo.yellow_at,
        red_at=redo.red_at,
        payload={"completion_due": payload_time(redo.completion_due)},
    )
    _set_appeal_status(order.appeal, AppealStatus.DISPATCHED, by=by, action="appeal_reopened", reason=reason)
    return order


@transaction.atomic
def order_close(*, order: Order, by: Person | None, reason: str = "") -> Order:
    """Close a completed order after its callback; the appeal is closed with it."""
    order = Order.objects.select_related("unit", "appeal").get(pk=order.pk)
    if by is not None and not (
        by.has_role(RoleCode.OPERATOR, RoleCode.SUPERVISOR)
        or (by.unit_id == reviewing_platform(order).pk and by.has_role(RoleCode.DISPATCHER))
    ):
        # Closing ends the appeal after its callback: never the handling unit's own decision.
        raise PermissionRefused("只有回访、督办人员或派单平台可以结案", field="by")
    order = _transition(order, OrderStatus.CLOSED, by=by, action="closed", reason=reason)
    if order.role == OrderRole.LEAD:
        _set_appeal_status(order.appeal, AppealStatus.CLOSED, by=by, action="appeal_closed")
    return order


# ---------------------------------------------------------------- extensions


@transaction.atomic
def order_extension_request(*, order: Order, by: Person, until: dt.datetime, reason: str) -> ExtensionRequest:
    order = Order.objects.select_related("unit", "appeal").get(pk=order.pk)
    _member(by, order.unit, HANDLER_ROLES, "申请延期")
    now = timezone.now()
    if order.status not in (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED):
        raise DomainError("只有在办工单可以申请延期", field="status")
    if now >= order.completion_due:
        raise DomainError("已超过办结时限，不能再申请延期", field="until")
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= order.completion_due:
        raise DomainError("申请延至的时间须晚于现在的办结时限", field="until")
    if not (reason or "").strip():
        raise DomainError("必须写明延期理由", field="reason")
    if order.extension_requests.filter(status=RequestStatus.PENDING).exists():
        raise DomainError("已有待审核的延期申请", field="order")
    request = ExtensionRequest.objects.create(
        order=order, requested_until=until, reason=reason.strip(), requested_by=by, requested_at=now
    )
    record_event(
        order.appeal,
        "extension_requested",
        actor=by,
        order_id=order.pk,
        reason=reason.strip(),
        payload={"until": payload_time(until), "request": request.pk},
    )
    return request


@transaction.atomic
def extension_request_review(
    *, request: ExtensionRequest, by: Person, approve: bool, note: str = ""
) -> ExtensionRequest:
    request = (
        ExtensionRequest.objects.select_for_update()
        .select_related("order", "order__appeal")
        .get(pk=request.pk)
    )
    order = request.order
    _member(by, reviewing_platform(order), (RoleCode.DISPATCHER,), "审核延期")
    if request.status != RequestStatus.PENDING:
        raise DomainError(f"该申请已{request.get_status_display()}", field="status")
    if not approve and not (note or "").strip():
        raise DomainError("驳回须写明理由", field="note")
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.reviewed_by, request.reviewed_at, request.review_note = by, timezone.now(), (note or "").strip()
    request.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    payload = {"request": request.pk}
    if approve:
        payload["from"] = payload_time(order.completion_due)
        _move_deadline(order, request.requested_until)
        payload["to"] = payload_time(request.requested_until)
    record_event(
        order.appeal,
        "extension_approved" if approve else "extension_refused",
        actor=by,
        order_id=order.pk,
        reason=request.review_note,
        payload=payload,
    )
    return request


def _move_deadline(order: Order, completion_due: dt.datetime) -> None:
    """A new completion deadline for an order and the orders that share its clock (those forwarded
    below it and its assisting orders); warnings recompute, nodes already fired stay fired."""
    yellow, red = warning_times(
        order.time_limit_class, order.clock_start, completion_due, calendar_for_unit(order.unit)
    )
    sharing = [order, *_clock_sharers(order)]
    for each in sharing:
        each.completion_due, each.yellow_at, each.red_at = completion_due, yellow, red
        Order.objects.filter(pk=each.pk).update(
            completion_due=completion_due,
            yellow_at=yellow,
            red_at=red,
            version=each.version + 1,
            **schedule(each),
        )


def _clock_sharers(order: Order) -> list[Order]:
    """Active orders below `order` that run on its clock (forwarded down, or assisting)."""
    found, frontier = [], [order.pk]
    while frontier:
        children = list(Order.objects.filter(parent_id__in=frontier, status__in=CLOCK_RUNNING_STATUSES))
        found.extend(children)
        frontier = [child.pk for child in children]
    return found


# ---------------------------------------------------------------- pausing the clock (挂起)


@transaction.atomic
def order_pause(*, order: Order, by: Person, reason: str, explanation: str) -> ClockPause:
    """Stop the order's clock while the unit waits on the citizen or a legal procedure (挂起).

    The time until `order_resume` does not count against the unit; the pause, its reason and its
    length are on record, and the dispatching platform may end it at any time.
    """
    order = Order.objects.select_for_update().select_related("unit", "appeal").get(pk=order.pk)
    _member(by, order.unit, HANDLER_ROLES, "挂起")
    if reason not in PauseReason.values:
        raise DomainError(f"挂起原因只能是：{'、'.join(str(r.label) for r in PauseReason)}", field="reason")
    explanation = (explanation or "").strip()
    if not explanation:
        raise DomainError("必须说明挂起理由", field="explanation")
    if order.status != OrderStatus.ACCEPTED:
        raise DomainError("只有已签收、办理中的工单可以挂起", field="status")
    if order.paused_at is not None:
        raise Conflict("工单已经挂起", field="status")
    now = timezone.now()
    pause = ClockPause.objects.create(
        order=order, reason=reason, explanation=explanation, started_at=now, started_by=by
    )
    order.paused_at = now
    Order.objects.filter(pk=order.pk).update(paused_at=now, version=order.version + 1, **schedule(order))
    record_event(
        order.appeal,
        "clock_paused",
        actor=by,
        order_id=order.pk,
        reason=explanation,
        payload={"unit": order.unit.code, "pause_reason": reason, "pause": pause.pk},
    )
    return pause


@transaction.atomic
def order_resume(*, order: Order, by: Person | None, note: str = "") -> Order:
    """Start the stopped clock again; the deadline and the warnings move later by the time stopped."""
    order = (
        Order.objects.select_for_update()
        .select_related("unit", "appeal", "time_limit_class")
        .get(pk=order.pk)
    )
    if by is not None and not (
        (by.is_active and by.unit_id == order.unit_id and by.has_role(*HANDLER_ROLES))
        or (by.is_active and by.unit_id == reviewing_platform(order).pk and by.has_role(RoleCode.DISPATCHER))
        or (by.is_active and by.has_role(RoleCode.SUPERVISOR))
    ):
        raise PermissionRefused("只有承办单位、派单平台或督办员可以恢复计时", field="by")
    if order.paused_at is None:
        raise DomainError("工单没有挂起", field="status")
    now = timezone.now()
    calendar = calendar_for_unit(order.unit)
    tlc = order.time_limit_class
    stopped = calendar.elapsed(order.paused_at, now, working=tlc.clock == "working")
    pause = ClockPause.objects.select_for_update().get(order=order, ended_at__isnull=True)
    pause.ended_at, pause.ended_by, pause.not_counted = now, by, stopped
    pause.save(update_fields=["ended_at", "ended_by", "not_counted"])
    before = order.completion_due
    order.paused_at = None
    order.completion_due = shift(tlc, order.completion_due, stopped, calendar)
    order.yellow_at = shift(tlc, order.yellow_at, stopped, calendar) if order.yellow_at else None
    order.red_at = shift(tlc, order.red_at, stopped, calendar) if order.red_at else None
    Order.objects.filter(pk=order.pk).update(
        paused_at=None,
        completion_due=order.completion_due,
        yellow_at=order.yellow_at,
        red_at=order.red_at,
        version=order.version + 1,
        **schedule(order),
    )
    order.version += 1
    record_event(
        order.appeal,
        "clock_resumed",
        actor=by,
        order_id=order.pk,
        reason=(note or "").strip(),
        payload={
            "unit": order.unit.code,
            "pause": pause.pk,
            "not_counted_seconds": int(stopped.total_seconds()),
            "from": payload_time(before),
            "to": payload_time(order.completion_due),
        },
    )
    return order


# ---------------------------------------------------------------- returns (退单)

# The return reasons that say another unit is responsible. Such a return names that unit and the
# catalog item it relies on, so the claim is a fact a rule can check, not words a person must read.
NAMES_RESPONSIBLE_UNIT = (ReturnReason.NOT_OUR_DUTY, ReturnReason.WRONG_AREA)


def _check_return_claim(
    order: Order, reason: str, suggested: Unit | None, basis_item: CatalogItem | None
) -> None:
    appeal = order.appeal
    if reason in NAMES_RESPONSIBLE_UNIT:
        label = ReturnReason(reason).label
        if suggested is None:
            raise DomainError(
                _("以“%(reason)s”退单，须选择你认为应当承办的单位") % {"reason": label},
                field="suggested_unit",
            )
        if basis_item is None:
            raise DomainError(
                _("以“%(reason)s”退单，须选择所依据的目录事项") % {"reason": label}, field="basis_item"
            )
    if suggested is not None:
        if suggested.pk == order.unit_id:
            raise DomainError(_("建议承办单位不能是本单位"), field="suggested_unit")
        if suggested.kind in PLATFORM_KINDS:
            raise DomainError(
                _("%(unit)s是派单平台，不承办诉求；请选择应当承办的单位") % {"unit": suggested.name},
                field="suggested_unit",
            )
        if not suggested.is_active:
            raise DomainError(_("%(unit)s已停用") % {"unit": suggested.name}, field="suggested_unit")
        if appeal.jurisdiction_id and not suggested.area.is_within(appeal.jurisdiction):
            raise DomainError(
                _("%(unit)s不属于诉求所在辖区（%(city)s）")
                % {"unit": suggested.name, "city": appeal.jurisdiction.name},
                field="suggested_unit",
            )
    if basis_item is not None:
        if basis_item.level != 3 or not basis_item.is_active:
            raise DomainError(_("目录依据须是一个启用的三级事项"), field="basis_item")
        if not basis_item.is_available_in(appeal.jurisdiction):
            raise DomainError(
                _("事项“%(item)s”是其他辖区的地方事项") % {"item": basis_item.name}, field="basis_item"
            )


def _return_refused_by_rule(
    order: Order, reason: str, suggested: Unit | None, basis_item: CatalogItem | None
) -> tuple[str, str]:
    """Why a return is refused without review, and which rule refused it (pushdown, repeat, own_item);
    ('', '') when the dispatcher must decide."""
    appeal = order.appeal
    try:
        answer = proposal(appeal)
    except DomainError:
        answer = None
    if (
        answer is not None
        and suggested is not None
        and suggested.kind in GRASSROOTS_KINDS
        and answer.unit.kind not in GRASSROOTS_KINDS
    ):
        return (
            _("职责目录规定“%(item)s”由%(owner)s负责，不得推给%(unit)s（防止层层向基层转嫁责任）")
            % {"item": appeal.item.name, "owner": answer.unit.name, "unit": suggested.name},
            "pushdown",
        )
    earlier = latest_decided_return(order)
    if earlier is not None and not earlier.may_file_again:
        return (
            _(
                "首接负责：本单位已于%(at)s就此工单申请退单（%(status)s），派单单位没有允许再次申请；"
                "同一工单不得重复退单"
            )
            % {
                "at": timezone.localtime(earlier.requested_at).strftime("%Y-%m-%d %H:%M"),
                "status": earlier.get_status_display(),
            },
            "repeat",
        )
    # A unit citing another catalog item disputes the appeal's classification: that is the
    # dispatcher's to judge. Citing none, or the appeal's own item, it disputes the catalog itself.
    disputes_item = basis_item is not None and basis_item.pk != appeal.item_id
    if (
        answer is not None
        and reason == ReturnReason.NOT_OUR_DUTY
        and answer.unit.pk == order.unit_id
        and not disputes_item
    ):
        return (
            _("职责目录规定“%(item)s”正是%(unit)s的职责")
            % {"item": appeal.item.name, "unit": order.unit.name},
            "own_item",
        )
    return "", ""


@transaction.atomic
def order_return_request(
    *,
    order: Order,
    by: Person,
    reason: str,
    explanation: str,
    suggested_unit: Unit | None = None,
    basis_item: CatalogItem | None = None,
    basis_note: str = "",
) -> ReturnRequest:
    """退单: the unit that received an order asks, before accepting it, to give it back for a listed
    reason. A return saying another unit is responsible names that unit and the catalog item relied on.

    Refused at once by rule, recorded and counted against the unit: a return that pushes a department's
    item down onto the street or community it names (with a `pushdown_refused` event, via "return"); a
    second return on the same order unless the reviewing platform reopened the question; and "not our
    duty" for an item the catalog gives to this very unit. Every other return waits for the dispatcher.
    """
    # Locked so that two returns on one order are decided one after the other (one per order and unit).
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("unit", "appeal", "appeal__item", "appeal__area", "appeal__jurisdiction")
        .get(pk=order.pk)
    )
    _member(by, order.unit, HANDLER_ROLES, "申请退单")
    if reason not in ReturnReason.values:
        raise DomainError(f"退单理由只能是：{'、'.join(str(r.label) for r in ReturnReason)}", field="reason")
    explanation = (explanation or "").strip()
    if not explanation:
        raise DomainError("必须说明退单理由", field="explanation")
    if order.status != OrderStatus.DISPATCHED:
        raise DomainError("首接负责：已签收的工单不能退单", field="status")
    if order.return_requests.filter(status=RequestStatus.PENDING).exists():
        raise DomainError("已有待审核的退单申请", field="order")
    _check_return_claim(order, reason, suggested_unit, basis_item)
    refusal, rule = _return_refused_by_rule(order, reason, suggested_unit, basis_item)
    now = timezone.now()
    request = ReturnRequest.objects.create(
        order=order,
        unit=order.unit,
        reason=reason,
        explanation=explanation,
        suggested_unit=suggested_unit,
        basis_item=basis_item,
        basis_note=(basis_note or "").strip(),
        requested_by=by,
        requested_at=now,
    )
    record_event(
        order.appeal,
        "return_requested",
        actor=by,
        order_id=order.pk,
        reason=explanation,
        payload={
            "request": request.pk,
            "reason": reason,
            "suggested": suggested_unit.code if suggested_unit else None,
            "basis_item": basis_item.code if basis_item else None,
        },
    )
    if refusal:
        request.status = RequestStatus.REFUSED_BY_RULE
        request.reviewed_at, request.review_note = now, refusal
        request.save(update_fields=["status", "reviewed_at", "review_note"])
        record_event(
            order.appeal,
            "return_refused_by_rule",
            order_id=order.pk,
            reason=refusal,
            payload={"request": request.pk, "unit": order.unit.code, "rule": rule},
        )
    if rule == "pushdown":
        # Unlike a refused forward nothing is rolled back here: the refused return itself is kept.
        _record_pushdown_attempt(
            None,
            appeal=order.appeal,
            unit=suggested_unit,
            from_unit=order.unit,
            by=by,
            via="return",
            order=order,
            reason=refusal,
        )
    return request


def _reopen(request: ReturnRequest, *, by: Person, note: str) -> None:
    request.reopened_by, request.reopened_at, request.reopen_note = by, timezone.now(), note
    request.save(update_fields=["reopened_by", "reopened_at", "reopen_note"])
    record_event(
        request.order.appeal,
        "return_reopened",
        actor=by,
        order_id=request.order_id,
        reason=note,
        payload={"request": request.pk, "unit": request.unit.code},
    )


@transaction.atomic
def return_request_review(
    *, request: ReturnRequest, by: Person, approve: bool, note: str, may_file_again: bool = False
) -> ReturnRequest:
    """The dispatching unit decides a pending return. Refusing it, it may let the unit file one more
    return on the order (`may_file_again`, e.g. when the unit named the wrong unit); otherwise a second
    return is refused by rule."""
    request = (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("order", "order__appeal", "unit")
        .get(pk=request.pk)
    )
    order = request.order
    reviewer_unit = order.dispatched_from
    _dispatcher_of(by, reviewer_unit, "审核退单")
    if request.status != RequestStatus.PENDING:
        raise DomainError(f"该退单申请已{request.get_status_display()}", field="status")
    if not (note or "").strip():
        raise DomainError("必须填写审核意见", field="note")
    if approve and may_file_again:
        raise DomainError(_("同意退单后工单即退回，无需允许再次申请"), field="may_file_again")
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.reviewed_by, request.reviewed_at, request.review_note = by, timezone.now(), note.strip()
    request.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    record_event(
        order.appeal,
        "return_approved" if approve else "return_refused",
        actor=by,
        order_id=order.pk,
        reason=note.strip(),
        payload={"request": request.pk, "unit": order.unit.code},
    )
    if may_file_again:
        _reopen(request, by=by, note=note.strip())
    if approve:
        _transition(order, OrderStatus.RETURNED, by=by, action="returned", reason=note.strip())
        if order.role != OrderRole.LEAD:
            pass  # an assisting unit leaves; the lead order and the appeal stay as they are
        elif order.parent_id:
            # The unit that forwarded it has it again and must send it on correctly.
            _reopen_parent(order.parent, by=by)
        else:
            _set_appeal_status(
                order.appeal,
                AppealStatus.RECEIVED,
                by=by,
                action="appeal_back_to_dispatch",
                reason=note.strip(),
            )
    return request


@transaction.atomic
def return_request_reopen(*, request: ReturnRequest, by: Person, note: str) -> ReturnRequest:
    """重新受理退单申请: after refusing a return (or the rule refusing it), the dispatching unit lets the
    unit file one more return on the order. The refused return still counts against the unit."""
    # The order first, as order_return_request locks it: a return filed meanwhile is seen below.
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("appeal", "dispatched_from")
        .get(pk=ReturnRequest.objects.values("order_id").get(pk=request.pk)["order_id"])
    )
    request = ReturnRequest.objects.select_for_update(of=("self",)).select_related("unit").get(pk=request.pk)
    request.order = order
    _dispatcher_of(by, order.dispatched_from, _("允许再次申请退单"))
    if request.status not in (RequestStatus.REFUSED, RequestStatus.REFUSED_BY_RULE):
        raise DomainError(_("只有被驳回的退单申请可以允许再次申请"), field="status")
    if request.reopened_at is not None:
        raise DomainError(_("已经允许再次申请"), field="status")
    latest = order.return_requests.filter(unit_id=request.unit_id).order_by("-requested_at", "-id").first()
    if latest.pk != request.pk:
        raise DomainError(_("该单位此后又申请过退单；请针对最近一次申请操作"), field="request")
    if order.status != OrderStatus.DISPATCHED or order.unit_id != request.unit_id:
        raise DomainError(_("工单已签收或已不在该单位，不能再申请退单"), field="status")
    note = (note or "").strip()
    if not note:
        raise DomainError(_("必须说明允许再次申请的理由"), field="note")
    _reopen(request, by=by, note=note)
    return request


def _reopen_parent(parent: Order, *, by: Person) -> None:
    parent = Order.objects.select_related("appeal", "unit").get(pk=parent.pk)
    if parent.status == OrderStatus.FORWARDED:
        _transition(parent, OrderStatus.ACCEPTED, by=by, action="forward_undone")


# ---------------------------------------------------------------- criticism notices


@transaction.atomic
def criticism_notice_issue(
    *, unit: Unit, reason: str, by: Person, order: Order | None = None
) -> CriticismNotice:
    if not (
        by.has_role(RoleCode.SUPERVISOR, RoleCode.ADMINISTRATOR)
        or (by.has_role(RoleCode.DISPATCHER) and by.unit and by.unit.kind in PLATFORM_KINDS)
    ):
        raise PermissionRefused("只有督办员、平台派单员或系统管理员可以通报批评", field="by")
    if not (reason or "").strip():
        raise DomainError("必须写明通报事由", field="reason")
    if (
        by.unit
        and by.unit.level != Level.CITY
        and not unit.path.startswith(by.unit.area.path)
        and not unit.area.path.startswith(by.unit.area.path)
    ):
        raise PermissionRefused("只能通报本辖区的单位", field="unit")
    notice = CriticismNotice.objects.create(
        unit=unit, order=order, reason=reason.strip(), issued_by=by, issued_at=timezone.now()
    )
    if order is not None:
        record_event(
            order.appeal,
            "criticism_notice",
            actor=by,
            order_id=order.pk,
            reason=reason.strip(),
            payload={"unit": unit.code, "notice": notice.pk},
        )
    return notice
