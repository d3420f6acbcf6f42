"""A NUL in any Open311 parameter (every name the views read, in the query string and in a post, with
or without a key) or in the path is a 400 GeoReport error document naming the parameter, and nothing
is written. PostgreSQL refuses NUL in any query: before issue 21 a post with one was a 500 there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import yousu.open311.views
from yousu.appeals.models import Appeal, Event
from yousu.open311.models import ServiceRequest

from .test_api import FUMES, form

NUL = "a\x00b"
READ = re.compile(r"""param\(\s*(?:request,\s*)?["']([a-z_]+)["']\)""")
GETS = [
    "discovery.json",
    "services.json",
    f"services/{FUMES}.json",
    "requests.json",
    "requests/NOPE.json",
    "tokens/NOPE.json",
]
PATHS = ["services/D1%00.json", "requests/YS%00.json", "tokens/T%00.json"]


def parameter_names() -> list[str]:
    names = set(READ.findall(Path(yousu.open311.views.__file__).read_text()))
    assert {"api_key", "jurisdiction_id", "service_code", "description", "service_request_id"} <= names
    return [*sorted(names), "attribute[source]"]


def refused_naming(answer, name: str) -> bool:
    if answer.status_code != 400 or not answer["Content-Type"].startswith("application/json"):
        return False
    [error] = answer.json()
    return error["code"] == 400 and error["description"].startswith(f"{name}: ")


def written() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Appeal, Event, ServiceRequest))


@pytest.mark.parametrize("name", parameter_names())
def test_a_nul_in_any_parameter_is_a_400_naming_it(world, api_key, name):
    client = Client()
    before = written()
    for path in GETS:
        answer = client.get(f"/open311/v2/{path}", {name: NUL})
        assert refused_naming(answer, name), (path, answer.status_code, answer.content[:200])
    # Posted with a key, as a client would, and without one.
    for key in (api_key, None):
        answer = client.post("/open311/v2/requests.json", {**form(key), name: NUL})
        assert refused_naming(answer, name), (key, answer.status_code, answer.content[:200])
    assert written() == before


def test_a_nul_in_the_path_is_a_400_naming_it(world):
    client = Client()
    for path, name in zip(PATHS, ("service_code", "service_request_id", "token"), strict=True):
        answer = client.get(f"/open311/v2/{path}")
        assert refused_naming(answer, name), (path, answer.status_code, answer.content[:200])


def test_the_xml_answer_names_it_too(world, api_key):
    answer = Client().post("/open311/v2/requests.xml", form(api_key, description=NUL))
    assert answer.status_code == 400 and answer["Content-Type"].startswith("text/xml")
    assert b"<code>400</code>" in answer.content and b"<description>description: " in answer.content
    assert not Appeal.objects.exists()
