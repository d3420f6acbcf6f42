"""The start page and the public catalog pages, over real HTTP from a live server."""

import datetime as dt
import urllib.parse
import urllib.request

from django.utils import timezone

from yousu.catalog.choices import RuleTarget
from yousu.catalog.models import ResponsibilityRule
from yousu.catalog.services import rule_change


def fetch(live_server, path, **params):
    url = live_server.url + path + (("?" + urllib.parse.urlencode(params)) if params else "")
    with urllib.request.urlopen(url) as response:
        return response.status, response.read().decode("utf-8")


def test_start_page_says_what_the_platform_is_and_links_to_its_parts(live_server, world):
    status, html = fetch(live_server, "/")
    assert status == 200
    assert ("12345" in html and "防止层层向基层转嫁责任" not in html) or "层层向基层转嫁责任" in html
    for link in ("/catalog/", "/catalog/lookup/", "/catalog/access-list/", "/admin/"):
        assert f'href="{link}"' in html


def test_catalog_page_lists_items_with_their_rule_and_access_mark(live_server, world):
    status, html = fetch(live_server, "/catalog/")
    assert status == 200
    assert "餐饮油烟污染" in html and "诉求所在地的区/县/园区生态环境部门" in html
    _status, found = fetch(live_server, "/catalog/", q="油烟")
    assert "餐饮油烟污染" in found and "楼道堆物劝导" not in found


def test_lookup_answers_now_and_for_a_past_moment(live_server, world):
    last_week = timezone.now() - dt.timedelta(days=7)
    rule = ResponsibilityRule.objects.get(item=world.items.fumes)
    rule_change(
        rule=rule,
        target=RuleTarget.SECTOR,
        level="district",
        sector=world.sectors.market,
        effective_at=last_week,
        reason="会商决定",
        by=world.people.admin,
    )
    _s, now_html = fetch(live_server, "/catalog/lookup/", item=world.items.fumes.pk, area=world.areas.grid.pk)
    assert "东区市场监督管理局" in now_html
    before = timezone.localtime(last_week - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    _s, past_html = fetch(
        live_server, "/catalog/lookup/", item=world.items.fumes.pk, area=world.areas.grid.pk, at=before
    )
    assert "东区生态环境局" in past_html and "东区市场监督管理局" not in past_html


def test_lookup_bad_input_is_a_message_not_a_crash(live_server, world):
    status, html = fetch(live_server, "/catalog/lookup/", item="999999", area=world.areas.grid.pk)
    assert status == 200 and "没有这个目录事项" in html
    _s, coarse = fetch(live_server, "/catalog/lookup/", item=world.items.parking.pk, area=world.areas.east.pk)
    assert "需要先明确到该层级" in coarse


def test_access_list_page_shows_entries_and_decisions(live_server, world):
    _s, html = fetch(live_server, "/catalog/access-list/")
    assert "楼道堆物劝导" in html and "已批准" in html and "同意" in html


def test_english_is_available(client, world):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Responsibility catalog" in html


def test_healthz(client, db):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"


def test_model_names_and_choices_have_english_translations():
    from django.utils import translation

    from yousu.catalog.models import CatalogItem
    from yousu.org.choices import RoleCode
    from yousu.org.models import Unit

    with translation.override("en"):
        assert str(Unit._meta.verbose_name_plural) == "Units"
        assert str(CatalogItem._meta.verbose_name) == "Catalog item"
        assert str(RoleCode.DISPATCHER.label) == "Dispatcher"
    with translation.override("zh-hans"):
        assert str(Unit._meta.verbose_name_plural) == "单位"


def test_start_page_offers_demo_accounts_but_not_the_simulations_actors(client, settings, world):
    from yousu.org.services import person_create

    settings.YOUSU_SHOW_DEMO_ACCOUNTS = True  # the demo accounts are shown on one machine only
    person_create(
        username="demo_op",
        full_name="接线员（演示）",
        unit=world.units.platform,
        roles=["operator"],
        password="yousu-demo-2026",
        is_demo=True,
    )
    person_create(
        username="demo_actor",
        full_name="某局承办人（演示）",
        unit=world.units.east_eco,
        roles=["unit_handler"],
        is_demo=True,
    )
    html = client.get("/").content.decode()
    assert "demo_op" in html and "demo_actor" not in html
    settings.YOUSU_SHOW_DEMO_ACCOUNTS = False
    assert "demo_op" not in client.get("/").content.decode()
