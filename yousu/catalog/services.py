"""Writes to the catalog: items, responsibility rules (versioned) and the community access list.

The access list is the seed's "社区工作事项准入": a closed list that changes only by an approved
proposal; no rule may send an item to a community unless the item is on that list.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.org.choices import GRASSROOTS_KINDS, PLATFORM_KINDS, Level, RoleCode, UnitKind
from yousu.org.models import Area, Person, Sector, Unit
from yousu.org.services import full_clean_or_raise

from .choices import (
    ACCESS_STAGE_ORDER,
    AccessChangeAction,
    AccessChangeStage,
    AccessChangeStatus,
    DelegateKind,
    DelegationStatus,
    RuleTarget,
)
from .models import (
    AccessList,
    AccessListApproval,
    AccessListChange,
    AccessListEntry,
    AccessListReview,
    CatalogItem,
    DelegationException,
    ResponsibilityRule,
    TimeLimitClass,
)
from .selectors import (
    access_list_baseline,
    access_list_review_preview,
    access_lists_covering,
    community_may_receive,
    item_on_access_list,
)

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
    jurisdiction: Area | None = None,
) -> CatalogItem:
    if jurisdiction is None and parent is not None:
        jurisdiction = parent.jurisdiction  # a local branch's items are local too
    item = CatalogItem(
        jurisdiction=jurisdiction,
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
    city = area.path_codes()[0] if area is not None else None
    if area is not None and item.jurisdiction_id and item.jurisdiction.code != city:
        raise DomainError(f"事项 {item.code} 是其他辖区的地方事项，不能在本区域设定责任", field="item")
    if target == RuleTarget.UNIT and unit is not None and city and unit.area.path_codes()[0] != city:
        raise DomainError(f"单位 {unit} 属于其他辖区，不能承担本区域的事项", field="unit")
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
APPROVER_ROLES = (RoleCode.UNIT_LEADER, RoleCode.ADMINISTRATOR)
DISTRICT_APPROVING_KINDS = (UnitKind.DISTRICT_GOVERNMENT, UnitKind.DISTRICT_PLATFORM)


def _stage_unit(proposing_unit: Unit | None, stage: str) -> Unit | None:
    """The unit on the proposer's chain that decides at `stage`: the street for the street stage, the
    district government or platform for the district stage; None for the city stage, or when the
    chain has no such unit (the stage is then skipped)."""
    if proposing_unit is None or stage == AccessChangeStage.CITY:
        return None
    chain = proposing_unit.chain()
    if stage == AccessChangeStage.STREET:
        found = [u for u in chain if u.kind == UnitKind.STREET and u.level == Level.STREET]
    else:
        found = [u for u in chain if u.kind in DISTRICT_APPROVING_KINDS and u.level == Level.DISTRICT]
    return found[-1] if found else None  # the nearest one above (or at) the proposer


def _first_stage(proposing_unit: Unit | None, *, after: str | None = None) -> str:
    """The first stage, from the proposer's level (or after `after`), that has a deciding unit."""
    if proposing_unit is None:
        return AccessChangeStage.CITY
    if after is None:
        start = {
            Level.CITY: AccessChangeStage.CITY,
            Level.DISTRICT: AccessChangeStage.DISTRICT,
        }.get(proposing_unit.level, AccessChangeStage.STREET)
        stages = ACCESS_STAGE_ORDER[ACCESS_STAGE_ORDER.index(start) :]
    else:
        stages = ACCESS_STAGE_ORDER[ACCESS_STAGE_ORDER.index(after) + 1 :]
    for stage in stages:
        if stage == AccessChangeStage.CITY or _stage_unit(proposing_unit, stage) is not None:
            return stage
    return AccessChangeStage.CITY


