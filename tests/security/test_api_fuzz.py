"""Schemathesis over every operation of the OpenAPI schema, against the live server, as the people who
may call them: no request it can generate makes the server fail, and every answer matches the schema."""

from __future__ import annotations

import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

# Per operation and person; 76 operations × 2 people × this many requests is the run's size.
EXAMPLES = 6


def openapi_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_no_operation_fails_for_generated_requests(world, live_server, scene):
    """The scene gives the generated ids something to find: an object of every kind."""
    schema = schemathesis.openapi.from_dict(openapi_schema())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 70
    people = {"dispatcher": world.people.dispatcher, "operator": world.people.operator}
    tokens = {name: Token.objects.get_or_create(user=person)[0].key for name, person in people.items()}
    failures = []
    calls = 0

    def fuzz(operation, key):
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            nonlocal calls
            calls += 1
            response = case.call(base_url=live_server.url, headers={"Authorization": f"Token {key}"})
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        run()

    for operation in operations:
        for name, key in tokens.items():
            try:
                fuzz(operation, key)
            # Schemathesis reports a failure as an exception group; every failing operation is listed,
            # not just the first.
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{name} {operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
    assert calls >= len(operations) * len(tokens)
