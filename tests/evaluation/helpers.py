"""Builders of the assessment tests: callback events as the callback desk writes them (the contract
of `callback_done` / `callback_unreachable`), and the month's assessment under a frozen clock."""

from __future__ import annotations

from tests.supervision.clock import at, frozen
from yousu.appeals.events import record_event
from yousu.evaluation.assessment import assess_month


def callback(order, moment, *, solved: bool, satisfaction: str, unit_caused: bool = True, round: int = 1):
    return record_event(
        order.appeal,
        "callback_done",
        order_id=order.pk,
        at=moment,
        payload={
            "unit": order.unit.code,
            "solved": solved,
            "satisfaction": satisfaction,
            "unit_caused": unit_caused,
            "channel": "hotline",
            "round": round,
        },
    )


def unreachable(order, moment, attempts: int = 3):
    return record_event(
        order.appeal,
        "callback_unreachable",
        order_id=order.pk,
        at=moment,
        payload={"unit": order.unit.code, "attempts": attempts},
    )


def assess(month, **kwargs):
    """Assess `month` at 03:00 on the 1st of the month after it (as the monthly job would)."""
    following = (
        month.replace(year=month.year + 1, month=1)
        if month.month == 12
        else month.replace(month=month.month + 1)
    )
    with frozen(at(following.year, following.month, 1, 3, 0)):
        return assess_month(month=month, **kwargs)
