"""What a citizen sees of their own appeal on the portal: its progress in plain words, the reply once
the platform has approved it, and whether they may rate it now.

Built from the event log and the orders, and only from what concerns the citizen: the steps carry the
handling unit's name but never a member of staff, and no reason, note or internal review is shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.models import Appeal, Event
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.models import Order

from .choices import CallbackStatus, Satisfaction
from .models import Callback
from .services import citizen_callback, citizen_lead_order


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    text: str
    # done: a step reached; final: the appeal ended; back: the handling went back a step.
    tone: str = "done"


@dataclass(frozen=True)
class Reply:
    unit: str
    text: str
    at: dt.datetime | None


@dataclass(frozen=True)
class Progress:
    appeal: Appeal
    steps: list[Step]
    reply: Reply | None
    # open: the citizen may rate now; done: rated (see rating); closed: no rating any more; "": not yet.
    rating_state: str
    rating: Callback | None


def _order_step(event: Event, order: Order) -> Step | None:
    unit = order.unit.name
    texts = {
        "dispatched": (_("已转交 %(unit)s 办理") % {"unit": unit}, "done"),
        "accepted": (_("%(unit)s 已签收，正在办理") % {"unit": unit}, "done"),
        "replied": (_("%(unit)s 已答复，平台审核中") % {"unit": unit}, "done"),
        "completed": (_("平台审核通过，已办结"), "final"),
        "sent_back": (_("要求 %(unit)s 重新办理") % {"unit": unit}, "back"),
        "extension_approved": (_("%(unit)s 申请延期办理，已获批准") % {"unit": unit}, "done"),
        "return_approved": (_("重新确定承办单位"), "back"),
    }
    found = texts.get(event.action)
    return Step(at=event.at, text=found[0], tone=found[1]) if found else None


def _appeal_step(event: Event, appeal: Appeal) -> Step | None:
    action = event.action.removeprefix("follows_")
    if action == "received":
        channel = Channel(appeal.channel).label if appeal.channel in Channel.values else ""
        return Step(at=event.at, text=_("已受理您的诉求（%(channel)s）") % {"channel": channel})
    texts = {
        "answered_at_intake": (_("已当场答复，办结"), "final"),
        "linked_duplicate": (_("与反映同一问题的诉求合并办理"), "done"),
        "appeal_reopened": (_("根据回访意见重新办理"), "back"),
        "appeal_back_to_dispatch": (_("重新确定承办单位"), "back"),
        "appeal_dispatch_withdrawn": (_("重新确定承办单位"), "back"),
        "appeal_closed": (_("已结案"), "final"),
        "callback_done": (None, "done"),
    }
    if action == "appeal_completed" and event.action.startswith("follows_"):
        # A linked appeal has no orders of its own: its completion is its only sign of the handling.
        return Step(at=event.at, text=_("已办结"), tone="final")
    found = texts.get(action)
    if found is None:
        return None
    if action == "callback_done":
        satisfaction = event.payload.get("satisfaction", "")
        label = Satisfaction(satisfaction).label if satisfaction in Satisfaction.values else ""
        return Step(at=event.at, text=_("您已评价：%(satisfaction)s") % {"satisfaction": label})
    return Step(at=event.at, text=found[0], tone=found[1])


def citizen_progress(appeal: Appeal) -> Progress:
    handled = appeal
    while handled.duplicate_of_id:
        handled = handled.duplicate_of
    # Only the lead orders: assisting units work for the lead unit, which answers the citizen.
    orders = {
        order.pk: order
        for order in Order.objects.filter(appeal=handled, role=OrderRole.LEAD).select_related("unit")
    }
    steps = []
    for event in Event.objects.filter(appeal=appeal).order_by("at", "id"):
        if event.order_id is None or event.action == "callback_done":
            step = _appeal_step(event, appeal)
        else:
            order = orders.get(event.order_id)
            step = _order_step(event, order) if order is not None else None
        if step is not None:
            steps.append(step)
    if handled.pk != appeal.pk:
        # The handling of the appeal this one follows is this citizen's progress too.
        for event in Event.objects.filter(appeal=handled, order_id__in=list(orders)).order_by("at", "id"):
            step = _order_step(event, orders[event.order_id])
            if step is not None:
                steps.append(step)
        steps.sort(key=lambda step: step.at)
    order = citizen_lead_order(appeal)
    reply = None
    if appeal.status == AppealStatus.ANSWERED_AT_INTAKE:
        reply = Reply(unit="", text=appeal.intake_answer, at=appeal.updated_at)
    elif order is not None and order.status in (OrderStatus.COMPLETED, OrderStatus.CLOSED):
        # Shown once the platform approved it; a reply under review or sent back is not the answer yet.
        reply = Reply(unit=order.unit.name, text=order.reply_text, at=order.replied_at)
    return Progress(appeal=appeal, steps=steps, reply=reply, **_rating(appeal, order))


def _rating(appeal: Appeal, order: Order | None) -> dict:
    if order is None or order.status not in (OrderStatus.COMPLETED, OrderStatus.CLOSED):
        return {"rating_state": "", "rating": None}
    callback = citizen_callback(appeal, order)
    if callback is not None and callback.status == CallbackStatus.DONE:
        return {"rating_state": "done", "rating": callback}
    if order.status == OrderStatus.COMPLETED and (
        callback is None or callback.status == CallbackStatus.PENDING
    ):
        return {"rating_state": "open", "rating": None}
    return {"rating_state": "closed", "rating": None}
