"""Intake (接): every channel, the human-readable code, idempotency, validation, place and answering
an inquiry on the spot."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.models import Appeal, Event
from yousu.appeals.services import MAX_CONTENT, appeal_answer_at_intake, appeal_take_in
from yousu.core.errors import DomainError
from yousu.dispatch.models import Order
from yousu.dispatch.services import appeal_dispatch
from yousu.org.services import area_set_appeal_code_prefix

from .factories import PHONE, new_appeal


def local(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def test_every_channel_is_received_into_one_queue(world):
    for channel in Channel.values:
        appeal = new_appeal(world, channel=channel, title=f"来自{channel}的诉求")
        assert appeal.channel == channel
        assert appeal.status == AppealStatus.RECEIVED
        event = appeal.events.get()
        assert (event.action, event.to_state, event.payload["channel"]) == ("received", "received", channel)
        assert event.actor == world.people.operator and event.actor_unit == world.units.platform
    assert Appeal.objects.count() == len(Channel.values)


def test_code_is_prefix_day_and_a_six_digit_sequence_per_day(world):
    area_set_appeal_code_prefix(world.areas.city, "xn")
    first = new_appeal(world, received_at=local(2026, 11, 22, 9, 0))
    second = new_appeal(world, received_at=local(2026, 11, 22, 9, 1))
    next_day = new_appeal(world, received_at=local(2026, 11, 23, 8, 0))
    back = new_appeal(world, received_at=local(2026, 11, 22, 17, 0))
    assert first.code == "XN20261122000001"
    assert second.code == "XN20261122000002"
    assert next_day.code == "XN20261123000001"
    assert back.code == "XN20261122000003"
    assert all(re.fullmatch(r"XN\d{8}\d{6}", a.code) for a in (first, second, next_day, back))
    assert len({a.code for a in Appeal.objects.all()}) == 4


def test_code_has_a_default_prefix_and_counts_the_local_day(world):
    assert new_appeal(world, received_at=local(2026, 3, 1, 10, 0)).code == "YS20260301000001"
    area_set_appeal_code_prefix(world.areas.city, "XN")
    # 00:30 in Asia/Shanghai is still the previous day in UTC.
    assert new_appeal(world, received_at=local(2026, 11, 23, 0, 30)).code == "XN20261123000001"


def test_same_idempotency_key_on_the_same_channel_returns_the_first_appeal(world):
    first = new_appeal(world, channel="web", idempotency_key="form-42")
    again = new_appeal(
        world, channel="web", idempotency_key="form-42", title="重复提交", content="另一段文字"
    )
    assert again.pk == first.pk
    assert again.title == first.title == "餐饮店油烟扰民"
    assert Appeal.objects.count() == 1
    assert Event.objects.filter(action="received").count() == 1


def test_same_idempotency_key_on_another_channel_or_no_key_is_a_new_appeal(world):
    first = new_appeal(world, channel="web", idempotency_key="k-1")
    other = new_appeal(world, channel="mini_program", idempotency_key="k-1")
    assert other.pk != first.pk
    new_appeal(world, channel="web")
    new_appeal(world, channel="web")
    assert Appeal.objects.count() == 4


INVALID = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"content": ""}, "content"),
    ({"content": "字" * (MAX_CONTENT + 1)}, "content"),
    ({"content": 42}, "content"),
    ({"kind": "rumour"}, "kind"),
    ({"channel": "carrier_pigeon"}, "channel"),
    ({"channel": "hotline", "citizen_phone": ""}, "citizen_phone"),
    ({"citizen_phone": "call-me-maybe"}, "citizen_phone"),
    ({"longitude": 101.3}, "latitude"),
    ({"latitude": 31.3}, "longitude"),
    ({"longitude": 181.0, "latitude": 31.3}, "longitude"),
    ({"longitude": 101.3, "latitude": -91.0}, "latitude"),
    ({"longitude": "east", "latitude": 31.3}, "longitude"),
    ({"longitude": 101.3, "latitude": float("nan")}, "latitude"),
]


def test_invalid_input_is_refused_naming_the_field_and_nothing_is_written(world):
    for fields, field in INVALID:
        with pytest.raises(DomainError) as refused:
            new_appeal(world, **fields)
        assert (refused.value.field, bool(refused.value.message)) == (field, True), fields
    with pytest.raises(DomainError) as refused:
        new_appeal(world, item=world.items.category)
    assert refused.value.field == "item"  # a catalog item must be a third-level item
    assert not Appeal.objects.exists()
    assert not Event.objects.exists()
    assert len(new_appeal(world, content="字" * MAX_CONTENT).content) == MAX_CONTENT


def test_phone_is_needed_on_the_hotline_only_and_anonymous_keeps_no_name_or_phone(world):
    assert new_appeal(world, channel="web", citizen_phone="").citizen_phone == ""
    hotline = new_appeal(world, channel="hotline", citizen_phone="", citizen_name="", anonymous=True)
    assert hotline.anonymous
    anonymous = new_appeal(world, anonymous=True, citizen_name="王小明", citizen_phone=PHONE)
    anonymous.refresh_from_db()
    assert (anonymous.citizen_name, anonymous.citizen_phone) == ("", "")


def test_a_point_resolves_the_area_through_the_grid_polygon(world):
    appeal = new_appeal(world, area=None, longitude=101.3, latitude=31.3)
    assert appeal.area == world.areas.grid
    assert (appeal.longitude, appeal.latitude) == (101.3, 31.3)
    # Outside every grid: the finest area whose boundary covers it; outside the city: left open.
    assert new_appeal(world, area=None, longitude=100.5, latitude=30.5).area == world.areas.west
    assert new_appeal(world, area=None, longitude=120.0, latitude=30.5).area is None


def test_script_tags_are_stored_verbatim(world):
    script = '<script>alert("x")</script>'
    appeal = new_appeal(world, title=script, content=f"内容{script}", address=script)
    appeal.refresh_from_db()
    assert appeal.title == script
    assert appeal.content == f"内容{script}"
    assert appeal.address == script


def test_inquiry_answered_at_intake_is_closed_directly_with_the_answer(world):
    appeal = new_appeal(world, kind="inquiry", item=None, title="办居住证要什么材料")
    answered = appeal_answer_at_intake(appeal=appeal, answer="身份证和租房合同", by=world.people.operator)
    assert answered.status == AppealStatus.ANSWERED_AT_INTAKE
    assert answered.intake_answer == "身份证和租房合同"
    event = appeal.events.get(action="answered_at_intake")
    assert (event.from_state, event.to_state) == ("received", "answered")
    assert event.actor == world.people.operator
    assert not Order.objects.exists()


def test_only_an_inquiry_can_be_answered_at_intake_and_only_with_an_answer(world):
    appeal = new_appeal(world, kind="complaint")
    with pytest.raises(DomainError) as refused:
        appeal_answer_at_intake(appeal=appeal, answer="已知悉", by=world.people.operator)
    assert refused.value.field == "kind"
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.RECEIVED
    inquiry = new_appeal(world, kind="inquiry")
    with pytest.raises(DomainError) as refused:
        appeal_answer_at_intake(appeal=inquiry, answer=" ", by=world.people.operator)
    assert refused.value.field == "answer"


def test_only_a_received_inquiry_can_be_answered_at_intake(world):
    appeal = new_appeal(world, kind="inquiry")
    appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    with pytest.raises(DomainError) as refused:
        appeal_answer_at_intake(appeal=appeal, answer="已知悉", by=world.people.operator)
    assert refused.value.field == "status"
    appeal_ = Appeal.objects.get(pk=appeal.pk)
    assert appeal_.status == AppealStatus.DISPATCHED and appeal_.intake_answer == ""


# ---------------------------------------------------------------- one submit at the workbench


def _take_in(world, **fields):
    values = {
        "kind": "inquiry",
        "channel": "hotline",
        "title": "社保卡补办",
        "content": "社保卡丢了怎么补办",
        "intake_unit": world.units.platform,
        "received_by": world.people.operator,
        "citizen_phone": "13812345678",
    }
    values.update(fields)
    return appeal_take_in(**values)


def test_take_in_answers_an_inquiry_in_the_same_step(world):
    appeal = _take_in(world, answer="带身份证到社保大厅补办")
    assert (appeal.status, appeal.intake_answer) == ("answered", "带身份证到社保大厅补办")


def test_take_in_refuses_an_answer_to_a_complaint_before_writing_anything(world):
    with pytest.raises(DomainError) as refused:
        _take_in(world, kind="complaint", answer="已答复")
    assert refused.value.field == "answer"
    assert not Appeal.objects.exists()


def test_take_in_refuses_answer_and_link_together(world):
    original = _take_in(world, kind="complaint", title="油烟", content="油烟扰民")
    with pytest.raises(DomainError) as refused:
        _take_in(world, answer="已答复", duplicate_of=original)
    assert "只能选其一" in refused.value.message
    assert Appeal.objects.count() == 1


def test_take_in_rolls_the_intake_back_when_the_link_is_refused(world):
    closed = _take_in(world, answer="已答复")  # answered at intake: not open, nothing can join it
    with pytest.raises(DomainError):
        _take_in(world, kind="complaint", duplicate_of=closed)
    assert list(Appeal.objects.all()) == [closed]


def test_take_in_links_a_repeat_and_a_resubmission_changes_nothing(world):
    original = _take_in(world, kind="complaint", title="油烟", content="油烟扰民")
    linked = _take_in(world, kind="complaint", duplicate_of=original, idempotency_key="k-1")
    assert (linked.status, linked.duplicate_of) == ("linked", original)
    again = _take_in(world, kind="complaint", duplicate_of=original, idempotency_key="k-1")
    assert again.pk == linked.pk and Appeal.objects.count() == 2
