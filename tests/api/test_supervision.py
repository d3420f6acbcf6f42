"""Supervision endpoints: the desk's lists, urge and supervision order on an order, answering and
closing a supervision order, pausing and resuming an order's clock — each for a role that may and
one that may not."""

from __future__ import annotations

from tests.appeals.factories import staff
from tests.supervision.clock import at, frozen
from yousu.dispatch.models import ClockPause
from yousu.dispatch.services import appeal_dispatch, order_accept, order_forward
from yousu.supervision.models import SupervisionOrder, Urge
from yousu.supervision.services import supervision_order_issue

from .helpers import assert_refused, make_appeal


def dispatched_on_tuesday(world):
    with frozen(at(2026, 3, 10, 10, 0)):
        city_order = appeal_dispatch(appeal=make_appeal(world), by=world.people.dispatcher)
        return order_forward(order=city_order, by=world.people.east_dispatcher)


def test_the_desk_lists_overdue_orders_and_counts_them_by_unit(api, world, handled):
    p = world.people
    late = dispatched_on_tuesday(world)  # long overdue by now
    answer = api.get("/api/v1/supervision/watchlist/?state=overdue", p.supervisor)
    assert answer.status == 200, answer.body
    rows = answer.body["results"]
    assert [row["id"] for row in rows] == [late.pk]
    assert rows[0]["watch_state"] == "overdue" and rows[0]["unit"] == world.units.east_eco.code
    units = api.get("/api/v1/supervision/units/", p.supervisor)
    assert units.status == 200
    assert units.body == [
        {
            "unit_code": world.units.east_eco.code,
            "unit_name": world.units.east_eco.name,
            "overdue": 1,
            "due_soon": 0,
            "paused": 0,
            "open_supervision_orders": 0,
        }
    ]
    # Another district's handler sees none of it; a bad filter names the field.
    assert api.get("/api/v1/supervision/watchlist/", p.west_market_handler).body["results"] == []
    bad = api.get("/api/v1/supervision/watchlist/?state=late", p.supervisor)
    assert bad.status == 400 and bad.error["field"] == "state"
    assert api.get("/api/v1/supervision/watchlist/").status in (401, 403)


def test_a_supervisor_urges_and_a_handler_may_not(api, world, handled):
    path = f"/api/v1/orders/{handled.order.pk}/urge/"
    answer = api.post(path, world.people.supervisor, {"text": "请今天内签收"})
    assert answer.status == 201, answer.body
    assert answer.body["unit"] == world.units.east_eco.code and answer.body["node"] == ""
    assert_refused(api.post(path, world.people.east_eco_handler, {"text": "催"}), (403,))
    assert_refused(api.post(path, world.people.west_market_handler, {"text": "催"}), (404,))
    empty = api.post(path, world.people.supervisor, {"text": ""})
    assert empty.status == 400 and empty.error["field"] == "text"
    assert Urge.objects.count() == 1


def test_supervision_order_escalates_is_answered_by_the_leader_and_closed(api, world, handled):
    leader = staff(world.units.east_eco, "eco-leader", "unit_leader")
    path = f"/api/v1/orders/{handled.order.pk}/supervision-order/"
    assert_refused(api.post(path, world.people.east_eco_handler, {"reason": "督办"}), (403,))
    answer = api.post(path, world.people.supervisor, {"reason": "群众多次反映", "escalate": True})
    assert answer.status == 201, answer.body
    assert answer.body["escalated_to"] == world.units.east_platform.code and answer.body["status"] == "open"
    supervision = f"/api/v1/supervision-orders/{answer.body['id']}/"
    # The escalated-to platform and the supervised unit see it; another district does not.
    assert api.get(supervision, world.people.east_dispatcher).status == 200
    assert api.get(supervision, leader).status == 200
    assert_refused(api.get(supervision, world.people.west_market_handler), (404,))
    listed = api.get("/api/v1/supervision-orders/?status=open", leader)
    assert [row["id"] for row in listed.body["results"]] == [answer.body["id"]]

    assert_refused(
        api.post(supervision + "answer/", world.people.east_eco_handler, {"answer": "在办"}), (403,)
    )
    answered = api.post(supervision + "answer/", leader, {"answer": "已安排专人，明日办结"})
    assert answered.status == 200 and answered.body["status"] == "answered"
    assert_refused(api.post(supervision + "close/", leader, {"note": "自己销号"}), (403,))
    closed = api.post(supervision + "close/", world.people.supervisor, {"note": "同意"})
    assert closed.status == 200 and closed.body["status"] == "closed"
    assert SupervisionOrder.objects.get().closed_by == world.people.supervisor


def test_the_handler_pauses_and_resumes_and_another_unit_may_not(api, world, handled):
    handler = world.people.east_eco_handler
    order_accept(order=handled.order, by=handler)
    pause = f"/api/v1/orders/{handled.order.pk}/pause/"
    bad = api.post(pause, handler, {"reason": "lunch", "explanation": "x"})
    assert bad.status == 400 and bad.error["field"] == "reason"
    assert_refused(
        api.post(
            pause, world.people.east_market_handler, {"reason": "waiting_for_citizen", "explanation": "x"}
        ),
        (404,),
    )
    answer = api.post(pause, handler, {"reason": "waiting_for_citizen", "explanation": "等待群众补充照片"})
    assert answer.status == 200, answer.body
    assert answer.body["paused_at"] is not None and answer.body["next_node"] == ""
    again = api.post(pause, handler, {"reason": "waiting_for_citizen", "explanation": "再次"})
    assert again.status == 409
    resumed = api.post(f"/api/v1/orders/{handled.order.pk}/resume/", handler, {"note": "群众已补充"})
    assert resumed.status == 200 and resumed.body["paused_at"] is None
    assert ClockPause.objects.get().ended_by == handler


def test_a_supervision_order_listed_for_the_supervisor_by_unit(api, world, handled):
    supervision_order_issue(order=handled.order, by=world.people.supervisor, reason="督办")
    answer = api.get(f"/api/v1/supervision-orders/?unit={world.units.east_eco.code}", world.people.supervisor)
    assert answer.status == 200 and len(answer.body["results"]) == 1
    unknown = api.get("/api/v1/supervision-orders/?unit=NOPE", world.people.supervisor)
    assert unknown.status == 400 and unknown.error["field"] == "unit"
