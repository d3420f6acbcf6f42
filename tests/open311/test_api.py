"""The Open311 GeoReport v2 endpoint's behaviour over real HTTP: posting creates an appeal on the
Open311 channel, every refusal answers the spec's status with an error document, reads show nothing
of the citizen, keys are issued, limited and revoked."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.appeals.factories import at_eco
from tests.callbacks.helpers import complete
from tests.conftest import box
from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.models import Appeal, Event
from yousu.appeals.services import appeal_create, appeal_link_duplicate
from yousu.open311.models import ApiKey, ServiceRequest
from yousu.open311.selectors import RequestQuery, requests_list
from yousu.open311.services import Contact, Location, api_key_issue, api_key_revoke, open311_request_create
from yousu.org.services import area_create, person_create, unit_create

from .conftest import OPENER, attribute

FUMES = "D1-01-01"
LAT, LONG = 31.3, 101.3
JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
PERSONAL = ("13812345678", "wang@example.com", "小明", "device-77", "account-88")


def form(api_key: str | None, **fields) -> dict:
    """A complete post for the fumes service at the east grid; a field given as None is left out."""
    data = {
        "api_key": api_key,
        "service_code": FUMES,
        "lat": str(LAT),
        "long": str(LONG),
        "description": "楼下餐馆油烟直排，窗户都不敢开。",
        "attribute[source]": "restaurant",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13812345678",
        "email": "wang@example.com",
        "device_id": "device-77",
        "account_id": "account-88",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def xml_data(element: ET.Element):
    """An XML answer read into the JSON shape, enough for these tests: lists by their known wrappers."""
    lists = {"services", "service_requests", "errors", "endpoints", "formats", "attributes", "values"}
    if element.tag in lists:
        return [xml_data(child) for child in element]
    if len(element):
        return {child.tag: xml_data(child) for child in element}
    return element.text


def fetch(live_open311, method: str, path: str, data: dict | None = None):
    """(status, document) of one call, checking the content type and, for XML, the declaration."""
    status, content_type, body = live_open311(method, path, data)
    fmt = path.split("?")[0].rsplit(".", 1)[1]
    if fmt == "json":
        assert content_type == JSON, (path, content_type)
        return status, json.loads(body)
    assert content_type == XML, (path, content_type)
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    return status, xml_data(ET.fromstring(body))


def refused(live_open311, method: str, path: str, status: int, data: dict | None = None) -> str:
    """Assert an error answer of `status` in the spec's shape; returns its description."""
    got, document = fetch(live_open311, method, path, data)
    assert got == status, (path, got, document)
    assert isinstance(document, list) and len(document) == 1, document
    assert set(document[0]) == {"code", "description"} and str(document[0]["code"]) == str(status)
    assert document[0]["description"]
    return document[0]["description"]


def post(live_open311, fmt: str = "json", **fields) -> dict:
    status, document = fetch(live_open311, "POST", f"requests.{fmt}", form(**fields))
    assert status == 200, document
    assert len(document) == 1, document
    return document[0]


def ids(live_open311, query: str = "", fmt: str = "json") -> set[str]:
    status, document = fetch(live_open311, "GET", f"requests.{fmt}{query}")
    assert status == 200, document
    return {request["service_request_id"] for request in document}


# --- creating ------------------------------------------------------------------------------------