@transaction.atomic
def access_list_propose(
    *,
    access_list: AccessList,
    action: str,
    item: CatalogItem,
    reason: str,
    by: Person,
    growth_exception: str = "",
) -> AccessListChange:
    """Propose adding or removing an item. Once the list is set up, the proposal starts at the level of
    the proposer's unit (a community's or street's at its street, a district unit's at the district,
    a city unit's at the city); before that, the city decides it in one step."""
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
    if growth_exception.strip() and action != AccessChangeAction.ADD:
        raise DomainError(_("只有新增事项才需要总量增加的例外理由"), field="growth_exception")
    if access_list.changes.filter(item=item, status=AccessChangeStatus.PROPOSED).exists():
        raise DomainError(f"事项“{item.name}”已有待审批的申请", field="item")
    unit = by.unit
    established = AccessList.objects.filter(pk=access_list.pk, established_at__isnull=False).exists()
    stage = _first_stage(unit) if established else AccessChangeStage.CITY
    exception = growth_exception.strip()
    try:
        with transaction.atomic():
            return AccessListChange.objects.create(
                access_list=access_list,
                action=action,
                item=item,
                reason=reason.strip(),
                proposed_by=by,
                proposing_unit=unit,
                stage=stage,
                growth_exception=exception,
                growth_exception_by=by if exception else None,
                growth_exception_at=timezone.now() if exception else None,
            )
    except IntegrityError:  # a concurrent proposal for the same item won the race
        raise DomainError(f"事项“{item.name}”已有待审批的申请", field="item") from None


def _may_approve(by: Person) -> bool:
    # The city stage: an administrator of a city-level unit (or a superuser).
    if by.is_superuser:
        return True
    return by.has_role(RoleCode.ADMINISTRATOR) and (by.unit is None or by.unit.level == Level.CITY)


def may_decide_at_stage(change: AccessListChange, by: Person) -> bool:
    """Whether `by` may decide `change` at its current stage (the proposer aside)."""
    if change.stage == AccessChangeStage.CITY:
        return _may_approve(by)
    unit = _stage_unit(change.proposing_unit, change.stage)
    return unit is not None and by.unit_id == unit.pk and by.has_role(*APPROVER_ROLES)


def _refuse_approver(change: AccessListChange) -> None:
    if change.stage == AccessChangeStage.CITY:
        raise PermissionRefused("只有市级系统管理员可以审批准入清单变更", field="by")
    unit = _stage_unit(change.proposing_unit, change.stage)
    raise PermissionRefused(
        _("该申请处于%(stage)s阶段，只能由%(unit)s的单位负责人或系统管理员审批")
        % {"stage": change.get_stage_display(), "unit": unit},
        field="by",
    )


def _record_exception(change: AccessListChange, reason: str, by: Person) -> None:
    change.growth_exception = reason
    change.growth_exception_by = by
    change.growth_exception_at = timezone.now()
    change.save(update_fields=["growth_exception", "growth_exception_by", "growth_exception_at"])


@transaction.atomic
def access_list_record_exception(*, change: AccessListChange, reason: str, by: Person) -> AccessListChange:
    """Record why an addition may grow the list beyond last year's size (e.g. a new law), by the
    proposer or a city approver, while the proposal is open."""
    change = AccessListChange.objects.select_for_update().get(pk=change.pk)
    if change.status != AccessChangeStatus.PROPOSED:
        raise DomainError(
            _("该申请已%(status)s，不能再记录例外理由") % {"status": change.get_status_display()},
            field="status",
        )
    if change.action != AccessChangeAction.ADD:
        raise DomainError(_("只有新增事项才需要总量增加的例外理由"), field="growth_exception")
    if not (change.proposed_by_id == by.pk or _may_approve(by)):
        raise PermissionRefused(_("例外理由只能由申请人或市级审批人记录"), field="by")
    if not reason or not reason.strip():
        raise DomainError(_("必须写明例外理由（如新颁布的法律法规）"), field="growth_exception")
    _record_exception(change, reason.strip(), by)
    return change


