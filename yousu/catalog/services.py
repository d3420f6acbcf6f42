"""Writes to the catalog: items, responsibility rules (versioned) and the community access list.

The access list is the seed's "社区工作事项准入": a closed list that changes only by an approved
proposal; no rule may send an item to a community unless the item is on that list.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.org.choices import Level, RoleCode, UnitKind
from yousu.org.models import Area, Person, Sector, Unit
from yousu.org.services import full_clean_or_raise

from .choices import AccessChangeAction, AccessChangeStatus, RuleTarget
from .models import (
    AccessList,
    AccessListChange,
    AccessListEntry,
    CatalogItem,
    ResponsibilityRule,
    TimeLimitClass,
)
from .selectors import access_lists_covering, item_on_access_list

# ---------------------------------------------------------------- items


@transaction.atomic
def item_create(
    *,
    code: str,
    name: str,
    level: int,
    parent: CatalogItem | None = None,
    keywords: str = "",
    appeal_kinds: list[str] | None = None,
    time_limit_class: TimeLimitClass | None = None,
    description: str = "",
) -> CatalogItem:
    item = CatalogItem(
        code=code,
        name=name,
        level=level,
        parent=parent,
        keywords=keywords,
        appeal_kinds=appeal_kinds or [],
        time_limit_class=time_limit_class,
        description=description,
    )
    full_clean_or_raise(item, exclude=["path"])
    item.save()
    return item


@transaction.atomic
def item_update(
    item: CatalogItem,
    *,
    name: str,
    parent: CatalogItem | None,
    keywords: str,
    appeal_kinds: list[str],
    time_limit_class: TimeLimitClass | None,
    description: str,
) -> CatalogItem:
    item.name, item.parent, item.keywords = name, parent, keywords
    item.appeal_kinds, item.time_limit_class, item.description = appeal_kinds, time_limit_class, description
    full_clean_or_raise(item, exclude=["path"])
    item.save()
    return item


# ---------------------------------------------------------------- responsibility rules


def _check_target(
    *,
    item: CatalogItem,
    area: Area | None,
    target: str,
    level: str,
    sector: Sector | None,
    unit: Unit | None,
) -> str:
    """Validate a rule's target; return the level the rule resolves at."""
    if target == RuleTarget.UNIT:
        if unit is None:
            raise DomainError("“指定单位”方式必须指定单位", field="unit")
        if not unit.is_active:
            raise DomainError(f"单位 {unit} 已停用", field="unit")
        level = unit.level
    elif target == RuleTarget.SECTOR:
        if sector is None:
            raise DomainError("“所在地的职能部门”方式必须指定职能领域", field="sector")
        if level not in (Level.CITY, Level.DISTRICT, Level.STREET):
            raise DomainError("职能部门的层级只能是市、区县或街道", field="level")
    elif target == RuleTarget.TERRITORIAL:
        if level not in (Level.DISTRICT, Level.STREET, Level.COMMUNITY):
            raise DomainError("属地单位的层级只能是区县、街道或社区", field="level")
        if sector is not None:
            raise DomainError("“属地单位”方式不需要职能领域", field="sector")
    else:
        raise DomainError(f"未知的责任方式：{target}", field="target")

    gives_to_community = (target == RuleTarget.TERRITORIAL and level == Level.COMMUNITY) or (
        target == RuleTarget.UNIT and unit.kind == UnitKind.COMMUNITY
    )
    if gives_to_community:
        scope = unit.area if target == RuleTarget.UNIT else area
        lists = access_lists_covering(scope)
        if not lists or not all(item_on_access_list(item=item, access_list=lst) for lst in lists):
            raise PushDownRefused(
                f"事项“{item.name}”不在社区工作事项准入清单内，不能规定由社区承办；"
                "请先按程序申请列入准入清单，或改由职能部门承办",
                field="target",
            )
    return level


def _actor_required(by: Person | None) -> None:
    if by is None:
        raise DomainError("必须记录由谁作出这一变更", field="by")


