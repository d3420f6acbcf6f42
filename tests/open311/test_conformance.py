"""Conformance of /open311/v2/ to GeoReport v2 and Open311 Service Discovery, over real HTTP.

Every JSON answer is validated against a JSON Schema written from the spec (tests/open311/schemas);
every XML answer is parsed, its root and children checked, turned into the JSON shape and validated
against the same schema. Content types and the XML declaration are checked on every answer, errors
included."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).parent / "schemas"
FORMATS = ("json", "xml")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = re.compile(r"""^<\?xml version=["']1\.0["'] encoding=["']utf-8["']\s*\?>""", re.IGNORECASE)

# The place of the test city's east-district grid, where 餐饮油烟污染 (D1-01-01) is the east
# environment bureau's.
LAT, LONG = 31.3, 101.3
FUMES = "D1-01-01"

# XML elements that hold a list, and the name of their children (GeoReport v2 and Service Discovery).
LISTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# The root element of each kind of answer in XML, and its schema.
ROOTS = {
    "discovery": "discovery",
    "services": "services",
    "service_definition": "service_definition",
    "requests": "service_requests",
    "post_response": "service_requests",
    "tokens": "service_requests",
    "errors": "errors",
}


# --- schemas -------------------------------------------------------------------------------------


@cache
def schema(name: str) -> dict:
    document = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    return document


def validate(name: str, document) -> None:
    """Raise with every violation listed, so a failure names the field."""
    errors = sorted(Draft202012Validator(schema(name)).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors)


def problems(name: str, document) -> list[str]:
    return [e.message for e in Draft202012Validator(schema(name)).iter_errors(document)]


# --- XML -----------------------------------------------------------------------------------------


def parse_xml(body: bytes) -> ET.Element:
    assert XML_DECLARATION.match(body.decode("utf-8")), body[:80]
    return ET.fromstring(body)


def element_to_data(element: ET.Element):
    """The JSON shape of an element: a list for the spec's list elements, an object for an element
    with children, its text (None when empty) for a leaf."""
    children = list(element)
    if element.tag in LISTS:
        item = LISTS[element.tag]
        assert all(child.tag == item for child in children), (element.tag, [c.tag for c in children])
        return [element_to_data(child) for child in children]
    if children:
        tags = [child.tag for child in children]
        assert len(tags) == len(set(tags)), f"<{element.tag}> repeats a child: {tags}"
        return {child.tag: element_to_data(child) for child in children}
    text = (element.text or "").strip()
    return text or None


def _types(node: dict, root: dict) -> set[str]:
    if "$ref" in node:
        return _types(root["$defs"][node["$ref"].rsplit("/", 1)[1]], root)
    if "anyOf" in node:
        return set().union(*(_types(option, root) for option in node["anyOf"]))
    kind = node.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def coerce(value, node: dict, root: dict):
    """XML text typed by the schema: XML has only text, JSON has booleans, numbers and null."""
    if isinstance(value, list):
        return [coerce(v, node.get("items", {}), root) for v in value]
    if isinstance(value, dict):
        properties = node.get("properties", {})
        if not properties and isinstance(node.get("items"), dict):
            properties = node["items"].get("properties", {})
        return {k: coerce(v, properties.get(k, {}), root) for k, v in value.items()}
    types = _types(node, root)
    if value is None:
        return None if "null" in types or not types else ""
    if "string" in types or not types:
        return value
    if "boolean" in types:
        return {"true": True, "false": False}.get(value, value)
    if "integer" in types and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    if "number" in types:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def xml_document(kind: str, body: bytes):
    """Parse an XML answer, check its root element, and return it in the JSON shape."""
    root = parse_xml(body)
    assert root.tag == ROOTS[kind], f"root <{root.tag}>, expected <{ROOTS[kind]}>"
    return coerce(element_to_data(root), schema(kind), schema(kind))


def same(value):
    """For comparing a JSON answer with its XML twin: ids as text, empty text as null."""
    if isinstance(value, list):
        return [same(v) for v in value]
    if isinstance(value, dict):
        return {k: same(v) for k, v in value.items()}
    if value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):  # an id may be a number in JSON and is text in XML
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return value


# --- HTTP ----------------------------------------------------------------------------------------


def _path(path: str, params: dict | None) -> str:
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def call(live_open311, method: str, path: str, params: dict | None = None, data: dict | None = None):
    status, content_type, body = live_open311(method, _path(path, params), data)
    return status, content_type, body


