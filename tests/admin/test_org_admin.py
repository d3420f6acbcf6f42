"""The org admin: searches, writes through the org services, and each unit's staff seeing their own."""

from __future__ import annotations

from django.urls import reverse

from yousu.org.choices import AreaKind, Level, RoleCode, UnitKind
from yousu.org.models import Area, Person, Role, Unit


def unit_form(unit: Unit, **changes) -> dict:
    data = {
        "name": unit.name,
        "kind": unit.kind,
        "level": unit.level,
        "area": unit.area_id,
        "parent": unit.parent_id or "",
        "sector": unit.sector_id or "",
        "phone": unit.phone,
        "is_active": "on" if unit.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != "" or key != "is_active"}


def test_unit_search_finds_by_name_and_code(root_client, city):
    url = reverse("admin:org_unit_changelist")
    by_name = root_client.get(url, {"q": "生态环境"})
    assert "东区生态环境局" in by_name.text
    assert "东区水务局" not in by_name.text
    by_code = root_client.get(url, {"q": "u-dq-water"})
    assert "东区水务局" in by_code.text
    assert "东区生态环境局" not in by_code.text


def test_unit_handler_sees_their_unit_and_not_another(client, city, handler):
    client.force_login(handler)
    changelist = client.get(reverse("admin:org_unit_changelist"))
    assert changelist.status_code == 200
    assert "东区生态环境局" in changelist.text
    assert "东区水务局" not in changelist.text
    assert [unit.pk for unit in changelist.context["cl"].result_list] == [city.env_bureau.pk]
    own = client.get(reverse("admin:org_unit_change", args=[city.env_bureau.pk]))
    assert own.status_code == 200
    # Another unit's page does not exist for them: the admin sends them back to the index.
    other = client.get(reverse("admin:org_unit_change", args=[city.water_bureau.pk]))
    assert other.status_code == 302
    assert other.url == reverse("admin:index")


def test_unit_handler_sees_their_units_people_only(client, city, handler, water_worker):
    client.force_login(handler)
    changelist = client.get(reverse("admin:org_person_changelist"))
    assert "环保承办人" in changelist.text
    assert "水务承办人" not in changelist.text
    other = client.get(reverse("admin:org_person_change", args=[water_worker.pk]))
    assert other.status_code == 302


