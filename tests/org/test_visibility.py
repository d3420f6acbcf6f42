"""A unit's staff see their unit's data only; leaders see below; city-wide roles see all."""

from yousu.org.selectors import can_see_unit, people_visible_to, units_visible_to
from yousu.org.services import person_create


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_handler_sees_only_own_unit(world):
    visible = codes(units_visible_to(world.people.east_market_handler))
    assert visible == {"C-E-market"}
    assert not can_see_unit(world.people.east_market_handler, world.units.west_market)


def test_handler_sees_people_of_own_unit_only(world):
    names = set(people_visible_to(world.people.east_market_handler).values_list("username", flat=True))
    assert names == {"bob"}


def test_unit_leader_sees_own_unit_and_below(world):
    visible = codes(units_visible_to(world.people.street_leader))
    assert visible == {"C-E-1", "C-E-1-1"}


def test_district_dispatcher_sees_its_district(world):
    visible = codes(units_visible_to(world.people.east_dispatcher))
    assert "C-E-eco" in visible and "C-E-1-1" in visible
    assert not visible & {"C-W-eco", "C-W-1", "P", "CITY-eco"}


def test_city_wide_roles_see_everything(world):
    total = units_visible_to(world.people.admin).count()
    assert total == units_visible_to(world.people.supervisor).count() > 10


def test_inactive_or_unit_less_people_see_nothing(world):
    world.people.east_market_handler.is_active = False
    assert not units_visible_to(world.people.east_market_handler).exists()
    orphan = person_create(username="orphan", full_name="无单位管理员", unit=None, roles=["administrator"])
    assert units_visible_to(orphan).count() > 0  # an administrator needs no unit
    orphan.roles.clear()
    del orphan._role_codes
    assert not units_visible_to(orphan).exists()
