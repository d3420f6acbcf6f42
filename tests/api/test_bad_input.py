"""Bad input gets a 4xx JSON error that names the field, never a 500, and changes nothing; markup is
stored as the text it is and only ever returned as a JSON string."""

from __future__ import annotations

import datetime as dt
import json

from yousu.appeals.models import Appeal
from yousu.dispatch.models import Consultation, ExtensionRequest, Order, ReturnRequest, Whistle
from yousu.dispatch.services import order_accept

from .helpers import SCRIPT

BIG = "诉" * 100_000  # 100,000 characters, about 300 KB as UTF-8

GOOD = {
    "kind": "complaint",
    "channel": "web",
    "title": "工地夜间扬尘",
    "content": "工地夜间施工扬尘严重。",
    "area": "C-E-1-1-G1",
    "item": "D1-01-02",
    "citizen_phone": "13912345678",
}


def assert_names_field(answer, field, status=400):
    assert answer.status == status, (field, answer.status, answer.body)
    assert set(answer.body) == {"error"}
    assert answer.error["field"] == field, (field, answer.body)
    assert answer.error["message"], answer.body


def test_intake_refuses_bad_input_field_by_field(api, world):
    operator = world.people.operator
    missing = api.post("/api/v1/appeals/", operator, {})
    assert missing.status == 400
    assert {"kind", "channel", "title", "content"} <= set(missing.error["fields"])
    assert missing.error["field"] in {"kind", "channel", "title", "content"}
    cases = {
        # wrong types
        "title": [123, ["a"], {"a": 1}, None],
        "content": [True],
        "longitude": ["east", True, [1]],
        "latitude": [{"x": 1}],
        "anonymous": ["maybe", [True]],
        "area": [5, ["C-E"]],
        "attachments": ["not a file"],
        # unknown codes and choices
        "kind": ["gossip"],
        "channel": ["pigeon"],
        "item": ["NO-SUCH-ITEM"],
        # text the services refuse: too long, blank, malformed
        "citizen_phone": ["call me maybe", BIG],
        "address": [BIG],
        "citizen_name": [BIG],
        "idempotency_key": [BIG],
    }
    for field, values in cases.items():
        for value in values:
            assert_names_field(api.post("/api/v1/appeals/", operator, {**GOOD, field: value}), field)
    assert_names_field(api.post("/api/v1/appeals/", operator, {**GOOD, "title": BIG}), "title")
    assert_names_field(api.post("/api/v1/appeals/", operator, {**GOOD, "content": BIG}), "content")
    assert_names_field(api.post("/api/v1/appeals/", operator, {**GOOD, "title": "   "}), "title")
    only_one = {**GOOD, "longitude": 101.3}
    assert_names_field(api.post("/api/v1/appeals/", operator, only_one), "latitude")
    far = {**GOOD, "longitude": 500, "latitude": 31}
    assert_names_field(api.post("/api/v1/appeals/", operator, far), "longitude")
    nul = {**GOOD, "title": "a\x00b"}
    assert_names_field(api.post("/api/v1/appeals/", operator, nul), "title")
    assert not Appeal.objects.exists()


def test_bodies_that_are_not_json_objects(api, world):
    operator = world.people.operator
    broken = api.call(
        "POST", "/api/v1/appeals/", operator, raw=b'{"title": ', headers={"Content-Type": "application/json"}
    )
    assert_names_field(broken, "body")
    a_list = api.call(
        "POST", "/api/v1/appeals/", operator, raw=b"[1, 2]", headers={"Content-Type": "application/json"}
    )
    assert_names_field(a_list, "body")
    plain = api.call(
        "POST", "/api/v1/appeals/", operator, raw=b"title=x", headers={"Content-Type": "text/plain"}
    )
    assert_names_field(plain, "content_type", status=415)
    too_deep = b"[" * 100_000 + b"]" * 100_000
    deep = api.call(
        "POST", "/api/v1/appeals/", operator, raw=too_deep, headers={"Content-Type": "application/json"}
    )
    assert_names_field(deep, "body")
    huge = json.dumps({"title": "x" * 3_000_000}).encode()  # over Django's 2.5 MB body limit
    too_big = api.call(
        "POST", "/api/v1/appeals/", operator, raw=huge, headers={"Content-Type": "application/json"}
    )
    assert_names_field(too_big, "body", status=413)
    assert_names_field(api.call("DELETE", "/api/v1/appeals/", operator), "method", status=405)
    assert_names_field(api.get("/api/v1/no-such-thing/", operator), "path", status=404)
    assert_names_field(api.get("/api/v1/appeals?page=1", operator), "path", status=404)
    assert_names_field(api.get("/api/v1/appeals/?page=0", operator), "page")
    assert_names_field(api.get("/api/v1/appeals/?page=999", operator), "page", status=404)
    assert not Appeal.objects.exists()


