"""Dispatching a hot issue as one problem (热点问题合并派单): one appeal is dispatched, the others are
linked to it as duplicates and follow its order.

Only who reaches every appeal it would touch may do it: a hot issue is found by text and place, not
by who handles its appeals, so it can gather appeals of two districts (or of a district and the
city's hotline). A district's dispatcher sees such a hot issue with their own appeals only and
handles those one by one; merging them all is for a platform that reaches them all.

Dispatch stands after intelligence in the flow, so this lives here and reads the hot issue; the
detector never imports dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.choices import AppealStatus
from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.appeals.selectors import appeals_beyond_reach
from yousu.appeals.services import appeal_link_duplicate
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.intelligence.hot_issues import hot_issues_visible_to, may_see_hot_issues
from yousu.intelligence.models import HotIssue, HotIssueStatus
from yousu.org.models import Person, Unit

from .models import Order
from .services import appeal_dispatch, records_pushdown_attempts


@dataclass
class HotIssueDispatched:
    hot_issue: HotIssue
    primary: Appeal
    order: Order | None  # None: the primary appeal had been dispatched already
    linked: list[Appeal]
    kept: list[Appeal]  # open appeals already dispatched on their own: they keep their orders


@records_pushdown_attempts
@transaction.atomic
def hot_issue_dispatch(
    *,
    hot_issue: HotIssue,
    by: Person,
    unit: Unit | None = None,
    reason: str = "",
    primary: Appeal | None = None,
) -> HotIssueDispatched:
    """Dispatch the primary appeal (the one named, or the earliest received open one) and link the
    hot issue's other received appeals to it. All or nothing: a refusal of the dispatch or of any
    link (push-down, permission, a state changed meanwhile) leaves everything as it was.

    The person must see the hot issue (hot_issues_visible_to: else it is not found) and reach every
    open appeal of it, since each is dispatched, linked or named in the answer; one beyond their
    reach refuses the whole, without naming it."""
    if not may_see_hot_issues(by):
        raise PermissionRefused(_("只有平台派单员可以合并派单热点问题"), field="by")
    if not hot_issues_visible_to(by).filter(pk=hot_issue.pk).exists():
        raise NotFound(_("没有这个热点问题"), field="hot_issue")
    hot_issue = HotIssue.objects.select_for_update().get(pk=hot_issue.pk)
    if hot_issue.status != HotIssueStatus.OPEN:
        raise DomainError(f"热点问题当前为“{hot_issue.get_status_display()}”，不能合并派单", field="status")
    appeals = list(
        Appeal.objects.select_for_update()
        .filter(
            hot_issue_link__hot_issue=hot_issue, status__in=(AppealStatus.RECEIVED, AppealStatus.DISPATCHED)
        )
        .order_by("received_at", "pk")
    )
    if not appeals:
        raise DomainError("热点问题没有待办的诉求", field="hot_issue")
    beyond = appeals_beyond_reach(by, appeals)
    if beyond:
        raise PermissionRefused(
            _(
                "该热点问题有 %(n)d 件在办诉求不在您的办理范围内，不能合并派单："
                "请逐件办理本单位的诉求，或由能办理全部诉求的平台合并派单"
            )
            % {"n": len(beyond)},
            field="hot_issue",
        )
    if primary is not None:
        chosen = next((a for a in appeals if a.pk == primary.pk), None)
        if chosen is None:
            raise DomainError("主办诉求须是该热点问题中尚未办结的诉求", field="primary")
        primary = chosen
    else:
        primary = appeals[0]
    order = None
    if primary.status == AppealStatus.RECEIVED:
        order = appeal_dispatch(appeal=primary, by=by, unit=unit, reason=reason)
    elif unit is not None:
        raise DomainError(f"诉求 {primary.code} 已派单，不能再指定承办单位", field="unit")
    note = reason or f"热点问题合并办理：{hot_issue.name}"
    linked, kept = [], []
    for appeal in appeals:
        if appeal.pk == primary.pk:
            continue
        if appeal.status == AppealStatus.RECEIVED:
            linked.append(appeal_link_duplicate(appeal=appeal, original=primary, by=by, reason=note))
        else:
            kept.append(appeal)
    hot_issue.status = HotIssueStatus.DISPATCHED
    hot_issue.primary_appeal = primary
    hot_issue.dispatched_at = timezone.now()
    hot_issue.dispatched_by = by
    hot_issue.save(update_fields=["status", "primary_appeal", "dispatched_at", "dispatched_by", "updated_at"])
    record_event(
        primary,
        "hot_issue_dispatched",
        actor=by,
        reason=reason,
        payload={
            "hot_issue": hot_issue.pk,
            "name": hot_issue.name,
            "linked": [a.code for a in linked],
            "kept": [a.code for a in kept],
        },
    )
    primary.refresh_from_db()
    return HotIssueDispatched(hot_issue=hot_issue, primary=primary, order=order, linked=linked, kept=kept)
