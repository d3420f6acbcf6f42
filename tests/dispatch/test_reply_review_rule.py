"""Reply review (答复质量评分) in handling: the reply stores its score, and a low-scored reply is
approved only when the reviewing dispatcher confirms it."""

from __future__ import annotations

import pytest

from tests.appeals.factories import at_eco, reload
from yousu.core.errors import DomainError
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.models import Order
from yousu.dispatch.services import order_accept, order_reply, order_review
from yousu.intelligence.reply_review import SCORER_VERSION

# About the factories' appeal (餐饮店油烟扰民 / 油烟直排), with result, basis and contact.
GOOD_REPLY = (
    "经核实，楼下餐饮店油烟直排扰民问题属实。根据《大气污染防治法》规定，已责令餐饮店安装油烟净化设施，"
    "油烟直排问题已整改。如有疑问请联系，联系电话：0731-84567890。"
)
POOR_REPLY = "已收悉。"


@pytest.fixture(autouse=True)
def threshold(settings):
    # The test settings turn the rule off for the rest of the suite; here it runs as in production.
    settings.YOUSU_REPLY_REVIEW_LOW_SCORE = 60


def replied(world, text: str) -> Order:
    _city, order = at_eco(world)
    order = order_accept(order=order, by=world.people.east_eco_handler)
    return order_reply(order=order, by=world.people.east_eco_handler, text=text, result="solved")


def events(order: Order, action: str):
    return order.appeal.events.filter(order_id=order.pk, action=action)


def test_the_reply_stores_its_score_at_reply_time(world):
    order = reload(replied(world, GOOD_REPLY))
    review = order.reply_review
    assert review["version"] == SCORER_VERSION
    assert review["total"] >= 60 and review["low"] is False and review["threshold"] == 60
    assert review["result_stated"]["passed"] and review["basis_given"]["passed"]
    assert review["contact_given"]["evidence"] == "联系电话：0731-84567890"
    assert review["on_time"] is True
    payload = events(order, "replied").get().payload
    assert (payload["reply_score"], payload["reply_score_low"]) == (review["total"], False)


def test_a_high_score_is_approved_without_confirmation(world):
    order = replied(world, GOOD_REPLY)
    done = order_review(order=order, by=world.people.east_dispatcher, approve=True)
    assert done.status == OrderStatus.COMPLETED
    assert "low_score_confirmed" not in events(order, "completed").get().payload


def test_approving_a_low_score_without_confirmation_is_refused_and_changes_nothing(world):
    order = reload(replied(world, POOR_REPLY))
    assert order.reply_review["low"] is True
    version = order.version
    with pytest.raises(DomainError) as refused:
        order_review(order=order, by=world.people.east_dispatcher, approve=True)
    assert refused.value.field == "confirm_low_score"
    message = refused.value.message
    assert str(order.reply_review["total"]) in message
    assert all(reason in message for reason in order.reply_review["reasons"])
    order = reload(order)
    assert (order.status, order.version, order.completed_at) == (OrderStatus.REPLIED, version, None)
    assert not events(order, "completed").exists()
    assert order.appeal.status != "completed"


def test_approving_a_low_score_with_confirmation_completes_and_records_it(world):
    order = replied(world, POOR_REPLY)
    done = order_review(
        order=order, by=world.people.east_dispatcher, approve=True, confirm_low_score=True, note="已电话核实"
    )
    assert done.status == OrderStatus.COMPLETED
    payload = events(order, "completed").get().payload
    assert payload["low_score_confirmed"] is True
    assert payload["reply_score"] == reload(order).reply_review["total"]


def test_sending_a_low_score_back_needs_no_confirmation(world):
    order = replied(world, POOR_REPLY)
    back = order_review(order=order, by=world.people.east_dispatcher, approve=False, note="请说明办理结果")
    assert (back.status, back.send_back_count) == (OrderStatus.ACCEPTED, 1)


def test_the_new_reply_after_a_send_back_is_scored_again(world):
    order = replied(world, POOR_REPLY)
    order_review(order=order, by=world.people.east_dispatcher, approve=False, note="请说明办理结果")
    again = order_reply(order=order, by=world.people.east_eco_handler, text=GOOD_REPLY, result="solved")
    assert reload(again).reply_review["low"] is False
    assert order_review(order=again, by=world.people.east_dispatcher, approve=True).status == "completed"


def test_an_order_replied_before_scoring_existed_is_reviewed_as_before(world):
    order = replied(world, POOR_REPLY)
    Order.objects.filter(pk=order.pk).update(reply_review=None)
    done = order_review(order=reload(order), by=world.people.east_dispatcher, approve=True)
    assert done.status == OrderStatus.COMPLETED


def test_with_the_rule_off_nothing_is_low(world, settings):
    settings.YOUSU_REPLY_REVIEW_LOW_SCORE = 0
    order = replied(world, POOR_REPLY)
    assert reload(order).reply_review["low"] is False
    assert order_review(order=order, by=world.people.east_dispatcher, approve=True).status == "completed"
