"""One deployment, two cities: every appeal, unit, catalog item and figure belongs to one
jurisdiction; people read only theirs; the provincial role reads both; Open311 uses jurisdiction_id."""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.utils import timezone

from yousu.appeals.models import Appeal
from yousu.appeals.services import appeal_create, appeal_link_duplicate, appeal_set_item
from yousu.catalog.services import item_create, rule_create
from yousu.core.errors import DomainError, NotFound
from yousu.dispatch.models import Order
from yousu.dispatch.services import appeal_dispatch
from yousu.evaluation.assessment import rank_and_zone
from yousu.evaluation.models import AssessmentScheme
from yousu.open311.services import api_key_issue
from yousu.org.selectors import jurisdiction_of, people_visible_to, scope_within, units_visible_to
from yousu.org.services import unit_create
from yousu.reports.documents import daily_brief_for

from ..api.helpers import make_appeal


def north_appeal(north, **overrides):
    fields = {
        "kind": "complaint",
        "channel": "hotline",
        "title": "北市小区供暖不热",
        "content": "北一区某小区暖气不热，已持续三天。",
        "intake_unit": north.platform,
        "received_by": north.operator,
        "area": north.district,
        "citizen_name": "演示市民",
        "citizen_phone": "13900001111",
    }
    fields.update(overrides)
    return appeal_create(**fields)


# ------------------------------------------------------------------------- ownership and intake


def test_an_appeal_belongs_to_the_city_of_its_intake_unit_and_is_numbered_there(world, north):
    here = make_appeal(world)
    there = north_appeal(north)
    assert here.jurisdiction == world.areas.city
    assert there.jurisdiction == north.city
    assert there.code.startswith("BS") and not here.code.startswith("BS")
    assert jurisdiction_of(north.operator) == north.city


def test_an_appeal_placed_in_another_city_is_refused_and_nothing_is_written(world, north):
    before = Appeal.objects.count()
    with pytest.raises(DomainError) as refused:
        north_appeal(north, area=world.areas.grid)
    assert refused.value.field == "area"
    assert Appeal.objects.count() == before


def test_a_point_is_placed_only_among_the_receiving_citys_areas(world, north):
    # A point inside the test city, received by the north platform: not placed in the test city.
    appeal = north_appeal(north, area=None, longitude=101.3, latitude=31.3)
    assert appeal.area is None and appeal.jurisdiction == north.city


def test_a_local_item_is_used_only_by_its_own_city(world, north):
    with pytest.raises(DomainError) as refused:
        make_appeal(world, item=north.local_item)
    assert refused.value.field == "item"
    here = make_appeal(world)
    with pytest.raises(DomainError):
        appeal_set_item(appeal=here, item=north.local_item, by=world.people.dispatcher)
    assert Appeal.objects.get(pk=here.pk).item == world.items.fumes
    # The shared catalog serves both; the local item serves its own city.
    assert north_appeal(north, item=north.local_item).item == north.local_item
    assert north_appeal(north, item=world.items.fumes).item == world.items.fumes


def test_a_local_branch_keeps_its_items_local(world, north):
    branch = item_create(code="N-LOCAL", name="北市地方领域", level=1, jurisdiction=north.city)
    category = item_create(code="N-LOCAL-1", name="北市地方类别", level=2, parent=branch)
    assert category.jurisdiction == north.city  # inherited
    with pytest.raises(DomainError):
        item_create(code="X-1", name="他市类别", level=2, parent=branch, jurisdiction=world.areas.city)


def test_units_and_rules_never_cross_cities(world, north):
    with pytest.raises(DomainError) as refused:
        unit_create(
            code="N-A-eco",
            name="北一区生态环境局",
            kind="department",
            level="district",
            area=north.district,
            parent=world.units.platform,
            sector=world.sectors.eco,
        )
    assert refused.value.field == "parent"
    with pytest.raises(DomainError) as refused:
        rule_create(
            item=world.items.dust,
            area=world.areas.east,
            target="unit",
            unit=north.market,
            reason="测试：他市单位",
            by=world.people.admin,
        )
    assert refused.value.field == "unit"
    with pytest.raises(DomainError) as refused:
        rule_create(
            item=north.local_item,
            area=world.areas.east,
            target="unit",
            unit=world.units.east_market,
            reason="测试：他市事项",
            by=world.people.admin,
        )
    assert refused.value.field == "item"


def test_another_citys_platform_cannot_take_an_appeal_into_its_units(world, north):
    here = make_appeal(world)
    with pytest.raises(DomainError) as refused:
        appeal_dispatch(appeal=here, by=north.dispatcher, unit=north.district_platform, reason="越界派单")
    assert refused.value.field == "unit"
    assert not Order.objects.filter(appeal=here).exists()
    assert Appeal.objects.get(pk=here.pk).status == "received"