@transaction.atomic
def rule_create(
    *,
    item: CatalogItem,
    target: str,
    reason: str,
    by: Person | None,
    level: str = "",
    sector: Sector | None = None,
    unit: Unit | None = None,
    area: Area | None = None,
    valid_from: dt.datetime | None = None,
    replaces: ResponsibilityRule | None = None,
) -> ResponsibilityRule:
    _actor_required(by)
    if not reason or not reason.strip():
        raise DomainError("必须写明设定依据（会商决定、文件编号等）", field="reason")
    valid_from = valid_from or timezone.now()
    level = _check_target(item=item, area=area, target=target, level=level, sector=sector, unit=unit)
    overlapping = ResponsibilityRule.objects.filter(item=item, area=area).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=valid_from)
    )
    if replaces is not None:
        overlapping = overlapping.exclude(pk=replaces.pk)
    if overlapping.exists():
        raise DomainError(
            f"事项“{item.name}”在该区域已有生效的责任规则；请变更该规则而不是另建一条", field="item"
        )
    rule = ResponsibilityRule(
        item=item,
        area=area,
        target=target,
        level=level,
        sector=sector if target == RuleTarget.SECTOR else None,
        unit=unit if target == RuleTarget.UNIT else None,
        valid_from=valid_from,
        reason=reason.strip(),
        created_by=by,
        replaces=replaces,
    )
    rule.save()
    return rule


@transaction.atomic
def rule_change(
    *,
    rule: ResponsibilityRule,
    target: str,
    reason: str,
    by: Person | None,
    level: str = "",
    sector: Sector | None = None,
    unit: Unit | None = None,
    effective_at: dt.datetime | None = None,
) -> ResponsibilityRule:
    """Close `rule` at `effective_at` and put its successor in force from that moment."""
    _actor_required(by)
    rule = ResponsibilityRule.objects.select_for_update().get(pk=rule.pk)
    effective_at = effective_at or timezone.now()
    if rule.valid_until is not None and rule.valid_until <= effective_at:
        raise DomainError("该规则在变更时间之前已经失效，不能再变更", field="rule")
    if effective_at <= rule.valid_from:
        raise DomainError("变更生效时间必须晚于原规则的生效时间", field="effective_at")
    if ResponsibilityRule.objects.filter(replaces=rule).exists():
        raise DomainError("该规则已被变更过；请变更其最新版本", field="rule")
    rule.valid_until = effective_at
    rule.save(update_fields=["valid_until"])
    return rule_create(
        item=rule.item,
        area=rule.area,
        target=target,
        level=level,
        sector=sector,
        unit=unit,
        valid_from=effective_at,
        reason=reason,
        by=by,
        replaces=rule,
    )


@transaction.atomic
def rule_retire(
    *, rule: ResponsibilityRule, reason: str, by: Person | None, at: dt.datetime | None = None
) -> ResponsibilityRule:
    _actor_required(by)
    if not reason or not reason.strip():
        raise DomainError("必须写明停用原因", field="reason")
    rule = ResponsibilityRule.objects.select_for_update().get(pk=rule.pk)
    at = at or timezone.now()
    if rule.valid_until is not None and rule.valid_until <= at:
        raise DomainError("该规则已经失效", field="rule")
    if at < rule.valid_from:
        raise DomainError("停用时间不能早于生效时间", field="at")
    rule.valid_until = at
    rule.retired_by = by
    rule.retired_reason = reason.strip()
    rule.save(update_fields=["valid_until", "retired_by", "retired_reason"])
    return rule


# ---------------------------------------------------------------- access list


@transaction.atomic
def access_list_create(*, name: str, area: Area, cap: int | None = None) -> AccessList:
    if area.level != Level.CITY:
        raise DomainError("准入清单按辖区（市级区域）设立", field="area")
    if AccessList.objects.filter(area=area).exists():
        raise DomainError(f"{area} 已有准入清单", field="area")
    access_list = AccessList(name=name, area=area, cap=cap)
    full_clean_or_raise(access_list)
    access_list.save()
    return access_list


PROPOSER_ROLES = (RoleCode.UNIT_LEADER, RoleCode.ADMINISTRATOR)


