"""Helpers of the callback tests: an appeal taken to a completed lead order, and an SMS gateway that
keeps what it was given so a test can read the citizen's link."""

from __future__ import annotations

import re

from yousu.appeals.models import Event
from yousu.dispatch.services import appeal_dispatch, order_accept, order_forward, order_reply, order_review
from yousu.notifications.sms import SmsGateway

from ..api.helpers import make_appeal

SENT: list[dict] = []
GATEWAY = "tests.callbacks.helpers.RecordingGateway"


class RecordingGateway(SmsGateway):
    def send(self, *, phone: str, text: str) -> None:
        SENT.append({"phone": phone, "text": text})


def token_in(text: str) -> str:
    return re.search(r"/callback/([^/]+)/", text).group(1)


def complete(world, order):
    """The unit accepts, replies, and the reviewing platform approves: the order is completed."""
    p = world.people
    if order.status == "dispatched":  # a sent-back order is in handling already
        order = order_accept(order=order, by=p.east_eco_handler)
    order = order_reply(
        order=order, by=p.east_eco_handler, text="已责令餐馆安装油烟净化器。", result="solved"
    )
    return order_review(order=order, by=p.east_dispatcher, approve=True)


def completed_order(world, **appeal_fields):
    """A fumes complaint dispatched city → east platform → east environment bureau and completed."""
    p = world.people
    appeal = make_appeal(world, **appeal_fields)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    order = order_forward(order=city_order, by=p.east_dispatcher)
    return complete(world, order)


def events(appeal, action):
    return list(Event.objects.filter(appeal=appeal, action=action).order_by("id"))