def test_duplicates_are_linked_only_within_one_city(world, north):
    here = make_appeal(world)
    there = north_appeal(north)
    with pytest.raises(DomainError) as refused:
        appeal_link_duplicate(appeal=there, original=here, by=north.operator)
    assert refused.value.field == "original"


# ------------------------------------------------------------------------- who sees what


def test_city_wide_roles_see_their_own_city_and_the_provincial_role_sees_all(world, north):
    c_units = set(units_visible_to(world.people.supervisor).values_list("code", flat=True))
    n_units = set(units_visible_to(north.leader).values_list("code", flat=True))
    assert "NP" not in c_units and "P" in c_units
    assert n_units == {"NP", "N-A-P", "N-A-market"}
    everything = set(units_visible_to(north.province).values_list("code", flat=True))
    assert everything == c_units | n_units
    assert north.operator not in people_visible_to(world.people.admin)
    assert north.operator in people_visible_to(north.province)


def test_a_unit_less_administrator_reads_nothing_once_there_are_two_cities(world, north):
    from yousu.org.services import person_create

    orphan = person_create(username="orphan2", full_name="无单位管理员", unit=None, roles=["administrator"])
    assert jurisdiction_of(orphan) is None
    assert not units_visible_to(orphan).exists()


def test_over_http_a_city_reads_only_its_appeals_and_another_citys_appeal_is_not_found(api, world, north):
    here = make_appeal(world)
    there = north_appeal(north)

    def codes(person):
        answer = api.get("/api/v1/appeals/", person)
        assert answer.status == 200, answer.body
        return {row["code"] for row in answer.body["results"]}

    assert codes(world.people.supervisor) == {here.code}
    assert codes(north.leader) == {there.code}
    assert codes(north.province) == {here.code, there.code}
    assert api.get(f"/api/v1/appeals/{here.code}/", north.operator).status == 404
    assert api.get(f"/api/v1/appeals/{there.code}/", world.people.operator).status == 404
    assert api.get(f"/api/v1/appeals/{there.code}/", north.province).status == 200


def test_the_dashboard_counts_each_city_apart_and_the_province_counts_both(api, world, north):
    make_appeal(world)
    north_appeal(north)
    north_appeal(north, area=None)  # placed no finer than the city: still the north's

    def received(person, query=""):
        answer = api.get(f"/api/v1/dashboard/summary/{query}", person)
        assert answer.status == 200, answer.body
        return answer.body["totals"]["received"], answer.body["jurisdiction"]

    assert received(world.people.supervisor) == (1, {"code": "C", "name": "测试市"})
    assert received(north.leader) == (2, {"code": "N", "name": "北市"})
    assert received(north.province) == (3, None)
    # Another city's district is refused, not shown empty.
    assert api.get("/api/v1/dashboard/summary/?district=C-E", north.leader).status == 404
    assert received(north.province, "?district=N-A")[0] == 1


def test_the_daily_brief_is_of_the_readers_city(world, north):
    make_appeal(world)
    north_appeal(north)
    north_appeal(north)
    day = timezone.localdate().isoformat()
    assert daily_brief_for(world.people.supervisor, day)["received"]["total"] == 1
    assert daily_brief_for(north.leader, day)["received"]["total"] == 2
    assert daily_brief_for(north.province, day)["received"]["total"] == 3


def test_scope_refuses_an_area_of_another_city(world, north):
    with pytest.raises(NotFound):
        scope_within(north.leader, world.areas.east)
    assert scope_within(north.leader, None) == north.city
    assert scope_within(north.province, None) is None


def test_units_are_ranked_only_against_their_own_citys_peers():
    scheme = AssessmentScheme(blue_share=0, red_share=0)
    rows = [
        {"unit_id": 1, "level": "district", "kind": "department", "score": 90.0},
        {"unit_id": 2, "level": "district", "kind": "department", "score": 80.0},
        {"unit_id": 3, "level": "district", "kind": "department", "score": 70.0},
    ]
    rank_and_zone(rows, scheme, {1: "C", 2: "N", 3: "C"})
    assert [(row["rank"], row["peers"]) for row in rows] == [(1, 2), (1, 1), (2, 2)]


# ------------------------------------------------------------------------- Open311


