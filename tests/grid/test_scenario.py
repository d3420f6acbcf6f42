"""The second seed's path, end to end (未诉先办): a community finds a problem and puts it in its daily
report, the street studies it and sends it up, the district dispatches it to two departments jointly,
a joint meeting records a decision, and the problem is solved; the figures count it as found before
any complaint and solved jointly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yousu.appeals.choices import AppealStatus, Channel
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.selectors import dispatch_queue
from yousu.dispatch.services import order_accept, order_reply, order_review, order_submit_assist_part
from yousu.grid.choices import DecisionKind, HandlingMode, StreetDecision
from yousu.grid.models import MeetingDecision
from yousu.grid.selectors import proactive_figures, problems_for_district, problems_to_study
from yousu.grid.services import daily_report_submit, joint_meeting_record, problem_dispatch, problem_study

pytestmark = pytest.mark.django_db


def test_found_studied_sent_up_dispatched_jointly_pushed_by_a_meeting_and_solved(grid):
    w = grid.world
    a, u, p = w.areas, w.units, w.people
    today = timezone.localdate()

    # 1. The community's party organisation finds the problem and reports it that day.
    report = daily_report_submit(
        community=u.east_community,
        day=today,
        by=grid.secretary,
        problems=[
            {
                "text": "东一社区第1网格沿街多家餐馆油烟直排，居民楼外墙熏黑，尚无居民投诉",
                "kind": grid.pollution,
                "area": a.grid,
                "address": "东一路 8 号",
            }
        ],
    )
    (problem,) = report.problems.all()
    assert problem.before_complaint
    assert list(problems_to_study(u.east_street)) == [problem]
    # Not yet an appeal: nobody dispatches it before the street has studied it.
    assert problem.appeal is None

    # 2. The street studies it (会商研判) and sends it up: a street cannot make restaurants comply.
    problem = problem_study(
        problem=problem,
        by=p.street_leader,
        decision=StreetDecision.SEND_UP,
        reason="涉及餐饮油烟执法和市场主体监管，超出街道能力",
    )
    appeal = problem.appeal
    assert appeal.channel == Channel.PROACTIVE
    assert appeal.status == AppealStatus.RECEIVED
    assert appeal.item == w.items.fumes
    assert list(problems_to_study(u.east_street)) == []
    assert list(problems_for_district(u.east_platform)) == [problem]
    assert appeal in dispatch_queue(u.east_platform)

    # 3. The district studies it and dispatches to two departments jointly (联办).
    lead, joint = problem_dispatch(
        problem=problem,
        by=p.east_dispatcher,
        units=[u.east_eco, u.east_market],
        mode=HandlingMode.JOINT,
        reason="",
    )
    assert (lead.unit, lead.role) == (u.east_eco, OrderRole.LEAD)
    assert (joint.unit, joint.role) == (u.east_market, OrderRole.JOINT)
    assert list(problems_for_district(u.east_platform)) == []

    # 4. A joint meeting pushes it: the street organises the shops, by a deadline.
    due = timezone.now() + dt.timedelta(days=3)
    meeting = joint_meeting_record(
        by=p.east_dispatcher,
        convened_by=u.east_platform,
        held_on=today,
        title="东一社区餐饮油烟问题联席会议",
        attendees=[u.east_eco, u.east_market, u.east_street],
        minutes="环境局负责执法检测，市场监管局督促安装净化设施，街道组织商户整改。",
        matters=[
            {
                "appeal": appeal,
                "discussion": "三家餐馆未安装油烟净化器",
                "decisions": [
                    {
                        "kind": DecisionKind.ORDER,
                        "text": "组织商户三日内整改",
                        "owner": u.east_street,
                        "due": due,
                    },
                    {
                        "kind": DecisionKind.ORDER,
                        "text": "督促安装净化设施",
                        "owner": u.east_market,
                        "due": due,
                    },
                ],
            }
        ],
    )
    street_decision, market_decision = MeetingDecision.objects.filter(matter__meeting=meeting).order_by("id")
    street_order = street_decision.order
    assert (street_order.unit, street_order.role, street_order.status) == (
        u.east_street,
        OrderRole.JOINT,
        OrderStatus.DISPATCHED,
    )
    # The decision's deadline is the order's deadline: supervised like any order.
    assert street_order.completion_due == due
    assert street_order.next_node_at is not None
    assert market_decision.order == joint
    assert appeal.events.filter(action="joint_meeting").count() == 1

    # 5. Everyone does their part; the lead replies and the district approves: solved.
    order_accept(order=lead, by=p.east_eco_handler)
    order_accept(order=joint, by=p.east_market_handler)
    order_accept(order=street_order, by=p.east_street_handler)
    order_submit_assist_part(order=joint, by=p.east_market_handler, text="三家餐馆已安装净化器")
    order_submit_assist_part(order=street_order, by=p.east_street_handler, text="已组织商户整改并签订承诺书")
    order_reply(
        order=lead,
        by=p.east_eco_handler,
        text="经检测油烟排放已达标，问题已解决。联系人：东区环境局，电话 12345。",
        result="solved",
    )
    order_review(order=lead, by=p.east_dispatcher, approve=True, note="同意", confirm_low_score=True)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.COMPLETED

    # 6. The figures: found before any complaint, solved jointly — at street, district and community.
    (street_row,) = proactive_figures(start=today, end=today, level="street")
    assert street_row["area"] == "东一街道"
    assert street_row["found"] == 1
    assert street_row["from_daily_reports"] == 1
    assert street_row["before_complaint"] == 1
    assert street_row["before_complaint_share"] == 1.0
    assert street_row["solved"] == 1
    assert (street_row["solved_self"], street_row["solved_assisted"], street_row["solved_joint"]) == (0, 0, 1)
    assert street_row["median_hours_to_solve"] is not None
    assert street_row["daily_reports"] == 1
    (district_row,) = proactive_figures(start=today, end=today, level="district")
    assert (district_row["area"], district_row["solved_joint"]) == ("东区", 1)
    (community_row,) = proactive_figures(start=today, end=today, level="community")
    assert community_row["area"] == "东一社区"
