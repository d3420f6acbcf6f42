"""Order endpoints: accept, reply, extension and return requests and their reviews, assisting
units and their part, forwarding, the platform's review, the caller's order list, and two handlers
accepting the same order at once."""

from __future__ import annotations

import datetime as dt
import threading

from django.db import connection

from yousu.dispatch import services
from yousu.dispatch.models import AssistPart, ExtensionRequest, Order, ReturnRequest
from yousu.dispatch.services import (
    appeal_dispatch,
    order_accept,
    order_extension_request,
    order_reply,
    order_return_request,
)
from yousu.org.services import person_create

from .helpers import CITIZEN_PHONE, assert_refused


def order_path(order, action=""):
    return f"/api/v1/orders/{order.pk}/" + (f"{action}/" if action else "")


def status_of(order):
    order.refresh_from_db()
    return order.status


def test_handler_accepts_their_order(api, world, handled):
    answer = api.post(order_path(handled.order, "accept"), world.people.east_eco_handler)
    assert answer.status == 200, answer.body
    assert answer.body["status"] == "accepted"
    handled.order.refresh_from_db()
    assert (handled.order.status, handled.order.accepted_by) == ("accepted", world.people.east_eco_handler)


def test_accept_is_refused_to_a_supervisor_and_unknown_to_another_unit(api, world, handled):
    assert_refused(api.post(order_path(handled.order, "accept"), world.people.supervisor), (403,))
    assert_refused(
        api.post(order_path(handled.order, "accept"), world.people.west_market_handler),
        (404,),
        handled.appeal.title,
        CITIZEN_PHONE,
    )
    assert_refused(api.get(order_path(handled.order), world.people.west_market_handler), (404,), "C-E-eco")
    assert status_of(handled.order) == "dispatched"


def test_accepting_an_accepted_order_again_names_its_status(api, world, handled):
    order_accept(order=handled.order, by=world.people.east_eco_handler)
    answer = api.post(order_path(handled.order, "accept"), world.people.east_eco_handler)
    assert answer.status == 409
    assert answer.error["field"] == "status" and answer.error["code"] == "conflict"