@transaction.atomic
def access_list_propose(
    *, access_list: AccessList, action: str, item: CatalogItem, reason: str, by: Person
) -> AccessListChange:
    if not (by.is_superuser or by.has_role(*PROPOSER_ROLES)):
        raise PermissionRefused("只有单位负责人或系统管理员可以申请调整准入清单", field="by")
    if action not in AccessChangeAction.values:
        raise DomainError(f"未知的变更：{action}", field="action")
    if not reason or not reason.strip():
        raise DomainError("必须写明申请理由", field="reason")
    if item.level != 3:
        raise DomainError("准入清单只收录三级事项", field="item")
    on_list = item_on_access_list(item=item, access_list=access_list)
    if action == AccessChangeAction.ADD and on_list:
        raise DomainError(f"事项“{item.name}”已在准入清单内", field="item")
    if action == AccessChangeAction.REMOVE and not on_list:
        raise DomainError(f"事项“{item.name}”不在准入清单内", field="item")
    if access_list.changes.filter(item=item, status=AccessChangeStatus.PROPOSED).exists():
        raise DomainError(f"事项“{item.name}”已有待审批的申请", field="item")
    try:
        with transaction.atomic():
            return AccessListChange.objects.create(
                access_list=access_list, action=action, item=item, reason=reason.strip(), proposed_by=by
            )
    except IntegrityError:  # a concurrent proposal for the same item won the race
        raise DomainError(f"事项“{item.name}”已有待审批的申请", field="item") from None


def _may_approve(by: Person) -> bool:
    # Approval sits with the city: an administrator of a city-level unit (or a superuser).
    if by.is_superuser:
        return True
    return by.has_role(RoleCode.ADMINISTRATOR) and (by.unit is None or by.unit.level == Level.CITY)


@transaction.atomic
def access_list_decide(*, change: AccessListChange, approve: bool, note: str, by: Person) -> AccessListChange:
    # Lock the proposal so that two reviewers cannot both decide it.
    change = (
        AccessListChange.objects.select_for_update().select_related("access_list", "item").get(pk=change.pk)
    )
    if change.status != AccessChangeStatus.PROPOSED:
        raise DomainError(f"该申请已{change.get_status_display()}，不能再次审批", field="status")
    if not _may_approve(by):
        raise PermissionRefused("只有市级系统管理员可以审批准入清单变更", field="by")
    if change.proposed_by_id == by.pk:
        raise PermissionRefused("申请人不能审批自己的申请", field="by")
    if not note or not note.strip():
        raise DomainError("必须填写审批意见", field="note")
    access_list = AccessList.objects.select_for_update().get(pk=change.access_list_id)
    if approve:
        if change.action == AccessChangeAction.ADD:
            count = access_list.entries.count()
            if access_list.cap is not None and count >= access_list.cap:
                raise DomainError(
                    f"准入清单已有 {count} 项，达到上限 {access_list.cap} 项（总量不增）；请先移出一项再新增",
                    field="cap",
                )
            AccessListEntry.objects.create(access_list=access_list, item=change.item, added_by_change=change)
        else:
            _refuse_removal_while_rules_give_to_communities(change.item, access_list)
            access_list.entries.filter(item=change.item).delete()
    change.status = AccessChangeStatus.APPROVED if approve else AccessChangeStatus.REFUSED
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_note = note.strip()
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return change


def _refuse_removal_while_rules_give_to_communities(item: CatalogItem, access_list: AccessList) -> None:
    now = timezone.now()
    in_force = ResponsibilityRule.objects.in_force(now).filter(item=item)
    to_community = in_force.filter(
        Q(target=RuleTarget.TERRITORIAL, level=Level.COMMUNITY)
        | Q(target=RuleTarget.UNIT, unit__kind=UnitKind.COMMUNITY)
    ).filter(
        Q(area__isnull=True)
        | Q(area__path__startswith=access_list.area.path)
        | Q(unit__area__path__startswith=access_list.area.path)
    )
    count = to_community.count()
    if count:
        raise DomainError(
            f"仍有 {count} 条生效的责任规则由社区承办“{item.name}”；请先把这些规则改由其他单位承办",
            field="item",
        )
