"""The operator's workbench: one submit creates the appeal (received, answered on the spot, or linked),
a refusal leaves nothing half-written, the aids show suggestions, place and duplicates, and only
people who may take in appeals get the page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.appeals.factories import PHONE, new_appeal
from tests.intelligence.test_suggestions import FUMES, examples
from yousu.appeals.models import Appeal, Event
from yousu.intelligence import services, suggestions

FORM = {
    "kind": "complaint",
    "channel": "hotline",
    "citizen_name": "王小明",
    "citizen_phone": PHONE,
    "title": "饭店油烟",
    "content": FUMES,
    "address": "东一社区",
}


def client_of(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def operator(world):
    return client_of(world.people.operator)


def test_one_submit_receives_the_appeal_and_shows_its_code_and_the_masked_phone(world, operator):
    page = operator.get("/intake/")
    assert page.status_code == 200
    key = page.context["form"]["idempotency_key"].value()
    assert key
    answer = operator.post("/intake/", {**FORM, "idempotency_key": key, "item": world.items.fumes.code})
    assert answer.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.status, appeal.item, appeal.received_by) == (
        "received",
        world.items.fumes,
        world.people.operator,
    )
    assert appeal.citizen_phone == PHONE and appeal.intake_unit == world.units.platform
    shown = operator.get(answer["Location"]).content.decode()
    assert appeal.code in shown and "138****5678" in shown and PHONE not in shown

    # The same form submitted twice (a double click, a resend after a timeout) is one appeal.
    again = operator.post("/intake/", {**FORM, "idempotency_key": key})
    assert again.status_code == 302 and Appeal.objects.count() == 1


def test_an_inquiry_is_answered_on_the_spot_in_the_same_submit(world, operator):
    form = {
        **FORM,
        "kind": "inquiry",
        "title": "社保卡补办",
        "content": "社保卡丢了怎么补办",
        "answer": "带身份证到社保大厅补办",
    }
    assert operator.post("/intake/", form).status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.status == "answered" and appeal.intake_answer == "带身份证到社保大厅补办"
    assert list(Event.objects.filter(appeal=appeal).values_list("action", flat=True).order_by("id")) == [
        "received",
        "answered_at_intake",
    ]


def test_an_answer_to_a_complaint_is_refused_and_nothing_is_written(world, operator):
    answer = operator.post("/intake/", {**FORM, "answer": "已经答复"})
    assert answer.status_code == 400
    assert "只有咨询类诉求可以当场答复办结" in answer.content.decode()
    assert Appeal.objects.count() == 0
    # What the operator typed is still in the form.
    assert answer.context["form"]["content"].value() == FUMES


def test_a_repeat_is_linked_to_the_open_appeal_in_the_same_submit(world, operator):
    original = new_appeal(world)
    answer = operator.post("/intake/", {**FORM, "duplicate_of": original.code, "link_reason": "同一店铺"})
    assert answer.status_code == 302
    linked = Appeal.objects.exclude(pk=original.pk).get()
    assert (linked.status, linked.duplicate_of) == ("linked", original)


def test_a_link_refused_by_the_domain_rolls_the_intake_back(world, operator):
    original = new_appeal(world)
    operator_person = world.people.operator
    from yousu.appeals.services import appeal_answer_at_intake

    inquiry = new_appeal(world, kind="inquiry")
    appeal_answer_at_intake(appeal=inquiry, answer="已答复", by=operator_person)
    answer = operator.post("/intake/", {**FORM, "duplicate_of": inquiry.code})
    assert answer.status_code == 400
    assert "不能并入" in answer.content.decode()
    assert set(Appeal.objects.values_list("pk", flat=True)) == {original.pk, inquiry.pk}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "该字段是必填项"),
        ({"citizen_phone": "12ab"}, "citizen_phone", "电话号码格式不对"),
        ({"item": "NO-SUCH"}, "item", "没有这个目录事项"),
        ({"duplicate_of": "X-1"}, "duplicate_of", "没有这个诉求编号"),
        ({"citizen_phone": ""}, "citizen_phone", "热线来电须记录回访电话"),
    ],
)
def test_bad_input_is_named_at_its_field_and_nothing_is_written(world, operator, change, field, message):
    answer = operator.post("/intake/", {**FORM, **change})
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert Appeal.objects.count() == 0


def test_the_aids_show_items_units_place_and_duplicates(world, operator, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    services.model_train(examples=examples(), activate=True)
    open_one = new_appeal(world, title="饭店油烟", content=FUMES)
    html = operator.post(
        "/intake/aids/", {"title": "饭店油烟", "content": FUMES, "area": world.areas.grid.code}
    )
    assert html.status_code == 200
    text = html.content.decode()
    assert 'data-adopt-item="D1-01-01"' in text
    assert world.units.east_eco.name in text
    assert f'data-link="{open_one.code}"' in text
    assert f'data-adopt-area="{world.areas.grid.code}"' in text
    # Nothing typed yet: a hint, no lookup.
    assert "输入标题、内容或地址后" in operator.post("/intake/aids/", {}).content.decode()


def test_only_people_who_take_in_appeals_get_the_workbench(world):
    handler = client_of(world.people.east_eco_handler)
    assert handler.get("/intake/").status_code == 403
    assert handler.post("/intake/", FORM).status_code == 403
    assert handler.post("/intake/aids/", {"content": FUMES}).status_code == 403
    assert Appeal.objects.count() == 0
    assert Client().get("/intake/").status_code == 302  # to the login page
    assert client_of(world.people.dispatcher).get("/intake/").status_code == 200


def test_a_lost_model_file_leaves_the_place_and_duplicates_and_says_why(world, operator, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    model = services.model_train(examples=examples(), activate=True)
    suggestions._loaded.update(key=None)  # as after a restart: the file is read again
    (services.models_dir() / model.file_path).unlink()
    open_one = new_appeal(world, title="饭店油烟", content=FUMES)
    html = operator.post(
        "/intake/aids/", {"title": "饭店油烟", "content": FUMES, "area": world.areas.grid.code}
    )
    assert html.status_code == 200
    text = html.content.decode()
    assert "分类模型文件无法加载" in text and "data-adopt-item" not in text
    assert f'data-link="{open_one.code}"' in text


def test_a_nul_in_the_done_code_shows_nothing_done(operator, world):
    # Found on PostgreSQL by tests/security/test_bad_query.py: PostgreSQL refuses NUL in a query.
    answer = operator.get("/intake/", {"done": "YS\x00"})
    assert answer.status_code == 200
    assert answer.context["done"] is None