def answer(live_open311, kind: str, fmt: str, method: str, path: str, *, params=None, data=None, status=200):
    """Fetch, check status, content type and body, and return the document in the JSON shape."""
    got, content_type, body = call(live_open311, method, path, params, data)
    if isinstance(status, int):
        status = (status,)
    assert got in status, f"{method} {path}: HTTP {got}, expected {status}: {body[:300]!r}"
    expected_type = JSON_TYPE if fmt == "json" else XML_TYPE
    assert content_type.replace(" ", "").lower() == expected_type.replace(" ", ""), (path, content_type)
    document = json.loads(body.decode("utf-8")) if fmt == "json" else xml_document(kind, body)
    validate(kind, document)
    return document


def error(live_open311, fmt: str, method: str, path: str, status: int, *, params=None, data=None):
    """An error answer: the HTTP status, and a body of errors whose code is that status."""
    document = answer(live_open311, "errors", fmt, method, path, params=params, data=data, status=status)
    assert all(entry["code"] == status for entry in document), document
    return document


def attribute_value(attribute: dict) -> str:
    if attribute.get("values"):
        return str(attribute["values"][0]["key"])
    return {
        "number": "1",
        "datetime": "2026-12-01T10:00:00+08:00",
    }.get(attribute["datatype"], "楼下餐馆")


def post_data(key: str, definition: dict | None = None, /, **fields) -> dict:
    """A POST Service Request form: the fumes service at the east grid, every required attribute."""
    data = {
        "api_key": key,
        "service_code": FUMES,
        "lat": str(LAT),
        "long": str(LONG),
        "description": "楼下餐馆油烟直排，窗户都不敢开。",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13812345678",
        "email": "wang@example.com",
    }
    for attribute in (definition or {}).get("attributes", []):
        if attribute["variable"] and attribute["required"]:
            data[f"attribute[{attribute['code']}]"] = attribute_value(attribute)
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def city(world, live_open311):
    return world


@pytest.fixture
def fumes_definition(city, live_open311) -> dict:
    return answer(live_open311, "service_definition", "json", "GET", f"services/{FUMES}.json")


@pytest.fixture
def posted(city, live_open311, api_key, fumes_definition) -> str:
    """The id of one service request posted through the API."""
    document = answer(
        live_open311,
        "post_response",
        "json",
        "POST",
        "requests.json",
        data=post_data(api_key, fumes_definition),
        status=(200, 201),
    )
    assert "service_request_id" in document[0], document
    return str(document[0]["service_request_id"])


# --- the schemas can fail ------------------------------------------------------------------------

GOOD = {
    "discovery": {
        "changeset": "2026-12-01T10:00:00+08:00",
        "contact": "请致电 12345",
        "key_service": "向平台管理员申请",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "https://example.org/open311/v2",
                "changeset": "2026-12-01T10:00:00Z",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    },
    "services": [
        {
            "service_code": "001",
            "service_name": "Cans left out 24x7",
            "description": "Garbage or recycling cans that have been left out for more than 24 hours.",
            "metadata": False,
            "type": "realtime",
            "keywords": "lorem, ipsum",
            "group": "sanitation",
        }
    ],
    "service_definition": {
        "service_code": "DMV66",
        "attributes": [
            {
                "variable": True,
                "code": "WHISHETN",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "What is the ticket/tag/DL number?",
                "values": [{"key": "123", "name": "Ford"}],
            }
        ],
    },
    "requests": [
        {
            "service_request_id": "638344",
            "status": "closed",
            "status_notes": "Duplicate request.",
            "service_name": "Sidewalk and Curb Issues",
            "service_code": "006",
            "description": None,
            "agency_responsible": None,
            "service_notice": None,
            "requested_datetime": "2010-04-14T06:37:38-08:00",
            "updated_datetime": "2010-04-14T06:37:38-08:00",
            "expected_datetime": "2010-04-15T06:37:38-08:00",
            "address": "8TH AVE and JUDAH ST",
            "address_id": 545483,
            "zipcode": "94122",
            "lat": 37.762221815,
            "long": -122.4651145,
            "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg",
        }
    ],
    "post_response": [
        {"service_request_id": "293944", "service_notice": "3 business days", "account_id": None}
    ],
    "tokens": [{"service_request_id": "293944", "token": "12345"}],
    "errors": [{"code": 403, "description": "Invalid api_key"}],
}