@transaction.atomic
def access_list_decide(
    *, change: AccessListChange, approve: bool, note: str, by: Person, growth_exception: str = ""
) -> AccessListChange:
    """Decide a proposal at its current stage. Approval at the street or district moves it up to the
    next stage; refusal at any stage ends it; only the city's approval applies it to the list, and
    then only within the cap and, once the list is set up, without growing it beyond the size at the
    last yearly review unless the change carries a recorded exception (`growth_exception`, which the
    city approver may give here)."""
    # Lock the proposal so that two reviewers cannot both decide it.
    change = (
        AccessListChange.objects.select_for_update().select_related("access_list", "item").get(pk=change.pk)
    )
    if change.status != AccessChangeStatus.PROPOSED:
        raise DomainError(f"该申请已{change.get_status_display()}，不能再次审批", field="status")
    if not may_decide_at_stage(change, by):
        _refuse_approver(change)
    if change.proposed_by_id == by.pk:
        raise PermissionRefused("申请人不能审批自己的申请", field="by")
    if not note or not note.strip():
        raise DomainError("必须填写审批意见", field="note")
    note = note.strip()
    stage = change.stage
    stage_unit = _stage_unit(change.proposing_unit, stage) if stage != AccessChangeStage.CITY else by.unit
    if growth_exception.strip():
        if stage != AccessChangeStage.CITY or not approve:
            raise DomainError(_("例外理由由申请人或在市级批准时记录"), field="growth_exception")
        if change.action != AccessChangeAction.ADD:
            raise DomainError(_("只有新增事项才需要总量增加的例外理由"), field="growth_exception")
        _record_exception(change, growth_exception.strip(), by)
    if approve and stage != AccessChangeStage.CITY:
        AccessListApproval.objects.create(
            change=change, stage=stage, unit=stage_unit, approve=True, note=note, decided_by=by
        )
        change.stage = _first_stage(change.proposing_unit, after=stage)
        change.save(update_fields=["stage"])
        return change
    if approve:
        _apply(change)
    AccessListApproval.objects.create(
        change=change, stage=stage, unit=stage_unit, approve=approve, note=note, decided_by=by
    )
    change.status = AccessChangeStatus.APPROVED if approve else AccessChangeStatus.REFUSED
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return change


def _apply(change: AccessListChange) -> None:
    access_list = AccessList.objects.select_for_update().get(pk=change.access_list_id)
    if change.action == AccessChangeAction.REMOVE:
        _refuse_removal_while_rules_give_to_communities(change.item, access_list)
        access_list.entries.filter(item=change.item).delete()
        return
    count = access_list.entries.count()
    if access_list.cap is not None and count >= access_list.cap:
        raise DomainError(
            f"准入清单已有 {count} 项，达到上限 {access_list.cap} 项（总量不增）；请先移出一项再新增",
            field="cap",
        )
    baseline = access_list_baseline(access_list)
    if baseline is not None and count + 1 > baseline.size and not change.growth_exception:
        since = _("上次年度调整") if baseline.review is not None else _("本年初")
        raise DomainError(
            _(
                "批准后准入清单将有 %(after)s 项，多于%(since)s的 %(size)s 项（总量不增）；"
                "请先移出一项，或由申请人或市级审批人记录总量增加的例外理由（growth_exception）"
            )
            % {"after": count + 1, "since": since, "size": baseline.size},
            field="growth_exception",
        )
    AccessListEntry.objects.create(access_list=access_list, item=change.item, added_by_change=change)


@transaction.atomic
def access_list_establish(*, access_list: AccessList, by: Person) -> AccessList:
    """Set the list up (设立): from now on changes climb street → district → city and the list may not
    grow beyond its size at the last yearly review (or at the start of the year, or now)."""
    if not _may_approve(by):
        raise PermissionRefused(_("只有市级系统管理员可以设立准入清单"), field="by")
    access_list = AccessList.objects.select_for_update().get(pk=access_list.pk)
    if access_list.established_at is not None:
        raise DomainError(_("准入清单已经设立"), field="established_at")
    if access_list.changes.filter(status=AccessChangeStatus.PROPOSED).exists():
        raise DomainError(_("还有待审批的申请；请先审批完毕再设立清单"), field="established_at")
    access_list.established_at = timezone.now()
    access_list.established_by = by
    access_list.save(update_fields=["established_at", "established_by"])
    return access_list


