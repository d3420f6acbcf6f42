"""The community work-item access list: changes only by a recorded, approved proposal."""

import pytest

from yousu.catalog.choices import AccessChangeAction, AccessChangeStatus, RuleTarget
from yousu.catalog.models import AccessListChange, AccessListEntry
from yousu.catalog.selectors import community_may_receive, responsible_unit
from yousu.catalog.services import access_list_decide, access_list_propose, rule_create
from yousu.core.errors import DomainError, PermissionRefused, PushDownRefused


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
