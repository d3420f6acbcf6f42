"""Automatic dispatch (自动派单) on a confident suggestion, and the dispatcher's power to undo it.

Off unless YOUSU_AUTO_DISPATCH_CONFIDENCE is set. When on, an appeal just received is dispatched
without a person only if everything a dispatcher would check is already clear: the model's first
choice is a catalog item (事项) at or above the confidence, the operator did not choose another item,
the place is known, and the catalog names the unit. Anything less is left to the dispatcher, with
the reason kept on the suggestion. The dispatch is the ordinary one (three-level dispatch, the
community access list, time limits), marked `auto` in its event, and a dispatcher may withdraw it
while the unit has not signed for it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal
from yousu.appeals.services import appeal_set_item
from yousu.core.errors import DomainError
from yousu.intelligence.models import DispatchSuggestion
from yousu.intelligence.suggestions import label_items, suggestion_record
from yousu.org.choices import PLATFORM_KINDS
from yousu.org.models import Person

from .choices import OrderRole, OrderStatus
from .models import Order
from .services import _dispatch_from_platform, _dispatcher_of, _set_appeal_status, _transition

logger = logging.getLogger(__name__)
# How far back the periodic job looks for received appeals that were never considered (the hook
# after intake runs at commit; a crash between commit and hook leaves them to the job).
PENDING_WINDOW = dt.timedelta(days=1)
PENDING_BATCH = 200


def auto_dispatch_threshold() -> float | None:
    return getattr(settings, "YOUSU_AUTO_DISPATCH_CONFIDENCE", None)


def _skip(suggestion: DispatchSuggestion, note: str) -> None:
    DispatchSuggestion.objects.filter(pk=suggestion.pk).update(auto_note=note[:300])


def appeal_auto_dispatch(appeal: Appeal) -> Order | None:
    """Dispatch `appeal` on its suggestion if that is switched on and nothing is in doubt."""
    threshold = auto_dispatch_threshold()
    if threshold is None:
        return None
    appeal = Appeal.objects.select_related("intake_unit", "area", "item").get(pk=appeal.pk)
    if appeal.status != AppealStatus.RECEIVED:
        return None
    suggestion = suggestion_record(appeal)
    if suggestion is None:
        return None
    platform = appeal.intake_unit
    top_item = label_items([suggestion.top_label]).get(suggestion.top_label)
    note = ""
    if platform is None or platform.kind not in PLATFORM_KINDS:
        note = _("受理单位不是派单平台")
    elif suggestion.top_probability < threshold:
        note = _("首选概率 %(p).2f 低于自动派单阈值 %(t).2f") % {
            "p": suggestion.top_probability,
            "t": threshold,
        }
    elif top_item is None or top_item.level != 3:
        note = _("首选类别不是职责目录中的三级事项")
    elif appeal.item_id is not None and appeal.item_id != top_item.pk:
        note = _("接线员已选定其他事项")
    elif appeal.area_id is None:
        note = _("诉求地点未定")
    if note:
        _skip(suggestion, note)
        return None
    auto = {
        "model": suggestion.model.version,
        "label": suggestion.top_label,
        "probability": suggestion.top_probability,
    }
    try:
        with transaction.atomic():
            if appeal.item_id is None:
                appeal_set_item(appeal=appeal, item=top_item, by=None)
            return _dispatch_from_platform(
                appeal=appeal,
                platform=platform,
                by=None,
                unit=None,
                reason="",
                time_limit_class=None,
                auto=auto,
            )
    except DomainError as refusal:
        # No rule for the place, a rule that would push it down to a community, a race with a
        # dispatcher: all of it is the dispatcher's to decide, and nothing of the attempt remains.
        _skip(suggestion, refusal.message)
        return None


def auto_dispatch_received(appeal_id: int) -> None:
    """The hook after intake commits: never lets a failure reach the citizen's submission."""
    try:
        appeal_auto_dispatch(Appeal(pk=appeal_id))
    except Exception:
        logger.exception("automatic dispatch of appeal %s failed; the dispatcher will handle it", appeal_id)


def auto_dispatch_pending(now: dt.datetime | None = None) -> int:
    """Periodic: appeals received lately that were never considered (no suggestion kept yet)."""
    if auto_dispatch_threshold() is None:
        return 0
    now = now or timezone.now()
    waiting = Appeal.objects.filter(
        status=AppealStatus.RECEIVED,
        received_at__gte=now - PENDING_WINDOW,
        dispatch_suggestion__isnull=True,
    ).values_list("pk", flat=True)[:PENDING_BATCH]
    dispatched = 0
    for appeal_id in list(waiting):
        try:
            dispatched += appeal_auto_dispatch(Appeal(pk=appeal_id)) is not None
        except Exception:
            logger.exception("automatic dispatch of appeal %s failed", appeal_id)
    return dispatched


@transaction.atomic
def auto_dispatch_withdraw(*, appeal: Appeal, by: Person, reason: str) -> Appeal:
    """撤回自动派单: the order goes back before its unit signed for it, the appeal waits for a dispatcher.

    The withdrawn order does not count against its unit: it was never the unit's to refuse."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("撤回自动派单须写明理由"), field="reason")
    suggestion = DispatchSuggestion.objects.select_for_update().filter(appeal_id=appeal.pk).first()
    if suggestion is None or not suggestion.auto_dispatched or suggestion.auto_order_id is None:
        raise DomainError(_("该诉求不是自动派单的"), field="appeal")
    if suggestion.withdrawn_at is not None:
        raise DomainError(_("自动派单已撤回"), field="appeal")
    order = Order.objects.select_related("unit", "appeal", "dispatched_from").get(pk=suggestion.auto_order_id)
    _dispatcher_of(by, order.dispatched_from, _("撤回自动派单"))
    if order.status != OrderStatus.DISPATCHED or order.role != OrderRole.LEAD:
        raise DomainError(
            _("工单当前为“%(status)s”，承办单位已签收或已处理，只能按退回流程办理")
            % {"status": order.get_status_display()},
            field="status",
        )
    _transition(order, OrderStatus.RETURNED, by=by, action="dispatch_withdrawn", reason=reason)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    _set_appeal_status(
        appeal, AppealStatus.RECEIVED, by=by, action="appeal_dispatch_withdrawn", reason=reason
    )
    DispatchSuggestion.objects.filter(pk=suggestion.pk).update(
        withdrawn_at=timezone.now(), withdrawn_by=by, withdraw_reason=reason
    )
    return appeal