@transaction.atomic
def access_list_yearly_review(
    *, access_list: AccessList, year: int, by: Person, note: str
) -> AccessListReview:
    """Record the yearly review (每年动态调整一次): the size now against the last review's (or the
    start of the year's), the year's additions and removals, and the exceptions that grew it. A net
    increase is refused unless every change that grew the list carried a recorded exception."""
    if not _may_approve(by):
        raise PermissionRefused(_("只有市级系统管理员可以进行准入清单年度调整"), field="by")
    if not note or not note.strip():
        raise DomainError(_("必须填写调整说明"), field="note")
    access_list = AccessList.objects.select_for_update().get(pk=access_list.pk)
    this_year = timezone.localdate().year
    if year not in (this_year, this_year - 1):
        raise DomainError(
            _("只能进行 %(last)s 或 %(this)s 年度的调整") % {"last": this_year - 1, "this": this_year},
            field="year",
        )
    if access_list.reviews.filter(year__gte=year).exists():
        raise DomainError(_("%(year)s 年度（或更晚年度）的调整已经做过") % {"year": year}, field="year")
    if access_list.changes.filter(status=AccessChangeStatus.PROPOSED, stage=AccessChangeStage.CITY).exists():
        raise DomainError(_("还有待市级审批的申请；请先审批完毕再做年度调整"), field="access_list")
    preview = access_list_review_preview(access_list, year)
    if not preview.may_record:
        names = "、".join(c.change.item.name for c in preview.unexplained)
        raise DomainError(
            _(
                "本年度准入清单由 %(before)s 项增至 %(now)s 项（总量不增），"
                "而以下新增事项没有记录例外理由（growth_exception）：%(names)s"
            )
            % {"before": preview.size_last_year, "now": preview.size_now, "names": names},
            field="growth_exception",
        )
    exceptions = "\n".join(f"{c.change.item.name}：{c.change.growth_exception}" for c in preview.exceptions)
    review = AccessListReview.objects.create(
        access_list=access_list,
        year=year,
        size_last_year=preview.size_last_year,
        size_now=preview.size_now,
        added=preview.added,
        removed=preview.removed,
        exceptions=exceptions,
        note=note.strip(),
        reviewed_by=by,
    )
    access_list.last_reviewed = timezone.localdate()
    access_list.save(update_fields=["last_reviewed"])
    return review


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


# ---------------------------------------------------------------- catalog exceptions (目录例外)


def _city_code(area: Area) -> str:
    return area.path_codes()[0]


def _same_city(by: Person, area: Area) -> bool:
    # A person of a unit acts for that unit's city only; one without a unit (a deployment's
    # administrator, a superuser) for any.
    return by.unit is None or _city_code(by.unit.area) == _city_code(area)


def _check_delegate(*, item: CatalogItem, area: Area, unit: Unit | None, unit_kind: str) -> None:
    """Whom an exception names: one street or community related to the area, or a kind; and never a
    community for an item off the community access list."""
    if (unit is None) == (not unit_kind):
        raise DomainError(_("请指定一个街道或社区，或选择单位类型（二者选一）"), field="unit")
    if unit is not None:
        if unit.kind not in GRASSROOTS_KINDS:
            raise DomainError(
                _("目录例外只能交由街道或社区办理，%(unit)s不是") % {"unit": unit.name}, field="unit"
            )
        if not unit.is_active:
            raise DomainError(_("%(unit)s已停用") % {"unit": unit.name}, field="unit")
        if not (unit.area.is_within(area) or area.is_within(unit.area)):
            raise DomainError(
                _("%(unit)s不服务于%(area)s，不能作为该区域的例外") % {"unit": unit.name, "area": area.name},
                field="unit",
            )
        if not community_may_receive(item=item, community=unit):
            raise PushDownRefused(
                _("事项“%(item)s”不在社区工作事项准入清单内，不能交由%(unit)s办理，例外也不行")
                % {"item": item.name, "unit": unit.name},
                field="unit",
            )
        return
    if unit_kind not in DelegateKind.values:
        raise DomainError(_("单位类型只能是街道或社区"), field="unit_kind")
    if unit_kind == DelegateKind.COMMUNITY:
        lists = access_lists_covering(area)
        if not lists or not all(item_on_access_list(item=item, access_list=lst) for lst in lists):
            raise PushDownRefused(
                _("事项“%(item)s”不在社区工作事项准入清单内，不能交由社区办理，例外也不行")
                % {"item": item.name},
                field="unit_kind",
            )