def test_a_post_becomes_an_appeal_on_the_open311_channel_with_what_the_client_sent(
    world, live_open311, api_key
):
    answer = post(
        live_open311,
        api_key=api_key,
        **{
            "attribute[hours][]": ["noon", "evening"],
            "attribute[since]": "2026-11-20T18:00:00+08:00",
            "attribute[floor]": "3",
            "address_string": "东一街道 12 号",
            "media_url": "https://example.org/photos/1.jpg",
        },
    )
    appeal = Appeal.objects.get(code=answer["service_request_id"])
    assert answer["account_id"] == "account-88" and "token" not in answer
    assert appeal.channel == Channel.OPEN311 and appeal.status == AppealStatus.RECEIVED
    assert appeal.item == world.items.fumes and appeal.kind == "complaint"
    assert appeal.intake_unit == world.units.platform
    assert (appeal.latitude, appeal.longitude, appeal.address) == (LAT, LONG, "东一街道 12 号")
    assert appeal.area is not None and appeal.area.code.startswith("C-E")
    assert (appeal.citizen_name, appeal.citizen_phone) == ("王小明", "13812345678")
    # The handling unit reads the answers with the appeal, each under its question.
    assert appeal.content.startswith("楼下餐馆油烟直排")
    assert "油烟来自哪里？：餐馆" in appeal.content and "什么时段最严重？：中午、晚上" in appeal.content
    assert appeal.title == "楼下餐馆油烟直排，窗户都不敢开"
    kept = ServiceRequest.objects.get(appeal=appeal)
    assert kept.attributes == {
        "source": "restaurant",
        "hours": ["noon", "evening"],
        "since": "2026-11-20T18:00:00+08:00",
        "floor": "3",
    }
    assert kept.media_url == "https://example.org/photos/1.jpg" and kept.email == "wang@example.com"
    assert kept.api_key.name == "测试客户端" and kept.token and kept.jurisdiction == world.areas.city
    assert Event.objects.filter(appeal=appeal, action="received", payload__channel="open311").exists()


def test_the_post_is_exempt_from_csrf_and_each_post_is_a_new_appeal(world, live_open311, api_key):
    # urllib sends no CSRF cookie or token: a key-authenticated API call must still go through.
    first = post(live_open311, "xml", api_key=api_key)
    second = post(live_open311, "xml", api_key=api_key)
    assert first["service_request_id"] != second["service_request_id"]
    assert Appeal.objects.filter(channel=Channel.OPEN311).count() == 2
    assert len(set(ServiceRequest.objects.values_list("token", flat=True))) == 2


def test_a_kind_the_item_lists_first_is_used_when_complaints_do_not_fit(world, live_open311, api_key):
    water = world.items.water_outage
    water.appeal_kinds = ["help", "inquiry"]
    water.save()
    answer = post(live_open311, api_key=api_key, service_code=water.code, **{"attribute[source]": None})
    assert Appeal.objects.get(code=answer["service_request_id"]).kind == "help"


def test_an_address_or_an_address_id_is_location_enough(world, live_open311, api_key):
    by_address = post(live_open311, api_key=api_key, lat=None, long=None, address_string="东一社区南门")
    by_id = post(live_open311, api_key=api_key, lat=None, long=None, address_id="A-1024")
    assert Appeal.objects.get(code=by_address["service_request_id"]).address == "东一社区南门"
    status, shown = fetch(live_open311, "GET", f"requests/{by_id['service_request_id']}.json")
    assert status == 200 and shown[0]["address_id"] == "A-1024" and shown[0]["lat"] is None


