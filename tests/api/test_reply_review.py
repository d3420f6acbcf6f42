"""Reply review over HTTP: the reviewing dispatcher sees the reply's score on the order, and approving
a low-scored reply needs confirm_low_score."""

from __future__ import annotations

import pytest

from yousu.dispatch.services import order_accept

from .helpers import assert_refused

GOOD_REPLY = (
    "经核实，新城大道某餐饮店油烟直排、油烟污染严重问题属实。根据《大气污染防治法》规定，已责令该餐饮店"
    "安装油烟净化设施，油烟污染已整改。如有疑问请联系，联系电话：0731-84567890。"
)
POOR_REPLY = "已收悉。"


@pytest.fixture(autouse=True)
def threshold(settings):
    # The live server runs in this process, so it reads the same settings.
    settings.YOUSU_REPLY_REVIEW_LOW_SCORE = 60


def order_path(order, action=""):
    return f"/api/v1/orders/{order.pk}/" + (f"{action}/" if action else "")


def reply(api, world, handled, text):
    order_accept(order=handled.order, by=world.people.east_eco_handler)
    answer = api.post(
        order_path(handled.order, "reply"), world.people.east_eco_handler, {"text": text, "result": "solved"}
    )
    assert answer.status == 200, answer.body
    return answer


def test_the_reply_answer_and_the_order_show_the_score(api, world, handled):
    replied = reply(api, world, handled, GOOD_REPLY)
    review = replied.body["reply_review"]
    assert review["low"] is False and review["total"] >= 60
    assert review["basis_given"] == {"passed": True, "evidence": "《大气污染防治法》"}
    seen = api.get(order_path(handled.order), world.people.east_dispatcher)
    assert seen.status == 200 and seen.body["reply_review"] == review
    approved = api.post(order_path(handled.order, "review"), world.people.east_dispatcher, {"approve": True})
    assert approved.status == 200, approved.body
    assert approved.body["status"] == "completed"


def test_an_order_not_yet_replied_has_no_score(api, world, handled):
    seen = api.get(order_path(handled.order), world.people.east_eco_handler)
    assert seen.status == 200 and seen.body["reply_review"] is None


def test_approving_a_low_score_needs_confirm_low_score(api, world, handled):
    review = reply(api, world, handled, POOR_REPLY).body["reply_review"]
    assert review["low"] is True and "答复未说明办理结果" in review["reasons"]

    refused = api.post(order_path(handled.order, "review"), world.people.east_dispatcher, {"approve": True})
    assert_refused(refused, (400,))
    assert refused.error["field"] == "confirm_low_score"
    assert str(review["total"]) in refused.error["message"]
    handled.order.refresh_from_db()
    assert handled.order.status == "replied"
    assert not handled.appeal.events.filter(action="completed").exists()

    confirmed = api.post(
        order_path(handled.order, "review"),
        world.people.east_dispatcher,
        {"approve": True, "confirm_low_score": True, "note": "已电话核实"},
    )
    assert confirmed.status == 200, confirmed.body
    assert confirmed.body["status"] == "completed"
    event = handled.appeal.events.get(action="completed", order_id=handled.order.pk)
    assert event.payload["low_score_confirmed"] is True


def test_sending_a_low_score_back_needs_no_confirmation(api, world, handled):
    reply(api, world, handled, POOR_REPLY)
    back = api.post(
        order_path(handled.order, "review"),
        world.people.east_dispatcher,
        {"approve": False, "note": "请说明结果"},
    )
    assert back.status == 200, back.body
    assert back.body["status"] == "accepted"


def test_confirm_low_score_must_be_a_boolean(api, world, handled):
    reply(api, world, handled, POOR_REPLY)
    bad = api.post(
        order_path(handled.order, "review"),
        world.people.east_dispatcher,
        {"approve": True, "confirm_low_score": "perhaps"},
    )
    assert_refused(bad, (400,))
    assert bad.error["field"] == "confirm_low_score"
    handled.order.refresh_from_db()
    assert handled.order.status == "replied"
