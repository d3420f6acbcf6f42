"""Joint meetings (联席会议): decisions become orders or consultation outcomes, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import OrderRole
from yousu.dispatch.consultations import consultation_open
from yousu.grid.choices import DecisionKind
from yousu.grid.models import JointMeeting, MeetingDecision
from yousu.grid.services import grid_report_create, joint_meeting_record, problem_dispatch

pytestmark = pytest.mark.django_db


def _waiting_appeal(grid):
    return grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="沿街餐馆油烟直排",
        mode="assisted",
        grid=grid.world.areas.grid,
    )


def _meeting(grid, appeal, decisions, **overrides):
    w = grid.world
    arguments = {
        "by": w.people.east_dispatcher,
        "convened_by": w.units.east_platform,
        "held_on": timezone.localdate(),
        "title": "油烟问题联席会议",
        "attendees": [w.units.east_eco, w.units.east_market],
        "minutes": "研究分工",
        "matters": [{"appeal": appeal, "discussion": "谁来牵头", "decisions": decisions}],
    }
    arguments.update(overrides)
    return joint_meeting_record(**arguments)


def test_a_decision_on_an_undispatched_appeal_dispatches_it_to_the_owner(grid):
    w = grid.world
    appeal = _waiting_appeal(grid).appeal
    due = timezone.now() + dt.timedelta(days=5)
    meeting = _meeting(
        grid,
        appeal,
        [{"kind": DecisionKind.ORDER, "text": "环境局牵头执法", "owner": w.units.east_eco, "due": due}],
    )
    decision = MeetingDecision.objects.get(matter__meeting=meeting)
    assert (decision.order.unit, decision.order.role) == (w.units.east_eco, OrderRole.LEAD)
    assert set(meeting.attendees.all()) == {w.units.east_eco, w.units.east_market}


def test_a_decision_becomes_the_outcome_of_the_appeal_s_open_consultation(grid):
    w = grid.world
    appeal = _waiting_appeal(grid).appeal
    consultation = consultation_open(
        item=w.items.fumes,
        topic="油烟由谁牵头",
        parties=[w.units.east_eco, w.units.east_market],
        by=w.people.east_dispatcher,
        appeal=appeal,
    )
    due = timezone.now() + dt.timedelta(days=5)
    meeting = _meeting(
        grid,
        appeal,
        [
            {
                "kind": DecisionKind.CONSULTATION,
                "text": "市场监管局牵头",
                "owner": w.units.east_market,
                "due": due,
            }
        ],
    )
    decision = MeetingDecision.objects.get(matter__meeting=meeting)
    consultation.refresh_from_db()
    assert decision.consultation == consultation
    assert consultation.decided_at is not None and consultation.lead_unit == w.units.east_market
    assert decision.order is not None and decision.order.unit == w.units.east_market


def test_a_consultation_decision_without_an_open_consultation_is_refused_and_nothing_is_kept(grid):
    w = grid.world
    appeal = _waiting_appeal(grid).appeal
    due = timezone.now() + dt.timedelta(days=5)
    with pytest.raises(DomainError) as refused:
        _meeting(
            grid,
            appeal,
            [
                {"kind": DecisionKind.ORDER, "text": "环境局牵头", "owner": w.units.east_eco, "due": due},
                {
                    "kind": DecisionKind.CONSULTATION,
                    "text": "会商结论",
                    "owner": w.units.east_market,
                    "due": due,
                },
            ],
        )
    assert refused.value.field == "matters[0].decisions[1].kind"
    assert not JointMeeting.objects.exists()
    assert appeal.orders.count() == 0


def test_a_meeting_needs_its_convener_s_staff_a_past_date_and_decisions_with_a_future_deadline(grid):
    w = grid.world
    problem = _waiting_appeal(grid)
    (lead,) = problem_dispatch(
        problem=problem, by=w.people.east_dispatcher, units=[w.units.east_eco], mode="assisted"
    )
    due = timezone.now() + dt.timedelta(days=2)
    decision = {
        "kind": DecisionKind.ORDER,
        "text": "市场监管局配合",
        "owner": w.units.east_market,
        "due": due,
    }
    with pytest.raises(PermissionRefused):
        _meeting(grid, problem.appeal, [decision], by=w.people.street_leader)
    with pytest.raises(DomainError) as refused:
        _meeting(grid, problem.appeal, [decision], held_on=timezone.localdate() + dt.timedelta(days=1))
    assert refused.value.field == "held_on"
    late = dict(decision, due=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(DomainError) as refused:
        _meeting(grid, problem.appeal, [late])
    assert refused.value.field == "matters[0].decisions[0].due"
    with pytest.raises(DomainError) as refused:
        _meeting(grid, problem.appeal, [dict(decision, owner=w.units.east_platform)])
    assert refused.value.field == "matters[0].decisions[0].owner"
    with pytest.raises(DomainError) as refused:
        _meeting(grid, problem.appeal, [decision], convened_by=w.units.west_platform, by=w.people.dispatcher)
    assert refused.value.field in ("by", "matters[0].appeal")
    assert not JointMeeting.objects.exists()
    # Valid: the market department joins the lead as a joint unit, on the meeting's deadline.
    meeting = _meeting(grid, problem.appeal, [decision])
    joint = MeetingDecision.objects.get(matter__meeting=meeting).order
    assert (joint.unit, joint.role, joint.parent) == (w.units.east_market, OrderRole.JOINT, lead)
    assert joint.completion_due == due
