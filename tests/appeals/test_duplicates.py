"""Duplicates: intake offers the open appeal about the same matter and place; linking makes the new
appeal follow it instead of being dispatched a second time."""

import datetime as dt

import pytest
from django.utils import timezone

from yousu.appeals.choices import AppealStatus
from yousu.appeals.selectors import possible_duplicates
from yousu.appeals.services import appeal_answer_at_intake, appeal_link_duplicate
from yousu.core.errors import DomainError
from yousu.dispatch.models import Order
from yousu.dispatch.services import (
    appeal_dispatch,
    order_accept,
    order_close,
    order_reply,
    order_review,
    order_send_back,
)

from .factories import at_eco, new_appeal, reload


def complete(world, eco_order):
    order_accept(order=eco_order, by=world.people.east_eco_handler)
    order_reply(order=eco_order, by=world.people.east_eco_handler, text="已整改", result="solved")
    return order_review(order=eco_order, by=world.people.east_dispatcher, approve=True)


def test_open_appeal_of_the_same_item_in_the_same_community_is_offered(world):
    first = new_appeal(world)
    in_community = new_appeal(world, area=world.areas.east_community)
    found = possible_duplicates(item=world.items.fumes, area=world.areas.grid)
    assert found == [first, in_community]
    assert possible_duplicates(item=world.items.fumes, area=world.areas.grid, exclude=first) == [in_community]
    # A linked appeal is not offered; the appeal it follows is.
    appeal_link_duplicate(appeal=new_appeal(world), original=first, by=world.people.operator)
    assert possible_duplicates(item=world.items.fumes, area=world.areas.grid) == [first, in_community]


def test_the_place_is_the_community_of_a_grid_and_a_community_or_coarser_area_itself(
    world, django_assert_num_queries
):
    in_grid = new_appeal(world)
    in_community = new_appeal(world, area=world.areas.east_community)
    in_west = new_appeal(world, area=world.areas.west_community)
    fumes = world.items.fumes
    # A community (or coarser) needs no look-up of its ancestors: the search is one statement.
    with django_assert_num_queries(1):
        assert possible_duplicates(item=fumes, area=world.areas.east_community) == [in_grid, in_community]
    assert possible_duplicates(item=fumes, area=world.areas.east_street) == [in_grid, in_community]
    assert possible_duplicates(item=fumes, area=world.areas.city) == [in_grid, in_community, in_west]
    assert possible_duplicates(item=fumes, area=world.areas.grid) == [in_grid, in_community]


def test_other_items_other_communities_and_old_appeals_are_not_offered(world):
    new_appeal(world, item=world.items.dust)
    new_appeal(world, area=world.areas.west_community)
    new_appeal(world, received_at=timezone.now() - dt.timedelta(days=40))
    assert possible_duplicates(item=world.items.fumes, area=world.areas.grid) == []
    assert possible_duplicates(item=world.items.fumes, area=None) == []


def test_a_completed_appeal_is_not_offered(world):
    _city, eco_order = at_eco(world)
    assert possible_duplicates(item=world.items.fumes, area=world.areas.grid) == [eco_order.appeal]
    complete(world, eco_order)
    assert possible_duplicates(item=world.items.fumes, area=world.areas.grid) == []


def test_without_an_item_much_the_same_words_in_the_same_community_are_offered(world):
    first = new_appeal(world, item=None, title="小区门口餐饮店油烟扰民", content="油烟直排")
    new_appeal(world, item=None, title="路灯不亮", content="晚上路灯坏了很久没人修")
    found = possible_duplicates(item=None, area=world.areas.grid, text="小区门口餐饮店油烟扰民严重")
    assert found == [first]


