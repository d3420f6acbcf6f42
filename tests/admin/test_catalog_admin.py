"""The catalog item admin: search, writes through the catalog services, and the rule history."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from yousu.catalog.choices import AppealKind, CatalogLevel, RuleTarget
from yousu.catalog.models import CatalogItem
from yousu.catalog.services import access_list_decide, access_list_propose, rule_change, rule_retire
from yousu.org.choices import Level


def test_item_search_finds_by_keyword_code_and_name(root_client, catalog):
    url = reverse("admin:catalog_catalogitem_changelist")
    by_keyword = root_client.get(url, {"q": "饭店"})
    assert "餐饮油烟" in by_keyword.text
    assert "施工扬尘" not in by_keyword.text
    by_code = root_client.get(url, {"q": "hj-dq-zs"})
    assert "施工扬尘" in by_code.text
    assert "餐饮油烟" not in by_code.text


def test_item_list_says_which_items_are_on_the_access_list(root_client, catalog, root, root2):
    change = access_list_propose(
        access_list=catalog.access_list, action="add", item=catalog.item, reason="就近劝导", by=root
    )
    access_list_decide(change=change, approve=True, note="同意", by=root2)
    response = root_client.get(reverse("admin:catalog_catalogitem_changelist"), {"level": 3})
    listed = {item.code: item.listed for item in response.context["cl"].result_list}
    assert listed == {"hj-dq-yc": True, "hj-dq-zs": False}


def test_change_page_shows_every_version_of_a_changed_rule(root_client, city, catalog, rule, root):
    new = rule_change(
        rule=rule,
        target=RuleTarget.UNIT,
        unit=city.water_bureau,
        reason="联席会议纪要〔2026〕7号",
        by=root,
    )
    page = root_client.get(reverse("admin:catalog_catalogitem_change", args=[catalog.item.pk]))
    assert page.status_code == 200
    history = page.text[page.text.index("责任规则历史") :]
    assert "市编委〔2026〕1号文件" in history
    assert "联席会议纪要〔2026〕7号" in history
    assert "诉求所在地的区/县/园区生态环境部门" in history
    assert "东区水务局" in history
    assert "已失效" in history and "生效中" in history
    # Oldest first, and the new version points at the one it replaced.
    assert history.index("市编委〔2026〕1号文件") < history.index("联席会议纪要〔2026〕7号")
    assert reverse("admin:catalog_responsibilityrule_change", args=[new.replaces_id]) in history
    # Read-only: no form field of any rule is on the page.
    assert 'name="reason"' not in page.text


def test_history_shows_who_retired_a_rule_and_why(root_client, catalog, rule, root2):
    rule_retire(rule=rule, reason="事项并入其他事项", by=root2)
    page = root_client.get(reverse("admin:catalog_catalogitem_change", args=[catalog.item.pk]))
    assert "管理员乙：事项并入其他事项" in page.text


def test_item_is_added_through_the_service(root_client, catalog):
    response = root_client.post(
        reverse("admin:catalog_catalogitem_add"),
        {
            "code": "hj-dq-sk",
            "name": "烧烤烟雾",
            "level": CatalogLevel.ITEM,
            "parent": catalog.category.pk,
            "keywords": "烧烤、露天",
            "appeal_kinds": [AppealKind.COMPLAINT, AppealKind.REPORT],
            "time_limit_class": catalog.normal.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.text
    item = CatalogItem.objects.get(code="hj-dq-sk")
    assert item.path == "/hj/hj-dq/hj-dq-sk/"
    assert item.appeal_kinds == [AppealKind.COMPLAINT, AppealKind.REPORT]


def test_item_refused_by_the_model_shows_the_reason_and_writes_nothing(root_client, catalog):
    response = root_client.post(
        reverse("admin:catalog_catalogitem_add"),
        {"code": "hj-dq-sk", "name": "烧烤烟雾", "level": CatalogLevel.ITEM, "parent": catalog.category.pk},
    )
    assert response.status_code == 200
    assert "三级事项必须指定时限类别" in response.text
    assert not CatalogItem.objects.filter(code="hj-dq-sk").exists()


def test_item_is_changed_and_deactivated_through_the_service(root_client, catalog):
    quick = catalog.normal.__class__.objects.get(code="quick")
    response = root_client.post(
        reverse("admin:catalog_catalogitem_change", args=[catalog.other.pk]),
        {
            "name": "建筑工地扬尘",
            "parent": catalog.category.pk,
            "keywords": "扬尘",
            "time_limit_class": quick.pk,
        },
    )
    assert response.status_code == 302, response.text
    catalog.other.refresh_from_db()
    assert catalog.other.name == "建筑工地扬尘"
    assert catalog.other.time_limit_class == quick
    assert catalog.other.is_active is False
    assert catalog.other.code == "hj-dq-zs"


def test_time_limit_classes_are_edited_in_the_list(root_client, catalog):
    response = root_client.get(reverse("admin:catalog_timelimitclass_changelist"))
    codes = [c.code for c in response.context["cl"].result_list]
    assert codes == ["urgent", "quick", "normal", "complex"]
    assert 'name="form-0-completion_amount"' in response.text


def test_rule_list_filters_by_being_in_force(root_client, city, catalog, rule, root):
    rule_change(rule=rule, target=RuleTarget.TERRITORIAL, level=Level.STREET, reason="下放街道", by=root)
    url = reverse("admin:catalog_responsibilityrule_changelist")
    in_force = root_client.get(url, {"in_force": "yes"}).context["cl"].result_list
    closed = root_client.get(url, {"in_force": "no"}).context["cl"].result_list
    assert [r.reason for r in in_force] == ["下放街道"]
    assert [r.reason for r in closed] == ["市编委〔2026〕1号文件"]


def test_rule_list_searches_by_item(root_client, city, catalog, rule, root):
    from yousu.catalog.services import rule_create

    rule_create(
        item=catalog.other,
        target=RuleTarget.SECTOR,
        level=Level.DISTRICT,
        sector=city.env,
        reason="同上",
        by=root,
        valid_from=timezone.now() - dt.timedelta(hours=1),
    )
    url = reverse("admin:catalog_responsibilityrule_changelist")
    found = root_client.get(url, {"q": "扬尘"}).context["cl"].result_list
    assert [r.item.code for r in found] == ["hj-dq-zs"]
