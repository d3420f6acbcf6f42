"""The knowledge base's pages: search as operators see it, an entry with its history, the owning
unit's forms (create, edit with the version check, review, withdraw, restore), its review list and
the import; and who is refused what (403 for a person of the city without the right, 404 for
another city's)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yousu.knowledge.models import EntryStatus, KnowledgeEntry
from yousu.knowledge.search import bump_generation
from yousu.knowledge.services import entry_create, entry_update

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def make(world, **overrides) -> KnowledgeEntry:
    fields = {
        "by": world.people.east_eco_handler,
        "question": "餐饮店油烟扰民怎么处理",
        "answer": "餐饮油烟由区生态环境局依法查处。\n经营者须安装油烟净化设施并保持正常使用。",
        "owning_unit": world.units.east_eco,
        "items": [world.items.fumes],
        "keywords": "油烟、餐饮",
        "source_title": "大气污染防治法",
        "source_number": "主席令第31号",
        "source_url": "https://example.org/law",
        "valid_from": TODAY - 30 * DAY,
        "review_due": TODAY + 90 * DAY,
    }
    fields.update(overrides)
    return entry_create(**fields)


def flag(entry: KnowledgeEntry, reason: str = "两位群众回访说答复没有帮助") -> None:
    KnowledgeEntry.objects.filter(pk=entry.pk).update(flagged_at=timezone.now(), flag_reason=reason)
    bump_generation()


def client_of(person) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


@pytest.fixture
def base(world, north):
    """One entry of each state for the east environment bureau, and one of the north city."""
    p = world.people
    entries = {
        "fumes": make(world),
        "flagged": make(
            world, question="油烟净化设施多久清洗一次", answer="油烟净化设施每季度至少清洗一次。"
        ),
        "expired": make(
            world,
            question="餐饮油烟旧标准还适用吗",
            answer="旧标准适用于餐饮油烟。",
            valid_from=TODAY - 400 * DAY,
            valid_until=TODAY - DAY,
            review_due=TODAY + 90 * DAY,
        ),
        "overdue": make(
            world, question="餐饮油烟夜间扰民", answer="夜间油烟扰民可投诉。", review_due=TODAY + DAY
        ),
        "soon": make(
            world, question="餐饮油烟检测收费吗", answer="油烟检测不收费。", review_due=TODAY + 10 * DAY
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
    flag(entries["flagged"])
    # Overdue: the review date has passed (set directly: the services refuse a date in the past).
    KnowledgeEntry.objects.filter(pk=entries["overdue"].pk).update(review_due=TODAY - 3 * DAY)
    bump_generation()
    p.operator.refresh_from_db()
    return entries


# ---------------------------------------------------------------- search


def test_an_operator_finds_only_their_citys_entries_offered_today(world, base):
    client = client_of(world.people.operator)
    page = client.get(reverse("knowledge-search"), {"q": "餐饮油烟扰民"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="entry-{base["fumes"].pk}"' in html
    for hidden in ("flagged", "expired", "overdue", "north"):
        assert f'id="entry-{base[hidden].pk}"' not in html, hidden
    # Each hit: the answer's first lines, the unit, the source with its link, the validity, the link.
    assert "餐饮油烟由区生态环境局依法查处" in html
    assert "东区生态环境局" in html
    assert 'href="https://example.org/law"' in html and "主席令第31号" in html
    assert "长期有效" in html
    assert reverse("knowledge-entry", args=[base["fumes"].pk]) in html


def test_results_as_the_operator_types_are_a_fragment(world, base):
    client = client_of(world.people.operator)
    answer = client.get(reverse("knowledge-results"), {"q": "油烟检测"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<html" not in html
    assert f'id="entry-{base["soon"].pk}"' in html
    assert f'id="entry-{base["flagged"].pk}"' not in html


def test_another_citys_operator_finds_only_their_own(world, north, base):
    html = client_of(north.operator).get(reverse("knowledge-search"), {"q": "餐饮油烟扰民"}).content.decode()
    assert f'id="entry-{base["north"].pk}"' in html
    assert f'id="entry-{base["fumes"].pk}"' not in html


def test_an_empty_query_lists_recent_entries_the_unit_sees_its_hidden_ones_marked(world, base):
    operator = client_of(world.people.operator).get(reverse("knowledge-search")).content.decode()
    assert f'id="entry-{base["fumes"].pk}"' in operator
    assert f'id="entry-{base["flagged"].pk}"' not in operator
    assert f'id="entry-{base["north"].pk}"' not in operator
    unit = client_of(world.people.east_eco_handler).get(reverse("knowledge-search")).content.decode()
    assert f'id="entry-{base["flagged"].pk}"' in unit
    assert "不向接线员提供" in unit
    # Paged: 20 a page.
    for n in range(20):
        make(world, question=f"第{n}个问题：垃圾清运", answer="按时清运。")
    first = client_of(world.people.east_eco_handler).get(reverse("knowledge-search")).content.decode()
    assert "第 1 / 2 页" in first and "?page=2" in first
    second = client_of(world.people.east_eco_handler).get(reverse("knowledge-search"), {"page": "2"})
    assert second.status_code == 200 and "第 2 / 2 页" in second.content.decode()


# ---------------------------------------------------------------- the entry page


def test_the_entry_page_shows_source_dates_and_history(world, base):
    html = client_of(world.people.operator).get(reverse("knowledge-entry", args=[base["fumes"].pk])).content
    html = html.decode()
    assert "经营者须安装油烟净化设施" in html
    assert "D1-01-01" in html and "油烟、餐饮" in html and "大气污染防治法" in html
    assert 'id="version-1"' in html
    # An operator reads; they are offered no action.
    assert 'id="edit-link"' not in html and 'id="review-form"' not in html
    assert 'id="hidden-banner"' not in html


@pytest.mark.parametrize("state", ["flagged", "expired", "overdue"])
def test_a_hidden_entry_shows_its_unit_a_banner_and_is_not_found_by_operators(world, base, state):
    entry = base[state]
    unit = client_of(world.people.east_eco_handler).get(reverse("knowledge-entry", args=[entry.pk]))
    assert unit.status_code == 200
    html = unit.content.decode()
    assert 'id="hidden-banner"' in html
    assert {"flagged": "两位群众回访说答复没有帮助", "expired": "失效", "overdue": "逾期未审核"}[
        state
    ] in html
    admin = client_of(world.people.admin).get(reverse("knowledge-entry", args=[entry.pk]))
    assert admin.status_code == 200 and 'id="hidden-banner"' in admin.content.decode()
    assert (
        client_of(world.people.operator).get(reverse("knowledge-entry", args=[entry.pk])).status_code == 404
    )


def test_people_of_another_city_or_unit_get_404_and_anonymous_the_login(world, north, base):
    url = reverse("knowledge-entry", args=[base["fumes"].pk])
    for person in (north.operator, north.supervisor, north.market_handler, world.people.west_market_handler):
        assert client_of(person).get(url).status_code == 404, person
        assert client_of(person).post(reverse("knowledge-review", args=[base["fumes"].pk])).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


# ---------------------------------------------------------------- create and edit


def form_data(entry: KnowledgeEntry, **changes) -> dict:
    data = {
        "question": entry.question,
        "answer": entry.answer,
        "owning_unit": entry.owning_unit_id,
        "items": [item.pk for item in entry.items.all()],
        "keywords": entry.keywords,
        "source_title": entry.source_title,
        "source_number": entry.source_number,
        "source_url": entry.source_url,
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else "",
        "review_due": entry.review_due.isoformat(),
        "note": "",
        "version": entry.version,
    }
    data.update(changes)
    return data


def test_create_makes_version_one(world):
    client = client_of(world.people.east_eco_handler)
    page = client.get(reverse("knowledge-create"))
    assert page.status_code == 200
    # Only active items of the shared catalog or the person's city are offered.
    assert "D1-01-01" in page.content.decode() and "N-D1-01-09" not in page.content.decode()
    answer = client.post(
        reverse("knowledge-create"),
        {
            "question": "工地扬尘找谁",
            "answer": "工地扬尘由区生态环境局查处。",
            "owning_unit": world.units.east_eco.pk,
            "items": [world.items.dust.pk],
            "valid_from": TODAY.isoformat(),
            "review_due": (TODAY + 100 * DAY).isoformat(),
        },
    )
    assert answer.status_code == 302
    entry = KnowledgeEntry.objects.get(question="工地扬尘找谁")
    assert answer["Location"] == reverse("knowledge-entry", args=[entry.pk])
    assert entry.version == 1 and list(entry.items.all()) == [world.items.dust]


def test_the_services_refusals_show_on_their_field(world):
    client = client_of(world.people.east_eco_handler)
    base_data = {
        "question": "",
        "answer": "有答复",
        "owning_unit": world.units.east_eco.pk,
        "valid_from": TODAY.isoformat(),
        "review_due": (TODAY + 100 * DAY).isoformat(),
    }
    answer = client.post(reverse("knowledge-create"), base_data)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert re.search(r'id="field-question".*?问题不能为空', html, re.S)
    answer = client.post(
        reverse("knowledge-create"),
        {**base_data, "question": "有问题", "valid_until": (TODAY - DAY).isoformat()},
    )
    assert answer.status_code == 400
    assert re.search(r'id="field-valid_until".*?失效日期不能早于生效日期', answer.content.decode(), re.S)
    answer = client.post(
        reverse("knowledge-create"), {**base_data, "question": "有问题", "source_url": "not a url"}
    )
    assert answer.status_code == 400
    assert 'id="field-source_url"' in answer.content.decode()
    assert not KnowledgeEntry.objects.exists()


def test_an_edit_makes_a_new_version_and_the_history_shows_it(world, base):
    entry = base["fumes"]
    client = client_of(world.people.east_eco_handler)
    form = client.get(reverse("knowledge-edit", args=[entry.pk]))
    assert form.status_code == 200 and "正在修改第 1 版" in form.content.decode()
    answer = client.post(
        reverse("knowledge-edit", args=[entry.pk]),
        form_data(entry, answer="新的答复口径：请拨打 12345。", keywords="油烟", note="口径更新"),
    )
    assert answer.status_code == 302
    entry.refresh_from_db()
    assert entry.version == 2 and entry.answer == "新的答复口径：请拨打 12345。"
    html = client.get(reverse("knowledge-entry", args=[entry.pk])).content.decode()
    row = re.search(r'<tr id="version-2">.*?</tr>', html, re.S).group(0)
    assert "答复口径" in row and "关键词" in row and "问题" not in row.replace("答复口径", "")
    assert "口径更新" in row and "东区环境局承办人" in row
    # The old version can be opened and still reads the old answer.
    old = client.get(reverse("knowledge-version", args=[entry.pk, 1])).content.decode()
    assert "经营者须安装油烟净化设施" in old and "这是历史版本" in old
    new = client.get(reverse("knowledge-version", args=[entry.pk, 2])).content.decode()
    assert "请拨打 12345" in new and 'class="changed"' in new
    assert client.get(reverse("knowledge-version", args=[entry.pk, 9])).status_code == 404


def test_a_stale_edit_is_refused_and_overwrites_nothing(world, base):
    entry = base["fumes"]
    stale = form_data(entry, answer="我基于第 1 版的修改")
    entry_update(entry=entry, by=world.people.admin, answer="别人先改了")
    answer = client_of(world.people.east_eco_handler).post(reverse("knowledge-edit", args=[entry.pk]), stale)
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "已被他人修改" in html and "现在是第 2 版" in html
    entry.refresh_from_db()
    assert entry.version == 2 and entry.answer == "别人先改了"


def test_an_unchanged_form_makes_no_version(world, base):
    entry = base["fumes"]
    answer = client_of(world.people.east_eco_handler).post(
        reverse("knowledge-edit", args=[entry.pk]), form_data(entry)
    )
    assert answer.status_code == 302
    entry.refresh_from_db()
    assert entry.version == 1


def test_who_may_edit(world, base):
    entry = base["fumes"]
    # An operator reads the entry but may not edit it; an administrator may.
    assert client_of(world.people.operator).get(reverse("knowledge-edit", args=[entry.pk])).status_code == 403
    operator_post = client_of(world.people.operator).post(
        reverse("knowledge-edit", args=[entry.pk]), form_data(entry, answer="x")
    )
    assert operator_post.status_code == 403
    assert client_of(world.people.admin).get(reverse("knowledge-edit", args=[entry.pk])).status_code == 200
    # A handler of another unit of the city does not even find it.
    assert (
        client_of(world.people.west_market_handler)
        .get(reverse("knowledge-edit", args=[entry.pk]))
        .status_code
        == 404
    )
    entry.refresh_from_db()
    assert entry.version == 1


# ---------------------------------------------------------------- review list and review


def test_the_review_list_names_each_reason(world, base):
    html = client_of(world.people.east_eco_handler).get(reverse("knowledge-reviews")).content.decode()
    rows = {name: re.search(rf'<tr id="review-{e.pk}">.*?</tr>', html, re.S) for name, e in base.items()}
    assert rows["fumes"] is None and rows["north"] is None
    assert "两位群众回访说答复没有帮助" in rows["flagged"].group(0)
    assert "失效" in rows["expired"].group(0)
    assert "逾期未审核" in rows["overdue"].group(0)
    assert "到期审核" in rows["soon"].group(0)
    assert 'id="review-count">4<' in html
    # The street's leader sees nothing of a department outside the street; an operator has no list.
    assert (
        "review-"
        not in client_of(world.people.street_leader).get(reverse("knowledge-reviews")).content.decode()
    )
    search = client_of(world.people.east_eco_handler).get(reverse("knowledge-search")).content.decode()
    assert 'id="review-count">4<' in search


@pytest.mark.parametrize("state", ["flagged", "overdue"])
def test_a_review_clears_the_flag_or_overdue_and_operators_see_the_entry_again(world, base, state):
    entry = base[state]
    operator = client_of(world.people.operator)
    assert operator.get(reverse("knowledge-entry", args=[entry.pk])).status_code == 404
    answer = client_of(world.people.east_eco_handler).post(
        reverse("knowledge-review", args=[entry.pk]),
        {"next_review_due": (TODAY + 200 * DAY).isoformat(), "note": "已核对", "back": "reviews"},
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("knowledge-reviews")
    entry.refresh_from_db()
    assert entry.flagged_at is None and entry.review_due == TODAY + 200 * DAY
    assert entry.last_reviewed_by == world.people.east_eco_handler
    assert operator.get(reverse("knowledge-entry", args=[entry.pk])).status_code == 200
    found = operator.get(reverse("knowledge-search"), {"q": entry.question}).content.decode()
    assert f'id="entry-{entry.pk}"' in found


def test_a_refused_review_says_why_on_the_field(world, base):
    entry = base["fumes"]
    url = reverse("knowledge-review", args=[entry.pk])
    answer = client_of(world.people.east_eco_handler).post(url, {"next_review_due": TODAY.isoformat()})
    assert answer.status_code == 400 and "下次审核日期必须晚于今天" in answer.content.decode()
    # An administrator curates but does not review; an operator may not either.
    for person in (world.people.admin, world.people.operator):
        answer = client_of(person).post(url, {"next_review_due": (TODAY + 9 * DAY).isoformat()})
        assert answer.status_code == 403, person
    entry.refresh_from_db()
    assert entry.version == 1


# ---------------------------------------------------------------- withdraw and restore


def test_withdraw_and_restore(world, base):
    entry = base["fumes"]
    client = client_of(world.people.east_eco_handler)
    refused = client.post(reverse("knowledge-withdraw", args=[entry.pk]), {"reason": ""})
    assert refused.status_code == 400 and "请填写撤下原因" in refused.content.decode()
    answer = client.post(reverse("knowledge-withdraw", args=[entry.pk]), {"reason": "政策已废止"})
    assert answer.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN
    page = client.get(reverse("knowledge-entry", args=[entry.pk])).content.decode()
    assert 'id="hidden-banner"' in page and "已撤下" in page and 'id="restore-form"' in page
    assert (
        client_of(world.people.operator).get(reverse("knowledge-entry", args=[entry.pk])).status_code == 404
    )
    operator_refused = client_of(world.people.operator).post(
        reverse("knowledge-restore", args=[entry.pk]), {"note": "x"}
    )
    assert operator_refused.status_code == 404
    assert client.post(reverse("knowledge-restore", args=[entry.pk]), {"note": "政策恢复"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE and entry.version == 3


# ---------------------------------------------------------------- import


def test_import_checks_then_imports_and_offers_the_template(world):
    client = client_of(world.people.east_eco_handler)
    assert client.get(reverse("knowledge-import")).status_code == 200
    template = client.get(reverse("knowledge-import-template"))
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).active["A1"].value
    good = (
        "问题,答复口径,维护单位,生效日期,下次审核日期\n"
        f"工地夜间施工扰民,由区生态环境局处理。,{world.units.east_eco.code},{TODAY},{TODAY + 100 * DAY}\n"
    ).encode()
    bad = (
        "问题,答复口径,维护单位,生效日期,下次审核日期\n"
        f",由区生态环境局处理。,{world.units.east_eco.code},{TODAY},{TODAY + 100 * DAY}\n"
        f"第三行,答复,{world.units.east_eco.code},不是日期,{TODAY + 100 * DAY}\n"
    ).encode()

    def upload(data: bytes, action: str):
        file = io.BytesIO(data)
        file.name = "entries.csv"
        return client.post(reverse("knowledge-import"), {"file": file, "action": action})

    checked = upload(bad, "check")
    assert checked.status_code == 400
    html = checked.content.decode()
    table = re.search(r'<table id="import-errors">.*?</table>', html, re.S).group(0)
    assert "<td>2</td>" in table and "<td>3</td>" in table
    checked = upload(good, "check")
    assert checked.status_code == 200 and "检查通过" in checked.content.decode()
    assert not KnowledgeEntry.objects.exists()
    imported = upload(good, "import")
    assert imported.status_code == 200 and "已导入" in imported.content.decode()
    assert KnowledgeEntry.objects.filter(question="工地夜间施工扰民").count() == 1


def test_import_and_create_are_refused_to_a_person_who_keeps_no_unit(world, north):
    # The provincial role reads every city and keeps no entry.
    client = client_of(north.province)
    for name in ("knowledge-import", "knowledge-import-template", "knowledge-create"):
        assert client.get(reverse(name)).status_code == 403, name


# ---------------------------------------------------------------- markup stays text


def test_markup_in_an_entry_is_shown_as_text(world):
    from tests.security.routes import Page
    from tests.security.xss import PAYLOADS, inert_problems, shows

    client = client_of(world.people.east_eco_handler)
    for n, payload in enumerate(PAYLOADS):
        entry = make(
            world,
            question=f"油烟{n}{payload}",
            answer=payload,
            keywords=payload,
            source_title=payload,
            source_number=payload[:100],
            review_due=TODAY + 5 * DAY,
        )
        entry_update(entry=entry, by=world.people.east_eco_handler, note=payload, answer=payload + "。")
        urls = [
            reverse("knowledge-search"),
            reverse("knowledge-reviews"),
            reverse("knowledge-entry", args=[entry.pk]),
            reverse("knowledge-version", args=[entry.pk, 1]),
            reverse("knowledge-edit", args=[entry.pk]),
            f"{reverse('knowledge-search')}?q=油烟{n}",
        ]
        for url in urls:
            page = Page(url, client.get(url).content.decode())
            assert inert_problems(page, payload) == [], (url, payload)
        assert shows(Page(urls[2], client.get(urls[2]).content.decode()), payload)


def test_the_review_form_extends_an_expired_entry(world):
    entry = make(world, valid_from=TODAY - 100 * DAY, valid_until=TODAY - DAY)
    unit = Client()
    unit.force_login(world.people.east_eco_handler)
    page = unit.get(f"/knowledge/{entry.pk}/").content.decode()
    assert 'name="valid_until"' in page
    later = (TODAY + 30 * DAY).isoformat()
    refused = unit.post(
        f"/knowledge/{entry.pk}/review/", {"next_review_due": later, "valid_until": (TODAY - DAY).isoformat()}
    )
    assert refused.status_code == 400 and "失效" in refused.content.decode()
    done = unit.post(f"/knowledge/{entry.pk}/review/", {"next_review_due": later, "valid_until": ""})
    assert done.status_code == 302
    entry.refresh_from_db()
    assert entry.valid_until is None and entry.review_due == TODAY + 30 * DAY