def test_list_filters_refuse_unknown_codes_and_bad_dates(api, world):
    operator = world.people.operator
    for query, field in (
        ("status=lost", "status"),
        ("channel=pigeon", "channel"),
        ("unit=NOPE", "unit"),
        ("item=NOPE", "item"),
        ("area=NOPE", "area"),
        ("received_from=yesterday", "received_from"),
        ("received_to=2026-13-40", "received_to"),
        ("q=" + "x" * 300, "q"),
    ):
        assert_names_field(api.get(f"/api/v1/appeals/?{query}", operator), field)
    assert_names_field(api.get("/api/v1/orders/?status=lost", operator), "status")


def test_a_nul_character_in_a_code_is_bad_input(api, world):
    # Found by the OpenAPI fuzz (tests/security): PostgreSQL refuses NUL in a query, which was a 500.
    operator = world.people.operator
    for query, field in (("area=%00", "area"), ("unit=C%00", "unit"), ("item=D1%00", "item")):
        assert_names_field(api.get(f"/api/v1/appeals/?{query}", operator), field)
    answer = api.post(
        "/api/v1/consultations/", world.people.dispatcher, {"item": "D2\u0000", "topic": "t", "parties": []}
    )
    assert_names_field(answer, "item")


def test_unknown_objects_in_the_path_are_json_404s(api, world):
    operator = world.people.operator
    assert_names_field(api.get("/api/v1/appeals/NOPE/", operator), "code", status=404)
    for order_id in ("abc", "99999999999999999999", "0"):
        assert_names_field(api.post(f"/api/v1/orders/{order_id}/accept/", operator), "id", status=404)
    assert_names_field(
        api.post("/api/v1/return-requests/7/review/", operator, {"approve": True}), "id", status=404
    )
    assert_names_field(api.get("/api/v1/whistles/7/", operator), "id", status=404)


def test_handling_endpoints_refuse_bad_input_and_change_nothing(api, world, handled):
    p = world.people
    order = handled.order
    base = f"/api/v1/orders/{order.pk}/"
    checks = [
        (p.east_eco_handler, "return-request", {"explanation": "x"}, "reason"),
        (p.east_eco_handler, "return-request", {"reason": "bored", "explanation": "x"}, "reason"),
        (p.east_eco_handler, "return-request", {"reason": "wrong_area", "explanation": ""}, "explanation"),
        (
            p.east_eco_handler,
            "return-request",
            {"reason": "wrong_area", "explanation": "x", "suggested_unit": "NOPE"},
            "suggested_unit",
        ),
        (
            p.east_eco_handler,
            "return-request",
            {"reason": "wrong_area", "explanation": "x"},
            "suggested_unit",
        ),
        (
            p.east_eco_handler,
            "return-request",
            {"reason": "wrong_area", "explanation": "x", "suggested_unit": "C-W-eco"},
            "basis_item",
        ),
        (
            p.east_eco_handler,
            "return-request",
            {"reason": "wrong_area", "explanation": "x", "suggested_unit": "C-W-eco", "basis_item": "NOPE"},
            "basis_item",
        ),
        (p.east_eco_handler, "extension-request", {"until": "tomorrow", "reason": "x"}, "until"),
        (p.east_eco_handler, "extension-request", {"until": 5, "reason": "x"}, "until"),
        (p.east_eco_handler, "extension-request", {"reason": "x"}, "until"),
        (
            p.east_eco_handler,
            "extension-request",
            {"until": (order.completion_due - dt.timedelta(days=1)).isoformat(), "reason": "x"},
            "until",
        ),
        (p.east_dispatcher, "assist", {"unit": "NOPE"}, "unit"),
        (p.east_dispatcher, "assist", {"unit": "C-E-market", "role": "boss"}, "role"),
        (p.east_dispatcher, "assist", {}, "unit"),
        (p.east_dispatcher, "review", {"approve": "perhaps"}, "approve"),
        (p.east_dispatcher, "review", {}, "approve"),
    ]
    for person, action, body, field in checks:
        assert_names_field(api.post(f"{base}{action}/", person, body), field)
    assert not ReturnRequest.objects.exists() and not ExtensionRequest.objects.exists()
    assert Order.objects.count() == 2

    order_accept(order=order, by=p.east_eco_handler)
    for body, field in (
        ({"result": "solved"}, "text"),
        ({"text": BIG, "result": "solved"}, "text"),
        ({"text": "ok", "result": "great"}, "result"),
        ({"text": ["ok"], "result": "solved"}, "text"),
    ):
        assert_names_field(api.post(f"{base}reply/", p.east_eco_handler, body), field)
    order.refresh_from_db()
    assert (order.status, order.reply_text) == ("accepted", "")

    dispatch = f"/api/v1/appeals/{handled.appeal.code}/dispatch/"
    for body, field in (({"unit": "NOPE"}, "unit"), ({"time_limit_class": "NOPE"}, "time_limit_class")):
        assert_names_field(api.post(dispatch, p.dispatcher, body), field)
    link = f"/api/v1/appeals/{handled.appeal.code}/link-duplicate/"
    assert_names_field(api.post(link, p.operator, {"original": "NOPE"}), "original")
    assert_names_field(api.post(link, p.operator, {}), "original")