@transaction.atomic
def delegation_exception_request(
    *,
    item: CatalogItem,
    area: Area,
    reason: str,
    by: Person,
    unit: Unit | None = None,
    unit_kind: str = "",
    valid_until: dt.datetime | None = None,
) -> DelegationException:
    """Ask the city platform to let a department's item go to a street or community in `area` (目录例外).
    Until approved it allows nothing; a forward against the catalog stays refused."""
    if by is None or not by.is_active:
        raise PermissionRefused(_("必须由在岗人员操作"), field="by")
    if not (
        by.is_superuser
        or by.has_role(RoleCode.ADMINISTRATOR, RoleCode.UNIT_LEADER)
        or (by.has_role(RoleCode.DISPATCHER) and by.unit is not None and by.unit.kind in PLATFORM_KINDS)
    ):
        raise PermissionRefused(_("只有平台派单员、单位负责人或系统管理员可以申请目录例外"), field="by")
    if item is None or item.level != 3:
        raise DomainError(_("目录例外须针对一个三级事项"), field="item")
    if not item.is_active:
        raise DomainError(_("事项“%(item)s”已停用") % {"item": item.name}, field="item")
    if area is None:
        raise DomainError(_("请选择适用区域"), field="area")
    if not _same_city(by, area):
        raise PermissionRefused(_("只能为本辖区申请目录例外"), field="area")
    city = Area.objects.get(code=_city_code(area))
    if not item.is_available_in(city):
        raise DomainError(_("事项“%(item)s”是其他辖区的地方事项") % {"item": item.name}, field="item")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("必须写明例外理由"), field="reason")
    unit_kind = (unit_kind or "").strip()
    _check_delegate(item=item, area=area, unit=unit, unit_kind=unit_kind)
    now = timezone.now()
    if valid_until is not None and valid_until <= now:
        raise DomainError(_("有效期须晚于现在"), field="valid_until")
    return DelegationException.objects.create(
        item=item,
        area=area,
        unit=unit,
        unit_kind=unit_kind if unit is None else "",
        reason=reason,
        valid_until=valid_until,
        requested_by=by,
        requested_at=now,
    )


def may_decide_delegation(by: Person) -> bool:
    """The city platform decides catalog exceptions: its dispatchers, and the city's administrators."""
    if by is None or not by.is_active:
        return False
    if by.is_superuser or _may_approve(by):
        return True
    return (
        by.unit is not None
        and by.unit.kind == UnitKind.CITY_PLATFORM
        and by.has_role(RoleCode.DISPATCHER, RoleCode.ADMINISTRATOR)
    )


@transaction.atomic
def delegation_exception_decide(
    *, exception: DelegationException, by: Person, approve: bool, note: str
) -> DelegationException:
    """The city platform approves or refuses a catalog exception, once; the decision stays on record."""
    # Locked so that two approvers cannot both decide it.
    exception = (
        DelegationException.objects.select_for_update(of=("self",))
        .select_related("item", "area", "unit")
        .get(pk=exception.pk)
    )
    if not may_decide_delegation(by) or not _same_city(by, exception.area):
        raise PermissionRefused(_("只有本市市级平台的派单员或系统管理员可以审批目录例外"), field="by")
    if exception.requested_by_id == by.pk:
        raise PermissionRefused(_("申请人不能审批自己的申请"), field="by")
    if exception.status != DelegationStatus.PENDING:
        raise DomainError(
            _("该目录例外已%(status)s，不能再次审批") % {"status": exception.get_status_display()},
            field="status",
        )
    note = (note or "").strip()
    if not note:
        raise DomainError(_("必须填写审批意见"), field="note")
    if approve:
        # The access list may have changed since the request: checked again at approval.
        _check_delegate(
            item=exception.item, area=exception.area, unit=exception.unit, unit_kind=exception.unit_kind
        )
        if exception.valid_until is not None and exception.valid_until <= timezone.now():
            raise DomainError(_("该目录例外的有效期已过"), field="valid_until")
    exception.status = DelegationStatus.APPROVED if approve else DelegationStatus.REFUSED
    exception.decided_by = by
    exception.decided_at = timezone.now()
    exception.decision_note = note
    exception.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return exception
