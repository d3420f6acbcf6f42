"""The first seed's 油烟 case, replayed: a district market-regulation bureau tries twice to give back an
order for restaurant fumes; both returns are refused, they count against it, a criticism notice is
recorded, and the event log tells the story in order."""

from yousu.appeals.services import appeal_create
from yousu.dispatch.choices import OrderStatus, RequestStatus, ReturnReason
from yousu.dispatch.models import CriticismNotice, ReturnRequest
from yousu.dispatch.services import (
    appeal_dispatch,
    criticism_notice_issue,
    order_accept,
    order_forward,
    order_reply,
    order_return_request,
    order_review,
    return_request_review,
)


def test_fumes_case(world):
    p, u = world.people, world.units
    appeal = appeal_create(
        kind="complaint",
        channel="hotline",
        title="餐饮店油烟污染严重",
        intake_unit=u.platform,
        received_by=p.operator,
        content="新城大道某餐饮店油烟污染严重，且未安装正规烟道，严重影响小区。",
        area=world.areas.grid,
        item=world.items.fumes,
        citizen_name="王某",
        citizen_phone="13800005678",
    )
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    assert city_order.unit == u.east_platform  # three-level: the city sends to the district platform
    # The district platform sends it to its market-regulation bureau instead of the catalog's choice.
    market_order = order_forward(
        order=city_order, by=p.east_dispatcher, unit=u.east_market, reason="区平台判断属市场监管"
    )
    first = order_return_request(
        order=market_order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="油烟污染不属于职责范围",
        suggested_unit=u.east_eco,
        basis_item=world.items.fumes,
    )
    assert first.status == RequestStatus.PENDING
    return_request_review(
        request=first,
        by=p.east_dispatcher,
        approve=False,
        note="生态环境部门已确认油烟净化设施齐全，餐饮店经营行为由市场监管处理",
    )
    second = order_return_request(
        order=market_order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="这是街办和社区就能解决的事情",
        suggested_unit=u.east_street,
        basis_item=world.items.fumes,
    )
    assert second.status == RequestStatus.REFUSED_BY_RULE
    assert "防止层层向基层转嫁责任" in second.review_note
    pushdown = appeal.events.get(action="pushdown_refused")
    assert (pushdown.payload["via"], pushdown.payload["unit"]) == ("return", u.east_street.code)
    refused = ReturnRequest.objects.filter(unit=u.east_market)
    assert sum(r.counts_against_unit for r in refused) == 2

    criticism_notice_issue(
        unit=u.east_market, order=market_order, by=p.supervisor, reason="首接责任制落实不力"
    )
    assert CriticismNotice.objects.filter(unit=u.east_market).count() == 1

    order_accept(order=market_order, by=p.east_market_handler)
    order_reply(
        order=market_order, by=p.east_market_handler, text="已督促餐饮店安装油烟净化设施", result="solved"
    )
    done = order_review(order=market_order, by=p.east_dispatcher, approve=True)
    assert done.status == OrderStatus.COMPLETED
    appeal.refresh_from_db()
    assert appeal.status == "completed"

    story = list(appeal.events.order_by("at", "id").values_list("action", flat=True))
    assert story == [
        "received",
        "dispatched",
        "appeal_dispatched",
        "forwarded",
        "dispatched",
        "return_requested",
        "return_refused",
        "return_requested",
        "return_refused_by_rule",
        "pushdown_refused",
        "criticism_notice",
        "accepted",
        "replied",
        "completed",
        "appeal_completed",
    ]