def test_two_handlers_accepting_at_once_get_one_acceptance_and_one_conflict(api, world, handled, monkeypatch):
    second = person_create(
        username="eve2", full_name="东区环境局承办人二", unit=world.units.east_eco, roles=["unit_handler"]
    )
    if connection.vendor == "sqlite":
        # The in-memory SQLite test database is one connection shared by the live server's threads,
        # so the two requests cannot overlap there; one after the other they must still give one
        # acceptance and one conflict. PostgreSQL runs the real race below.
        answers = [
            api.post(order_path(handled.order, "accept"), p) for p in (world.people.east_eco_handler, second)
        ]
        assert [a.status for a in answers] == [200, 409], [a.body for a in answers]
        assert answers[1].error["code"] == "conflict"
        assert handled.appeal.events.filter(action="accepted").count() == 1
        return
    # Hold both requests after they have read the order and before either claims it.
    both_read = threading.Barrier(2, timeout=10)
    transition = services._transition

    def after_both_read(*args, **kwargs):
        both_read.wait()
        return transition(*args, **kwargs)

    monkeypatch.setattr(services, "_transition", after_both_read)
    answers = []

    def accept(person):
        answers.append(api.post(order_path(handled.order, "accept"), person))

    threads = [threading.Thread(target=accept, args=(p,)) for p in (world.people.east_eco_handler, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(a.status for a in answers) == [200, 409], [a.body for a in answers]
    conflict = next(a for a in answers if a.status == 409)
    assert conflict.error["code"] == "conflict"
    assert handled.appeal.events.filter(action="accepted").count() == 1


def test_handler_replies_and_the_platform_approves(api, world, handled):
    p = world.people
    order_accept(order=handled.order, by=p.east_eco_handler)
    replied = api.post(
        order_path(handled.order, "reply"),
        p.east_eco_handler,
        {"text": "已责令安装油烟净化设施", "result": "solved"},
    )
    assert replied.status == 200, replied.body
    assert (status_of(handled.order), handled.order.reply_result) == ("replied", "solved")
    reviewed = api.post(order_path(handled.order, "review"), p.east_dispatcher, {"approve": True})
    assert reviewed.status == 200, reviewed.body
    assert status_of(handled.order) == "completed"
    handled.appeal.refresh_from_db()
    assert handled.appeal.status == "completed"


def test_reply_with_an_attachment_as_multipart(api, world, handled):
    order_accept(order=handled.order, by=world.people.east_eco_handler)
    answer = api.call(
        "POST",
        order_path(handled.order, "reply"),
        world.people.east_eco_handler,
        form={"text": "整改完毕", "result": "solved"},
        files=[("attachments", "report.pdf", b"%PDF-1.4\n" + b"0" * 64, "application/pdf")],
    )
    assert answer.status == 200, answer.body
    assert handled.appeal.attachments.get().order_id == handled.order.pk


def test_reply_and_review_are_refused_to_the_wrong_roles(api, world, handled):
    p = world.people
    order_accept(order=handled.order, by=p.east_eco_handler)
    refused = api.post(
        order_path(handled.order, "reply"), p.supervisor, {"text": "代答复", "result": "solved"}
    )
    assert_refused(refused, (403,))
    assert status_of(handled.order) == "accepted"
    order_reply(order=handled.order, by=p.east_eco_handler, text="已处理", result="solved")
    own_review = api.post(order_path(handled.order, "review"), p.east_eco_handler, {"approve": True})
    assert_refused(own_review, (403,))
    assert status_of(handled.order) == "replied"


def test_platform_sends_a_reply_back_with_a_reason(api, world, handled):
    p = world.people
    order_accept(order=handled.order, by=p.east_eco_handler)
    order_reply(order=handled.order, by=p.east_eco_handler, text="已处理", result="solved")
    no_reason = api.post(order_path(handled.order, "review"), p.east_dispatcher, {"approve": False})
    assert (no_reason.status, no_reason.error["field"]) == (400, "note")
    back = api.post(
        order_path(handled.order, "review"), p.east_dispatcher, {"approve": False, "note": "未见整改照片"}
    )
    assert back.status == 200
    assert (status_of(handled.order), handled.order.send_back_count) == ("accepted", 1)


def test_extension_request_and_its_review(api, world, handled):
    p = world.people
    until = handled.order.completion_due + dt.timedelta(days=3)
    asked = api.post(
        order_path(handled.order, "extension-request"),
        p.east_eco_handler,
        {"until": until.isoformat(), "reason": "需要协调第三方检测"},
    )
    assert asked.status == 201, asked.body
    request = ExtensionRequest.objects.get(pk=asked.body["id"])
    assert request.status == "pending"
    refused = api.post(
        f"/api/v1/extension-requests/{request.pk}/review/", p.east_eco_handler, {"approve": True}
    )
    assert_refused(refused, (403,))
    approved = api.post(
        f"/api/v1/extension-requests/{request.pk}/review/",
        p.east_dispatcher,
        {"approve": True, "note": "同意"},
    )
    assert approved.status == 200, approved.body
    handled.order.refresh_from_db()
    assert handled.order.completion_due == until
    request.refresh_from_db()
    assert request.status == "approved"


def test_extension_request_is_refused_to_a_supervisor(api, world, handled):
    until = handled.order.completion_due + dt.timedelta(days=3)
    answer = api.post(
        order_path(handled.order, "extension-request"),
        world.people.supervisor,
        {"until": until.isoformat(), "reason": "x"},
    )
    assert_refused(answer, (403,))
    assert not ExtensionRequest.objects.exists()


def test_extension_request_review_is_unknown_to_another_unit(api, world, handled):
    request = order_extension_request(
        order=handled.order,
        by=world.people.east_eco_handler,
        until=handled.order.completion_due + dt.timedelta(days=1),
        reason="需要时间",
    )
    answer = api.post(
        f"/api/v1/extension-requests/{request.pk}/review/",
        world.people.west_market_handler,
        {"approve": True},
    )
    assert_refused(answer, (404,), "需要时间")
    request.refresh_from_db()
    assert request.status == "pending"


def test_return_request_and_the_dispatchers_approval(api, world, handled):
    p = world.people
    asked = api.post(
        order_path(handled.order, "return-request"),
        p.east_eco_handler,
        {
            "reason": "wrong_area",
            "explanation": "地点在西区",
            "suggested_unit": "C-W-eco",
            "basis_item": "D1-01-01",
        },
    )
    assert asked.status == 201, asked.body
    assert asked.body["status"] == "pending"
    assert (asked.body["suggested_unit"], asked.body["basis_item"]) == ("C-W-eco", "D1-01-01")
    request = ReturnRequest.objects.get(pk=asked.body["id"])
    refused = api.post(
        f"/api/v1/return-requests/{request.pk}/review/", p.east_eco_handler, {"approve": True, "note": "x"}
    )
    assert_refused(refused, (403,))
    assert status_of(handled.order) == "dispatched"
    approved = api.post(
        f"/api/v1/return-requests/{request.pk}/review/",
        p.east_dispatcher,
        {"approve": True, "note": "确属西区"},
    )
    assert approved.status == 200, approved.body
    assert status_of(handled.order) == "returned"
    assert status_of(handled.city_order) == "accepted"  # the district platform has it again


def test_a_return_that_pushes_a_department_item_down_is_refused_by_rule(api, world, handled):
    answer = api.post(
        order_path(handled.order, "return-request"),
        world.people.east_eco_handler,
        {
            "reason": "not_our_duty",
            "explanation": "街道就能解决",
            "suggested_unit": "C-E-1",
            "basis_item": "D1-01-01",
        },
    )
    assert answer.status == 201
    assert (answer.body["status"], answer.body["counts_against_unit"]) == ("refused_by_rule", True)
    attempt = handled.appeal.events.get(action="pushdown_refused")
    assert (attempt.payload["via"], attempt.payload["unit"]) == ("return", "C-E-1")


def test_a_return_naming_nobody_is_a_400_naming_the_field(api, world, handled):
    path = order_path(handled.order, "return-request")
    body = {"reason": "not_our_duty", "explanation": "这是街办和社区就能解决的事情"}
    answer = api.post(path, world.people.east_eco_handler, body)
    assert answer.status == 400 and answer.error["field"] == "suggested_unit"
    answer = api.post(path, world.people.east_eco_handler, {**body, "suggested_unit": "C-E-market"})
    assert answer.status == 400 and answer.error["field"] == "basis_item"
    assert not ReturnRequest.objects.exists()


def test_the_dispatcher_lets_the_unit_file_one_more_return(api, world, handled):
    p = world.people
    path = order_path(handled.order, "return-request")
    body = {
        "reason": "wrong_area",
        "explanation": "地点在西区",
        "suggested_unit": "C-W-eco",
        "basis_item": "D1-01-01",
    }
    first = api.post(path, p.east_eco_handler, body).body
    review = f"/api/v1/return-requests/{first['id']}/review/"
    refused = api.post(review, p.east_dispatcher, {"approve": False, "note": "地点在东区"})
    assert (refused.status, refused.body["may_file_again"]) == (200, False)
    second = api.post(path, p.east_eco_handler, body)
    assert second.body["status"] == "refused_by_rule"  # one return per order and unit
    reopen = f"/api/v1/return-requests/{second.body['id']}/reopen/"
    assert_refused(api.post(reopen, p.east_eco_handler, {"note": "让我再申请"}), (403,))
    assert api.post(reopen, p.east_dispatcher, {}).error["field"] == "note"
    reopened = api.post(reopen, p.east_dispatcher, {"note": "可以补充材料后重新申请"})
    assert (reopened.status, reopened.body["may_file_again"]) == (200, True), reopened.body
    third = api.post(path, p.east_eco_handler, body)
    assert third.body["status"] == "pending"
    again = api.post(
        f"/api/v1/return-requests/{third.body['id']}/review/",
        p.east_dispatcher,
        {"approve": False, "note": "仍在东区", "may_file_again": True},
    )
    assert again.body["may_file_again"] is True


def test_return_request_is_refused_to_a_supervisor_and_unknown_elsewhere(api, world, handled):
    body = {"reason": "wrong_area", "explanation": "不在辖区"}
    assert_refused(
        api.post(order_path(handled.order, "return-request"), world.people.supervisor, body), (403,)
    )
    assert_refused(
        api.post(order_path(handled.order, "return-request"), world.people.west_market_handler, body), (404,)
    )
    request = order_return_request(
        order=handled.order,
        by=world.people.east_eco_handler,
        reason="wrong_area",
        explanation="不在辖区",
        suggested_unit=world.units.west_eco,
        basis_item=world.items.fumes,
    )
    review = api.post(
        f"/api/v1/return-requests/{request.pk}/review/",
        world.people.west_market_handler,
        {"approve": True, "note": "x"},
    )
    assert_refused(review, (404,), "不在辖区")
    assert ReturnRequest.objects.get().status == "pending"


def test_platform_adds_an_assisting_unit_which_submits_its_part(api, world, handled):
    p = world.people
    added = api.post(
        order_path(handled.order, "assist"),
        p.east_dispatcher,
        {"unit": "C-E-market", "reason": "涉及餐饮经营"},
    )
    assert added.status == 201, added.body
    assist = Order.objects.get(pk=added.body["id"])
    assert (assist.unit, assist.role, assist.parent) == (world.units.east_market, "assist", handled.order)
    order_accept(order=assist, by=p.east_market_handler)
    lead_unit_tries = api.post(order_path(assist, "assist-part"), p.east_eco_handler, {"text": "代提交"})
    assert_refused(lead_unit_tries, (403,))
    part = api.post(order_path(assist, "assist-part"), p.east_market_handler, {"text": "已检查营业执照"})
    assert part.status == 200, part.body
    assert AssistPart.objects.get(order=assist).text == "已检查营业执照"
    assert status_of(assist) == "replied"


def test_a_handler_may_not_add_assisting_units(api, world, handled):
    answer = api.post(
        order_path(handled.order, "assist"), world.people.east_eco_handler, {"unit": "C-E-market"}
    )
    assert_refused(answer, (403,))
    assert Order.objects.filter(role="assist").count() == 0


def test_district_platform_forwards_and_a_department_may_not(api, world, received):
    p = world.people
    platform_order = appeal_dispatch(appeal=received, by=p.dispatcher)
    assert_refused(api.post(order_path(platform_order, "forward"), p.supervisor, {}), (403,))
    assert status_of(platform_order) == "dispatched"
    forwarded = api.post(order_path(platform_order, "forward"), p.east_dispatcher, {})
    assert forwarded.status == 201, forwarded.body
    assert forwarded.body["unit"] == "C-E-eco"
    assert status_of(platform_order) == "forwarded"
    department_order = Order.objects.get(pk=forwarded.body["id"])
    bounce = api.post(
        order_path(department_order, "forward"), p.east_eco_handler, {"unit": "C-E-1", "reason": "x"}
    )
    assert bounce.status == 400
    assert bounce.error["field"] == "unit"
    assert status_of(department_order) == "dispatched"


def test_order_list_is_the_callers_unit_and_filters_by_status(api, world, handled):
    p = world.people
    mine = api.get("/api/v1/orders/", p.east_eco_handler)
    assert mine.status == 200
    assert [o["id"] for o in mine.body["results"]] == [handled.order.pk]
    assert api.get("/api/v1/orders/?status=accepted", p.east_eco_handler).body["results"] == []
    assert api.get("/api/v1/orders/?status=dispatched", p.east_eco_handler).body["count"] == 1
    assert api.get("/api/v1/orders/", p.west_market_handler).body["results"] == []
    assert api.get(order_path(handled.order), p.east_eco_handler).body["unit"] == "C-E-eco"