def test_consultation_and_whistle_input(api, world):
    p = world.people
    for body, field in (
        ({"item": "NOPE", "topic": "x", "parties": ["C-E-1", "C-E-market"]}, "item"),
        ({"item": "D2-01-02", "topic": "x", "parties": "C-E-1"}, "parties"),
        ({"item": "D2-01-02", "topic": "x", "parties": ["C-E-1", "NOPE"]}, "parties"),
        ({"item": "D2-01-02", "topic": BIG, "parties": ["C-E-1", "C-E-market"]}, "topic"),
        ({"item": "D2-01-02", "topic": "x", "parties": ["C-E-1"]}, "parties"),
        ({"item": "D2-01-02", "topic": "x", "parties": ["C-E-1", "C-E-market"], "appeal": "NOPE"}, "appeal"),
    ):
        assert_names_field(api.post("/api/v1/consultations/", p.dispatcher, body), field)
    assert not Consultation.objects.exists()
    for body, field in (
        ({"problem": BIG, "departments": ["C-E-eco"]}, "problem"),
        ({"problem": "x", "departments": []}, "departments"),
        ({"problem": "x", "departments": ["NOPE"]}, "departments"),
        ({"problem": "x", "departments": ["C-E-1"]}, "departments"),
        ({"problem": "x", "departments": ["C-E-eco"], "report_in_within": "soon"}, "report_in_within"),
        ({"problem": "x", "departments": ["C-E-eco"], "report_in_within": "-PT1H"}, "report_in_within"),
    ):
        assert_names_field(api.post("/api/v1/whistles/", p.street_leader, body), field)
    assert not Whistle.objects.exists()
    for body, field in (
        ({"unit": "NOPE", "reason": "x"}, "unit"),
        ({"unit": "C-E-eco", "reason": "x", "order": "abc"}, "order"),
    ):
        assert_names_field(api.post("/api/v1/criticism-notices/", p.supervisor, body), field)


def test_script_tags_are_stored_as_sent_and_returned_as_json_strings(api, world):
    markup = '<img src=x onerror="alert(1)">'
    body = {**GOOD, "title": SCRIPT, "content": f"{markup} 扬尘", "address": SCRIPT}
    created = api.post("/api/v1/appeals/", world.people.operator, body)
    assert created.status == 201, created.body
    appeal = Appeal.objects.get(code=created.body["code"])
    assert (appeal.title, appeal.content, appeal.address) == (SCRIPT, f"{markup} 扬尘", SCRIPT)

    shown = api.get(f"/api/v1/appeals/{appeal.code}/", world.people.operator)
    assert shown.headers["Content-Type"].startswith("application/json")
    assert shown.body["title"] == SCRIPT and shown.body["content"] == f"{markup} 扬尘"
    assert json.dumps(SCRIPT).encode() in shown.raw  # a JSON string, quoted, not markup
    # The browsable API (HTML) escapes it like any other text.
    page = api.get(f"/api/v1/appeals/{appeal.code}/", world.people.operator, headers={"Accept": "text/html"})
    assert page.status == 200
    assert SCRIPT not in page.body and markup not in page.body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.body