def test_an_empty_optional_parameter_counts_as_absent(world, live_open311, api_key):
    answer = post(
        live_open311,
        api_key=api_key,
        email="",
        media_url="",
        phone="",
        jurisdiction_id="",
        address_string="",
        **{"attribute[hours][]": "", "attribute[floor]": ""},
    )
    kept = ServiceRequest.objects.get(appeal__code=answer["service_request_id"])
    assert kept.attributes == {"source": "restaurant"} and kept.email == "" and kept.media_url == ""
    everything = ids(live_open311)
    assert everything == {answer["service_request_id"]}
    assert ids(live_open311, "?status=&service_code=&start_date=&end_date=&service_request_id=") == everything


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_wrong_or_revoked_key_is_refused_with_403(world, live_open311, api_key, fmt):
    path = f"requests.{fmt}"
    refused(live_open311, "POST", path, 403, form(None))
    refused(live_open311, "POST", path, 403, form(""))
    refused(live_open311, "POST", path, 403, form(api_key + "x"))
    key = ApiKey.objects.get(name="测试客户端")
    api_key_revoke(key=key)
    refused(live_open311, "POST", path, 403, form(api_key))
    # A key given on a read must be valid too, so a client learns its key was revoked.
    refused(live_open311, "GET", f"services.{fmt}?api_key={api_key}", 403)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_or_unusable_service_code_answers_404(world, live_open311, api_key, fmt):
    world.items.dust.is_active = False
    world.items.dust.save()
    for code in ("NO-SUCH", "D1-01", "D1-01-02"):  # unknown, a level-2 item, an inactive item
        refused(live_open311, "GET", f"services/{code}.{fmt}", 404)
        refused(live_open311, "POST", f"requests.{fmt}", 404, form(api_key, service_code=code))
    refused(live_open311, "POST", f"requests.{fmt}", 400, form(api_key, service_code=""))
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"lat": None, "long": None}, "location"),
        ({"long": None}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"lat": "95"}, "lat"),
        ({"attribute[source]": None}, "attribute[source]"),
        ({"attribute[source]": "factory"}, "attribute[source]"),
        ({"attribute[hours][]": ["noon", "dawn"]}, "attribute[hours]"),
        ({"attribute[floor]": "third"}, "attribute[floor]"),
        ({"attribute[since]": "last week"}, "attribute[since]"),
        ({"description": "烟" * 4001}, "description"),
        ({"email": "wang@"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"media_url": "ftp://example.org/1.jpg"}, "media_url"),
    ],
    ids=[
        "no-location",
        "half-a-point",
        "lat-not-a-number",
        "lat-out-of-range",
        "required-attribute",
        "not-a-listed-value",
        "not-listed-values",
        "not-a-number",
        "not-a-datetime",
        "description-too-long",
        "email",
        "phone",
        "media-url",
    ],
)
def test_a_post_the_rules_refuse_answers_400_naming_the_field(world, live_open311, api_key, fields, named):
    description = refused(live_open311, "POST", "requests.json", 400, form(api_key, **fields))
    assert named in description, description
    assert not Appeal.objects.exists()


def test_a_description_of_4000_characters_is_taken(world, live_open311, api_key):
    answer = post(live_open311, api_key=api_key, service_code="D1-01-02", description="烟" * 4000)
    # The answers to the fumes service's questions are added to the text and would not fit.
    description = refused(live_open311, "POST", "requests.json", 400, form(api_key, description="烟" * 4000))
    assert "description" in description
    assert Appeal.objects.get(code=answer["service_request_id"]).content == "烟" * 4000


@pytest.mark.parametrize(
    "query",
    [
        "?start_date=yesterday",
        "?end_date=2026-13-45T00:00:00Z",
        "?start_date=2026-12-01T10:00:00%2B08:00&end_date=not-a-date",
        "?start_date=2026-03-01T00:00:00%2B08:00&end_date=2026-02-01T00:00:00%2B08:00",
        "?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-04-02T00:00:00%2B08:00",
        "?status=pending",
    ],
    ids=["start", "end", "end-with-start", "end-before-start", "over-90-days", "status"],
)
def test_bad_list_parameters_answer_400(world, live_open311, query):
    refused(live_open311, "GET", f"requests.json{query}", 400)
    refused(live_open311, "GET", f"requests.xml{query}", 400)


def test_unknown_request_token_and_method(world, live_open311):
    refused(live_open311, "GET", "requests/YS20260101000001.xml", 404)
    refused(live_open311, "GET", "tokens/no-such-token.json", 404)
    refused(live_open311, "DELETE", "requests.json", 405)
    refused(live_open311, "POST", "services.xml", 405, {})


# --- jurisdictions -------------------------------------------------------------------------------


def test_one_city_makes_jurisdiction_optional_and_checked(world, live_open311, api_key):
    answer = post(live_open311, api_key=api_key, jurisdiction_id="C")
    assert answer["service_request_id"] in ids(live_open311, "?jurisdiction_id=C")
    refused(live_open311, "GET", "services.json?jurisdiction_id=ELSEWHERE", 404)
    refused(live_open311, "GET", f"requests/{answer['service_request_id']}.xml?jurisdiction_id=X", 404)
    refused(live_open311, "POST", "requests.json", 404, form(api_key, jurisdiction_id="X"))


@pytest.fixture
def second_city(world):
    city = area_create(code="N", name="北市", kind="city", boundary=box(110, 30, 112, 32))
    platform = unit_create(code="NP", name="北市平台", kind="city_platform", level="city", area=city)
    return city, platform


