"""Appeal endpoints: intake (JSON, multipart, idempotency), list and filters, detail with the
citizen as each role may see them, events, answer at intake, dispatch, link duplicate."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from yousu.appeals.models import Appeal, Attachment, PersonalDataAccess
from yousu.dispatch.models import Order
from yousu.org.services import person_create

from .helpers import CITIZEN_NAME, CITIZEN_PHONE, assert_refused, make_appeal

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

NEW_APPEAL = {
    "kind": "complaint",
    "channel": "web",
    "title": "工地夜间扬尘",
    "content": "东一社区旁工地夜间施工扬尘严重。",
    "area": "C-E-1-1-G1",
    "item": "D1-01-02",
    "citizen_name": "李四",
    "citizen_phone": "13912345678",
}


def test_operator_creates_an_appeal_with_json(api, world):
    answer = api.post("/api/v1/appeals/", world.people.operator, NEW_APPEAL)
    assert answer.status == 201, answer.body
    appeal = Appeal.objects.get(code=answer.body["code"])
    assert appeal.intake_unit == world.units.platform
    assert appeal.received_by == world.people.operator
    assert (appeal.item.code, appeal.area.code, appeal.status) == ("D1-01-02", "C-E-1-1-G1", "received")
    assert answer.body["possible_duplicates"] == []
    assert appeal.events.filter(action="received").count() == 1


def test_intake_offers_open_appeals_about_the_same_matter_and_place(api, world, received):
    body = {**NEW_APPEAL, "item": "D1-01-01", "title": "又闻到油烟"}
    answer = api.post("/api/v1/appeals/", world.people.operator, body)
    assert answer.status == 201
    assert answer.body["possible_duplicates"] == [received.code]


def test_point_finds_the_area_and_multipart_carries_attachments(api, world):
    form = {**NEW_APPEAL, "longitude": "101.3", "latitude": "31.3", "anonymous": "true"}
    del form["area"]
    answer = api.call(
        "POST",
        "/api/v1/appeals/",
        world.people.operator,
        form=form,
        files=[("attachments", "photo.png", PNG, "image/png")],
    )
    assert answer.status == 201, answer.body
    appeal = Appeal.objects.get(code=answer.body["code"])
    assert appeal.area == world.areas.grid
    assert (appeal.anonymous, appeal.citizen_phone) == (True, "")
    assert [a.name for a in Attachment.objects.filter(appeal=appeal)] == ["photo.png"]
    assert answer.body["attachments"][0]["content_type"] == "image/png"


def test_an_attachment_whose_bytes_do_not_match_its_name_is_refused_and_nothing_is_kept(api, world):
    answer = api.call(
        "POST",
        "/api/v1/appeals/",
        world.people.operator,
        form=NEW_APPEAL,
        files=[("attachments", "photo.png", b"MZ not a picture", "image/png")],
    )
    assert answer.status == 400
    assert answer.error["field"] == "attachments"
    assert not Appeal.objects.exists()


def test_same_idempotency_key_twice_gives_one_appeal(api, world):
    body = {**NEW_APPEAL, "idempotency_key": "web-form-42"}
    first = api.post("/api/v1/appeals/", world.people.operator, body)
    again = api.post("/api/v1/appeals/", world.people.operator, {**body, "title": "重复提交"})
    assert (first.status, again.status) == (201, 200)
    assert again.body["code"] == first.body["code"]
    assert again.body["title"] == NEW_APPEAL["title"]
    assert Appeal.objects.count() == 1


def test_someone_without_a_unit_cannot_receive_appeals(api, world):
    nobody = person_create(username="solo", full_name="无单位管理员", unit=None, roles=["administrator"])
    answer = api.post("/api/v1/appeals/", nobody, NEW_APPEAL)
    assert_refused(answer, (403,))
    assert answer.error["field"] == "intake_unit"
    assert not Appeal.objects.exists()


def test_without_credentials_nothing_is_received_or_shown(api, world, received):
    created = api.post("/api/v1/appeals/", None, NEW_APPEAL)
    assert_refused(created, (401,))
    assert created.error["field"] == "authorization"
    listed = api.get("/api/v1/appeals/")
    assert_refused(listed, (401,), received.code)
    wrong = api.get("/api/v1/appeals/", headers={"Authorization": "Token not-a-token"})
    assert_refused(wrong, (401,), received.code)
    assert Appeal.objects.count() == 1


def test_list_shows_what_the_caller_may_see_and_filters_it(api, world, handled):
    p = world.people
    other = make_appeal(
        world, kind="inquiry", channel="web", title="供水咨询", content="停水何时恢复", item=None, area=None
    )
    everything = api.get("/api/v1/appeals/", p.supervisor)
    assert everything.status == 200
    assert {a["code"] for a in everything.body["results"]} == {handled.appeal.code, other.code}
    assert "citizen_phone" not in everything.raw.decode()

    def codes(person=p.operator, **query):
        from urllib.parse import urlencode

        answer = api.get("/api/v1/appeals/?" + urlencode(query), person)
        assert answer.status == 200, answer.body
        return [a["code"] for a in answer.body["results"]]

    assert codes(status="dispatched") == [handled.appeal.code]
    assert codes(channel="web") == [other.code]
    assert codes(kind="inquiry") == [other.code]
    assert codes(unit="C-E-eco") == [handled.appeal.code]
    assert codes(item="D1") == [handled.appeal.code]  # a domain includes its items
    assert codes(area="C-E") == [handled.appeal.code]  # a district includes its grids
    assert codes(q="停水") == [other.code]
    today = timezone.localdate()
    assert len(codes(received_from=today.isoformat(), received_to=today.isoformat())) == 2
    assert codes(received_to=(today - dt.timedelta(days=1)).isoformat()) == []
    # The handling unit sees the appeal it handles; a unit elsewhere sees nothing.
    assert codes(p.east_eco_handler) == [handled.appeal.code]
    assert codes(p.west_market_handler) == []


def test_detail_masks_the_citizen_for_the_handler_and_shows_it_to_intake(api, world, handled):
    p = world.people
    path = f"/api/v1/appeals/{handled.appeal.code}/"
    for_operator = api.get(path, p.operator)
    assert for_operator.status == 200
    assert for_operator.body["citizen"] == {
        "name": CITIZEN_NAME,
        "phone": CITIZEN_PHONE,
        "masked": False,
        "hidden": False,
    }
    assert [o["unit"] for o in for_operator.body["orders"]] == ["C-E-P", "C-E-eco"]
    assert PersonalDataAccess.objects.filter(person=p.operator, appeal=handled.appeal).count() == 1
    for_supervisor = api.get(path, p.supervisor)
    assert for_supervisor.body["citizen"]["phone"] == "138****5678"
    assert CITIZEN_PHONE not in for_supervisor.raw.decode()


def test_confidential_appeal_hides_the_citizen_from_the_handling_unit(api, world, handled):
    p = world.people
    path = f"/api/v1/appeals/{handled.appeal.code}/"
    assert api.get(path, p.east_eco_handler).body["citizen"]["phone"] == CITIZEN_PHONE
    Appeal.objects.filter(pk=handled.appeal.pk).update(confidential=True)
    answer = api.get(path, p.east_eco_handler)
    assert answer.body["citizen"] == {"name": "", "phone": "", "masked": True, "hidden": True}
    assert CITIZEN_NAME not in answer.raw.decode() and CITIZEN_PHONE not in answer.raw.decode()


def test_detail_and_events_are_not_found_for_a_unit_that_has_nothing_to_do_with_it(api, world, handled):
    for path in (f"/api/v1/appeals/{handled.appeal.code}/", f"/api/v1/appeals/{handled.appeal.code}/events/"):
        answer = api.get(path, world.people.west_market_handler)
        assert_refused(answer, (404,), handled.appeal.title, CITIZEN_PHONE, "C-E-eco")
        assert answer.error["field"] == "code"
    assert not PersonalDataAccess.objects.exists()


def test_events_tell_the_story_in_order(api, world, handled):
    answer = api.get(f"/api/v1/appeals/{handled.appeal.code}/events/", world.people.east_eco_handler)
    assert answer.status == 200
    assert [e["action"] for e in answer.body] == [
        "received",
        "dispatched",
        "appeal_dispatched",
        "forwarded",
        "dispatched",
    ]
    assert answer.body[1]["actor"] == "dina" and answer.body[1]["payload"]["unit"] == "C-E-P"


def test_operator_answers_an_inquiry_at_intake(api, world):
    inquiry = make_appeal(world, kind="inquiry", title="办事咨询", content="社保卡在哪里办", item=None)
    answer = api.post(
        f"/api/v1/appeals/{inquiry.code}/answer/", world.people.operator, {"answer": "到社保大厅办理"}
    )
    assert answer.status == 200, answer.body
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.intake_answer) == ("answered", "到社保大厅办理")
    assert answer.body["status"] == "answered"


def test_a_unit_that_cannot_see_the_appeal_cannot_answer_it(api, world):
    inquiry = make_appeal(world, kind="inquiry", title="办事咨询", content="社保卡在哪里办", item=None)
    answer = api.post(
        f"/api/v1/appeals/{inquiry.code}/answer/", world.people.west_market_handler, {"answer": "x"}
    )
    assert_refused(answer, (404,), "社保卡")
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.intake_answer) == ("received", "")


def test_dispatcher_dispatches_per_catalog(api, world, received):
    answer = api.post(f"/api/v1/appeals/{received.code}/dispatch/", world.people.dispatcher, {})
    assert answer.status == 201, answer.body
    order = Order.objects.get(pk=answer.body["id"])
    assert (order.unit, order.status, order.time_limit_class.code) == (
        world.units.east_platform,
        "dispatched",
        "normal",
    )
    received.refresh_from_db()
    assert received.status == "dispatched"


def test_dispatcher_may_raise_the_time_limit_class_and_override_with_a_reason(api, world, received):
    answer = api.post(
        f"/api/v1/appeals/{received.code}/dispatch/",
        world.people.dispatcher,
        {"unit": "CITY-eco", "reason": "涉及全市餐饮行业", "time_limit_class": "quick"},
    )
    assert answer.status == 201, answer.body
    assert (answer.body["unit"], answer.body["override_reason"]) == ("CITY-eco", "涉及全市餐饮行业")


def test_an_operator_may_not_dispatch(api, world, received):
    answer = api.post(f"/api/v1/appeals/{received.code}/dispatch/", world.people.operator, {})
    assert_refused(answer, (403,))
    assert not Order.objects.exists()
    received.refresh_from_db()
    assert received.status == "received"


def test_overriding_the_catalog_without_a_reason_names_the_field(api, world, received):
    answer = api.post(
        f"/api/v1/appeals/{received.code}/dispatch/", world.people.dispatcher, {"unit": "CITY-eco"}
    )
    assert answer.status == 400
    assert answer.error["field"] == "reason"
    assert not Order.objects.exists()


def test_link_a_duplicate_to_the_open_appeal(api, world, handled):
    again = make_appeal(world, title="油烟又来了", citizen_phone="13700001111")
    answer = api.post(
        f"/api/v1/appeals/{again.code}/link-duplicate/",
        world.people.operator,
        {"original": handled.appeal.code, "reason": "同一餐饮店"},
    )
    assert answer.status == 200, answer.body
    again.refresh_from_db()
    assert (again.status, again.duplicate_of) == ("linked", handled.appeal)
    assert not again.orders.exists()


def test_linking_to_an_appeal_the_caller_cannot_see_is_an_unknown_code(api, world, handled):
    # The east environment bureau sees the appeal it handles, but not a new one at the platform.
    again = make_appeal(world, title="油烟又来了")
    answer = api.post(
        f"/api/v1/appeals/{again.code}/link-duplicate/",
        world.people.east_eco_handler,
        {"original": handled.appeal.code},
    )
    assert_refused(answer, (404,), "油烟又来了")
    other_way = api.post(
        f"/api/v1/appeals/{handled.appeal.code}/link-duplicate/",
        world.people.west_market_handler,
        {"original": again.code},
    )
    assert_refused(other_way, (404,))
    again.refresh_from_db()
    assert (again.status, again.duplicate_of) == ("received", None)
