"""The community work-item access list: changes only by a recorded, approved proposal."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from yousu.catalog.choices import AccessChangeAction, AccessChangeStage, AccessChangeStatus, RuleTarget
from yousu.catalog.models import AccessListChange, AccessListEntry, AccessListReview, ResponsibilityRule
from yousu.catalog.selectors import (
    access_list_baseline,
    access_list_review_preview,
    access_list_size_at,
    community_may_receive,
    responsible_unit,
)
from yousu.catalog.services import (
    access_list_decide,
    access_list_establish,
    access_list_propose,
    access_list_record_exception,
    access_list_yearly_review,
    rule_create,
)
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused
from yousu.org.services import person_create

from ..conftest import SINCE


def propose(world, item, action=AccessChangeAction.ADD, by=None):
    return access_list_propose(
        access_list=world.access_list,
        action=action,
        item=item,
        reason="社区可以承担",
        by=by or world.people.street_leader,
    )


def test_approved_addition_puts_the_item_on_the_list_and_records_the_decision(world):
    change = propose(world, world.items.parking)
    assert not community_may_receive(item=world.items.parking, community=world.units.east_community)
    decided = access_list_decide(change=change, approve=True, note="经审核同意", by=world.people.admin)
    assert decided.status == AccessChangeStatus.APPROVED
    assert decided.decided_by == world.people.admin and decided.decided_at is not None
    assert decided.decision_note == "经审核同意"
    entry = AccessListEntry.objects.get(access_list=world.access_list, item=world.items.parking)
    assert entry.added_by_change == decided
    assert community_may_receive(item=world.items.parking, community=world.units.east_community)


def test_refused_proposal_changes_nothing(world):
    change = propose(world, world.items.dust)
    access_list_decide(change=change, approve=False, note="扬尘属执法事项", by=world.people.admin)
    change.refresh_from_db()
    assert change.status == AccessChangeStatus.REFUSED
    assert not world.access_list.entries.filter(item=world.items.dust).exists()


def test_a_proposal_is_decided_once(world):
    change = propose(world, world.items.parking)
    access_list_decide(change=change, approve=False, note="不同意", by=world.people.admin)
    with pytest.raises(DomainError) as caught:
        access_list_decide(change=change, approve=True, note="改为同意", by=world.people.admin2)
    assert caught.value.field == "status"
    assert not world.access_list.entries.filter(item=world.items.parking).exists()


def test_proposer_cannot_approve_own_proposal(world):
    change = propose(world, world.items.parking, by=world.people.admin)
    with pytest.raises(PermissionRefused):
        access_list_decide(change=change, approve=True, note="自己批", by=world.people.admin)
    access_list_decide(change=change, approve=True, note="他人审批", by=world.people.admin2)
    assert world.access_list.entries.filter(item=world.items.parking).exists()


def test_only_a_city_administrator_decides(world):
    change = propose(world, world.items.parking)
    for person in (world.people.street_leader, world.people.east_market_handler, world.people.supervisor):
        with pytest.raises(PermissionRefused):
            access_list_decide(change=change, approve=True, note="同意", by=person)
    change.refresh_from_db()
    assert change.status == AccessChangeStatus.PROPOSED


def test_a_handler_cannot_propose(world):
    with pytest.raises(PermissionRefused):
        propose(world, world.items.parking, by=world.people.east_market_handler)
    assert not AccessListChange.objects.filter(item=world.items.parking).exists()


def test_one_open_proposal_per_item(world):
    propose(world, world.items.parking)
    with pytest.raises(DomainError, match="待审批"):
        propose(world, world.items.parking, by=world.people.admin)


def test_cap_keeps_the_total_from_growing(world):
    # cap is 3 and the hallway item is already on the list
    for item in (world.items.parking, world.items.water_outage):
        access_list_decide(change=propose(world, item), approve=True, note="同意", by=world.people.admin)
    change = propose(world, world.items.dust)
    with pytest.raises(DomainError) as caught:
        access_list_decide(change=change, approve=True, note="同意", by=world.people.admin)
    assert caught.value.field == "cap"
    assert world.access_list.entries.count() == 3
    change.refresh_from_db()
    assert change.status == AccessChangeStatus.PROPOSED  # still open: remove one first, then approve


def test_removal_is_refused_while_rules_give_the_item_to_communities(world):
    change = propose(world, world.items.hallway, action=AccessChangeAction.REMOVE)
    with pytest.raises(DomainError, match="1 条生效的责任规则"):
        access_list_decide(change=change, approve=True, note="移出", by=world.people.admin)
    assert world.access_list.entries.filter(item=world.items.hallway).exists()


def test_removal_of_an_unused_item(world):
    access_list_decide(
        change=propose(world, world.items.parking), approve=True, note="同意", by=world.people.admin
    )
    removal = propose(world, world.items.parking, action=AccessChangeAction.REMOVE)
    access_list_decide(change=removal, approve=True, note="年度调整移出", by=world.people.admin)
    assert not world.access_list.entries.filter(item=world.items.parking).exists()
    assert not community_may_receive(item=world.items.parking, community=world.units.east_community)


def test_only_items_not_domains_go_on_the_list(world):
    with pytest.raises(DomainError) as caught:
        propose(world, world.items.category)
    assert caught.value.field == "item"


def test_lookup_refuses_a_community_when_the_item_left_the_list_behind_the_rules_back(world):
    # Defence in depth: even if the list were edited outside the services, dispatch must not push down.
    AccessListEntry.objects.filter(item=world.items.hallway).delete()
    with pytest.raises(PushDownRefused):
        responsible_unit(item=world.items.hallway, area=world.areas.grid)


def test_adding_to_the_list_then_allows_a_community_rule(world):
    with pytest.raises(PushDownRefused):
        rule_create(
            item=world.items.parking,
            area=world.areas.west,
            target=RuleTarget.TERRITORIAL,
            level="community",
            reason="西区试点",
            by=world.people.admin,
        )
    access_list_decide(
        change=propose(world, world.items.parking), approve=True, note="同意", by=world.people.admin
    )
    rule_create(
        item=world.items.parking,
        area=world.areas.west,
        target=RuleTarget.TERRITORIAL,
        level="community",
        reason="西区试点",
        by=world.people.admin,
    )
    answer = responsible_unit(item=world.items.parking, area=world.areas.west_community)
    assert answer.unit == world.units.west_community


# ---------------------------------------------------------------- tiered approval (分级准入)


@pytest.fixture
def tiers(world):
    """The list set up, and the people who decide at each stage of the east side's chain."""
    u = world.units
    people = SimpleNamespace(
        community_leader=person_create(
            username="cl", full_name="东一社区书记", unit=u.east_community, roles=["unit_leader"]
        ),
        street_admin=person_create(
            username="sa", full_name="东一街道管理员", unit=u.east_street, roles=["administrator"]
        ),
        west_street_leader=person_create(
            username="wsl", full_name="西一街道负责人", unit=u.west_street, roles=["unit_leader"]
        ),
        district_leader=person_create(
            username="dl", full_name="东区平台负责人", unit=u.east_platform, roles=["unit_leader"]
        ),
        west_district_leader=person_create(
            username="wdl", full_name="西区平台负责人", unit=u.west_platform, roles=["unit_leader"]
        ),
        district_market_leader=person_create(
            username="dml", full_name="东区市场局负责人", unit=u.east_market, roles=["unit_leader"]
        ),
    )
    access_list_establish(access_list=world.access_list, by=world.people.admin)
    world.access_list.refresh_from_db()
    return people