def _changed(name: str, change) -> object:
    document = json.loads(json.dumps(GOOD[name]))
    change(document)
    return document


def _set(path, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


WRONG = [
    ("discovery", _drop(["endpoints"])),
    ("discovery", _set(["changeset"], "2026-12-01 10:00")),
    ("discovery", _set(["endpoints", 0, "formats"], ["application/json"])),
    ("discovery", _set(["endpoints", 0, "type"], "staging")),
    ("services", _set([0, "type"], "sometimes")),
    ("services", _set([0, "metadata"], "true")),
    ("services", _drop([0, "service_code"])),
    ("service_definition", _set(["attributes", 0, "datatype"], "boolean")),
    ("service_definition", _drop(["attributes", 0, "values"])),
    ("service_definition", _set(["attributes", 0, "required"], "yes")),
    ("service_definition", _set(["attributes", 0, "order"], 0)),
    ("service_definition", _set(["attributes", 0, "values"], [{"key": "1"}])),
    ("requests", _set([0, "status"], "pending")),
    ("requests", _set([0, "requested_datetime"], "2026-12-01T10:00:00")),
    ("requests", _set([0, "updated_datetime"], "2026-12-01")),
    ("requests", _set([0, "expected_datetime"], "tomorrow")),
    ("requests", _set([0, "lat"], "31.3")),
    ("requests", _drop([0, "service_code"])),
    ("requests", _drop([0, "status"])),
    ("requests", _set([0], "638344")),
    ("post_response", _set([0, "token"], "abc")),
    ("post_response", _drop([0, "service_request_id"])),
    ("post_response", lambda d: d.append(dict(d[0]))),
    ("tokens", _drop([0, "token"])),
    ("errors", _set([0, "code"], "403")),
    ("errors", _drop([0, "description"])),
    ("errors", lambda d: d.clear()),
]


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_schema_accepts_the_spec_example(name):
    validate(name, GOOD[name])


@pytest.mark.parametrize(("name", "change"), WRONG, ids=[f"{n}-{i}" for i, (n, _c) in enumerate(WRONG)])
def test_each_schema_rejects_a_wrong_document(name, change):
    assert problems(name, _changed(name, change))


def test_the_datetime_pattern_wants_the_time_zone():
    good = ["2026-12-01T10:00:00+08:00", "1994-11-05T13:15:30Z", "1994-11-05T08:15-05:00"]
    bad = ["2026-12-01T10:00:00", "2026-12-01", "2026-12-01 10:00:00+08:00", "2026-12-01T10:00:00+0800"]
    for value in good:
        assert not problems("discovery", {**GOOD["discovery"], "changeset": value}), value
    for value in bad:
        assert problems("discovery", {**GOOD["discovery"], "changeset": value}), value


def test_xml_is_read_into_the_json_shape():
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b"<service_definition><service_code>DMV66</service_code><attributes><attribute>"
        b"<variable>true</variable><code>WHISHETN</code><datatype>singlevaluelist</datatype>"
        b"<required>true</required><datatype_description></datatype_description><order>1</order>"
        b"<description>What is the ticket/tag/DL number?</description>"
        b"<values><value><key>123</key><name>Ford</name></value></values>"
        b"</attribute></attributes></service_definition>"
    )
    assert xml_document("service_definition", body) == GOOD["service_definition"]
    with pytest.raises(AssertionError):
        xml_document("services", body)  # not the root of a service list
    with pytest.raises(AssertionError):
        parse_xml(b"<services/>")  # no declaration