def _open311(live_server, path, data=None):
    body = None if data is None else "&".join(f"{k}={v}" for k, v in data.items()).encode()
    request = urllib.request.Request(live_server.url + "/open311/v2/" + path, data=body)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_open311_needs_a_jurisdiction_and_lists_each_citys_services(live_server, world, north):
    status, body = _open311(live_server, "services.json")
    assert status == 400 and "jurisdiction_id" in json.dumps(body)
    status, north_services = _open311(live_server, "services.json?jurisdiction_id=N")
    assert status == 200
    assert "N-D1-01-09" in {s["service_code"] for s in north_services}
    status, city_services = _open311(live_server, "services.json?jurisdiction_id=C")
    assert "N-D1-01-09" not in {s["service_code"] for s in city_services}
    status, _body = _open311(live_server, "services/N-D1-01-09.json?jurisdiction_id=C")
    assert status == 404


def test_open311_posts_land_in_the_named_jurisdiction(live_server, world, north):
    _key, raw = api_key_issue(name="两市客户端")
    status, body = _open311(
        live_server,
        "requests.json",
        {
            "api_key": raw,
            "jurisdiction_id": "N",
            "service_code": "N-D1-01-09",
            "lat": "41",
            "long": "110.5",
            "description": "北市供暖不热",
        },
    )
    assert status in (200, 201), body
    appeal = Appeal.objects.get(channel="open311")
    assert appeal.jurisdiction == north.city and appeal.intake_unit == north.platform
    status, body = _open311(
        live_server,
        "requests.json",
        {
            "api_key": raw,
            "jurisdiction_id": "C",
            "service_code": "N-D1-01-09",
            "lat": "31.3",
            "long": "101.3",
            "description": "他市地方事项",
        },
    )
    assert status == 404


# ------------------------------------------------------------------------- rules and the public page


def test_a_rule_for_every_area_naming_a_unit_serves_only_that_units_city(world, north):
    from yousu.catalog.selectors import responsible_unit
    from yousu.core.errors import ResponsibilityNotFound

    rule_create(
        item=world.items.dust,
        area=None,
        target="unit",
        unit=world.units.water,
        reason="测试",
        by=world.people.admin,
    )
    assert responsible_unit(item=world.items.dust, area=world.areas.east_community).unit == world.units.water
    with pytest.raises(ResponsibilityNotFound):
        responsible_unit(item=world.items.dust, area=north.district)


def test_a_city_publishes_and_withdraws_only_its_own_typical_cases(world, north):
    from yousu.core.errors import PermissionRefused
    from yousu.public.models import TypicalCase
    from yousu.public.services import typical_case_publish

    from ..public.helpers import settled_appeal

    appeal = settled_appeal(world)
    north_supervisor = north.supervisor
    with pytest.raises(PermissionRefused) as refused:
        typical_case_publish(
            appeal=appeal, by=north_supervisor, title="典型案例", summary="摘要", outcome="结果"
        )
    assert refused.value.field == "appeal"
    assert not TypicalCase.objects.exists()
    case = typical_case_publish(
        appeal=appeal, by=world.people.supervisor, title="典型案例", summary="摘要", outcome="结果"
    )
    assert case.appeal == appeal


def test_the_public_page_shows_each_city_apart(client, world, north):
    from ..public.helpers import MONTH, result, run_of_month

    run = run_of_month(MONTH)
    result(
        run, world.units.east_eco, assessed=10, completed=8, due=10, score=90.0, rank=1, peers=1, zone="blue"
    )
    result(run, north.market, assessed=4, completed=1, due=4, score=60.0, rank=1, peers=1, zone="red")
    page = client.get("/public/?jurisdiction=N").content.decode()
    assert "北一区市场监督管理局" in page and "东区生态环境局" not in page
    page = client.get("/public/?jurisdiction=C").content.decode()
    assert "东区生态环境局" in page and "北一区市场监督管理局" not in page
    assert client.get("/public/?jurisdiction=NOWHERE").status_code == 200  # the error shown, first city
    answer = client.get("/api/v1/public/ranking/?jurisdiction=N").json()
    assert answer["jurisdiction"] == {"code": "N", "name": "北市"}
    assert answer["headline"]["orders_assessed"] == 4
    assert [u["name"] for g in answer["groups"] for u in g["units"]] == ["北一区市场监督管理局"]
    assert client.get("/api/v1/public/ranking/?jurisdiction=NOWHERE").status_code == 404