def climb(world, tiers, change):
    """Approve a street-stage change at the street and the district; it then waits for the city."""
    change = access_list_decide(change=change, approve=True, note="街道同意", by=world.people.street_leader)
    return access_list_decide(change=change, approve=True, note="区县同意", by=tiers.district_leader)


def test_a_community_proposal_climbs_street_district_city(world, tiers):
    change = propose(world, world.items.parking, by=tiers.community_leader)
    assert (change.stage, change.proposing_unit) == (AccessChangeStage.STREET, world.units.east_community)
    change = access_list_decide(change=change, approve=True, note="街道同意", by=world.people.street_leader)
    assert (change.stage, change.status) == (AccessChangeStage.DISTRICT, AccessChangeStatus.PROPOSED)
    assert not world.access_list.entries.filter(item=world.items.parking).exists()
    change = access_list_decide(change=change, approve=True, note="区县同意", by=tiers.district_leader)
    assert change.stage == AccessChangeStage.CITY
    assert not world.access_list.entries.filter(item=world.items.parking).exists()
    change = access_list_decide(
        change=change, approve=True, note="市级批准", by=world.people.admin, growth_exception="新法规"
    )
    assert change.status == AccessChangeStatus.APPROVED
    assert change.decided_by == world.people.admin
    trail = [(a.stage, a.unit, a.decided_by, a.approve) for a in change.approvals.all()]
    assert trail == [
        (AccessChangeStage.STREET, world.units.east_street, world.people.street_leader, True),
        (AccessChangeStage.DISTRICT, world.units.east_platform, tiers.district_leader, True),
        (AccessChangeStage.CITY, world.units.platform, world.people.admin, True),
    ]
    assert world.access_list.entries.filter(item=world.items.parking).exists()