def test_unit_handler_cannot_grant_themselves_powers(client, city, handler):
    client.force_login(handler)
    page = client.get(reverse("admin:org_person_change", args=[handler.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.text
    assert 'name="roles"' not in page.text
    assert 'name="user_permissions"' not in page.text
    assert 'name="full_name"' in page.text


def test_unit_handler_sees_assignments_of_their_unit_only(client, city, handler, water_worker, assignment):
    from yousu.org.services import grid_assign

    grid_assign(area=city.community, person=water_worker, duty="chief")
    client.force_login(handler)
    changelist = client.get(reverse("admin:org_gridassignment_changelist"))
    assert "环保承办人" in changelist.text
    assert "水务承办人" not in changelist.text


def test_person_search_by_unit_name_and_phone(root_client, city, handler, water_worker):
    url = reverse("admin:org_person_changelist")
    by_unit = root_client.get(url, {"q": "水务局"})
    assert "水务承办人" in by_unit.text
    assert "环保承办人" not in by_unit.text
    by_phone = root_client.get(url, {"q": "13800000001"})
    assert "环保承办人" in by_phone.text


def test_area_is_added_through_the_service(root_client, city):
    response = root_client.post(
        reverse("admin:org_area_add"),
        {
            "code": "yl-xq",
            "name": "西区",
            "kind": AreaKind.DISTRICT,
            "parent": city.city.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    area = Area.objects.get(code="yl-xq")
    assert area.level == Level.DISTRICT
    assert area.path == "/yl/yl-xq/"


def test_area_refused_by_the_model_shows_the_reason_and_writes_nothing(root_client, city):
    response = root_client.post(
        reverse("admin:org_area_add"),
        {"code": "yl-xq", "name": "西区", "kind": AreaKind.DISTRICT, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "除市级外，区域必须有上级区域" in response.text
    assert not Area.objects.filter(code="yl-xq").exists()


def test_grid_page_shows_and_keeps_its_assignments(root_client, city, assignment):
    url = reverse("admin:org_area_change", args=[city.grid.pk])
    page = root_client.get(url)
    assert "环保承办人" in page.text
    response = root_client.post(
        url,
        {
            "name": "南门第一网格",
            "kind": AreaKind.GRID,
            "parent": city.community.pk,
            "boundary": '{"type": "Polygon", "coordinates": '
            "[[[101.7, 36.6], [101.71, 36.6], [101.71, 36.61], [101.7, 36.61], [101.7, 36.6]]]}",
            "is_active": "on",
            "assignments-TOTAL_FORMS": "1",
            "assignments-INITIAL_FORMS": "1",
            "assignments-0-id": assignment.pk,
            "assignments-0-area": city.grid.pk,
            "assignments-0-person": assignment.person_id,
            "assignments-0-duty": assignment.duty,
        },
    )
    assert response.status_code == 302, response.text
    city.grid.refresh_from_db()
    assert city.grid.name == "南门第一网格"
    assert city.grid.assignments.count() == 1


def test_unit_is_changed_through_the_service(root_client, city):
    url = reverse("admin:org_unit_change", args=[city.water_bureau.pk])
    response = root_client.post(url, unit_form(city.water_bureau, name="东区水务和供水局"))
    assert response.status_code == 302
    city.water_bureau.refresh_from_db()
    assert city.water_bureau.name == "东区水务和供水局"


def test_unit_deactivated_not_deleted(root_client, city):
    url = reverse("admin:org_unit_change", args=[city.water_bureau.pk])
    data = unit_form(city.water_bureau)
    del data["is_active"]
    assert root_client.post(url, data).status_code == 302
    city.water_bureau.refresh_from_db()
    assert city.water_bureau.is_active is False


def test_unit_refused_shows_the_reason_and_writes_nothing(root_client, city):
    url = reverse("admin:org_unit_change", args=[city.water_bureau.pk])
    response = root_client.post(url, unit_form(city.water_bureau, name="改名", sector=""))
    assert response.status_code == 200
    assert "职能部门必须注明职能领域" in response.text
    city.water_bureau.refresh_from_db()
    assert city.water_bureau.name == "东区水务局"
    assert city.water_bureau.sector == city.water


def test_unit_is_added_with_its_path(root_client, city):
    response = root_client.post(
        reverse("admin:org_unit_add"),
        {
            "code": "u-dq-market",
            "name": "东区市场监督管理局",
            "kind": UnitKind.DEPARTMENT,
            "level": Level.DISTRICT,
            "area": city.district.pk,
            "parent": city.district_platform.pk,
            "sector": city.env.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="u-dq-market")
    assert unit.path == "/u-yl/u-dq/u-dq-market/"


def test_person_is_added_through_person_create(root_client, city):
    response = root_client.post(
        reverse("admin:org_person_add"),
        {
            "username": "xiaoli",
            "usable_password": "true",
            "password1": "a-long-Passw0rd-2026",
            "password2": "a-long-Passw0rd-2026",
            "full_name": "小李",
            "unit": city.env_bureau.pk,
            "roles": [Role.objects.get(code=RoleCode.UNIT_HANDLER).pk],
            "phone": "13900000000",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302, response.text
    person = Person.objects.get(username="xiaoli")
    assert person.unit == city.env_bureau
    assert person.role_codes() == {RoleCode.UNIT_HANDLER}
    assert person.check_password("a-long-Passw0rd-2026")


def test_person_without_unit_is_refused_unless_administrator(root_client, city):
    role = Role.objects.get(code=RoleCode.OPERATOR)
    response = root_client.post(
        reverse("admin:org_person_add"),
        {
            "username": "xiaowang",
            "usable_password": "false",
            "full_name": "小王",
            "roles": [role.pk],
        },
    )
    assert response.status_code == 200
    assert "除系统管理员和省级监管外，人员必须属于一个单位" in response.text
    assert not Person.objects.filter(username="xiaowang").exists()
