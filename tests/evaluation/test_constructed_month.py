"""October 2026 for the east district's environment bureau, built through the real services with a
frozen clock; every expected figure below is counted by hand from the story, not by the code.

    order  dispatched     accepted         completed                callback (last in October)
    G      28 Sep 10:00   28 Sep (on time) 30 Oct (late)            31 Oct: not solved, unsatisfied,
                                                                            not the unit's fault
    A      12 Oct 09:00   on time          13 Oct (on time)         14 Oct: solved, satisfied
    B      12 Oct 10:00   20 Oct (late)    26 Oct (late)            27 Oct: not solved, basically
                                                                            satisfied (one unreachable)
    D      13 Oct 09:00   on time          14 Oct, callback 15 Oct unsatisfied → sent back,
                                           completed again 19 Oct (on time)  21 Oct: solved, satisfied
    E      14 Oct 09:00   —  return approved (wrong unit): not the bureau's order
    F      16 Oct 10:00   on time after its return was refused by rule; still open at the end of October
    C      29 Oct 10:00   on time          2 Nov (on time)          — (crosses the month boundary)

A sweep at 19 Oct 09:00 finds B and G past their deadlines (overdue); a criticism notice on 22 Oct.
"""

import datetime as dt

import pytest

from tests.appeals.factories import at_eco
from tests.supervision.clock import at, frozen
from yousu.dispatch.choices import ReturnReason
from yousu.dispatch.services import (
    criticism_notice_issue,
    order_accept,
    order_reply,
    order_return_request,
    order_review,
    order_send_back,
    return_request_review,
)
from yousu.evaluation.models import UnitAssessment
from yousu.supervision.sweep import sweep_time_nodes

from .helpers import assess, callback, unreachable

OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


def dispatched(world, moment):
    with frozen(moment):
        return at_eco(world)[1]


def accept(world, order, moment):
    with frozen(moment):
        return order_accept(order=order, by=world.people.east_eco_handler)


def complete(world, order, replied, approved):
    with frozen(replied):
        order = order_reply(order=order, by=world.people.east_eco_handler, text="已处理", result="solved")
    with frozen(approved):
        return order_review(order=order, by=world.people.east_dispatcher, approve=True)


@pytest.fixture
def october(world):
    p, u = world.people, world.units
    g = dispatched(world, at(2026, 9, 28, 10, 0))
    accept(world, g, at(2026, 9, 28, 11, 0))

    a = dispatched(world, at(2026, 10, 12, 9, 0))
    accept(world, a, at(2026, 10, 12, 9, 30))
    a = complete(world, a, at(2026, 10, 12, 10, 0), at(2026, 10, 13, 9, 0))
    callback(a, at(2026, 10, 14, 11, 0), solved=True, satisfaction="satisfied")

    b = dispatched(world, at(2026, 10, 12, 10, 0))

    d = dispatched(world, at(2026, 10, 13, 9, 0))
    accept(world, d, at(2026, 10, 13, 9, 30))
    d = complete(world, d, at(2026, 10, 13, 10, 0), at(2026, 10, 14, 10, 0))
    callback(d, at(2026, 10, 15, 9, 0), solved=False, satisfaction="unsatisfied", unit_caused=True)
    with frozen(at(2026, 10, 15, 10, 0)):
        d = order_send_back(order=d, by=p.dispatcher, reason="回访不满意，退回重办")

    e = dispatched(world, at(2026, 10, 14, 9, 0))
    with frozen(at(2026, 10, 14, 9, 30)):
        request = order_return_request(
            order=e, by=p.east_eco_handler, reason=ReturnReason.DUPLICATE, explanation="与另一工单重复"
        )
    with frozen(at(2026, 10, 14, 10, 0)):
        return_request_review(request=request, by=p.east_dispatcher, approve=True, note="确属重复")

    f = dispatched(world, at(2026, 10, 16, 10, 0))
    with frozen(at(2026, 10, 16, 10, 30)):
        refused = order_return_request(
            order=f,
            by=p.east_eco_handler,
            reason=ReturnReason.NOT_OUR_DUTY,
            explanation="不归我们管",
            suggested_unit=world.units.east_market,
            basis_item=world.items.fumes,
        )
    assert refused.status == "refused_by_rule"
    accept(world, f, at(2026, 10, 16, 11, 0))

    with frozen(at(2026, 10, 19, 9, 0)):
        sweep_time_nodes(now=at(2026, 10, 19, 9, 0))
    d = complete(world, d, at(2026, 10, 19, 10, 0), at(2026, 10, 19, 11, 0))
    accept(world, b, at(2026, 10, 20, 9, 0))
    callback(d, at(2026, 10, 21, 9, 0), solved=True, satisfaction="satisfied", round=2)
    with frozen(at(2026, 10, 22, 9, 0)):
        criticism_notice_issue(unit=u.east_eco, reason="首接负责落实不到位", by=p.supervisor)
    b = complete(world, b, at(2026, 10, 26, 9, 0), at(2026, 10, 26, 10, 0))
    unreachable(b, at(2026, 10, 26, 15, 0))
    callback(b, at(2026, 10, 27, 9, 0), solved=False, satisfaction="basically_satisfied")

    c = dispatched(world, at(2026, 10, 29, 10, 0))
    accept(world, c, at(2026, 10, 29, 10, 30))
    g = complete(world, g, at(2026, 10, 30, 9, 0), at(2026, 10, 30, 10, 0))
    callback(g, at(2026, 10, 31, 10, 0), solved=False, satisfaction="unsatisfied", unit_caused=False)

    complete(world, c, at(2026, 11, 2, 9, 0), at(2026, 11, 2, 10, 0))
    return world