def test_the_first_stage_follows_the_proposers_level(world, tiers):
    street = propose(world, world.items.parking, by=world.people.street_leader)
    assert street.stage == AccessChangeStage.STREET
    district = propose(world, world.items.dust, by=tiers.district_market_leader)
    assert district.stage == AccessChangeStage.DISTRICT
    city = propose(world, world.items.water_outage, by=world.people.admin)
    assert city.stage == AccessChangeStage.CITY


def test_a_street_proposal_is_approved_at_its_street_by_someone_else(world, tiers):
    change = propose(world, world.items.parking, by=world.people.street_leader)
    with pytest.raises(PermissionRefused, match="申请人不能审批自己的申请"):
        access_list_decide(change=change, approve=True, note="自己批", by=world.people.street_leader)
    change = access_list_decide(change=change, approve=True, note="同意", by=tiers.street_admin)
    assert change.stage == AccessChangeStage.DISTRICT


@pytest.mark.parametrize(
    "who", ["west_street_leader", "district_leader", "admin", "east_street_handler", "community_leader"]
)
def test_the_street_stage_refuses_anyone_but_the_chains_street(world, tiers, who):
    change = propose(world, world.items.parking, by=world.people.street_leader)
    person = getattr(tiers, who, None) or getattr(world.people, who)
    with pytest.raises(PermissionRefused, match="街道审核阶段"):
        access_list_decide(change=change, approve=True, note="同意", by=person)
    change.refresh_from_db()
    assert (change.stage, change.status) == (AccessChangeStage.STREET, AccessChangeStatus.PROPOSED)
    assert not change.approvals.exists()


@pytest.mark.parametrize("who", ["west_district_leader", "district_market_leader", "street_admin", "admin"])
def test_the_district_stage_refuses_anyone_but_the_chains_district(world, tiers, who):
    change = propose(world, world.items.parking, by=tiers.community_leader)
    change = access_list_decide(change=change, approve=True, note="同意", by=world.people.street_leader)
    person = getattr(tiers, who, None) or getattr(world.people, who)
    with pytest.raises(PermissionRefused, match="区县审核阶段"):
        access_list_decide(change=change, approve=True, note="同意", by=person)
    change.refresh_from_db()
    assert change.stage == AccessChangeStage.DISTRICT


def test_the_city_stage_refuses_a_district_or_street_approver(world, tiers):
    change = climb(world, tiers, propose(world, world.items.parking, by=tiers.community_leader))
    for person in (tiers.district_leader, world.people.street_leader, world.people.supervisor):
        with pytest.raises(PermissionRefused, match="市级系统管理员"):
            access_list_decide(change=change, approve=True, note="同意", by=person)


def test_refusal_at_a_lower_stage_ends_the_proposal(world, tiers):
    change = propose(world, world.items.parking, by=tiers.community_leader)
    change = access_list_decide(change=change, approve=True, note="同意", by=world.people.street_leader)
    change = access_list_decide(change=change, approve=False, note="应由部门承担", by=tiers.district_leader)
    assert (change.status, change.stage) == (AccessChangeStatus.REFUSED, AccessChangeStage.DISTRICT)
    assert change.decided_by == tiers.district_leader
    assert [(a.stage, a.approve) for a in change.approvals.all()] == [
        (AccessChangeStage.STREET, True),
        (AccessChangeStage.DISTRICT, False),
    ]
    with pytest.raises(DomainError) as caught:
        access_list_decide(change=change, approve=True, note="改为同意", by=world.people.admin)
    assert caught.value.field == "status"
    assert not world.access_list.entries.filter(item=world.items.parking).exists()
    # The item is free again for a new proposal.
    assert propose(world, world.items.parking, by=tiers.community_leader).stage == AccessChangeStage.STREET


def test_before_the_list_is_set_up_the_city_decides_in_one_step(world):
    change = propose(world, world.items.parking, by=world.people.street_leader)
    assert change.stage == AccessChangeStage.CITY


