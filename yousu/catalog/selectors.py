"""Reads of the catalog, above all: who is responsible for item X at place Y at moment T."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.core.errors import DomainError, PushDownRefused, ResponsibilityNotFound
from yousu.org.choices import GRASSROOTS_KINDS, LEVEL_DEPTH, TERRITORIAL_KIND, Level, UnitKind
from yousu.org.models import Area, Unit

from .choices import AccessChangeAction, AccessChangeStatus, DelegationStatus, RuleTarget
from .models import (
    AccessList,
    AccessListChange,
    AccessListReview,
    CatalogItem,
    DelegationException,
    ResponsibilityRule,
)


@dataclass(frozen=True)
class Responsibility:
    """The answer of the lookup: the unit, the rule that named it, and the dispatch chain."""

    unit: Unit
    rule: ResponsibilityRule
    item: CatalogItem
    area: Area
    at: dt.datetime
    chain: list[Unit] = field(default_factory=list)


def access_lists_covering(area: Area | None) -> list[AccessList]:
    """The access lists that apply to places in `area` (every list when `area` is None)."""
    if area is None:
        return list(AccessList.objects.all())
    root_path = "/" + area.path.strip("/").split("/")[0] + "/"
    return list(AccessList.objects.filter(area__path=root_path))


def item_on_access_list(*, item: CatalogItem, access_list: AccessList) -> bool:
    return access_list.entries.filter(item=item).exists()


def access_list_size_at(access_list: AccessList, moment: dt.datetime) -> int:
    """How many items the list held at `moment`, from its approved changes (entries are deleted on
    removal, so the history is the changes: additions minus removals decided up to that moment)."""
    approved = AccessListChange.objects.filter(
        access_list=access_list, status=AccessChangeStatus.APPROVED, decided_at__lte=moment
    )
    added = approved.filter(action=AccessChangeAction.ADD).count()
    removed = approved.filter(action=AccessChangeAction.REMOVE).count()
    return added - removed


def start_of_year(year: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, 1, 1))


@dataclass(frozen=True)
class GrowthBaseline:
    """The size the list may not exceed without a recorded exception (总量不增), and since when."""

    size: int
    since: dt.datetime
    review: AccessListReview | None


def access_list_baseline(access_list: AccessList, at: dt.datetime | None = None) -> GrowthBaseline | None:
    """The list's size at its last yearly review; with none, at the start of the year (or at its
    setting-up, if later). None while the list is not yet set up (no growth rule applies yet)."""
    if access_list.established_at is None:
        return None
    at = at or timezone.now()
    review = access_list.reviews.filter(reviewed_at__lte=at).order_by("-reviewed_at", "-id").first()
    if review is not None:
        return GrowthBaseline(size=review.size_now, since=review.reviewed_at, review=review)
    since = max(start_of_year(timezone.localtime(at).year), access_list.established_at)
    return GrowthBaseline(size=access_list_size_at(access_list, since), since=since, review=None)


@dataclass
class ReviewedChange:
    change: AccessListChange
    size_after: int
    grows: bool  # the approval made the list larger than last year's size

    @property
    def unexplained(self) -> bool:
        return self.grows and not self.change.growth_exception


@dataclass
class ReviewPreview:
    """What a yearly review would record, computed without writing anything."""

    access_list: AccessList
    year: int
    since: dt.datetime
    size_last_year: int
    size_now: int
    changes: list[ReviewedChange]
    last_review: AccessListReview | None

    @property
    def net(self) -> int:
        return self.size_now - self.size_last_year

    @property
    def added(self) -> int:
        return sum(1 for c in self.changes if c.change.action == AccessChangeAction.ADD)

    @property
    def removed(self) -> int:
        return sum(1 for c in self.changes if c.change.action == AccessChangeAction.REMOVE)

    @property
    def exceptions(self) -> list[ReviewedChange]:
        return [c for c in self.changes if c.change.growth_exception]

    @property
    def unexplained(self) -> list[ReviewedChange]:
        return [c for c in self.changes if c.unexplained]

    @property
    def may_record(self) -> bool:
        return self.net <= 0 or not self.unexplained


def access_list_review_preview(
    access_list: AccessList, year: int | None = None, at: dt.datetime | None = None
) -> ReviewPreview:
    """The yearly review's figures: the size now against the last review's (or the start of the
    year's), and every change approved since, each marked if it grew the list beyond that size."""
    at = at or timezone.now()
    year = year or timezone.localtime(at).year
    baseline = access_list_baseline(access_list, at)
    if baseline is None:
        raise DomainError(_("准入清单尚未设立，不能进行年度调整；请先设立清单"), field="established_at")
    approved = (
        AccessListChange.objects.filter(
            access_list=access_list,
            status=AccessChangeStatus.APPROVED,
            decided_at__gt=baseline.since,
            decided_at__lte=at,
        )
        .select_related("item", "proposed_by", "decided_by", "growth_exception_by", "proposing_unit")
        .order_by("decided_at", "id")
    )
    size = baseline.size
    changes = []
    for change in approved:
        size += 1 if change.action == AccessChangeAction.ADD else -1
        grows = change.action == AccessChangeAction.ADD and size > baseline.size
        changes.append(ReviewedChange(change=change, size_after=size, grows=grows))
    return ReviewPreview(
        access_list=access_list,
        year=year,
        since=baseline.since,
        size_last_year=baseline.size,
        size_now=access_list_size_at(access_list, at),
        changes=changes,
        last_review=baseline.review,
    )


def community_may_receive(*, item: CatalogItem, community: Unit) -> bool:
    """The no-push-down rule: a community may be given only items on its access list."""
    if community.kind != UnitKind.COMMUNITY:
        return True
    lists = access_lists_covering(community.area)
    return bool(lists) and all(item_on_access_list(item=item, access_list=lst) for lst in lists)


def rules_in_force(at: dt.datetime | None = None) -> QuerySet[ResponsibilityRule]:
    return ResponsibilityRule.objects.in_force(at or timezone.now())


def rule_history(item: CatalogItem) -> QuerySet[ResponsibilityRule]:
    """Every version of every rule of the item, oldest first."""
    return (
        ResponsibilityRule.objects.filter(item=item)
        .select_related("area", "sector", "unit", "created_by", "retired_by", "replaces")
        .order_by("area__path", "valid_from", "id")
    )


def responsible_unit(*, item: CatalogItem, area: Area, at: dt.datetime | None = None) -> Responsibility:
    """Who must handle `item` for a place in `area`, by the rules in force at `at` (default now).

    The nearest catalog node wins (an item's own rule beats its category's), then the most
    specific area (a district's rule beats the city-wide one). Raises ResponsibilityNotFound when
    no rule applies or the place is too coarse to resolve it, PushDownRefused when the result
    would be a community and the item is not on the community access list.
    """
    at = at or timezone.now()
    lineage = item.lineage()
    places = area.ancestors()
    depth = {node.pk: index for index, node in enumerate(lineage)}
    area_depth = {place.pk: LEVEL_DEPTH[place.level] for place in places}
    candidates = list(
        ResponsibilityRule.objects.in_force(at)
        .filter(item__in=lineage)
        .filter(
            Q(area__in=places)
            # A rule for every area that names a unit serves only that unit's own city: another
            # city's appeal is never proposed to it (docs/jurisdictions.md).
            | Q(area__isnull=True)
            & (~Q(target=RuleTarget.UNIT) | Q(unit__area__path__startswith=f"/{area.path_codes()[0]}/"))
        )
        .select_related("item", "area", "sector", "unit")
    )
    if not candidates:
        raise ResponsibilityNotFound(
            f"职责目录中没有规定“{item.name}”在{area.name}由哪个单位承办", field="item"
        )
    candidates.sort(key=lambda rule: (depth[rule.item_id], -area_depth.get(rule.area_id, -1)))
    rule = candidates[0]
    unit = _resolve_target(rule, area, places)
    if not community_may_receive(item=item, community=unit):
        raise PushDownRefused(
            f"事项“{item.name}”不在社区工作事项准入清单内，不能交由{unit.name}承办", field="item"
        )
    return Responsibility(unit=unit, rule=rule, item=item, area=area, at=at, chain=unit.chain())


def _resolve_target(rule: ResponsibilityRule, area: Area, places: list[Area]) -> Unit:
    if rule.target == RuleTarget.UNIT:
        return rule.unit
    level = rule.level
    place = next((p for p in places if p.level == level), None)
    if place is None:
        raise ResponsibilityNotFound(
            f"“{rule.item.name}”由{Level(level).label}级单位承办，但诉求地点只精确到{area.get_level_display()}，"
            "需要先明确到该层级",
            field="area",
        )
    if rule.target == RuleTarget.SECTOR:
        units = Unit.objects.filter(sector=rule.sector, level=level, area=place, is_active=True)
        what = f"{place.name}的{rule.sector.name}部门"
    else:
        units = Unit.objects.filter(kind=TERRITORIAL_KIND[level], area=place, is_active=True)
        what = f"{place.name}的属地单位"
    found = list(units[:2])
    if not found:
        raise ResponsibilityNotFound(f"找不到{what}（请在组织机构中设立该单位）", field="area")
    if len(found) > 1:
        raise DomainError(f"{what}不止一个，责任不明确；请会商后在职责目录中指定单位", field="area")
    return found[0]


def delegation_exception_for(
    *, item: CatalogItem, area: Area, unit: Unit, at: dt.datetime | None = None
) -> DelegationException | None:
    """The approved catalog exception, in force at `at`, that lets `unit` be given `item` for a place in
    `area`; None when there is none. It allows the street or community it names (or, by kind, the one
    serving the place) and the street above that community, through which the order has to pass."""
    if unit.kind not in GRASSROOTS_KINDS:
        return None
    at = at or timezone.now()
    places = area.ancestors()
    found = (
        DelegationException.objects.filter(
            item=item, status=DelegationStatus.APPROVED, decided_at__lte=at, area__in=places
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .select_related("unit")
        .order_by("-decided_at", "-id")
    )
    for exception in found:
        if exception.unit_id is not None:
            if exception.unit.path.startswith(unit.path):
                return exception
        elif unit.area_id in {place.pk for place in places} and (
            LEVEL_DEPTH[unit.level] <= LEVEL_DEPTH[exception.unit_kind]
        ):
            return exception
    return None
