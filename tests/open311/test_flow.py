"""A request posted through Open311 is an appeal like any other: it is dispatched as the catalog says,
handled and completed, and the API then shows it closed, with the approved reply as status_notes,
the bureau that handled it as agency_responsible, and nothing of the citizen's."""

from __future__ import annotations

import datetime as dt

from tests.appeals.factories import at_eco
from tests.callbacks.helpers import complete
from yousu.appeals.choices import Channel
from yousu.appeals.models import Appeal

from .test_conformance import FUMES, LAT, LONG, answer, post_data

REPLY = "已责令餐馆安装油烟净化器。"  # the reply complete() writes and the platform approves
PERSONAL = ("13812345678", "wang@example.com", "小明")


def the_request(live_open311, request_id: str, fmt: str) -> dict:
    document = answer(live_open311, "requests", fmt, "GET", f"requests/{request_id}.{fmt}")
    assert len(document) == 1 and str(document[0]["service_request_id"]) == request_id
    return document[0]


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_posted_request_is_dispatched_completed_and_shown_closed_with_the_reply(
    world, live_open311, api_key
):
    definition = answer(live_open311, "service_definition", "json", "GET", f"services/{FUMES}.json")
    posted = answer(
        live_open311,
        "post_response",
        "json",
        "POST",
        "requests.json",
        data=post_data(api_key, definition),  # form-encoded, as the spec posts
        status=(200, 201),
    )
    request_id = str(posted[0]["service_request_id"])

    appeal = Appeal.objects.get(channel=Channel.OPEN311)
    assert request_id in (appeal.code, str(appeal.pk))
    assert appeal.item == world.items.fumes
    assert appeal.latitude == LAT and appeal.longitude == LONG
    assert the_request(live_open311, request_id, "json")["status"] == "open"

    _city_order, eco_order = at_eco(world, appeal)
    assert eco_order.unit == world.units.east_eco
    assert the_request(live_open311, request_id, "json")["status"] == "open"

    order = complete(world, eco_order)
    assert order.status == "completed"

    for fmt in ("json", "xml"):
        request = the_request(live_open311, request_id, fmt)
        assert request["status"] == "closed", (fmt, request)
        assert request["status_notes"] == REPLY, (fmt, request)
        assert request["agency_responsible"] == world.units.east_eco.name, (fmt, request)
        assert request["service_code"] == FUMES and request["service_name"] == "餐饮油烟污染"
        assert when(request["updated_datetime"]) >= when(request["requested_datetime"])
        shown = repr(request)
        assert not [text for text in PERSONAL if text in shown], (fmt, request)

        closed = answer(live_open311, "requests", fmt, "GET", f"requests.{fmt}", params={"status": "closed"})
        assert request_id in {str(r["service_request_id"]) for r in closed}
        still_open = answer(
            live_open311, "requests", fmt, "GET", f"requests.{fmt}", params={"status": "open"}
        )
        assert request_id not in {str(r["service_request_id"]) for r in still_open}