def test_setting_up_waits_for_open_proposals_and_needs_the_city(world):
    change = propose(world, world.items.parking)
    with pytest.raises(PermissionRefused):
        access_list_establish(access_list=world.access_list, by=world.people.street_leader)
    with pytest.raises(DomainError, match="待审批"):
        access_list_establish(access_list=world.access_list, by=world.people.admin)
    access_list_decide(change=change, approve=False, note="不同意", by=world.people.admin)
    established = access_list_establish(access_list=world.access_list, by=world.people.admin)
    assert established.established_by == world.people.admin and established.established_at is not None
    with pytest.raises(DomainError, match="已经设立"):
        access_list_establish(access_list=world.access_list, by=world.people.admin2)


# ---------------------------------------------------------------- no net growth (总量不增)


def test_growth_without_an_exception_is_refused_at_the_final_approval(world, tiers):
    # Set up with one item (hallway): the baseline is 1 and the cap of 3 alone would allow a second.
    change = climb(world, tiers, propose(world, world.items.parking, by=tiers.community_leader))
    with pytest.raises(DomainError) as caught:
        access_list_decide(change=change, approve=True, note="同意", by=world.people.admin)
    assert caught.value.field == "growth_exception"
    assert "总量不增" in caught.value.message
    change.refresh_from_db()
    assert (change.status, change.stage) == (AccessChangeStatus.PROPOSED, AccessChangeStage.CITY)
    assert not change.approvals.filter(stage=AccessChangeStage.CITY).exists()
    assert world.access_list.entries.count() == 1


def test_growth_with_an_exception_given_by_the_city_approver_is_allowed(world, tiers):
    change = climb(world, tiers, propose(world, world.items.parking, by=tiers.community_leader))
    change = access_list_decide(
        change=change,
        approve=True,
        note="同意",
        by=world.people.admin,
        growth_exception="新颁布的《停车管理条例》要求社区协调",
    )
    assert change.status == AccessChangeStatus.APPROVED
    assert change.growth_exception_by == world.people.admin and change.growth_exception_at is not None
    assert world.access_list.entries.count() == 2


def test_growth_with_an_exception_recorded_by_the_proposer_is_allowed(world, tiers):
    change = propose(world, world.items.parking, by=tiers.community_leader)
    with pytest.raises(PermissionRefused):
        access_list_record_exception(change=change, reason="新法规", by=world.people.street_leader)
    access_list_record_exception(change=change, reason="新颁布的地方性法规", by=tiers.community_leader)
    change = climb(world, tiers, change)
    change = access_list_decide(change=change, approve=True, note="同意", by=world.people.admin)
    assert change.status == AccessChangeStatus.APPROVED
    assert (change.growth_exception, change.growth_exception_by) == (
        "新颁布的地方性法规",
        tiers.community_leader,
    )


def test_an_exception_is_given_only_with_an_approval_at_the_city(world, tiers):
    change = propose(world, world.items.parking, by=tiers.community_leader)
    with pytest.raises(DomainError) as caught:
        access_list_decide(
            change=change, approve=True, note="同意", by=world.people.street_leader, growth_exception="新法"
        )
    assert caught.value.field == "growth_exception"
    change.refresh_from_db()
    assert change.growth_exception == "" and change.stage == AccessChangeStage.STREET


def test_removal_then_addition_in_the_same_year_needs_no_exception(world, tiers):
    # Move the community rule away so that hallway may leave the list.
    ResponsibilityRule.objects.filter(item=world.items.hallway).update(valid_until=timezone.now())
    removal = propose(world, world.items.hallway, action=AccessChangeAction.REMOVE, by=world.people.admin)
    access_list_decide(change=removal, approve=True, note="年度调整移出", by=world.people.admin2)
    assert world.access_list.entries.count() == 0
    change = climb(world, tiers, propose(world, world.items.parking, by=tiers.community_leader))
    change = access_list_decide(change=change, approve=True, note="同意，总量不变", by=world.people.admin)
    assert change.status == AccessChangeStatus.APPROVED and not change.growth_exception
    assert world.access_list.entries.count() == 1


# ---------------------------------------------------------------- size history and yearly review


def test_size_history_follows_the_approved_changes(world):
    before = timezone.now()
    assert access_list_size_at(world.access_list, before) == 1
    assert access_list_size_at(world.access_list, SINCE - dt.timedelta(days=1)) == 0
    access_list_decide(
        change=propose(world, world.items.parking), approve=True, note="同意", by=world.people.admin
    )
    refused = propose(world, world.items.dust)
    access_list_decide(change=refused, approve=False, note="不同意", by=world.people.admin)
    middle = timezone.now()
    removal = propose(world, world.items.parking, action=AccessChangeAction.REMOVE)
    access_list_decide(change=removal, approve=True, note="移出", by=world.people.admin)
    assert access_list_size_at(world.access_list, before) == 1
    assert access_list_size_at(world.access_list, middle) == 2
    assert access_list_size_at(world.access_list, timezone.now()) == 1 == world.access_list.entries.count()


