"""Schemathesis over every operation of the OpenAPI schema, against the live server, as the people who
may call them: no request it can generate makes the server fail, and every answer matches the schema.
Then data that breaks the schema: schemathesis's negative mode, and a hand-made list of bad values
(wrong types, a lone surrogate, NUL, huge numbers and strings) put in every path and query parameter and
every body field of every operation, as a person who gets past the permission check to the input.

The suite runs on SQLite and again on PostgreSQL (`make test-postgres`): NUL and over-long strings are
refused by PostgreSQL only, so the second run is the one that finds those. Each test prints its count of
requests and of 5xx answers."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from .routes import API_OBJECTS

# Per operation and person; (90 operations × 2 people) × this many requests is each pass's size.
EXAMPLES = 6
NEGATIVE_EXAMPLES = 5

# Values that break any schema, whatever a field's type: the wrong type (a number, a list, an object,
# a boolean, a fraction), a lone surrogate (cannot be encoded; a message that echoes it cannot be
# rendered), NUL (PostgreSQL refuses it in text), a number too big for any column, and strings
# past every length limit (PostgreSQL refuses a varchar too long; SQLite stores it).
SURROGATE = "\ud800"
BODY_VALUES = [
    123456,
    -1,
    1.5,
    True,
    None,
    [],
    ["a", 1],
    {"a": 1},
    "",
    "abc",
    SURROGATE,
    f"a{SURROGATE}b",
    "a\x00b",
    "\x00",
    10**30,
    "9" * 40,
    "x" * 5000,
    "长" * 20_000,
]
# A path or query parameter is text: the same ideas as text, percent-encoded (a surrogate as the
# bytes UTF-8 would give it, which are not UTF-8).
PARAMETER_VALUES = [
    "-1",
    "1.5",
    "abc",
    "[]",
    '{"a":1}',
    "true",
    SURROGATE,
    "\x00",
    "a\x00b",
    "9" * 40,
    "x" * 3000,
    "%",
]


def openapi_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _fuzz_people(world) -> dict[str, str]:
    people = {"dispatcher": world.people.dispatcher, "operator": world.people.operator}
    return {name: Token.objects.get_or_create(user=person)[0].key for name, person in people.items()}


def _run_schemathesis(live_server, tokens, mode: GenerationMode, examples: int, checks) -> tuple[int, list]:
    schema = schemathesis.openapi.from_dict(openapi_schema())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 70
    failures, calls, unbreakable = [], 0, set()

    def fuzz(operation, key):
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            nonlocal calls
            calls += 1
            response = case.call(base_url=live_server.url, headers={"Authorization": f"Token {key}"})
            case.validate_response(response, checks=checks)

        run()

    for operation in operations:
        for name, key in tokens.items():
            try:
                fuzz(operation, key)
            except Unsatisfiable:
                # Nothing breaks this operation's schema (say a path's text code and no query or
                # body): the hand-made pass still sends it bad values.
                assert mode == GenerationMode.NEGATIVE, operation.path
                unbreakable.add(f"{operation.method.upper()} {operation.path}")
            # Schemathesis reports a failure as an exception group; every failing operation is listed,
            # not just the first.
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{name} {operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert calls >= (len(operations) - len(unbreakable)) * len(tokens)
    assert len(unbreakable) <= len(operations) // 5, unbreakable
    return calls, failures


def test_no_operation_fails_for_generated_requests(world, live_server, scene):
    """The scene gives the generated ids something to find: an object of every kind."""
    calls, failures = _run_schemathesis(
        live_server,
        _fuzz_people(world),
        GenerationMode.POSITIVE,
        EXAMPLES,
        [not_a_server_error, response_schema_conformance],
    )
    print(f"API fuzz, schema-conforming: {calls} requests, {len(failures)} failing operations")
    assert not failures, "\n\n".join(failures)


def test_no_operation_fails_for_requests_that_break_the_schema(world, live_server, scene):
    """Schemathesis's negative mode: each request breaks the schema somewhere (a wrong type, a value
    out of range, a missing required field); the answer is never a server error."""
    calls, failures = _run_schemathesis(
        live_server, _fuzz_people(world), GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, [not_a_server_error]
    )
    print(f"API fuzz, schema-breaking: {calls} requests, {len(failures)} failing operations")
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------- the hand-made pass


def _request(base_url: str, method: str, path: str, token: str, body: bytes | None, content_type: str):
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(base_url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _quoted(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _json(body: dict) -> bytes:
    # ensure_ascii: a lone surrogate travels as the escape \ud800, which is valid JSON text.
    return json.dumps(body, ensure_ascii=True).encode("ascii")


def _form(body: dict) -> bytes:
    return urlencode(
        {k: _text(v).encode("utf-8", "surrogatepass") for k, v in body.items()}, doseq=False
    ).encode("ascii")


def _fields(schema: dict, node: dict) -> list[str]:
    if "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return list(node.get("properties", {}))


def bad_requests(schema: dict, scene, tokens: dict[str, str]):
    """(label, method, path, token, body, content type) of every bad value in every parameter and body
    field of every operation. A path's own parameter is the scene's object (or a bad value), asked by
    the object's owner, so that the request reaches the input; an operation without one is asked by
    the city's dispatcher and its operator."""
    for template, item in schema["paths"].items():
        prefix = template[: template.index("{")] if "{" in template else None
        if prefix in API_OBJECTS:
            key, owner = API_OBJECTS[prefix]
            person = owner(scene)
            people = {person.username: Token.objects.get_or_create(user=person)[0].key}
            good = str(key(scene))
        else:
            people, good = tokens, "1"
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            content = operation.get("requestBody", {}).get("content", {})
            media = next(
                (m for m in ("application/json", "application/x-www-form-urlencoded") if m in content), None
            )
            fields = _fields(schema, content[media]["schema"]) if media else []
            path_names = re.findall(r"\{(\w+)\}", template)
            plain_path = re.sub(r"\{\w+\}", _quoted(good), template)
            for who, token in people.items():
                for parameter in parameters:
                    for value in PARAMETER_VALUES:
                        label = f"{who} {method.upper()} {template} {parameter['in']} {parameter['name']}={value[:12]!r}"
                        if parameter["in"] == "path":
                            path = template
                            for name in path_names:
                                path = path.replace(
                                    f"{{{name}}}", _quoted(value if name == parameter["name"] else good)
                                )
                        else:
                            path = f"{plain_path}?{parameter['name']}={_quoted(value)}"
                        yield label, method.upper(), path, token, None, ""
                for field in fields:
                    for value in BODY_VALUES:
                        shown = repr(value)[:14]
                        label = f"{who} {method.upper()} {template} body {field}={shown}"
                        if media == "application/json":
                            body = _json({field: value})
                        elif isinstance(value, (dict, list)) or value is None:
                            continue  # a form field has no type but text
                        else:
                            body = _form({field: value})
                        yield label, method.upper(), plain_path, token, body, media


def test_bad_values_in_every_parameter_and_field_are_refused_not_failed(world, live_server, scene):
    schema = openapi_schema()
    requests = failed = 0
    failures = []
    for label, method, path, token, body, content_type in bad_requests(schema, scene, _fuzz_people(world)):
        status, answer = _request(live_server.url, method, path, token, body, content_type)
        requests += 1
        if status >= 500:
            failed += 1
            failures.append(f"{label} → {status} {answer[:200]!r}")
    print(f"API fuzz, hand-made bad values: {requests} requests, {failed} answered 5xx")
    assert requests >= 3000
    assert not failures, "\n".join(failures)
