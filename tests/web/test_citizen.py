"""The citizen portal (/h5/): one submit creates the appeal and shows its code; a refusal names the field
and writes nothing; a double submit is one appeal; tracking needs the right phone and never tells an
unknown code from a wrong phone; limits answer 429; the rating is a callback like any other, once per
completion; and no page shows staff names, other citizens' data or the citizen's full number."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.cache import cache
from django.test import Client

from tests.appeals.factories import at_eco, new_appeal
from tests.callbacks.helpers import complete
from yousu.appeals.limits import CitizenLimitExceeded
from yousu.appeals.models import Appeal, Attachment, Event
from yousu.appeals.portal import citizen_appeal_find, citizen_appeal_submit
from yousu.appeals.services import appeal_set_item
from yousu.callbacks.choices import CallbackChannel, CallbackOutcome, CallbackStatus, MessageStatus
from yousu.callbacks.models import Callback, CitizenMessage
from yousu.callbacks.selectors import callback_queue
from yousu.callbacks.services import callback_by_citizen, callbacks_create_due
from yousu.core.errors import NotFound, PermissionRefused
from yousu.dispatch.services import order_accept, order_reply

PHONE = "13912340000"
# A 1×1 PNG: the domain checks that a photo's bytes are what its name says.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# Inside the test city's grid (tests/conftest.py: box 101.2–101.4, 31.2–31.4).
IN_GRID = {"longitude": "101.3", "latitude": "31.3"}
FORM = {
    "kind": "complaint",
    "content": "小区门口的餐馆油烟直排，晚上窗户都不敢开。请尽快处理。",
    "title": "",
    "citizen_phone": PHONE,
    "citizen_name": "李四",
    "address": "东一社区幸福路 8 号",
}


@pytest.fixture(autouse=True)
def fresh_limits():
    # The limits count in the cache, which outlives a test; each test starts with none used.
    cache.clear()
    yield
    cache.clear()


def key_of(client: Client) -> str:
    page = client.get("/h5/submit/")
    assert page.status_code == 200
    return page.context["form"]["idempotency_key"].value()


def submit(client: Client, **changes):
    """Post the form with `changes`; HTTP_* keywords are request headers, not fields."""
    headers = {name: changes.pop(name) for name in list(changes) if name.startswith("HTTP_")}
    form = {**FORM, "idempotency_key": changes.pop("idempotency_key", None) or key_of(client), **changes}
    return client.post("/h5/submit/", form, **headers)


def text(page) -> str:
    return page.content.decode()


def submitted(world, client: Client | None = None, **changes) -> tuple[Client, Appeal]:
    client = client or Client()
    answer = submit(client, **changes)
    assert answer.status_code == 302, text(answer)
    return client, Appeal.objects.get(code=answer["Location"].rstrip("/").rsplit("/", 1)[1])


def completed(world, appeal: Appeal):
    """The appeal dispatched as the catalog says (city → east platform → east environment bureau),
    replied to and approved: its lead order completed."""
    appeal_set_item(appeal=appeal, item=world.items.fumes, by=world.people.dispatcher)
    _city, order = at_eco(world, appeal)
    return complete(world, order)


STAFF_NAMES = ("东区环境局承办人", "东区派单员", "市平台派单员", "接线员")


# ---------------------------------------------------------------- submit


def test_the_home_page_leads_to_both_services_and_keeps_the_language_switch(db):
    page = Client().get("/h5/")
    assert page.status_code == 200
    body = text(page)
    assert "/h5/submit/" in body and "/h5/track/" in body
    assert 'action="/i18n/setlang/"' in body and 'name="language"' in body


def test_one_submit_creates_the_appeal_on_the_web_channel_and_shows_its_code(world):
    client = Client()
    answer = submit(
        client, attachments=[_photo("门口.png")], confidential="on", **IN_GRID, idempotency_key=key_of(client)
    )
    assert answer.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.channel, appeal.kind, appeal.status) == ("web", "complaint", "received")
    assert appeal.received_by is None and appeal.intake_unit == world.units.platform
    assert (appeal.citizen_phone, appeal.citizen_name, appeal.confidential) == (PHONE, "李四", True)
    # The tapped point decides the area, as for any appeal with coordinates.
    assert (appeal.longitude, appeal.latitude, appeal.area) == (101.3, 31.3, world.areas.grid)
    # No title typed: the first sentence of the content stands in.
    assert appeal.title == "小区门口的餐馆油烟直排，晚上窗户都不敢开"
    assert Attachment.objects.get(appeal=appeal).name == "门口.png"
    page = client.get(answer["Location"])
    assert page.status_code == 200
    body = text(page)
    assert appeal.code in body and "139****0000" in body and PHONE not in body


def _photo(name: str, data: bytes = PNG):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.mark.parametrize(
    ("changes", "label", "message"),
    [
        ({"content": ""}, "诉求内容", "该字段是必填项"),
        ({"citizen_phone": ""}, "手机号码", "该字段是必填项"),
        ({"citizen_phone": "12ab"}, "手机号码", "电话号码格式不对"),
        ({"address": "", "kind": "complaint"}, "地址", "请填写地址，或在地图上点选位置"),
        ({"kind": "gossip"}, "诉求类型", "gossip"),
        ({"content": "长" * 4001}, "诉求内容", "4000"),
        ({"longitude": "101.3"}, "纬度", "经纬度须同时填写"),
    ],
)
def test_a_refused_submission_names_the_field_and_writes_nothing(world, changes, label, message):
    answer = submit(Client(), **changes)
    assert answer.status_code == 400
    body = text(answer)
    summary = body[body.index('class="error-summary"') :]
    assert label in summary and message in summary
    assert Appeal.objects.count() == 0 and Event.objects.count() == 0


def test_a_bad_photo_refuses_the_whole_submission_and_names_the_photos(world):
    answer = submit(Client(), attachments=[_photo("a.png"), _photo("b.jpg", b"not a picture at all")])
    assert answer.status_code == 400
    assert "照片" in text(answer) and "b.jpg" in text(answer)
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0


def test_more_photos_than_allowed_are_refused(world, settings):
    settings.YOUSU_CITIZEN_MAX_PHOTOS = 1
    answer = submit(Client(), attachments=[_photo("a.png"), _photo("b.png")])
    assert answer.status_code == 400 and "最多上传 1 张照片" in text(answer)
    assert Appeal.objects.count() == 0


def test_an_inquiry_needs_no_place(world):
    _client, appeal = submitted(world, kind="inquiry", address="", content="办理居住证需要什么材料？")
    assert appeal.kind == "inquiry" and appeal.address == "" and appeal.area is None


def test_a_double_submit_is_one_appeal_and_counts_once(world, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR = 2
    client = Client()
    key = key_of(client)
    first = submit(client, idempotency_key=key)
    again = submit(client, idempotency_key=key)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] and Appeal.objects.count() == 1
    # The resubmission took no place in the phone's allowance: a second appeal still goes in.
    assert submit(client).status_code == 302 and Appeal.objects.count() == 2


def test_the_filled_in_trap_field_refuses_a_script(world):
    answer = submit(Client(), website="http://spam.example")
    assert answer.status_code == 400 and "提交未通过校验" in text(answer)
    assert Appeal.objects.count() == 0


# ---------------------------------------------------------------- limits


def test_a_phone_may_submit_only_so_many_appeals_an_hour(world, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR = 2
    client = Client()
    submitted(world, client)
    submitted(world, client)
    refused = submit(client)
    assert refused.status_code == 429
    assert "提交过于频繁" in text(refused) and Appeal.objects.count() == 2
    # Another phone from the same place is not held back by this one's limit.
    assert submit(client, citizen_phone="13700001111").status_code == 302


def test_an_address_may_submit_only_so_many_appeals_an_hour(world, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_IP_HOUR = 2
    client = Client(REMOTE_ADDR="10.1.2.3")
    for n in range(2):
        submitted(world, client, citizen_phone=f"1370000000{n}")
    assert submit(client, citizen_phone="13700000009").status_code == 429
    assert submit(Client(REMOTE_ADDR="10.1.2.4"), citizen_phone="13700000009").status_code == 302


def test_refused_submissions_do_not_use_up_the_allowance(world, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR = 1
    client = Client()
    # Refused by appeal_create itself (a photo whose bytes are not a picture), after the limit took its place.
    for _attempt in range(3):
        assert submit(client, attachments=[_photo("b.png", b"not a picture")]).status_code == 400
    assert submit(client).status_code == 302


def test_the_address_comes_from_the_configured_proxy_header_only(world, settings):
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_IP_HOUR = 1
    # Without a configured header, a header the client sets itself changes nothing, even through the
    # platform's own proxy (tests/core/test_ratelimit.py: the header counts only from a trusted proxy).
    client = Client(REMOTE_ADDR="127.0.0.1")
    submitted(world, client, citizen_phone="13700000001", HTTP_X_REAL_IP="1.1.1.1")
    assert submit(client, citizen_phone="13700000002", HTTP_X_REAL_IP="2.2.2.2").status_code == 429
    settings.YOUSU_CITIZEN_IP_HEADER = "HTTP_X_REAL_IP"
    assert submit(client, citizen_phone="13700000003", HTTP_X_REAL_IP="3.3.3.3").status_code == 302


def test_the_limiter_is_the_domains_and_refuses_outside_any_page(world, settings):
    settings.YOUSU_CITIZEN_TRACKS_PER_IP_HOUR = 1
    with pytest.raises(NotFound):
        citizen_appeal_find(code="YS000", phone=PHONE, ip="10.9.9.9")
    with pytest.raises(CitizenLimitExceeded):
        citizen_appeal_find(code="YS000", phone=PHONE, ip="10.9.9.9")
    settings.YOUSU_CITIZEN_SUBMISSIONS_PER_PHONE_HOUR = 1
    fields = {"kind": "inquiry", "content": "问一下", "phone": PHONE, "ip": "10.9.9.8"}
    citizen_appeal_submit(**fields, idempotency_key="one")
    with pytest.raises(CitizenLimitExceeded):
        citizen_appeal_submit(**fields, idempotency_key="two")


# ---------------------------------------------------------------- track


def test_tracking_with_a_wrong_phone_says_the_same_as_an_unknown_code(world):
    _client, appeal = submitted(world)
    stranger = Client()
    wrong_phone = stranger.post("/h5/track/", {"code": appeal.code, "phone": "13900000000"})
    unknown = stranger.post("/h5/track/", {"code": appeal.code + "9", "phone": PHONE})
    assert wrong_phone.status_code == unknown.status_code == 404

    def message(page):
        return re.search(r'class="error-summary".*?</div>', text(page), re.S).group(0)

    assert message(wrong_phone) == message(unknown)
    assert "没有找到与该编号和手机号码相符的诉求" in message(wrong_phone)
    assert appeal.title not in text(wrong_phone)
    # The progress page itself is closed to a browser that has not proven the phone.
    assert stranger.get(f"/h5/track/{appeal.code}/")["Location"] == f"/h5/track/?code={appeal.code}"


def test_tracking_with_the_right_phone_shows_the_progress_with_the_phone_masked(world):
    _client, appeal = submitted(world)
    citizen = Client()
    found = citizen.post("/h5/track/", {"code": appeal.code.lower(), "phone": "139 1234 0000"})
    assert found.status_code == 302 and found["Location"] == f"/h5/track/{appeal.code}/"
    page = citizen.get(found["Location"])
    body = text(page)
    assert page.status_code == 200 and appeal.code in body and "139****0000" in body
    assert PHONE not in body and "李四" not in body
    assert "已受理您的诉求（网站）" in body


def test_a_browser_sees_only_the_appeals_it_has_proven(world):
    client, mine = submitted(world)
    _other, theirs = submitted(world, citizen_phone="13600000000")
    assert client.get(f"/h5/track/{mine.code}/").status_code == 200
    assert client.get(f"/h5/track/{theirs.code}/").status_code == 302


def test_an_address_may_look_up_only_so_many_codes_an_hour(world, settings):
    settings.YOUSU_CITIZEN_TRACKS_PER_IP_HOUR = 3
    _client, appeal = submitted(world)
    guesser = Client(REMOTE_ADDR="10.6.6.6")
    for n in range(3):
        assert guesser.post("/h5/track/", {"code": appeal.code, "phone": f"1390000000{n}"}).status_code == 404
    # Even the right phone is refused now: the limit stops guessing, whatever the guess.
    refused = guesser.post("/h5/track/", {"code": appeal.code, "phone": PHONE})
    assert refused.status_code == 429 and "查询过于频繁" in text(refused)
    assert (
        Client(REMOTE_ADDR="10.6.6.7").post("/h5/track/", {"code": appeal.code, "phone": PHONE}).status_code
        == 302
    )


def test_the_timeline_names_units_in_plain_words_and_the_reply_appears_once_approved(world):
    client, appeal = submitted(world, **IN_GRID)
    appeal_set_item(appeal=appeal, item=world.items.fumes, by=world.people.dispatcher)
    _city, order = at_eco(world, appeal)
    order = order_accept(order=order, by=world.people.east_eco_handler)
    order = order_reply(
        order=order, by=world.people.east_eco_handler, text="已责令餐馆整改。", result="solved"
    )
    body = text(client.get(f"/h5/track/{appeal.code}/"))
    for step in ("已转交 东区平台 办理", "已转交 东区生态环境局 办理", "东区生态环境局 已签收，正在办理"):
        assert step in body
    assert "东区生态环境局 已答复，平台审核中" in body
    # Under review the reply is not the platform's answer yet.
    assert "已责令餐馆整改" not in body and 'id="rating-form"' not in body
    complete_review(world, order)
    body = text(client.get(f"/h5/track/{appeal.code}/"))
    assert "平台审核通过，已办结" in body and "已责令餐馆整改" in body and 'id="rating-form"' in body
    for name in STAFF_NAMES:
        assert name not in body


def complete_review(world, order):
    from yousu.dispatch.services import order_review

    return order_review(order=order, by=world.people.east_dispatcher, approve=True)


def test_a_linked_appeal_follows_the_handling_of_the_one_it_repeats(world):
    from yousu.appeals.services import appeal_link_duplicate

    client, appeal = submitted(world)
    original = new_appeal(world)
    appeal_link_duplicate(appeal=appeal, original=original, by=world.people.operator)
    _city, order = at_eco(world, original)
    complete(world, order)
    body = text(client.get(f"/h5/track/{appeal.code}/"))
    assert "与反映同一问题的诉求合并办理" in body and "已转交 东区生态环境局 办理" in body
    assert "已责令餐馆安装油烟净化器" in body
    # The other citizen's appeal stays theirs: no title, name or code of it on this page.
    assert original.code not in body and "王小明" not in body
    # And this citizen rates the handling too, on their own callback.
    assert (
        client.post(
            f"/h5/track/{appeal.code}/rate/", {"solved": "yes", "satisfaction": "satisfied"}
        ).status_code
        == 200
    )
    assert Callback.objects.get(appeal=appeal).status == CallbackStatus.DONE


def test_an_inquiry_answered_at_intake_shows_the_answer(world):
    from yousu.appeals.services import appeal_answer_at_intake

    client, appeal = submitted(world, kind="inquiry", address="", content="居住证怎么办？")
    appeal_answer_at_intake(appeal=appeal, answer="带身份证到社区服务中心办理。", by=world.people.operator)
    body = text(client.get(f"/h5/track/{appeal.code}/"))
    assert "已当场答复，办结" in body and "带身份证到社区服务中心办理" in body


# ---------------------------------------------------------------- rate


def rate(client, appeal, **answer):
    return client.post(
        f"/h5/track/{appeal.code}/rate/", {"solved": "yes", "satisfaction": "satisfied", **answer}
    )


def test_a_rating_before_any_callback_exists_is_recorded_as_the_callback_and_closes_the_order(world):
    client, appeal = submitted(world, **IN_GRID)
    order = completed(world, appeal)
    assert not Callback.objects.exists()
    answer = rate(client, appeal, comment="很快就处理好了")
    assert answer.status_code == 200 and "感谢您的评价" in text(answer)
    callback = Callback.objects.get(appeal=appeal)
    assert (callback.status, callback.satisfaction, callback.solved, callback.channel) == (
        CallbackStatus.DONE,
        "satisfied",
        True,
        CallbackChannel.WEB,
    )
    assert callback.order == order and callback.order_completed_at == order.completed_at
    assert callback.outcome == CallbackOutcome.CLOSED and callback.done_by is None
    done = Event.objects.get(appeal=appeal, action="callback_done")
    assert done.payload["satisfaction"] == "satisfied" and done.reason == "很快就处理好了"
    order.refresh_from_db()
    appeal.refresh_from_db()
    assert order.status == "closed" and appeal.status == "closed"
    # The link the callback queued is not sent any more; the periodic job has nothing left to create.
    assert CitizenMessage.objects.get(callback=callback).status == MessageStatus.FAILED
    assert callbacks_create_due() == 0


def test_a_second_rating_is_refused_with_a_clear_message(world):
    client, appeal = submitted(world, **IN_GRID)
    completed(world, appeal)
    assert rate(client, appeal).status_code == 200
    again = rate(client, appeal, satisfaction="unsatisfied", solved="no")
    assert again.status_code == 409 and "您已评价过" in text(again)
    callback = Callback.objects.get(appeal=appeal)
    assert callback.satisfaction == "satisfied"
    assert Event.objects.filter(appeal=appeal, action="callback_done").count() == 1


def test_an_unsatisfied_unsolved_rating_asks_the_intake_desk_to_send_it_back(world):
    client, appeal = submitted(world, **IN_GRID)
    order = completed(world, appeal)
    callbacks_create_due()  # the periodic job got there first this time: its callback is answered
    assert rate(client, appeal, solved="no", satisfaction="unsatisfied").status_code == 200
    callback = Callback.objects.get(appeal=appeal)
    assert callback.unit_caused is True and callback.outcome == CallbackOutcome.SEND_BACK_REQUESTED
    assert callback in callback_queue(world.people.operator)
    order.refresh_from_db()
    assert order.status == "completed"  # waits for the operator's send-back, as a link answer does


def test_a_rating_before_completion_is_refused(world):
    client, appeal = submitted(world, **IN_GRID)
    answer = rate(client, appeal)
    assert answer.status_code == 400 and "办结后才能评价" in text(answer)
    assert not Callback.objects.exists()


def test_a_rating_needs_the_phone_the_appeal_was_submitted_with(world):
    _client, appeal = submitted(world, **IN_GRID)
    completed(world, appeal)
    with pytest.raises(PermissionRefused):
        callback_by_citizen(appeal=appeal, phone="13900000000", solved=True, satisfaction="satisfied")
    assert not Callback.objects.exists()
    # A browser that never proved the phone is sent to the look-up first.
    assert rate(Client(), appeal).status_code == 302


def test_a_rating_form_left_incomplete_names_the_question(world):
    client, appeal = submitted(world, **IN_GRID)
    completed(world, appeal)
    answer = client.post(f"/h5/track/{appeal.code}/rate/", {"solved": "yes"})
    assert answer.status_code == 400 and "您对办理结果满意吗" in text(answer)
    assert not Callback.objects.exists()


# ---------------------------------------------------------------- the map's areas


def test_the_map_layer_is_the_citys_own_boundaries_finest_last(world):
    answer = Client().get("/h5/areas.json")
    assert answer.status_code == 200
    features = answer.json()["features"]
    names = [feature["properties"]["name"] for feature in features]
    assert names[0] == "测试市" and names[-1] == "东一社区第1网格"
    # Areas without a boundary (the streets and communities of the test city) are not drawn.
    assert "东一街道" not in names
    assert features[-1]["geometry"]["type"] == "Polygon"


def test_a_hotline_caller_who_rates_online_answers_the_phone_callback_as_an_online_one(world):
    appeal = new_appeal(world)  # by phone, with the caller's number
    _city, order = at_eco(world, appeal)
    complete(world, order)
    callbacks_create_due()
    callback = Callback.objects.get(appeal=appeal)
    assert callback.channel == CallbackChannel.PHONE and callback in callback_queue(world.people.operator)
    citizen = Client()
    assert citizen.post("/h5/track/", {"code": appeal.code, "phone": appeal.citizen_phone}).status_code == 302
    assert rate(citizen, appeal).status_code == 200
    callback.refresh_from_db()
    # Nobody at the desk called: the answer counts as given online, and the desk has no call left to make.
    assert (callback.status, callback.channel) == (CallbackStatus.DONE, CallbackChannel.WEB)
    assert callback not in callback_queue(world.people.operator)


def test_a_callback_that_ended_unanswered_cannot_be_rated_any_more(world):
    from yousu.callbacks.services import callback_unreachable

    client, appeal = submitted(world, **IN_GRID)
    completed(world, appeal)
    callbacks_create_due()
    callback = Callback.objects.get(appeal=appeal)
    for _attempt in range(3):
        callback = callback_unreachable(callback=callback, by=world.people.operator, note="无人接听")
    assert callback.status == CallbackStatus.UNREACHABLE
    assert "本次办结的回访已结束" in text(client.get(f"/h5/track/{appeal.code}/"))
    refused = rate(client, appeal)
    assert refused.status_code == 409 and "本次回访已结束" in text(refused)
    assert not Event.objects.filter(appeal=appeal, action="callback_done").exists()


def test_the_citizens_proof_lasts_two_hours_in_this_browser(world):
    client, _appeal = submitted(world)
    assert client.session.get_expiry_age() == 2 * 3600


def test_online_appeals_go_to_the_configured_platform(world, settings):
    settings.YOUSU_CITIZEN_INTAKE_UNIT = world.units.east_platform.code
    _client, appeal = submitted(world)
    assert appeal.intake_unit == world.units.east_platform
    settings.YOUSU_CITIZEN_INTAKE_UNIT = "NO-SUCH-UNIT"
    refused = submit(Client(), citizen_phone="13700000000")
    assert refused.status_code == 400 and "YOUSU_CITIZEN_INTAKE_UNIT" in text(refused)
    assert Appeal.objects.count() == 1


def test_the_map_boundaries_are_simplified_for_the_phone(world):
    from yousu.org.services import area_create

    # A street boundary with a thousand points along one straight edge is sent as its four corners.
    edge = [[101.0 + n / 1000 * 0.5, 30.0] for n in range(1000)]
    ring = [*edge, [101.5, 30.5], [101.0, 30.5], [101.0, 30.0]]
    area_create(
        code="C-E-2",
        name="东二街道",
        kind="street",
        parent=world.areas.east,
        boundary={"type": "Polygon", "coordinates": [ring]},
    )
    features = Client().get("/h5/areas.json").json()["features"]
    street = next(f for f in features if f["properties"]["name"] == "东二街道")
    assert len(street["geometry"]["coordinates"][0]) == 5
