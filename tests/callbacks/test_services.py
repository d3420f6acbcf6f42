"""Callbacks in the domain: creation after completion, the phone desk, the citizen's link, what each
answer leads to, and the events the monthly assessment reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from yousu.appeals.choices import AppealStatus
from yousu.appeals.services import appeal_link_duplicate
from yousu.callbacks.choices import CallbackChannel, CallbackOutcome, CallbackStatus
from yousu.callbacks.models import Callback, CitizenMessage
from yousu.callbacks.services import (
    callback_by_token,
    callback_record,
    callback_send_back,
    callback_unreachable,
    callbacks_create_due,
    callbacks_expire,
)
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.services import appeal_dispatch, order_forward
from yousu.notifications.models import Notification
from yousu.supervision.jobs import run_periodic

from ..api.helpers import make_appeal
from .helpers import GATEWAY, SENT, complete, completed_order, events, token_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def gateway():
    SENT.clear()
    with override_settings(YOUSU_SMS_GATEWAY=GATEWAY):
        yield SENT


def only_callback(order, appeal=None):
    return Callback.objects.get(order=order, appeal=appeal or order.appeal, status=CallbackStatus.PENDING)


def test_a_completed_hotline_order_gets_one_phone_callback(world):
    order = completed_order(world)
    assert callbacks_create_due() == 1
    assert callbacks_create_due() == 0  # the same completion is never asked about twice
    callback = only_callback(order)
    assert (callback.channel, callback.round, callback.token_hash) == (CallbackChannel.PHONE, 1, "")
    assert events(order.appeal, "callback_created")[0].payload == {
        "unit": order.unit.code,
        "channel": "phone",
        "round": 1,
    }


def test_the_periodic_job_creates_callbacks_through_its_hook(world):
    order = completed_order(world)
    result = run_periodic()
    assert result["callbacks_periodic"]["created"] == 1
    assert Callback.objects.filter(order=order).count() == 1


def test_an_appeal_without_a_phone_is_not_called_back_and_its_order_closes(world):
    order = completed_order(world, citizen_phone="", citizen_name="", anonymous=True)
    callbacks_create_due()
    callback = Callback.objects.get(order=order)
    assert callback.status == CallbackStatus.NOT_NEEDED and callback.note
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert events(order.appeal, "callback_not_needed")


def test_satisfied_by_phone_closes_the_order_with_the_exact_event(world):
    order = completed_order(world)
    callbacks_create_due()
    callback = callback_record(
        callback=only_callback(order),
        by=world.people.operator,
        solved=True,
        satisfaction="basically_satisfied",
        unit_caused=None,
        comment="还行",
    )
    order.refresh_from_db()
    order.appeal.refresh_from_db()
    assert (order.status, order.appeal.status) == (OrderStatus.CLOSED, AppealStatus.CLOSED)
    assert (callback.status, callback.outcome, callback.done_by) == (
        CallbackStatus.DONE,
        CallbackOutcome.CLOSED,
        world.people.operator,
    )
    [event] = events(order.appeal, "callback_done")
    assert event.order_id == order.pk
    assert event.payload == {
        "unit": order.unit.code,
        "solved": True,
        "satisfaction": "basically_satisfied",
        "unit_caused": False,
        "channel": "phone",
        "round": 1,
    }


def test_unsatisfied_by_the_units_doing_is_sent_back_once_then_escalated(world):
    p = world.people
    order = completed_order(world)
    callbacks_create_due()
    first = callback_record(
        callback=only_callback(order),
        by=p.operator,
        solved=False,
        satisfaction="unsatisfied",
        unit_caused=True,
        comment="油烟照旧",
    )
    order.refresh_from_db()
    assert first.outcome == CallbackOutcome.SENT_BACK
    assert (order.status, order.send_back_count) == (OrderStatus.ACCEPTED, 1)
    assert events(order.appeal, "sent_back")[-1].reason.endswith("油烟照旧")

    order = complete(world, order)
    assert callbacks_create_due() == 1
    second = callback_record(
        callback=only_callback(order),
        by=p.operator,
        solved=False,
        satisfaction="unsatisfied",
        unit_caused=True,
    )
    order.refresh_from_db()
    assert second.round == 2 and second.outcome == CallbackOutcome.ESCALATED
    assert order.status == OrderStatus.CLOSED and order.send_back_count == 1
    [escalated] = events(order.appeal, "callback_escalated")
    assert escalated.payload == {"unit": order.unit.code, "round": 2}
    assert Notification.objects.filter(
        kind="callback_escalated", recipient_person=p.supervisor, channel="inbox"
    ).exists()
    rounds = [event.payload["round"] for event in events(order.appeal, "callback_done")]
    assert rounds == [1, 2]


def test_unsatisfied_for_a_reason_the_unit_did_not_cause_is_closed(world):
    order = completed_order(world)
    callbacks_create_due()
    callback = callback_record(
        callback=only_callback(order),
        by=world.people.operator,
        solved=True,
        satisfaction="unsatisfied",
        unit_caused=False,
    )
    order.refresh_from_db()
    assert callback.outcome == CallbackOutcome.CLOSED and order.status == OrderStatus.CLOSED


def test_the_operator_must_judge_whose_fault_an_unsatisfied_answer_is(world):
    order = completed_order(world)
    callbacks_create_due()
    with pytest.raises(DomainError) as error:
        callback_record(
            callback=only_callback(order),
            by=world.people.operator,
            solved=False,
            satisfaction="unsatisfied",
            unit_caused=None,
        )
    assert error.value.field == "unit_caused"


@pytest.mark.parametrize("who", ["east_eco_handler", "east_dispatcher"])
def test_handling_units_and_district_platforms_may_not_record_callbacks(world, who):
    order = completed_order(world)
    callbacks_create_due()
    with pytest.raises(PermissionRefused):
        callback_record(
            callback=only_callback(order),
            by=getattr(world.people, who),
            solved=True,
            satisfaction="satisfied",
            unit_caused=None,
        )


@override_settings(YOUSU_CALLBACK_MAX_ATTEMPTS=3)
def test_unreachable_after_the_set_number_of_attempts_closes_the_order(world):
    order = completed_order(world)
    callbacks_create_due()
    callback = only_callback(order)
    for attempt in (1, 2):
        callback = callback_unreachable(
            callback=callback, by=world.people.operator, note=f"无人接听{attempt}"
        )
        assert callback.status == CallbackStatus.PENDING and callback.attempts == attempt
    callback = callback_unreachable(callback=callback, by=world.people.operator, note="关机")
    order.refresh_from_db()
    assert (callback.status, callback.attempts) == (CallbackStatus.UNREACHABLE, 3)
    assert order.status == OrderStatus.CLOSED
    assert [event.payload for event in events(order.appeal, "callback_unreachable")] == [
        {"unit": order.unit.code, "attempts": 3}
    ]
    with pytest.raises(DomainError) as error:
        callback_unreachable(callback=callback, by=world.people.operator, note="再试")
    assert error.value.field == "status"


def sms_appeal_order(world):
    return completed_order(world, channel="web", idempotency_key="")


def test_a_web_appeal_gets_a_one_time_link_by_text_message(world, gateway):
    order = sms_appeal_order(world)
    run_periodic()
    callback = only_callback(order)
    assert callback.channel == CallbackChannel.WEB
    [message] = gateway
    token = token_in(message["text"])
    assert message["phone"] == order.appeal.citizen_phone
    assert token not in callback.token_hash and len(callback.token_hash) == 64
    assert CitizenMessage.objects.get(callback=callback).status == "sent"
    assert token not in CitizenMessage.objects.get(callback=callback).text

    answered = callback_by_token(token=token, solved=True, satisfaction="satisfied", comment="谢谢")
    order.refresh_from_db()
    assert answered.outcome == CallbackOutcome.CLOSED and order.status == OrderStatus.CLOSED
    assert answered.done_by is None
    assert events(order.appeal, "callback_done")[0].payload["channel"] == "web"
    with pytest.raises(DomainError) as error:
        callback_by_token(token=token, solved=False, satisfaction="unsatisfied")
    assert error.value.code == "already_answered" and error.value.field == "token"
    assert len(events(order.appeal, "callback_done")) == 1


def test_a_wrong_token_is_not_found_and_an_expired_one_refused(world, gateway):
    order = sms_appeal_order(world)
    run_periodic()
    token = token_in(gateway[0]["text"])
    with pytest.raises(NotFound):
        callback_by_token(token="x" + token, solved=True, satisfaction="satisfied")
    Callback.objects.filter(order=order).update(token_expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(DomainError) as error:
        callback_by_token(token=token, solved=True, satisfaction="satisfied")
    assert error.value.field == "token"
    assert callbacks_expire() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert events(order.appeal, "callback_unreachable")[0].payload == {"unit": order.unit.code, "attempts": 1}


def test_a_citizens_unsatisfied_answer_waits_for_an_operator_to_send_back(world, gateway):
    order = sms_appeal_order(world)
    run_periodic()
    callback = callback_by_token(
        token=token_in(gateway[0]["text"]), solved=False, satisfaction="unsatisfied", comment="没人来"
    )
    order.refresh_from_db()
    assert callback.outcome == CallbackOutcome.SEND_BACK_REQUESTED and callback.unit_caused is True
    assert order.status == OrderStatus.COMPLETED
    assert Notification.objects.filter(kind="callback_send_back", recipient_unit=order.appeal.intake_unit)
    callback = callback_send_back(callback=callback, by=world.people.operator)
    order.refresh_from_db()
    assert callback.outcome == CallbackOutcome.SENT_BACK and order.status == OrderStatus.ACCEPTED
    with pytest.raises(DomainError):
        callback_send_back(callback=callback, by=world.people.operator)


def test_a_failing_gateway_is_retried_and_never_loses_the_message(world, gateway):
    order = sms_appeal_order(world)
    with override_settings(YOUSU_SMS_GATEWAY="tests.callbacks.test_services.BrokenGateway"):
        run_periodic()
    message = CitizenMessage.objects.get(callback__order=order)
    assert (message.status, message.attempts) == ("pending", 1) and message.last_error
    run_periodic(now=message.next_attempt_at + dt.timedelta(seconds=1))
    message.refresh_from_db()
    assert message.status == "sent" and len(gateway) == 1


class BrokenGateway:
    def send(self, *, phone, text):
        raise ConnectionError("gateway down")


def test_linked_duplicates_get_their_own_callbacks(world, gateway):
    p = world.people
    appeal = make_appeal(world)
    order = order_forward(order=appeal_dispatch(appeal=appeal, by=p.dispatcher), by=p.east_dispatcher)
    # Two more citizens about the same matter: one rang the hotline, one wrote on the web site.
    by_phone = make_appeal(world, citizen_phone="13900001111", title="油烟又来了")
    online = make_appeal(world, citizen_phone="13900002222", channel="web", title="网上反映油烟")
    for duplicate in (by_phone, online):
        appeal_link_duplicate(appeal=duplicate, original=appeal, by=p.operator)
    order = complete(world, order)
    run_periodic()
    callbacks = {c.appeal_id: c for c in Callback.objects.filter(order=order)}
    assert set(callbacks) == {appeal.pk, by_phone.pk, online.pk}
    assert callbacks[online.pk].channel == CallbackChannel.WEB
    assert [m["phone"] for m in gateway] == ["13900002222"]

    # The duplicate's citizen answers first, unsatisfied: the order is sent back once; the other
    # citizens' callbacks on that completion are overtaken and they are asked again later.
    callback = callback_record(
        callback=callbacks[by_phone.pk],
        by=p.operator,
        solved=False,
        satisfaction="unsatisfied",
        unit_caused=True,
    )
    assert callback.outcome == CallbackOutcome.SENT_BACK
    assert events(by_phone, "callback_done")[0].payload["unit"] == order.unit.code
    assert Callback.objects.get(pk=callbacks[appeal.pk].pk).status == CallbackStatus.NOT_NEEDED
    order.refresh_from_db()
    order = complete(world, order)
    assert callbacks_create_due() == 3
    rounds = sorted(Callback.objects.filter(order=order, status="pending").values_list("round", flat=True))
    assert rounds == [2, 2, 2]

    # The first answer on the new completion settles the order; a later one is recorded only.
    main = only_callback(order)
    callback_record(callback=main, by=p.operator, solved=True, satisfaction="satisfied", unit_caused=None)
    late = callback_record(
        callback=only_callback(order, by_phone),
        by=p.operator,
        solved=True,
        satisfaction="satisfied",
        unit_caused=None,
    )
    assert late.outcome == CallbackOutcome.NONE
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert len(events(by_phone, "callback_done")) == 2