def test_the_baseline_is_the_size_at_the_last_review(world, tiers):
    baseline = access_list_baseline(world.access_list)
    assert baseline.size == 1 and baseline.review is None
    review = access_list_yearly_review(
        access_list=world.access_list, year=timezone.localdate().year, by=world.people.admin, note="维持"
    )
    baseline = access_list_baseline(world.access_list)
    assert (baseline.size, baseline.review) == (1, review)


def test_yearly_review_preview_and_record(world, tiers):
    ResponsibilityRule.objects.filter(item=world.items.hallway).update(valid_until=timezone.now())
    removal = propose(world, world.items.hallway, action=AccessChangeAction.REMOVE, by=world.people.admin)
    access_list_decide(change=removal, approve=True, note="移出", by=world.people.admin2)
    for item in (world.items.parking, world.items.dust):
        change = climb(world, tiers, propose(world, item, by=tiers.community_leader))
        access_list_decide(
            change=change, approve=True, note="同意", by=world.people.admin, growth_exception="新法规"
        )
    year = timezone.localdate().year
    preview = access_list_review_preview(world.access_list, year)
    assert (preview.size_last_year, preview.size_now, preview.net) == (1, 2, 1)
    assert (preview.added, preview.removed) == (2, 1)
    assert [(c.change.item, c.size_after, c.grows) for c in preview.changes] == [
        (world.items.hallway, 0, False),
        (world.items.parking, 1, False),
        (world.items.dust, 2, True),
    ]
    assert preview.may_record and not preview.unexplained
    assert not AccessListReview.objects.exists()  # the preview writes nothing

    review = access_list_yearly_review(
        access_list=world.access_list, year=year, by=world.people.admin, note="年度动态调整"
    )
    assert (review.size_last_year, review.size_now, review.added, review.removed) == (1, 2, 2, 1)
    assert review.exceptions == "小区停车协调：新法规\n工地扬尘：新法规"
    assert review.reviewed_by == world.people.admin
    world.access_list.refresh_from_db()
    assert world.access_list.last_reviewed == timezone.localdate()
    with pytest.raises(DomainError) as caught:
        access_list_yearly_review(
            access_list=world.access_list, year=year, by=world.people.admin2, note="再做"
        )
    assert caught.value.field == "year"
    # The next preview starts from this review.
    assert access_list_review_preview(world.access_list).size_last_year == 2


def test_yearly_review_refuses_an_unexplained_net_increase(world, tiers):
    # An addition that went round the rule (written outside the services) shows up in the review.
    change = AccessListChange.objects.create(
        access_list=world.access_list,
        action=AccessChangeAction.ADD,
        item=world.items.parking,
        reason="绕过审批",
        status=AccessChangeStatus.APPROVED,
        decided_at=timezone.now(),
    )
    AccessListEntry.objects.create(
        access_list=world.access_list, item=world.items.parking, added_by_change=change
    )
    preview = access_list_review_preview(world.access_list)
    assert preview.net == 1 and not preview.may_record
    assert [c.change for c in preview.unexplained] == [change]
    with pytest.raises(DomainError) as caught:
        access_list_yearly_review(
            access_list=world.access_list, year=timezone.localdate().year, by=world.people.admin, note="调整"
        )
    assert caught.value.field == "growth_exception"
    assert "小区停车协调" in caught.value.message
    assert not AccessListReview.objects.exists()
    world.access_list.refresh_from_db()
    assert world.access_list.last_reviewed is None
    # Recording the exception afterwards is not possible (the change is decided): it must be removed.
    with pytest.raises(DomainError):
        access_list_record_exception(change=change, reason="补记", by=world.people.admin)


def test_yearly_review_needs_the_city_and_a_set_up_list(world):
    year = timezone.localdate().year
    with pytest.raises(DomainError) as caught:
        access_list_yearly_review(
            access_list=world.access_list, year=year, by=world.people.admin, note="调整"
        )
    assert caught.value.field == "established_at"
    access_list_establish(access_list=world.access_list, by=world.people.admin)
    with pytest.raises(PermissionRefused):
        access_list_yearly_review(
            access_list=world.access_list, year=year, by=world.people.street_leader, note="调整"
        )
    with pytest.raises(DomainError) as caught:
        access_list_yearly_review(
            access_list=world.access_list, year=year - 5, by=world.people.admin, note="调整"
        )
    assert caught.value.field == "year"