def test_the_dashboard_page_offers_the_readers_districts_and_the_province_each_city(
    client, api, world, north
):
    north_appeal(north)
    north_appeal(north)
    make_appeal(world)
    client.force_login(north.leader)
    page = client.get("/dashboard/").content.decode()
    assert 'value="N-A"' in page and 'value="C-E"' not in page
    assert client.get("/dashboard/areas.geojson?district=C-E").status_code == 400
    client.force_login(north.province)
    page = client.get("/dashboard/").content.decode()
    assert all(f'value="{code}"' in page for code in ("C", "C-E", "C-W", "N", "N-A"))
    whole_north = api.get("/api/v1/dashboard/summary/?district=N", north.province).body
    assert whole_north["totals"]["received"] == 2
    assert whole_north["jurisdiction"] == {"code": "N", "name": "北市"} and whole_north["district"] is None
    assert [row["code"] for row in whole_north["by_area"]] == ["N-A"]
    assert api.get("/api/v1/dashboard/summary/?district=C", north.leader).status == 404


def test_first_try_accuracy_is_of_the_readers_city(api, world, north, settings, tmp_path):
    from yousu.intelligence import services

    from ..intelligence.test_suggestions import examples

    settings.VAR_DIR = tmp_path
    services.model_train(examples=examples(), activate=True)  # a suggestion is recorded at dispatch
    appeal_dispatch(
        appeal=north_appeal(north), by=north.dispatcher, unit=north.district_platform, reason="按属地"
    )

    def dispatched(person):
        answer = api.get("/api/v1/intelligence/accuracy/", person)
        assert answer.status == 200, answer.body
        return answer.body["overall"]["dispatched"]

    assert dispatched(north.leader) == 1
    assert dispatched(world.people.supervisor) == 0
    assert dispatched(north.province) == 1


def test_the_same_words_in_two_cities_make_two_hot_issues(world, north):
    from yousu.intelligence.hot_issues import hot_issues_absorb

    words = {"title": "小区暖气不热", "content": "小区暖气片一直不热，屋里只有十几度，老人孩子受冻。"}
    here = make_appeal(world, area=None, item=None, **words)
    there = north_appeal(north, area=None, **words)
    again = north_appeal(north, area=None, **words)
    first, second, third = hot_issues_absorb([here, there, again])
    assert second == third  # the same matter in one city joins
    assert first != second  # across cities it never does
    assert first.area == world.areas.city and second.area == north.city


def test_an_online_appeal_goes_to_the_platform_of_the_city_chosen_or_pointed_at(client, world, north):
    from yousu.appeals.portal import citizen_appeal_submit

    fields = {"kind": "inquiry", "content": "请问供暖费怎么缴纳？", "phone": "13900002222", "ip": "10.0.0.9"}
    with pytest.raises(DomainError) as refused:
        citizen_appeal_submit(**fields, idempotency_key="none")
    assert refused.value.field == "jurisdiction"
    assert not Appeal.objects.filter(channel="web").exists()
    chosen = citizen_appeal_submit(**fields, idempotency_key="chosen", jurisdiction="N")
    assert chosen.intake_unit == north.platform and chosen.jurisdiction == north.city
    pointed = citizen_appeal_submit(**fields, idempotency_key="pointed", longitude=101.3, latitude=31.3)
    assert pointed.intake_unit == world.units.platform and pointed.area == world.areas.grid
    page = client.get("/h5/submit/").content.decode()
    assert 'name="jurisdiction"' in page and "北市" in page


def test_the_admin_lists_only_the_staff_members_city(client, world, north):
    from django.contrib.auth.models import Permission

    here = make_appeal(world)
    there = north_appeal(north)
    staff = north.supervisor
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_appeal", "view_order"]))
    client.force_login(staff)
    page = client.get("/admin/appeals/appeal/").content.decode()
    assert there.code in page and here.code not in page
    assert client.get(f"/admin/appeals/appeal/{here.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/appeals/appeal/{there.pk}/change/").status_code == 200


def test_the_admin_lists_of_rows_without_an_appeal_are_the_staff_members_city_too(client, world, north):
    from django.contrib.auth.models import Permission

    from yousu.dispatch.whistles import whistle_blow

    here = whistle_blow(
        problem="东一街道占道经营", departments=[world.units.east_market], by=world.people.street_leader
    )
    staff = north.supervisor
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.add(*Permission.objects.filter(codename="view_whistle"))
    client.force_login(staff)
    assert "东一街道占道经营" not in client.get("/admin/dispatch/whistle/").content.decode()
    assert client.get(f"/admin/dispatch/whistle/{here.pk}/change/").status_code in (302, 404)
    client.force_login(world.people.supervisor)
    world.people.supervisor.is_staff = True
    world.people.supervisor.save(update_fields=["is_staff"])
    world.people.supervisor.user_permissions.add(*Permission.objects.filter(codename="view_whistle"))
    assert "东一街道占道经营" in client.get("/admin/dispatch/whistle/").content.decode()
