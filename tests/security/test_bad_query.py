"""A NUL character in any query parameter or path parameter is bad input, not a server error (PostgreSQL
refuses NUL in a query; SQLite does not, so this finds something only there: the suite's second run,
`make test-postgres`). Covered: every web page, every API endpoint under api/ and the Open311 endpoints
under open311/ (read without signing in). The parameters are those the code reads from request.GET,
request.query_params and Open311's param(), those of the OpenAPI schema, and the fields of every GET
form the crawl finds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

import yousu

from .routes import API_OBJECTS, crawl, crawled_people, route_path, url_patterns, web_urls

pytestmark = pytest.mark.django_db(transaction=True)

READ = re.compile(
    r"""(?:request\.GET|query_params)(?:\.get|\.getlist)?[\(\[]["']([a-z_]+)["']"""
    r"""|\bparam\(["']([a-z_]+)["']|_param\(request, ["']([a-z_]+)["']"""
)
NUL = "\x00"
# The fields of an Open311 post (GeoReport v2 "POST Service Request").
OPEN311_POST = {
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "first_name",
    "last_name",
    "phone",
    "email",
    "device_id",
    "account_id",
    "media_url",
}


def code_names() -> set[str]:
    return {
        name
        for path in Path(yousu.__file__).parent.rglob("*.py")
        for found in READ.findall(path.read_text())
        for name in found
        if name
    }


def query_names(pages) -> set[str]:
    names = code_names()
    names |= {
        field
        for page in pages.values()
        for form in page.forms
        if form.method == "get"
        for field in form.fields
    }
    return names


def schema_query_names() -> dict[str, set[str]]:
    """Path (with `{}` for each parameter) → the query parameters the OpenAPI schema gives its GET."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        re.sub(r"\{[^}]+\}", "{}", path): {
            parameter["name"] for parameter in item["get"].get("parameters", []) if parameter["in"] == "query"
        }
        for path, item in schema["paths"].items()
        if "get" in item
    }


def test_a_nul_in_any_query_parameter_is_not_a_server_error(scene):
    people = crawled_people(scene)
    pages = crawl(scene, people)
    names = query_names(pages)
    assert {"q", "district", "month", "unit"} <= names
    failed = []
    for who, person in people.items():
        client = Client(raise_request_exception=False)
        if person is not None:
            client.force_login(person)
        for name, url in web_urls(scene).items():
            answer = client.get(url, dict.fromkeys(names, NUL))
            if answer.status_code >= 500:
                failed.append(f"{who}: {name} → {answer.status_code}")
    assert not failed, "\n".join(failed)


def api_and_open311_urls(scene) -> list[tuple[str, str]]:
    """(route, URL) of a GET of every endpoint under api/ and open311/: those without a parameter, the
    scene's object for those that take one of its objects, and a real service code and request id for
    Open311's."""
    urls = []
    for route, _name, _pattern in url_patterns():
        template = route_path(route)
        if not template.startswith(("/api/", "/open311/")) or template == "/api/{}":
            continue
        if "{}" not in template:
            urls.append((template, template))
            continue
        prefix = template[: template.index("{}")]
        if prefix in API_OBJECTS:
            urls.append((template, template.format(API_OBJECTS[prefix][0](scene))))
        elif prefix == "/open311/v2/services/":
            urls.append((template, template.format(scene.world.items.fumes.code)))
        elif prefix == "/open311/v2/requests/":
            urls.append((template, template.format(scene.appeal.code)))
    return urls


def test_a_nul_in_any_parameter_of_the_api_and_open311_is_not_a_server_error(scene, settings):
    """Every query parameter at once, as each kind of person and without signing in (Open311 reads
    anonymously); then each parameter of an endpoint alone (one refused first would hide how the others
    are handled) as the city's dispatcher, who reaches the most, and Open311's anonymously; NUL as each
    path parameter; and NUL in each field of an Open311 post."""
    # Open311's per-address limit would answer 429 before any parameter is read; and with two cities
    # on the deployment every Open311 request names its city, else it stops at that (400).
    settings.YOUSU_OPEN311_REQUESTS_PER_IP_MINUTE = 10**6
    settings.YOUSU_OPEN311_REQUESTS_PER_KEY_MINUTE = 10**6
    city = {"jurisdiction_id": scene.world.areas.city.code}
    in_code = code_names()
    by_path = schema_query_names()
    open311 = {
        "service_request_id",
        "service_code",
        "start_date",
        "end_date",
        "status",
        "jurisdiction_id",
        "api_key",
    }
    assert open311 | {"month", "jurisdiction"} <= in_code
    every = sorted(in_code | set().union(*by_path.values()))
    urls = api_and_open311_urls(scene)
    assert len(urls) >= 60 and any(url.startswith("/open311/") for _template, url in urls)
    people = crawled_people(scene)
    failed, requests = [], 0

    def ask(client, who, url, query=None):
        nonlocal requests
        answer = client.get(url, query or {})
        requests += 1
        if answer.status_code >= 500:
            failed.append(f"{who}: GET {url} {sorted(query or {})[:3]} → {answer.status_code}")

    for who, person in people.items():
        client = Client(raise_request_exception=False)
        if person is not None:
            client.force_login(person)
        for template, url in urls:
            ask(client, who, url, dict.fromkeys(every, NUL))
            is_open311 = url.startswith("/open311/")
            if who == "dispatcher" or (person is None and is_open311):
                # The endpoint's own parameters, and those the code reads from any query.
                own = by_path.get(template, set()) | (open311 if is_open311 else {"month", "jurisdiction"})
                for name in sorted(own):
                    ask(client, who, url, {**(city if is_open311 else {}), name: f"a{NUL}"})
    # NUL as each path parameter (the code of an appeal, a service, a request; an id; a token).
    for route, _name, _pattern in url_patterns():
        template = route_path(route)
        if template.startswith(("/api/", "/open311/")) and "{}" in template:
            for who in ("dispatcher", "anonymous"):
                client = Client(raise_request_exception=False)
                if people[who] is not None:
                    client.force_login(people[who])
                ask(client, who, template.replace("{}", "%00"))
    # Open311's post, anonymous as its clients are: NUL in each field it reads.
    client = Client(raise_request_exception=False)
    for name in sorted(n for n in in_code if n in open311 or n in OPEN311_POST):
        answer = client.post(
            "/open311/v2/requests.json", {**city, "service_code": "D1-01-01", name: f"a{NUL}"}
        )
        requests += 1
        if answer.status_code >= 500:
            failed.append(f"anonymous: POST /open311/v2/requests.json {name} → {answer.status_code}")
    print(f"bad query, api/ and open311/: {requests} requests, {len(failed)} answered 5xx")
    assert not failed, "\n".join(failed)