def test_several_cities_make_jurisdiction_required_and_keep_requests_apart(
    world, second_city, live_open311, api_key
):
    _city, platform = second_city
    refused(live_open311, "GET", "services.json", 400)
    refused(live_open311, "GET", "requests.xml", 400)
    refused(live_open311, "POST", "requests.json", 400, form(api_key))
    here = post(live_open311, api_key=api_key, jurisdiction_id="C")["service_request_id"]
    there = post(
        live_open311, api_key=api_key, jurisdiction_id="N", lat=None, long=None, address_string="北市"
    )
    there = there["service_request_id"]
    assert Appeal.objects.get(code=there).intake_unit == platform
    assert Appeal.objects.get(code=here).intake_unit == world.units.platform
    assert ids(live_open311, "?jurisdiction_id=C") == {here}
    assert ids(live_open311, "?jurisdiction_id=N") == {there}
    refused(live_open311, "GET", f"requests/{here}.json?jurisdiction_id=N", 404)
    # A place in the other city is that city's to receive.
    description = refused(
        live_open311, "POST", "requests.json", 400, form(api_key, jurisdiction_id="C", long="111")
    )
    assert "jurisdiction" in description


def test_the_intake_unit_setting_names_the_unit_that_receives(world, second_city, live_open311, api_key):
    with override_settings(YOUSU_OPEN311_INTAKE_UNIT=["N-X", "C-E-P"]):
        code = post(live_open311, api_key=api_key, jurisdiction_id="C")["service_request_id"]
    assert Appeal.objects.get(code=code).intake_unit == world.units.east_platform


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_answer_has_its_content_type_and_the_xml_its_declaration(world, live_open311, api_key, fmt):
    code = post(live_open311, fmt, api_key=api_key)["service_request_id"]
    for path in ("discovery", "services", f"services/{FUMES}", "requests", f"requests/{code}"):
        status, _document = fetch(live_open311, "GET", f"{path}.{fmt}")
        assert status == 200, path
    status, discovery = fetch(live_open311, "GET", f"discovery.{fmt}")
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_the_service_list_and_the_definition_come_from_the_catalog(world, live_open311):
    status, listed = fetch(live_open311, "GET", "services.json")
    services = {service["service_code"]: service for service in listed}
    assert "D1-01" not in services and "D1" not in services  # only level-3 items are services
    assert services[FUMES] == {
        "service_code": FUMES,
        "service_name": "餐饮油烟污染",
        "description": None,
        "metadata": True,
        "type": "realtime",
        "keywords": "油烟, 餐饮, 烟道",
        "group": "大气污染",
    }
    assert services["D1-01-02"]["metadata"] is False
    status, definition = fetch(live_open311, "GET", f"services/{FUMES}.xml")
    assert status == 200 and definition["service_code"] == FUMES
    source, hours, since, floor, notice = definition["attributes"]
    assert source == {
        "variable": "true",
        "code": "source",
        "datatype": "singlevaluelist",
        "required": "true",
        "datatype_description": None,
        "order": "1",
        "description": "油烟来自哪里？",
        "values": [{"key": "restaurant", "name": "餐馆"}, {"key": "stall", "name": "露天烧烤摊"}],
    }
    assert hours["datatype"] == "multivaluelist" and hours["required"] == "false"
    assert (since["datatype"], floor["datatype"], floor["order"]) == ("datetime", "number", "4")
    assert notice["variable"] == "false" and "values" not in notice


def test_reads_never_show_the_citizen(world, live_open311, api_key):
    text = "王小明反映：楼下餐馆油烟直排，联系电话 138-1234-5678，邮箱 wang@example.com。"
    code = post(live_open311, api_key=api_key, description=text)["service_request_id"]
    assert "13812345678" in "".join(Appeal.objects.get(code=code).content.split("-"))  # kept for the units
    for path in ("requests.json", "requests.xml", f"requests/{code}.json", f"requests/{code}.xml"):
        status, body = live_open311("GET", path)[0], live_open311("GET", path)[2].decode()
        assert status == 200 and code in body
        assert not [text for text in PERSONAL if text in body], (path, body)
        assert "138-1234-5678" not in body and "油烟直排" in body


