"""The callback endpoints over real HTTP: who may use them, what a refusal reveals, bad input."""

from __future__ import annotations

import pytest

from yousu.callbacks.models import Callback
from yousu.callbacks.services import callbacks_create_due
from yousu.dispatch.choices import OrderStatus

from ..api.helpers import CITIZEN_PHONE, assert_refused
from .helpers import completed_order, events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pending(world):
    order = completed_order(world)
    callbacks_create_due()
    return Callback.objects.get(order=order)


def test_the_queue_shows_the_operator_the_pending_phone_callbacks(api, world, pending):
    answer = api.get("/api/v1/callbacks/", world.people.operator)
    assert answer.status == 200, answer.body
    [row] = answer.body["results"]
    assert (row["id"], row["channel"], row["status"]) == (pending.pk, "phone", "pending")
    assert row["citizen"]["phone"] == CITIZEN_PHONE  # the intake desk must be able to call


def test_a_handling_unit_sees_an_empty_queue_and_no_callback(api, world, pending):
    handler = world.people.east_eco_handler
    answer = api.get("/api/v1/callbacks/", handler)
    assert answer.status == 200 and answer.body["results"] == []
    assert CITIZEN_PHONE not in answer.raw.decode()
    assert_refused(
        api.post(
            f"/api/v1/callbacks/{pending.pk}/record/", handler, {"solved": True, "satisfaction": "satisfied"}
        ),
        (404,),
        CITIZEN_PHONE,
    )
    assert api.get("/api/v1/callbacks/", None).status in (401, 403)


def test_the_operator_records_a_satisfied_callback(api, world, pending):
    answer = api.post(
        f"/api/v1/callbacks/{pending.pk}/record/",
        world.people.operator,
        {"solved": True, "satisfaction": "satisfied", "comment": "很好"},
    )
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["outcome"]) == ("done", "closed")
    pending.order.refresh_from_db()
    assert pending.order.status == OrderStatus.CLOSED
    again = api.post(
        f"/api/v1/callbacks/{pending.pk}/record/",
        world.people.operator,
        {"solved": True, "satisfaction": "satisfied"},
    )
    assert again.status in (400, 409) and again.error["field"] == "status"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"satisfaction": "satisfied"}, "solved"),
        ({"solved": True, "satisfaction": "happy"}, "satisfaction"),
        ({"solved": False, "satisfaction": "unsatisfied"}, "unit_caused"),
        ({"solved": True, "satisfaction": "satisfied", "comment": 5}, "comment"),
    ],
)
def test_bad_input_names_the_field(api, world, pending, body, field):
    answer = api.post(f"/api/v1/callbacks/{pending.pk}/record/", world.people.operator, body)
    assert answer.status == 400, answer.body
    assert answer.error["field"] == field
    assert not events(pending.appeal, "callback_done")


def test_unreachable_counts_attempts_and_may_not_be_used_by_a_district_platform(api, world, pending):
    path = f"/api/v1/callbacks/{pending.pk}/unreachable/"
    assert_refused(api.post(path, world.people.east_dispatcher, {"note": "无人接听"}), (404,), CITIZEN_PHONE)
    missing = api.post(path, world.people.operator, {"note": " "})
    assert missing.status == 400 and missing.error["field"] == "note"
    answer = api.post(path, world.people.operator, {"note": "无人接听"})
    assert answer.status == 200, answer.body
    assert (answer.body["attempts"], answer.body["status"]) == (1, "pending")
    assert api.post(path, world.people.dispatcher, {"note": "关机"}).status == 200
    # Supervisors see the citizen masked, so they do not make the calls.
    assert_refused(api.post(path, world.people.supervisor, {"note": "关机"}), (403, 404), CITIZEN_PHONE)


def test_send_back_is_only_for_a_citizens_answer_that_asked_for_it(api, world, pending):
    answer = api.post(f"/api/v1/callbacks/{pending.pk}/send-back/", world.people.operator, {})
    assert answer.status == 400 and answer.error["field"] == "status"
    refused = api.post(f"/api/v1/callbacks/{pending.pk}/send-back/", world.people.east_eco_handler, {})
    assert_refused(refused, (404,))