# --- discovery and services ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(city, live_open311, fmt):
    document = answer(live_open311, "discovery", fmt, "GET", f"discovery.{fmt}")
    endpoint = document["endpoints"][0]
    assert "GeoReport_v2" in endpoint["specification"]
    assert endpoint["url"].rstrip("/").endswith("/open311/v2")
    assert {"text/xml", "application/json"} <= set(endpoint["formats"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list(city, live_open311, fmt):
    document = answer(live_open311, "services", fmt, "GET", f"services.{fmt}")
    codes = {service["service_code"]: service for service in document}
    assert FUMES in codes and codes[FUMES]["service_name"] == "餐饮油烟污染"


def test_service_list_is_the_same_in_both_formats(city, live_open311):
    as_json = answer(live_open311, "services", "json", "GET", "services.json")
    as_xml = answer(live_open311, "services", "xml", "GET", "services.xml")
    assert same(as_xml) == same(as_json)


def test_every_service_definition_in_both_formats(city, live_open311):
    services = answer(live_open311, "services", "json", "GET", "services.json")
    with_metadata = [s["service_code"] for s in services if s["metadata"]]
    assert FUMES in with_metadata
    required = 0
    for code in with_metadata:
        quoted = urllib.parse.quote(code, safe="")
        as_json = answer(live_open311, "service_definition", "json", "GET", f"services/{quoted}.json")
        as_xml = answer(live_open311, "service_definition", "xml", "GET", f"services/{quoted}.xml")
        assert as_json["service_code"] == code and same(as_xml) == same(as_json)
        orders = [attribute["order"] for attribute in as_json["attributes"]]
        assert len(orders) == len(set(orders)), f"{code}: an order is used twice: {orders}"
        required += sum(1 for a in as_json["attributes"] if a["variable"] and a["required"])
    assert required, "no service has a required attribute"


# --- requests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_a_request(city, live_open311, api_key, fumes_definition, fmt):
    document = answer(
        live_open311,
        "post_response",
        fmt,
        "POST",
        f"requests.{fmt}",
        data=post_data(api_key, fumes_definition),
        status=(200, 201),
    )
    assert document[0].get("service_request_id"), document


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request(live_open311, posted, fmt):
    document = answer(live_open311, "requests", fmt, "GET", f"requests/{posted}.{fmt}")
    assert len(document) == 1
    request = document[0]
    assert str(request["service_request_id"]) == posted
    assert request["status"] == "open" and request["service_code"] == FUMES
    assert request["lat"] == pytest.approx(LAT, abs=1e-6) and request["long"] == pytest.approx(LONG, abs=1e-6)
    text = json.dumps(document, ensure_ascii=False)  # no personal data of the citizen
    assert "13812345678" not in text and "wang@example.com" not in text and "小明" not in text


def test_one_request_is_the_same_in_both_formats(live_open311, posted):
    as_json = answer(live_open311, "requests", "json", "GET", f"requests/{posted}.json")
    as_xml = answer(live_open311, "requests", "xml", "GET", f"requests/{posted}.xml")
    assert same(as_xml) == same(as_json)


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_list(live_open311, posted, fmt):
    document = answer(live_open311, "requests", fmt, "GET", f"requests.{fmt}")
    assert posted in {str(r["service_request_id"]) for r in document}


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_list_filters(live_open311, posted, fmt):
    now = dt.datetime.now(dt.UTC)
    window = {
        "start_date": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    ids = lambda **params: {  # noqa: E731
        str(r["service_request_id"])
        for r in answer(live_open311, "requests", fmt, "GET", f"requests.{fmt}", params=params)
    }
    assert posted in ids(**window, status="open", service_code=FUMES)
    assert posted in ids(service_request_id=posted)
    assert posted not in ids(status="closed")
    assert posted not in ids(service_code="D1-01-02")
    past = {"start_date": "2025-01-01T00:00:00+08:00", "end_date": "2025-02-01T00:00:00+08:00"}
    assert posted not in ids(**past)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_an_api_key(city, live_open311, api_key, fumes_definition, fmt):
    data = post_data(api_key, fumes_definition, api_key=None)
    error(live_open311, fmt, "POST", f"requests.{fmt}", 403, data=data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_a_wrong_api_key(city, live_open311, api_key, fumes_definition, fmt):
    data = post_data(api_key, fumes_definition, api_key=api_key + "x")
    error(live_open311, fmt, "POST", f"requests.{fmt}", 403, data=data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code(city, live_open311, api_key, fumes_definition, fmt):
    error(live_open311, fmt, "GET", f"services/NO-SUCH-CODE.{fmt}", 404)
    data = post_data(api_key, fumes_definition, service_code="NO-SUCH-CODE")
    error(live_open311, fmt, "POST", f"requests.{fmt}", 404, data=data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_a_location(city, live_open311, api_key, fumes_definition, fmt):
    data = post_data(api_key, fumes_definition, lat=None, long=None)
    error(live_open311, fmt, "POST", f"requests.{fmt}", 400, data=data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_a_required_attribute(city, live_open311, api_key, fmt):
    services = answer(live_open311, "services", "json", "GET", "services.json")
    for service in (s for s in services if s["metadata"]):
        code = service["service_code"]
        quoted = urllib.parse.quote(code, safe="")
        definition = answer(live_open311, "service_definition", "json", "GET", f"services/{quoted}.json")
        needed = [a for a in definition["attributes"] if a["variable"] and a["required"]]
        if needed:
            break
    else:
        raise AssertionError("no service has a required attribute")
    data = post_data(api_key, definition, service_code=code)
    del data[f"attribute[{needed[0]['code']}]"]
    document = error(live_open311, fmt, "POST", f"requests.{fmt}", 400, data=data)
    assert any(needed[0]["code"] in entry["description"] for entry in document), document


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"end_date": "2026-13-45T00:00:00Z"},
        {"start_date": "2026-12-01T10:00:00+08:00", "end_date": "not-a-date"},
    ],
    ids=["start", "end", "end-with-start"],
)
def test_bad_dates(city, live_open311, fmt, params):
    error(live_open311, fmt, "GET", f"requests.{fmt}", 400, params=params)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_span_over_90_days(city, live_open311, fmt):
    params = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-02T00:00:00+08:00"}
    error(live_open311, fmt, "GET", f"requests.{fmt}", 400, params=params)
    within = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-03-31T00:00:00+08:00"}
    answer(live_open311, "requests", fmt, "GET", f"requests.{fmt}", params=within)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token(city, live_open311, fmt):
    error(live_open311, fmt, "GET", f"requests/999999999.{fmt}", 404)
    error(live_open311, fmt, "GET", f"tokens/no-such-token.{fmt}", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_deployment_that_answers_with_tokens(city, live_open311, api_key, fumes_definition, settings, fmt):
    settings.YOUSU_OPEN311_ANSWER_WITH_TOKEN = True
    document = answer(
        live_open311,
        "post_response",
        fmt,
        "POST",
        f"requests.{fmt}",
        data=post_data(api_key, fumes_definition),
        status=(200, 201),
    )
    token = document[0]["token"]
    assert "service_request_id" not in document[0]
    found = answer(live_open311, "tokens", fmt, "GET", f"tokens/{urllib.parse.quote(token, safe='')}.{fmt}")
    assert found[0]["token"] == token
    request_id = str(found[0]["service_request_id"])
    request = answer(live_open311, "requests", fmt, "GET", f"requests/{request_id}.{fmt}")[0]
    assert request["service_code"] == FUMES and request["status"] == "open"


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_answered_with_a_token_are_batch_services(city, live_open311, settings, fmt):
    """GeoReport v2: realtime, the id is returned at once; batch, a token is returned instead."""
    assert {s["type"] for s in answer(live_open311, "services", fmt, "GET", f"services.{fmt}")} == {
        "realtime"
    }
    settings.YOUSU_OPEN311_ANSWER_WITH_TOKEN = True
    assert {s["type"] for s in answer(live_open311, "services", fmt, "GET", f"services.{fmt}")} == {"batch"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_every_kind_of_attribute(city, live_open311, api_key, fumes_definition, fmt):
    """attribute[code]=value, and attribute[code][]=value repeated for a multivaluelist."""
    kinds = {a["datatype"] for a in fumes_definition["attributes"] if a["variable"]}
    assert {"singlevaluelist", "multivaluelist"} <= kinds, fumes_definition
    data = post_data(api_key, fumes_definition)
    for attribute in fumes_definition["attributes"]:
        if not attribute["variable"]:
            continue
        if attribute["datatype"] == "multivaluelist":
            data[f"attribute[{attribute['code']}][]"] = [str(v["key"]) for v in attribute["values"][:2]]
        else:
            data[f"attribute[{attribute['code']}]"] = attribute_value(attribute)
    document = answer(
        live_open311, "post_response", fmt, "POST", f"requests.{fmt}", data=data, status=(200, 201)
    )
    request_id = str(document[0]["service_request_id"])
    answer(live_open311, "requests", fmt, "GET", f"requests/{request_id}.{fmt}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_a_value_not_in_the_list(city, live_open311, api_key, fumes_definition, fmt):
    listed = next(
        a for a in fumes_definition["attributes"] if a["variable"] and a["datatype"] == "singlevaluelist"
    )
    data = post_data(api_key, fumes_definition, **{f"attribute[{listed['code']}]": "no-such-key"})
    document = error(live_open311, fmt, "POST", f"requests.{fmt}", 400, data=data)
    assert any(listed["code"] in entry["description"] for entry in document), document