def test_only_requests_received_through_open311_are_listed(world, live_open311, api_key):
    hotline = appeal_create(
        kind="complaint",
        channel=Channel.HOTLINE,
        title="噪音",
        content="夜间施工噪音",
        intake_unit=world.units.platform,
        received_by=world.people.operator,
        citizen_phone="13900000000",
    )
    code = post(live_open311, api_key=api_key)["service_request_id"]
    assert ids(live_open311) == {code}
    refused(live_open311, "GET", f"requests/{hotline.code}.json", 404)


def test_the_list_filters_by_ids_service_status_and_window(world, live_open311, api_key):
    fumes = post(live_open311, api_key=api_key)["service_request_id"]
    dust = post(live_open311, api_key=api_key, service_code="D1-01-02")["service_request_id"]
    old = post(live_open311, api_key=api_key)["service_request_id"]
    Appeal.objects.filter(code=old).update(received_at=timezone.now() - dt.timedelta(days=100))

    assert ids(live_open311) == {fumes, dust}  # the last 90 days by default
    assert ids(live_open311, f"?service_code={FUMES}") == {fumes}
    assert ids(live_open311, f"?service_code={FUMES},D1-01-02") == {fumes, dust}
    assert ids(live_open311, "?status=open") == {fumes, dust}
    assert ids(live_open311, "?status=closed") == set()
    assert ids(live_open311, "?status=open,closed") == {fumes, dust}
    # Ids override every other parameter, the window included.
    assert ids(live_open311, f"?service_request_id={old},{dust}&status=closed&service_code={FUMES}") == {
        old,
        dust,
    }
    since = (timezone.now() - dt.timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(live_open311, f"?start_date={since}") == {old}  # 90 days from the start
    before = (timezone.now() - dt.timedelta(days=50)).strftime("%Y-%m-%d")
    assert ids(live_open311, f"?end_date={before}") == {old}  # the 90 days before the end


def test_the_list_is_newest_first_and_capped(world, live_open311, api_key, monkeypatch):
    codes = [post(live_open311, api_key=api_key)["service_request_id"] for _ in range(3)]
    monkeypatch.setattr("yousu.open311.selectors.MAX_RESULTS", 2)
    status, listed = fetch(live_open311, "GET", "requests.json")
    assert status == 200
    assert [request["service_request_id"] for request in listed] == codes[::-1][:2]


def test_a_handled_request_is_closed_with_the_reply_the_unit_and_the_deadline(world, live_open311, api_key):
    code = post(live_open311, api_key=api_key)["service_request_id"]
    appeal = Appeal.objects.get(code=code)
    status, (shown,) = fetch(live_open311, "GET", f"requests/{code}.json")
    assert shown["status"] == "open" and shown["agency_responsible"] is None
    assert shown["expected_datetime"] is None and shown["status_notes"] is None

    _city_order, eco_order = at_eco(world, appeal)
    status, (shown,) = fetch(live_open311, "GET", f"requests/{code}.json")
    assert shown["status"] == "open" and shown["agency_responsible"] == "东区生态环境局"
    expected = eco_order.completion_due.replace(microsecond=0)
    assert dt.datetime.fromisoformat(shown["expected_datetime"]) == expected
    assert shown["status_notes"] is None

    complete(world, eco_order)
    for fmt in ("json", "xml"):
        status, (shown,) = fetch(live_open311, "GET", f"requests/{code}.{fmt}")
        assert status == 200
        assert shown["status"] == "closed" and shown["status_notes"] == "已责令餐馆安装油烟净化器。"
        latest = Event.objects.filter(appeal=appeal).latest("at").at
        assert dt.datetime.fromisoformat(shown["updated_datetime"]) == latest.replace(microsecond=0)
        assert dt.datetime.fromisoformat(shown["requested_datetime"]) == appeal.received_at.replace(
            microsecond=0
        )
        assert shown["updated_datetime"].endswith("+08:00")
    assert ids(live_open311, "?status=closed") == {code}


# --- tokens --------------------------------------------------------------------------------------


@override_settings(YOUSU_OPEN311_ANSWER_WITH_TOKEN=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_deployment_may_answer_with_a_token_that_gives_the_id(world, live_open311, api_key, fmt):
    answer = post(live_open311, fmt, api_key=api_key)
    assert "service_request_id" not in answer
    status, services = fetch(live_open311, "GET", f"services.{fmt}")
    assert {service["type"] for service in services} == {"batch"}
    kept = ServiceRequest.objects.get()
    assert answer["token"] == kept.token
    status, document = fetch(live_open311, "GET", f"tokens/{kept.token}.{fmt}")
    assert status == 200 and document == [{"service_request_id": kept.appeal.code, "token": kept.token}]


# --- keys and limits -----------------------------------------------------------------------------


def test_reads_without_a_key_are_limited_per_address(world, live_server, live_open311):
    with override_settings(YOUSU_OPEN311_REQUESTS_PER_IP_MINUTE=2):
        assert live_open311("GET", "services.json")[0] == 200
        assert live_open311("GET", "requests.xml")[0] == 200
        refused(live_open311, "GET", "services.xml", 429)
        with pytest.raises(urllib.error.HTTPError) as caught:
            OPENER.open(live_server.url + "/open311/v2/discovery.json", timeout=30)
        with caught.value as response:
            assert response.code == 429 and 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_key_has_its_own_allowance_which_an_administrator_may_set(world, live_open311, api_key):
    ApiKey.objects.filter(name="测试客户端").update(rate_limit=1)
    _other, other_key = api_key_issue(name="另一个客户端")
    post(live_open311, api_key=api_key)
    description = refused(live_open311, "POST", "requests.json", 429, form(api_key))
    assert "1" in description
    post(live_open311, api_key=other_key)  # another client is not held up
    assert live_open311("GET", "services.json")[0] == 200  # nor are reads without a key
    assert Appeal.objects.count() == 2


def test_the_command_prints_a_key_once_and_revokes_it(world, live_open311, capsys):
    call_command("open311-key", "区政务 App")
    raw = capsys.readouterr().out.strip()
    key = ApiKey.objects.get(name="区政务 App")
    assert raw.startswith(key.prefix) and len(raw) > 40
    stored = [str(value) for value in ApiKey.objects.values_list().get(pk=key.pk)]
    assert raw not in stored  # only its digest is kept
    post(live_open311, api_key=raw)

    with pytest.raises(CommandError, match="已有有效密钥"):
        call_command("open311-key", "区政务 App")
    call_command("open311-key", "区政务 App", "--revoke")
    assert "已吊销" in capsys.readouterr().out
    key.refresh_from_db()
    assert not key.is_active and key.revoked_at is not None
    refused(live_open311, "POST", "requests.json", 403, form(raw))
    with pytest.raises(CommandError, match="没有有效的密钥"):
        call_command("open311-key", "区政务 App", "--revoke")
    call_command("open311-key", "区政务 App")  # the client may be given a new key
    assert ApiKey.objects.filter(name="区政务 App", is_active=True).count() == 1


# --- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, world):
    root = person_create(
        username="root", full_name="管理员", unit=world.units.platform, roles=["administrator"]
    )
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    return client


def test_the_admin_lists_keys_without_the_raw_key_and_issues_one_shown_once(admin_client, world):
    _key, raw = api_key_issue(name="城市服务 App")
    page = admin_client.get("/admin/open311/apikey/").content.decode()
    assert "城市服务 App" in page and raw[:12] in page and raw not in page

    response = admin_client.post(
        "/admin/open311/apikey/add/", {"name": "网格通", "rate_limit": "30"}, follow=True
    )
    assert response.status_code == 200
    issued = ApiKey.objects.get(name="网格通")
    shown = [str(message) for message in response.context["messages"] if "不会再次显示" in str(message)]
    assert len(shown) == 1 and issued.prefix in shown[0]
    raw_issued = shown[0].rsplit("：", 1)[1]
    assert issued.rate_limit == 30 and issued.key_hash != raw_issued
    assert raw_issued not in admin_client.get("/admin/open311/apikey/").content.decode()

    admin_client.post(
        "/admin/open311/apikey/",
        {"action": "revoke_keys", "_selected_action": [issued.pk]},
        follow=True,
    )
    issued.refresh_from_db()
    assert not issued.is_active and issued.revoked_by.username == "root"
    change = admin_client.get(f"/admin/open311/apikey/{issued.pk}/change/")
    assert change.status_code == 200 and issued.prefix in change.content.decode()
    for page in ("serviceattribute", "servicerequest"):
        assert admin_client.get(f"/admin/open311/{page}/").status_code == 200


def test_the_admin_shows_a_request_without_the_citizen(admin_client, world, api_key):
    request = open311_request_create(
        key=ApiKey.objects.get(name="测试客户端"),
        city=world.areas.city,
        service_code=FUMES,
        location=Location(address="东一街道 12 号"),
        attributes={"source": ["stall"]},
        contact=Contact(phone="13812345678", email="wang@example.com", last_name="王", first_name="小明"),
    )
    page = admin_client.get(f"/admin/open311/servicerequest/{request.pk}/change/").content.decode()
    assert request.appeal.code in page and "stall" in page
    assert "wang@example.com" not in page and "13812345678" not in page


def test_an_attribute_with_a_list_datatype_needs_values_in_the_admin(admin_client, world):
    response = admin_client.post(
        "/admin/open311/serviceattribute/add/",
        {
            "item": world.items.dust.pk,
            "code": "site",
            "variable": "on",
            "datatype": "singlevaluelist",
            "order": "1",
            "description": "工地在哪里？",
            "values": "[]",
        },
    )
    assert response.status_code == 200 and "单选、多选须列出选项" in response.content.decode()
    attribute(world.items.dust, code="site", datatype="string", order=1, description="工地在哪里？")
    assert Permission.objects.filter(codename="change_serviceattribute").exists()


def test_characters_xml_cannot_carry_are_left_out_of_xml_answers(world, live_open311, api_key):
    code = post(live_open311, api_key=api_key, description="油烟\x0b很大\x01。")["service_request_id"]
    status, (shown,) = fetch(live_open311, "GET", f"requests/{code}.xml")
    assert status == 200 and shown["description"].startswith("油烟很大。")
    status, (shown,) = fetch(live_open311, "GET", f"requests/{code}.json")
    assert status == 200 and shown["description"].startswith("油烟\x0b很大\x01。")


def test_the_list_costs_the_same_queries_for_one_request_or_many(
    world, api_key, django_assert_max_num_queries
):
    key = ApiKey.objects.get(name="测试客户端")

    def posted():
        return open311_request_create(
            key=key,
            city=world.areas.city,
            service_code=FUMES,
            location=Location(latitude=LAT, longitude=LONG),
            description="油烟很大。",
            attributes={"source": ["stall"]},
        )

    first = posted()
    at_eco(world, first.appeal)
    with CaptureQueriesContext(connection) as one:
        assert len(requests_list(query=RequestQuery(), city=world.areas.city)) == 1
    for _ in range(4):
        at_eco(world, posted().appeal)
    with django_assert_max_num_queries(len(one)):
        shown = requests_list(query=RequestQuery(), city=world.areas.city)
    assert len(shown) == 5 and {request["agency_responsible"] for request in shown} == {"东区生态环境局"}


def test_a_linked_request_follows_the_appeal_that_is_handled(world, live_open311, api_key):
    original = post(live_open311, api_key=api_key)["service_request_id"]
    duplicate = post(live_open311, api_key=api_key)["service_request_id"]
    _city_order, eco_order = at_eco(world, Appeal.objects.get(code=original))
    appeal_link_duplicate(
        appeal=Appeal.objects.get(code=duplicate),
        original=Appeal.objects.get(code=original),
        by=world.people.operator,
    )
    assert ids(live_open311, "?status=open") == {original, duplicate}
    status, (shown,) = fetch(live_open311, "GET", f"requests/{duplicate}.json")
    assert status == 200 and shown["agency_responsible"] == "东区生态环境局"

    complete(world, eco_order)
    assert ids(live_open311, "?status=closed") == {original, duplicate}
    status, (shown,) = fetch(live_open311, "GET", f"requests/{duplicate}.xml")
    assert shown["status"] == "closed" and shown["status_notes"] == "已责令餐馆安装油烟净化器。"
