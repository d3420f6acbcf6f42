"""The knowledge base over real HTTP: search as operators see it, the entries with their versions,
the owning unit's writes (a stale PATCH is 409), the import, and the refusals (400 naming the field,
403 for a person of the city without the right, 404 for another city's)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests.api.helpers import Api, assert_refused
from yousu.knowledge.models import EntryStatus, KnowledgeEntry
from yousu.knowledge.services import entry_update

from .test_web import flag, make

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
ENTRIES = "/api/v1/knowledge/entries/"


def search_path(query: str, **params) -> str:
    return "/api/v1/knowledge/search/?" + urlencode({"q": query, **params})


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture
def entries(world, north):
    made = {
        "fumes": make(world),
        "flagged": make(
            world, question="油烟净化设施多久清洗一次", answer="油烟净化设施每季度至少清洗一次。"
        ),
        "north": make(
            world,
            by=north.market_handler,
            owning_unit=north.market,
            items=[],
            question="北市餐饮油烟扰民怎么处理",
            answer="北市餐饮油烟由北一区市场监督管理局处理。",
        ),
    }
    flag(made["flagged"])
    return made


def patch(api, path, person, body):
    return api.call("PATCH", path, person, json_body=body)


def test_search_answers_the_operators_city_only_and_never_a_hidden_entry(api, world, north, entries):
    answer = api.get(search_path("餐饮油烟扰民", k=5), world.people.operator)
    assert answer.status == 200, answer.body
    ids = [hit["id"] for hit in answer.body]
    assert ids[0] == entries["fumes"].pk
    assert entries["north"].pk not in ids and entries["flagged"].pk not in ids
    hit = answer.body[0]
    assert hit["owning_unit"] == world.units.east_eco.code and hit["owning_unit_name"] == "东区生态环境局"
    assert hit["source_number"] == "主席令第31号" and hit["valid_until"] is None and hit["score"] > 0
    assert hit["answer"].startswith("餐饮油烟由区生态环境局")
    north_ids = [hit["id"] for hit in api.get(search_path("餐饮油烟扰民"), north.operator).body]
    assert north_ids == [entries["north"].pk]


def test_search_refuses_bad_input_naming_the_field(api, world):
    for query, field in (("", "q"), ("?q=x&k=0", "k"), ("?q=x&k=abc", "k"), ("?q=x&k=51", "k")):
        answer = api.get(f"/api/v1/knowledge/search/{query}", world.people.operator)
        assert answer.status == 400, (query, answer.body)
        assert answer.error["field"] == field


def test_list_filters_and_visibility(api, world, north, entries):
    unit = api.get(ENTRIES, world.people.east_eco_handler).body
    assert {row["id"] for row in unit["results"]} == {entries["fumes"].pk, entries["flagged"].pk}
    flagged = api.get(f"{ENTRIES}?flagged=true", world.people.east_eco_handler).body["results"]
    assert [row["id"] for row in flagged] == [entries["flagged"].pk] and flagged[0]["offered"] is False
    operator = api.get(ENTRIES, world.people.operator).body["results"]
    assert [row["id"] for row in operator] == [entries["fumes"].pk]
    assert api.get(f"{ENTRIES}?status=withdrawn", world.people.east_eco_handler).body["results"] == []
    by_unit = api.get(f"{ENTRIES}?unit={north.market.code}", world.people.admin).body["results"]
    assert by_unit == []
    refused = api.get(f"{ENTRIES}?unit=NOPE", world.people.admin)
    assert refused.status == 400 and refused.error["field"] == "unit"


def test_detail_with_versions_and_who_finds_it(api, world, north, entries):
    entry = entries["fumes"]
    entry_update(entry=entry, by=world.people.east_eco_handler, keywords="油烟", note="关键词")
    body = api.get(f"{ENTRIES}{entry.pk}/", world.people.operator).body
    assert body["version"] == 2 and [v["version"] for v in body["versions"]] == [1, 2]
    assert body["versions"][0]["changed"] == [] and body["versions"][1]["changed"] == ["keywords"]
    assert body["versions"][0]["keywords"] == "油烟、餐饮" and body["versions"][1]["note"] == "关键词"
    for person in (north.operator, north.supervisor, world.people.west_market_handler):
        assert_refused(api.get(f"{ENTRIES}{entry.pk}/", person), (404,))
    # A flagged entry: its unit reads it, operators do not find it.
    assert api.get(f"{ENTRIES}{entries['flagged'].pk}/", world.people.east_eco_handler).status == 200
    assert_refused(api.get(f"{ENTRIES}{entries['flagged'].pk}/", world.people.operator), (404,))


def test_create_then_patch_makes_versions(api, world):
    body = {
        "question": "工地扬尘找谁",
        "answer": "工地扬尘由区生态环境局查处。",
        "owning_unit": world.units.east_eco.code,
        "items": [world.items.dust.code],
        "valid_from": TODAY.isoformat(),
        "review_due": (TODAY + 100 * DAY).isoformat(),
    }
    created = api.post(ENTRIES, world.people.east_eco_handler, body)
    assert created.status == 201, created.body
    assert created.body["version"] == 1 and created.body["items"] == [world.items.dust.code]
    path = f"{ENTRIES}{created.body['id']}/"
    changed = patch(
        api, path, world.people.east_eco_handler, {"version": 1, "answer": "新口径。", "note": "改"}
    )
    assert changed.status == 200, changed.body
    assert changed.body["version"] == 2 and changed.body["versions"][1]["changed"] == ["answer"]


def test_a_patch_on_a_stale_version_is_409_and_overwrites_nothing(api, world, entries):
    entry = entries["fumes"]
    entry_update(entry=entry, by=world.people.admin, answer="别人先改了")
    answer = patch(
        api, f"{ENTRIES}{entry.pk}/", world.people.east_eco_handler, {"version": 1, "answer": "我的"}
    )
    assert_refused(answer, (409,))
    assert answer.error["field"] == "version" and answer.error["code"] == "conflict"
    entry.refresh_from_db()
    assert entry.version == 2 and entry.answer == "别人先改了"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answer": "x"}, "version"),
        ({"version": 1, "question": "  "}, "question"),
        ({"version": 1, "valid_until": "2000-01-01"}, "valid_until"),
        ({"version": 1, "source_url": "not a url"}, "source_url"),
        ({"version": 1, "items": ["NOPE"]}, "items.0"),
        ({"version": 1, "review_due": "soon"}, "review_due"),
        ({"version": "one"}, "version"),
        ({"version": 1, "question": 5}, "question"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, world, entries, body, field):
    answer = patch(api, f"{ENTRIES}{entries['fumes'].pk}/", world.people.east_eco_handler, body)
    assert_refused(answer, (400,))
    assert answer.error["field"] == field, answer.body


def test_create_refusals(api, world, north):
    body = {
        "question": "问",
        "answer": "答",
        "owning_unit": world.units.east_eco.code,
        "valid_from": TODAY.isoformat(),
        "review_due": (TODAY + 9 * DAY).isoformat(),
    }
    missing = api.post(
        ENTRIES, world.people.east_eco_handler, {k: v for k, v in body.items() if k != "answer"}
    )
    assert missing.status == 400 and missing.error["field"] == "answer"
    # Another city's local item is not offered to this city.
    local = api.post(ENTRIES, world.people.east_eco_handler, {**body, "items": [north.local_item.code]})
    assert local.status == 400 and local.error["field"] == "items.0"
    # A unit the caller does not keep: 403.
    assert_refused(api.post(ENTRIES, world.people.operator, body), (403,))
    assert not KnowledgeEntry.objects.exists()


def test_review_withdraw_restore(api, world, entries):
    entry, person = entries["flagged"], world.people.east_eco_handler
    path = f"{ENTRIES}{entry.pk}"
    bad = api.post(f"{path}/review/", person, {"next_review_due": TODAY.isoformat()})
    assert bad.status == 400 and bad.error["field"] == "next_review_due"
    assert_refused(api.post(f"{path}/review/", world.people.admin, {"next_review_due": "2099-01-01"}), (403,))
    reviewed = api.post(f"{path}/review/", person, {"next_review_due": (TODAY + 99 * DAY).isoformat()})
    assert reviewed.status == 200 and reviewed.body["flagged_at"] is None and reviewed.body["offered"] is True
    assert api.get(f"{path}/", world.people.operator).status == 200
    no_reason = api.post(f"{path}/withdraw/", person, {"reason": ""})
    assert no_reason.status == 400 and no_reason.error["field"] == "reason"
    assert_refused(api.post(f"{path}/withdraw/", world.people.operator, {"reason": "x"}), (403,))
    withdrawn = api.post(f"{path}/withdraw/", person, {"reason": "政策废止"})
    assert withdrawn.status == 200 and withdrawn.body["status"] == EntryStatus.WITHDRAWN
    assert_refused(api.get(f"{path}/", world.people.operator), (404,))
    restored = api.post(f"{path}/restore/", person, {"note": "恢复"})
    assert restored.status == 200 and restored.body["status"] == EntryStatus.ACTIVE
    assert restored.body["version"] == entry.version + 3


def test_import_dry_run_then_import_and_row_errors(api, world):
    header = "问题,答复口径,维护单位,生效日期,下次审核日期\n"
    good = (
        header + f"夜间施工扰民,由区生态环境局处理。,{world.units.east_eco.code},{TODAY},{TODAY + 99 * DAY}\n"
    ).encode()
    bad = (header + f",答复,{world.units.east_eco.code},{TODAY},{TODAY + 99 * DAY}\n").encode()
    person = world.people.east_eco_handler

    def send(data, dry_run):
        files = [("file", "entries.csv", data, "text/csv")]
        return api.call("POST", "/api/v1/knowledge/import/", person, form={"dry_run": dry_run}, files=files)

    refused = send(bad, "true")
    assert refused.status == 400 and refused.error["field"] == "file"
    assert refused.error["rows"][0]["row"] == 2 and refused.error["rows"][0]["column"] == "问题"
    checked = send(good, "true")
    assert checked.status == 200 and checked.body["created"] == 1 and checked.body["written"] is False
    assert not KnowledgeEntry.objects.exists()
    imported = send(good, "false")
    assert imported.status == 200 and imported.body["written"] is True
    assert KnowledgeEntry.objects.filter(question="夜间施工扰民").count() == 1
    no_file = api.call("POST", "/api/v1/knowledge/import/", person, form={"dry_run": "true"})
    assert no_file.status == 400 and no_file.error["field"] == "file"
