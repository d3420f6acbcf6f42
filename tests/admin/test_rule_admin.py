"""The responsibility rule admin: rules are created and superseded through services, never edited."""

from __future__ import annotations

from django.urls import reverse

from yousu.catalog.choices import RuleTarget
from yousu.catalog.models import ResponsibilityRule
from yousu.org.choices import Level


def supersede_form(**values) -> dict:
    data = {
        "new_target": "",
        "new_level": "",
        "new_sector": "",
        "new_unit": "",
        "effective_at_0": "",
        "effective_at_1": "",
        "change_reason": "",
        "_save": "保存",
    }
    data.update(values)
    return data


def add_form(**values) -> dict:
    data = {
        "item": "",
        "area": "",
        "target": "",
        "level": "",
        "sector": "",
        "unit": "",
        "valid_from_0": "",
        "valid_from_1": "",
        "reason": "",
    }
    data.update(values)
    return data


def test_superseding_a_rule_creates_a_new_version_and_closes_the_old(root_client, city, catalog, rule, root):
    url = reverse("admin:catalog_responsibilityrule_change", args=[rule.pk])
    page = root_client.get(url)
    assert 'name="change_reason"' in page.text
    assert 'name="reason"' not in page.text  # the rule in force is shown, not edited

    response = root_client.post(
        url,
        supersede_form(
            new_target=RuleTarget.UNIT, new_unit=city.water_bureau.pk, change_reason="会商决定〔2026〕3号"
        ),
    )

    new = ResponsibilityRule.objects.get(replaces=rule)
    assert response.status_code == 302
    assert response.url == reverse("admin:catalog_responsibilityrule_change", args=[new.pk])
    old = ResponsibilityRule.objects.get(pk=rule.pk)
    assert old.valid_until == new.valid_from
    assert (old.target, old.sector, old.reason) == (RuleTarget.SECTOR, city.env, "市编委〔2026〕1号文件")
    assert (new.target, new.unit, new.level) == (RuleTarget.UNIT, city.water_bureau, Level.DISTRICT)
    assert new.reason == "会商决定〔2026〕3号"
    assert new.created_by == root
    assert new.valid_until is None
    assert ResponsibilityRule.objects.count() == 2


def test_a_rule_no_longer_in_force_is_read_only(root_client, city, catalog, rule):
    url = reverse("admin:catalog_responsibilityrule_change", args=[rule.pk])
    root_client.post(
        url, supersede_form(new_target=RuleTarget.UNIT, new_unit=city.water_bureau.pk, change_reason="改")
    )

    page = root_client.get(url)
    assert page.status_code == 200
    assert 'name="change_reason"' not in page.text
    again = root_client.post(
        url, supersede_form(new_target=RuleTarget.UNIT, new_unit=city.env_bureau.pk, change_reason="再改")
    )
    assert again.status_code == 403
    assert ResponsibilityRule.objects.count() == 2


def test_supersede_refused_by_the_service_shows_the_reason_and_writes_nothing(root_client, catalog, rule):
    url = reverse("admin:catalog_responsibilityrule_change", args=[rule.pk])
    response = root_client.post(
        url, supersede_form(new_target=RuleTarget.SECTOR, new_level=Level.DISTRICT, change_reason="改")
    )
    assert response.status_code == 200
    assert "“所在地的职能部门”方式必须指定职能领域" in response.text
    rule.refresh_from_db()
    assert rule.valid_until is None
    assert ResponsibilityRule.objects.count() == 1


def test_supersede_to_a_community_refused_when_not_on_the_access_list(root_client, city, catalog, rule):
    url = reverse("admin:catalog_responsibilityrule_change", args=[rule.pk])
    response = root_client.post(
        url,
        supersede_form(new_target=RuleTarget.UNIT, new_unit=city.community_office.pk, change_reason="下沉"),
    )
    assert response.status_code == 200
    assert "不在社区工作事项准入清单内" in response.text
    assert ResponsibilityRule.objects.count() == 1


def test_rule_is_added_through_the_service_by_the_signed_in_person(root_client, city, catalog, root):
    response = root_client.post(
        reverse("admin:catalog_responsibilityrule_add"),
        add_form(
            item=catalog.other.pk,
            target=RuleTarget.SECTOR,
            level=Level.DISTRICT,
            sector=city.env.pk,
            reason="三定方案",
        ),
    )
    assert response.status_code == 302, response.text
    rule = ResponsibilityRule.objects.get(item=catalog.other)
    assert rule.created_by == root
    assert rule.in_force_now


def test_add_rule_for_a_community_refused_when_item_not_on_access_list(root_client, city, catalog):
    response = root_client.post(
        reverse("admin:catalog_responsibilityrule_add"),
        add_form(
            item=catalog.other.pk,
            area=city.district.pk,
            target=RuleTarget.TERRITORIAL,
            level=Level.COMMUNITY,
            reason="街道会议决定",
        ),
    )
    assert response.status_code == 200
    assert "事项“施工扬尘”不在社区工作事项准入清单内，不能规定由社区承办" in response.text
    assert not ResponsibilityRule.objects.exists()


def test_add_rule_where_one_is_in_force_is_refused(root_client, city, catalog, rule):
    response = root_client.post(
        reverse("admin:catalog_responsibilityrule_add"),
        add_form(item=catalog.item.pk, target=RuleTarget.UNIT, unit=city.env_bureau.pk, reason="另建"),
    )
    assert response.status_code == 200
    assert "已有生效的责任规则" in response.text
    assert ResponsibilityRule.objects.count() == 1


def test_add_page_takes_the_item_from_the_catalog_page_link(root_client, catalog):
    url = reverse("admin:catalog_responsibilityrule_add")
    page = root_client.get(url, {"item": catalog.item.pk})
    assert page.context["adminform"].form.initial["item"] == str(catalog.item.pk)


def test_retire_action_asks_for_a_reason_then_closes_the_rule(root_client, catalog, rule, root):
    url = reverse("admin:catalog_responsibilityrule_changelist")
    confirm = root_client.post(url, {"action": "retire_rules", "_selected_action": [rule.pk], "index": 0})
    assert confirm.status_code == 200
    assert "停用原因" in confirm.text
    rule.refresh_from_db()
    assert rule.valid_until is None

    empty = root_client.post(url, {"action": "retire_rules", "_selected_action": [rule.pk], "post": "yes"})
    assert empty.status_code == 200  # the note is required: the page comes back
    rule.refresh_from_db()
    assert rule.valid_until is None

    done = root_client.post(
        url,
        {"action": "retire_rules", "_selected_action": [rule.pk], "post": "yes", "note": "职责划转"},
        follow=True,
    )
    assert "已停用" in done.text
    rule.refresh_from_db()
    assert rule.valid_until is not None
    assert (rule.retired_by, rule.retired_reason) == (root, "职责划转")


def test_retiring_a_closed_rule_is_reported_not_crashed(root_client, catalog, rule, root):
    from yousu.catalog.services import rule_retire

    rule_retire(rule=rule, reason="先停用", by=root)
    done = root_client.post(
        reverse("admin:catalog_responsibilityrule_changelist"),
        {"action": "retire_rules", "_selected_action": [rule.pk], "post": "yes", "note": "再停用"},
        follow=True,
    )
    assert done.status_code == 200
    assert "该规则已经失效" in done.text
    rule.refresh_from_db()
    assert rule.retired_reason == "先停用"
