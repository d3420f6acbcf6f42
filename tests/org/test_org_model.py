"""The organisation model refuses shapes that make no sense, with the field named."""

import pytest

from tests.conftest import box
from yousu.core.errors import DomainError
from yousu.org.models import Area, Unit
from yousu.org.selectors import area_for_point
from yousu.org.services import area_create, grid_assign, person_create, unit_create


def test_area_levels_must_nest(world):
    with pytest.raises(DomainError) as caught:
        area_create(code="X1", name="直属社区", kind="community", parent=world.areas.east)
    assert caught.value.field == "parent"
    with pytest.raises(DomainError) as no_parent:
        area_create(code="X2", name="孤立街道", kind="street")
    assert no_parent.value.field == "parent"
    assert not Area.objects.filter(code__in=["X1", "X2"]).exists()


def test_grid_needs_a_valid_polygon(world):
    with pytest.raises(DomainError) as missing:
        area_create(code="G9", name="无边界网格", kind="grid", parent=world.areas.east_community)
    assert missing.value.field == "boundary"
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(DomainError, match="无效") as invalid:
        area_create(
            code="G9", name="自相交网格", kind="grid", parent=world.areas.east_community, boundary=bow_tie
        )
    assert invalid.value.field == "boundary"
    with pytest.raises(DomainError, match="Polygon"):
        area_create(
            code="G9",
            name="点",
            kind="grid",
            parent=world.areas.east_community,
            boundary={"type": "Point", "coordinates": [1, 1]},
        )


def test_codes_must_be_plain(world):
    with pytest.raises(DomainError) as caught:
        area_create(code="A/B", name="坏编码", kind="district", parent=world.areas.city)
    assert caught.value.field == "code"


def test_unit_kind_level_and_area_must_agree(world):
    with pytest.raises(DomainError) as wrong_level:
        unit_create(
            code="U1",
            name="社区级部门",
            kind="community",
            level="street",
            area=world.areas.east_street,
            parent=world.units.east_platform,
        )
    assert wrong_level.value.field == "level"
    with pytest.raises(DomainError) as wrong_area:
        unit_create(
            code="U2",
            name="区级部门",
            kind="department",
            level="district",
            area=world.areas.east_street,
            parent=world.units.east_platform,
            sector=world.sectors.eco,
        )
    assert wrong_area.value.field == "area"
    with pytest.raises(DomainError) as no_sector:
        unit_create(
            code="U3",
            name="无领域部门",
            kind="department",
            level="district",
            area=world.areas.east,
            parent=world.units.east_platform,
        )
    assert no_sector.value.field == "sector"
    with pytest.raises(DomainError) as no_parent:
        unit_create(code="U4", name="游离街道", kind="street", level="street", area=world.areas.east_street)
    assert no_parent.value.field == "parent"
    assert not Unit.objects.filter(code__in=["U1", "U2", "U3", "U4"]).exists()


def test_paths_follow_a_move(world):
    new_district = area_create(code="C-N", name="北区", kind="district", parent=world.areas.city)
    street = world.areas.east_street
    street.parent = new_district
    street.save()
    world.areas.grid.refresh_from_db()
    assert world.areas.grid.path == "/C/C-N/C-E-1/C-E-1-1/C-E-1-1-G1/"
    assert world.areas.grid.ancestor_at("district") == new_district


def test_point_resolves_to_the_grid(world):
    assert area_for_point(101.3, 31.3) == world.areas.grid
    # Inside the east district but outside any bounded street: the district is the finest match.
    assert area_for_point(101.9, 30.1) == world.areas.east
    assert area_for_point(50.0, 10.0) is None


def test_stationed_staff_must_come_from_a_department_and_sit_on_a_grid(world):
    person = world.people.east_market_handler
    with pytest.raises(DomainError) as no_unit:
        grid_assign(area=world.areas.grid, person=person, duty="stationed")
    assert no_unit.value.field == "unit"
    with pytest.raises(DomainError) as not_grid:
        grid_assign(
            area=world.areas.east_community, person=person, duty="patrol", unit=world.units.east_market
        )
    assert not_grid.value.field == "area"
    with pytest.raises(DomainError) as not_department:
        grid_assign(area=world.areas.grid, person=person, duty="stationed", unit=world.units.east_street)
    assert not_department.value.field == "unit"
    assignment = grid_assign(
        area=world.areas.grid, person=person, duty="stationed", unit=world.units.east_market
    )
    assert (
        grid_assign(area=world.areas.grid, person=person, duty="stationed", unit=world.units.east_market)
        == assignment
    )
    chief = grid_assign(area=world.areas.east_street, person=world.people.street_leader, duty="chief")
    assert chief.area == world.areas.east_street  # grid chiefs exist at every level


def test_people_need_a_unit_and_known_roles(world):
    with pytest.raises(DomainError) as no_unit:
        person_create(username="x1", full_name="无单位", unit=None, roles=["operator"])
    assert no_unit.value.field == "unit"
    with pytest.raises(DomainError) as bad_role:
        person_create(username="x2", full_name="乱角色", unit=world.units.platform, roles=["mayor"])
    assert bad_role.value.field == "roles"


def test_box_helper_is_a_closed_ring():
    ring = box(0, 0, 1, 1)["coordinates"][0]
    assert ring[0] == ring[-1]
