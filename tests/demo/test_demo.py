"""The demo city: big enough to explore, built through the real importers and services, repeatable."""

from yousu.catalog.choices import AccessChangeAction, AccessChangeStage, AccessChangeStatus, RuleTarget
from yousu.catalog.models import (
    AccessList,
    AccessListChange,
    AccessListEntry,
    CatalogItem,
    ResponsibilityRule,
)
from yousu.catalog.selectors import community_may_receive, responsible_unit
from yousu.catalog.services import access_list_decide, access_list_propose, may_decide_at_stage
from yousu.demo.builder import build_demo
from yousu.org.models import Area, GridAssignment, Person, Role, Unit
from yousu.org.selectors import area_for_point


def test_demo_city(defaults):
    """Built twice in one transaction (the build takes seconds); each check below is one promise."""
    first = build_demo()
    second = build_demo()
    demo = (first, second)
    check_size(demo)
    check_idempotent(demo)
    check_demo_accounts()
    check_every_item_resolves()
    check_seed_cases()
    check_no_community_rule_outside_the_access_list()
    check_every_access_list_stage_has_a_demo_decider()


def check_size(demo):
    summary, _again = demo
    assert Area.objects.filter(level="street").count() >= 12
    assert Area.objects.filter(level="community").count() >= 30
    assert (
        Area.objects.filter(level="grid", boundary__isnull=False).count()
        == Area.objects.filter(level="grid").count()
    )
    assert CatalogItem.objects.filter(level=3).count() >= 200
    assert CatalogItem.objects.filter(level=1).count() >= 12
    assert AccessListEntry.objects.count() == 47
    assert summary.items == CatalogItem.objects.filter(level=3).count()
    for name in ("城中区", "城东区", "城北区", "饮马街街道", "东大街社区", "南山西社区", "东兴社区"):
        assert Area.objects.filter(name=name).exists(), name
    for kind in (
        "city_platform",
        "district_platform",
        "department",
        "district_government",
        "street",
        "community",
        "enterprise",
    ):
        assert Unit.objects.filter(kind=kind).exists(), kind


def check_idempotent(demo):
    first, second = demo
    assert first == second
    assert AccessListChange.objects.count() == 47
    assert ResponsibilityRule.objects.count() == first.rules_in_force
    assert GridAssignment.objects.count() == 6


def check_demo_accounts():
    for role in Role.objects.all():
        assert Person.objects.filter(roles=role, is_demo=True).exists(), role.code
    assert not Person.objects.filter(is_demo=False).exists()


def check_every_item_resolves():
    grid = Area.objects.get(code="630103001001G01")  # 东大街社区 in 城中区
    unresolved = []
    for item in CatalogItem.objects.filter(level=3):
        try:
            responsible_unit(item=item, area=grid)
        except Exception as exc:  # collect all failures for one readable assertion
            unresolved.append((item.code, str(exc)))
    assert unresolved == []


def check_seed_cases():
    grid = Area.objects.get(code="630103001001G01")
    fumes = CatalogItem.objects.get(name="餐饮油烟污染")
    assert responsible_unit(item=fumes, area=grid).unit.name == "城中区生态环境局"
    assert area_for_point(101.57, 36.52).level == "grid"


def check_no_community_rule_outside_the_access_list():
    for rule in ResponsibilityRule.objects.filter(target=RuleTarget.TERRITORIAL, level="community"):
        community = Unit.objects.filter(kind="community").first()
        assert community_may_receive(item=rule.item, community=community), rule.item.code


def check_every_access_list_stage_has_a_demo_decider():
    """A community leader's proposal climbs street → district → city, and at each stage a demo
    account (not the proposer) may decide it, so a visitor can walk a change through every stage."""
    proposer = Person.objects.get(username="ddj_grid_chief")
    access_list = AccessList.objects.get()
    entry = access_list.entries.select_related("item").order_by("item__path").first()
    change = access_list_propose(
        access_list=access_list,
        action=AccessChangeAction.REMOVE,
        item=entry.item,
        reason="演示：逐级审批检查",
        by=proposer,
    )
    accounts = Person.objects.filter(is_demo=True).exclude(pk=proposer.pk).exclude(password__startswith="!")
    deciders = {}
    while change.status == AccessChangeStatus.PROPOSED:
        able = [person.username for person in accounts if may_decide_at_stage(change, person)]
        assert able, f"nobody in the demo may decide at the {change.stage} stage"
        deciders[change.stage] = able
        # Refused at the city, so the demo's list stays as it is.
        approve = change.stage != AccessChangeStage.CITY
        change = access_list_decide(
            change=change, approve=approve, note="演示：逐级审批检查", by=accounts.get(username=able[0])
        )
    assert list(deciders) == [AccessChangeStage.STREET, AccessChangeStage.DISTRICT, AccessChangeStage.CITY]
    assert deciders[AccessChangeStage.DISTRICT] == ["czq_platform_lead"]