def test_linking_makes_the_new_appeal_follow_without_a_second_dispatch(world):
    original = new_appeal(world)
    appeal_dispatch(appeal=original, by=world.people.dispatcher)
    copy = new_appeal(world, item=None)
    linked = appeal_link_duplicate(
        appeal=copy, original=original, by=world.people.operator, reason="同一店铺"
    )
    assert linked.status == AppealStatus.LINKED
    assert linked.duplicate_of == original
    assert linked.item == world.items.fumes  # takes the original's item when it had none
    item_set = copy.events.get(action="item_set")
    assert item_set.payload == {"from": "", "to": world.items.fumes.code}
    assert not Order.objects.filter(appeal=copy).exists()
    event = copy.events.get(action="linked_duplicate")
    assert (event.from_state, event.to_state, event.reason) == ("received", "linked", "同一店铺")
    assert event.payload == {"original": original.code}
    assert original.events.filter(action="duplicate_attached", payload__duplicate=copy.code).exists()
    with pytest.raises(DomainError):
        appeal_dispatch(appeal=copy, by=world.people.dispatcher)
    assert not Order.objects.filter(appeal=copy).exists()


def test_linking_to_a_linked_appeal_links_to_its_original(world):
    original = new_appeal(world)
    second = appeal_link_duplicate(appeal=new_appeal(world), original=original, by=None)
    third = appeal_link_duplicate(appeal=new_appeal(world), original=second, by=None)
    assert third.duplicate_of == original


def test_an_appeal_cannot_be_linked_to_itself_or_to_one_of_its_own_duplicates(world):
    original = new_appeal(world)
    with pytest.raises(DomainError) as refused:
        appeal_link_duplicate(appeal=original, original=original, by=None)
    assert refused.value.field == "original"
    assert reload(original).status == AppealStatus.RECEIVED
    copy = appeal_link_duplicate(appeal=new_appeal(world), original=original, by=None)
    with pytest.raises(DomainError) as refused:
        appeal_link_duplicate(appeal=original, original=copy, by=None)
    assert refused.value.field == "original"
    original.refresh_from_db()
    assert (original.status, original.duplicate_of) == (AppealStatus.RECEIVED, None)


def test_an_appeal_cannot_be_linked_to_a_closed_one(world):
    _city, eco_order = at_eco(world)
    complete(world, eco_order)
    with pytest.raises(DomainError) as refused:
        appeal_link_duplicate(appeal=new_appeal(world), original=eco_order.appeal, by=None)
    assert refused.value.field == "original"
    answered = new_appeal(world, kind="inquiry")
    appeal_answer_at_intake(appeal=answered, answer="已答复", by=world.people.operator)
    with pytest.raises(DomainError):
        appeal_link_duplicate(appeal=new_appeal(world), original=answered, by=None)


def test_a_dispatched_appeal_cannot_be_linked(world):
    original = new_appeal(world)
    dispatched = new_appeal(world)
    appeal_dispatch(appeal=dispatched, by=world.people.dispatcher)
    with pytest.raises(DomainError) as refused:
        appeal_link_duplicate(appeal=dispatched, original=original, by=None)
    assert refused.value.field == "status"


def test_linked_appeals_complete_and_close_with_their_original(world):
    original = new_appeal(world)
    copy = appeal_link_duplicate(appeal=new_appeal(world), original=original, by=None)
    _city, eco_order = at_eco(world, original)
    assert reload(copy).status == AppealStatus.LINKED  # dispatching the original does not move it
    complete(world, eco_order)
    assert reload(original).status == AppealStatus.COMPLETED
    assert reload(copy).status == AppealStatus.COMPLETED
    follow = copy.events.get(action="follows_appeal_completed")
    assert (follow.from_state, follow.to_state, follow.reason) == ("linked", "completed", original.code)
    order_close(order=eco_order, by=None, reason="回访满意")
    assert reload(copy).status == AppealStatus.CLOSED


def test_linked_appeals_follow_again_when_the_original_is_sent_back(world):
    original = new_appeal(world)
    copy = appeal_link_duplicate(appeal=new_appeal(world), original=original, by=None)
    _city, eco_order = at_eco(world, original)
    complete(world, eco_order)
    order_send_back(order=eco_order, by=world.people.east_dispatcher, reason="回访不满意")
    assert reload(original).status == AppealStatus.DISPATCHED
    # It follows the reopened appeal again; it is not an appeal in handling of its own.
    assert reload(copy).status == AppealStatus.LINKED
    assert not Order.objects.filter(appeal=copy).exists()
    order_reply(order=eco_order, by=world.people.east_eco_handler, text="已再次整改", result="solved")
    order_review(order=eco_order, by=world.people.east_dispatcher, approve=True)
    assert reload(copy).status == AppealStatus.COMPLETED