def result(run, unit) -> UnitAssessment:
    return run.results.get(unit=unit)


def test_october_figures_of_the_environment_bureau_match_the_hand_count(october):
    run = assess(OCTOBER)
    eco = result(run, october.units.east_eco)
    # Counted by hand from the table in the module docstring.
    received = 6  # A B C D E F (G was September's)
    assessed = 5  # without E, whose return was approved
    responded = 4  # A C D F; B signed for a week late
    # A B D F dispatched in October + G carried over from September; C was still inside its completion
    # limit at the end of October, so it is carried over to November, not counted as failed.
    due = 5
    carried = 1  # C
    completed = 4  # A B D G; C completed in November, F still open (and past its limit)
    on_time = 2  # A and D (both its completions on time); B and G late
    called_back = 4  # A B D G, D counted once by its second callback
    solved = 2  # A and D's second callback
    satisfied = 3  # A D satisfied, B basically satisfied
    not_unit = 1  # G unsatisfied, not the unit's fault
    assert (eco.received, eco.assessed, eco.responded) == (received, assessed, responded)
    assert (eco.due, eco.completed, eco.completed_on_time) == (due, completed, on_time)
    assert eco.carried_over == carried and eco.awaiting_response == 0
    assert (eco.called_back, eco.solved, eco.satisfied, eco.unsatisfied_not_unit) == (
        called_back,
        solved,
        satisfied,
        not_unit,
    )
    assert eco.unreachable == 1
    assert eco.sent_back == 1  # D
    assert (eco.returns_filed, eco.returns_refused) == (2, 1)  # E (approved) and F (refused by rule)
    assert eco.overdue == 2  # B and G at the sweep of 19 October
    assert eco.criticism_notices == 1
    assert eco.response_rate == pytest.approx(responded / assessed)
    assert eco.completion_rate == pytest.approx(completed / due)
    assert eco.on_time_rate == pytest.approx(on_time / completed)
    assert eco.resolution_rate == pytest.approx(solved / called_back)
    assert eco.satisfaction_rate == pytest.approx(satisfied / (called_back - not_unit))
    # Default scheme: weights 20/20/15/20/25, deductions 1 per overdue, 2 per refused return, 5 per notice.
    earned = 20 * 4 / 5 + 20 * 4 / 5 + 15 * 2 / 4 + 20 * 2 / 4 + 25 * 3 / 3
    deduction = 2 * 1 + 1 * 2 + 1 * 5
    assert eco.deduction == pytest.approx(deduction)
    assert eco.score == pytest.approx(round(earned - deduction, 2))
    assert (eco.level, eco.kind) == ("district", "department")
    # 65.5: between the default red line (60) and yellow line (80).
    assert eco.zone == "yellow"


def test_the_order_that_crossed_the_month_boundary_is_completed_in_november(october):
    run = assess(NOVEMBER)
    eco = result(run, october.units.east_eco)
    assert eco.received == 0  # nothing new in November
    assert eco.due == 2  # C and F, open on 1 November
    assert eco.completed == 1 and eco.completed_on_time == 1  # C, on 2 November
    assert eco.completion_rate == pytest.approx(1 / 2)
    assert eco.response_rate is None  # no new order: the rate does not apply
    assert eco.called_back == 0 and eco.overdue == 0 and eco.criticism_notices == 0


def test_forwarded_orders_count_for_the_unit_that_received_them(october):
    run = assess(OCTOBER)
    east_platform = result(run, october.units.east_platform)
    # The east platform forwarded A B C D F on; it got E back (return approved) and holds it.
    assert east_platform.received == 6
    assert east_platform.assessed == 1
    # A platform dispatches and reviews: its figures are shown, it is not scored among handlers.
    assert east_platform.score is None and east_platform.rank is None
