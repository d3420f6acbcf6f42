"""Text no database can store, sent to every operation of the OpenAPI schema: a lone surrogate ("\\ud800",
which JSON can spell but UTF-8 cannot encode) and a NUL (which PostgreSQL refuses in any query) in
every property of every JSON body, in every path parameter and in every query parameter. Each is a
400 naming the field, never a 500, and nothing is written.

Before issue 21 a surrogate in a choice field was a 500 (its error message echoed the value, and the
answer could not be rendered), and a NUL in an appeal's code or a suggestion's area was a 500 on
PostgreSQL."""

from __future__ import annotations

import json

from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from yousu.appeals.models import Appeal, Attachment, Event
from yousu.dispatch.models import Order

SURROGATE, NUL = "\ud800", "a\x00b"
# An object of the scene for each path parameter, by the path up to it (the longest prefix wins).
PATH_OBJECTS = {
    "/api/v1/appeals/": lambda s: s.appeal.code,
    "/api/v1/intelligence/appeals/": lambda s: s.received.code,
    "/api/v1/orders/": lambda s: s.order.pk,
    "/api/v1/return-requests/": lambda s: s.return_request.pk,
    "/api/v1/extension-requests/": lambda s: s.extension_request.pk,
    "/api/v1/consultations/": lambda s: s.consultation.pk,
    "/api/v1/whistles/": lambda s: s.whistle.pk,
    "/api/v1/supervision-orders/": lambda s: s.supervision_order.pk,
    "/api/v1/callbacks/": lambda s: s.callback.pk,
    "/api/v1/notifications/": lambda s: s.notification.pk,
    "/api/v1/grid/problems/": lambda s: s.problem.pk,
    "/api/v1/intelligence/hot-issues/": lambda s: s.hot_issue.pk,
    "/api/v1/knowledge/entries/": lambda s: s.entry.pk,
    "/api/v1/knowledge/answers/": lambda s: s.intake_answer.pk,
}
# Operations nobody in the scene may reach the body of: only checked for never failing.
NOT_REACHED = {
    "/api/v1/public/cases/{case_id}/withdraw/": "the scene publishes no typical case (tests/public)",
}


def operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method.upper(), operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    ], schema


def body_properties(schema: dict, operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    node = (content.get("application/json") or {}).get("schema") or {}
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return list(node.get("properties") or {})


def filled(path: str, scene, parameters: list[str], bad: str | None = None) -> str:
    for name in parameters:
        prefix = path.split("{" + name + "}")[0]
        owner = max((p for p in PATH_OBJECTS if prefix.startswith(p)), key=len, default=None)
        value = str(PATH_OBJECTS[owner](scene)) if owner else "1"
        path = path.replace("{" + name + "}", value + (bad if bad is not None else ""))
    return path


def written() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Appeal, Order, Event, Attachment))


def clients(scene) -> dict[str, Client]:
    p = scene.world.people
    people = {
        "dispatcher": p.dispatcher,
        "operator": p.operator,
        "east_eco_handler": p.east_eco_handler,
        "east_market_handler": p.east_market_handler,
        "street_leader": p.street_leader,
        "grid_worker": scene.grid.worker,
        "supervisor": p.supervisor,
    }
    return {
        name: Client(
            raise_request_exception=False,
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=person)[0].key}",
            HTTP_ACCEPT="application/json",
        )
        for name, person in people.items()
    }


def names_the_field(answer, field: str) -> bool:
    return answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_unstorable_text_in_any_body_property_is_a_400_naming_it(scene):
    ops, schema = operations()
    callers = clients(scene)
    before = written()
    server_errors, unnamed, requests = [], [], 0
    for path, method, operation in ops:
        parameters = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = filled(path, scene, parameters)
        for field in body_properties(schema, operation):
            for value in (SURROGATE, NUL):
                # json.dumps escapes the surrogate as \ud800, as a client's JSON would.
                body = json.dumps({field: value})
                answers = []
                # Until someone who may call it (the others may be refused first) is told which field.
                for client in callers.values():
                    answers.append(client.generic(method, url, body, content_type="application/json"))
                    if names_the_field(answers[-1], field):
                        break
                requests += len(answers)
                server_errors += [
                    f"{method} {path} {field}: {a.status_code}" for a in answers if a.status_code >= 500
                ]
                if not names_the_field(answers[-1], field) and path not in NOT_REACHED:
                    unnamed.append(f"{method} {path} {field!r} {value!r}: {[a.status_code for a in answers]}")
    assert not server_errors, "\n".join(server_errors)
    assert not unnamed, "\n".join(unnamed)
    assert requests > 200
    assert written() == before


def test_a_surrogate_in_a_choice_field_is_named_not_echoed(scene):
    callers = clients(scene)
    answer = callers["operator"].post(
        "/api/v1/appeals/", '{"kind": "\\ud800", "channel": "hotline"}', content_type="application/json"
    )
    assert names_the_field(answer, "kind")
    assert "\\ud800" not in answer.content.decode() and "空字符" in answer.json()["error"]["message"]


def test_a_nul_in_any_path_or_query_parameter_is_a_400_naming_it(scene):
    ops, _schema = operations()
    callers = clients(scene)
    before = written()
    wrong, requests = [], 0
    for path, method, operation in ops:
        parameters = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        queries = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        body = "{}" if method != "GET" else ""
        for name in parameters:
            for caller in callers.values():
                url = filled(path, scene, [name], bad="%00")
                answer = caller.generic(
                    method, filled(url, scene, parameters), body, content_type="application/json"
                )
                requests += 1
                # A parameter whose pattern takes digits only never reaches its view: the API's
                # catch-all for unknown paths answers, naming the path.
                if not (names_the_field(answer, name) or names_the_field(answer, "path")):
                    wrong.append(f"{method} {path} {name}: {answer.status_code}")
        for name in queries:
            for caller in callers.values():
                url = filled(path, scene, parameters) + f"?{name}=%00"
                answer = caller.generic(method, url, body, content_type="application/json")
                requests += 1
                if not names_the_field(answer, name):
                    wrong.append(f"{method} {path} ?{name}: {answer.status_code}")
    assert not wrong, "\n".join(wrong)
    assert requests > 300
    assert written() == before
