"""The intake path through the API, the platform's busiest call: what it reads (nothing from a cache,
so a change is seen by the next request), how many statements it runs, and that its answer, built
without DRF's per-request fields, is what the declared serializer and the OpenAPI schema say."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.appeals.factories import new_appeal
from yousu.api import serializers as s
from yousu.api.views import prefetch_none
from yousu.appeals.models import Appeal
from yousu.appeals.services import AttachmentIn, appeal_link_duplicate
from yousu.org.models import Area, Role
from yousu.org.services import area_set_appeal_code_prefix

from .helpers import assert_refused

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
APPEAL = {
    "kind": "complaint",
    "channel": "app",
    "title": "小区门口垃圾堆积",
    "content": "东一社区门口垃圾三天没有清运。",
    "area": "C-E-1-1",
    "item": "D1-01-01",
    "citizen_name": "赵六",
    "citizen_phone": "13700001111",
}


def test_a_changed_prefix_and_a_deactivated_area_are_seen_by_the_next_intake(api, world):
    first = api.post("/api/v1/appeals/", world.people.operator, APPEAL)
    assert first.status == 201 and first.body["code"].startswith("YS")
    area_set_appeal_code_prefix(world.areas.city, "XN")
    second = api.post("/api/v1/appeals/", world.people.operator, APPEAL)
    assert second.status == 201 and second.body["code"].startswith("XN")
    # The admin's activate/deactivate action updates the row directly, without signals: there is
    # no cached copy of an area that such a change would have to reach.
    Area.objects.filter(pk=world.areas.east_community.pk).update(is_active=False)
    refused = api.post("/api/v1/appeals/", world.people.operator, APPEAL)
    assert refused.status == 400 and refused.error["field"] == "area"
    assert Appeal.objects.count() == 2


def test_a_removed_role_a_deactivated_person_or_a_deleted_token_is_refused_at_once(api, world):
    operator = world.people.operator
    assert api.post("/api/v1/appeals/", operator, APPEAL).status == 201
    operator.roles.remove(Role.objects.get(code="operator"))
    assert_refused(api.post("/api/v1/appeals/", operator, APPEAL), (403,))
    operator.roles.add(Role.objects.get(code="operator"))
    assert api.post("/api/v1/appeals/", operator, APPEAL).status == 201
    token = Token.objects.get(user=operator)
    headers = {"Authorization": f"Token {token.key}"}
    operator.is_active = False
    operator.save(update_fields=["is_active"])
    assert_refused(api.call("POST", "/api/v1/appeals/", json_body=APPEAL, headers=headers), (401,))
    operator.is_active = True
    operator.save(update_fields=["is_active"])
    token.delete()
    assert_refused(api.call("POST", "/api/v1/appeals/", json_body=APPEAL, headers=headers), (401,))
    assert Appeal.objects.count() == 2


def test_an_intake_runs_eleven_statements_and_takes_no_savepoint(transactional_db, world):
    # The token with the person, the unit and its area; the area; the item; the caller's roles;
    # whether the idempotency key was used; then BEGIN, the number, the appeal, its event, COMMIT;
    # the duplicate search. Outside a test transaction, as in a real request.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.people.operator).key}")
    assert client.post("/api/v1/appeals/", APPEAL, format="json").status_code == 201  # the day's counter
    with CaptureQueriesContext(connection) as queries:
        answer = client.post("/api/v1/appeals/", {**APPEAL, "idempotency_key": "app-1"}, format="json")
    assert answer.status_code == 201, answer.content
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) <= 11, "\n".join(statements)
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()], statements


def _declared(appeal: Appeal) -> dict:
    return dict(s.AppealCreatedOut(appeal).data)


def test_the_intake_answer_is_what_the_declared_serializer_gives(world):
    plain = new_appeal(world, channel="web", area=world.areas.east_community)
    prefetch_none(plain, "attachments")
    plain.possible_duplicates = []
    pictured = new_appeal(
        world,
        area=None,
        item=None,
        longitude=101.3,
        latitude=31.3,
        anonymous=True,
        attachments=[AttachmentIn(name="photo.png", data=PNG)],
    )
    pictured.possible_duplicates = [plain.code, "XN20261122000001"]
    linked = appeal_link_duplicate(appeal=new_appeal(world), original=plain, by=world.people.operator)
    linked.possible_duplicates = []
    for appeal in (plain, pictured, linked):
        assert s.appeal_created_data(appeal) == _declared(appeal)
        # Times are given in the zone of the request, as DRF gives them.
        with timezone.override(dt.UTC):
            assert s.appeal_created_data(appeal) == _declared(appeal)
            assert s.appeal_created_data(appeal)["received_at"].endswith("Z")


def test_the_schema_documents_every_field_of_the_intake_answer(api, world):
    answer = api.post("/api/v1/appeals/", world.people.operator, APPEAL)
    schema = api.get("/api/schema/?format=json").body
    created = schema["paths"]["/api/v1/appeals/"]["post"]["responses"]["201"]["content"]["application/json"]
    name = created["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][name]["properties"]) == set(answer.body)
