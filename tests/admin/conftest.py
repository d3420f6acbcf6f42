"""Shared data of the admin tests: one small city built through the org and catalog services."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from yousu.catalog.choices import CatalogLevel, RuleTarget
from yousu.catalog.models import TimeLimitClass
from yousu.catalog.services import access_list_create, item_create, rule_create
from yousu.org.choices import AreaKind, Level, RoleCode, UnitKind
from yousu.org.services import area_create, grid_assign, person_create, sector_ensure, unit_create

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[101.70, 36.60], [101.71, 36.60], [101.71, 36.61], [101.70, 36.61], [101.70, 36.60]]],
}


@pytest.fixture
def city(db):
    """Areas, sectors and units of 样例市, down to one grid."""
    c = SimpleNamespace()
    c.city = area_create(code="yl", name="样例市", kind=AreaKind.CITY)
    c.district = area_create(code="yl-dq", name="东区", kind=AreaKind.DISTRICT, parent=c.city)
    c.street = area_create(code="yl-dq-dg", name="东关街道", kind=AreaKind.STREET, parent=c.district)
    c.community = area_create(code="yl-dq-dg-nm", name="南门社区", kind=AreaKind.COMMUNITY, parent=c.street)
    c.grid = area_create(
        code="yl-dq-dg-nm-01", name="南门一网格", kind=AreaKind.GRID, parent=c.community, boundary=SQUARE
    )
    c.env = sector_ensure(code="env", name="生态环境")
    c.water = sector_ensure(code="water", name="供水")
    c.platform = unit_create(
        code="u-yl", name="样例市12345平台", kind=UnitKind.CITY_PLATFORM, level=Level.CITY, area=c.city
    )
    c.district_platform = unit_create(
        code="u-dq",
        name="东区平台",
        kind=UnitKind.DISTRICT_PLATFORM,
        level=Level.DISTRICT,
        area=c.district,
        parent=c.platform,
    )
    c.env_bureau = unit_create(
        code="u-dq-env",
        name="东区生态环境局",
        kind=UnitKind.DEPARTMENT,
        level=Level.DISTRICT,
        area=c.district,
        parent=c.district_platform,
        sector=c.env,
    )
    c.water_bureau = unit_create(
        code="u-dq-water",
        name="东区水务局",
        kind=UnitKind.DEPARTMENT,
        level=Level.DISTRICT,
        area=c.district,
        parent=c.district_platform,
        sector=c.water,
    )
    c.street_office = unit_create(
        code="u-dg",
        name="东关街道办事处",
        kind=UnitKind.STREET,
        level=Level.STREET,
        area=c.street,
        parent=c.district_platform,
    )
    c.community_office = unit_create(
        code="u-nm",
        name="南门社区居委会",
        kind=UnitKind.COMMUNITY,
        level=Level.COMMUNITY,
        area=c.community,
        parent=c.street_office,
    )
    return c


def grant(person, *codenames: str) -> None:
    person.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.fixture
def root(db):
    return person_create(
        username="root", full_name="管理员甲", unit=None, roles=[], is_staff=True, is_superuser=True
    )


@pytest.fixture
def root2(db):
    return person_create(
        username="root2", full_name="管理员乙", unit=None, roles=[], is_staff=True, is_superuser=True
    )


@pytest.fixture
def handler(city):
    """A unit handler of the environment bureau: staff, may look at units and people."""
    person = person_create(
        username="huanbao",
        full_name="环保承办人",
        unit=city.env_bureau,
        roles=[RoleCode.UNIT_HANDLER],
        phone="13800000001",
        is_staff=True,
    )
    grant(person, "view_unit", "view_person", "change_person", "view_gridassignment")
    return person


@pytest.fixture
def water_worker(city):
    return person_create(
        username="shuiwu", full_name="水务承办人", unit=city.water_bureau, roles=[RoleCode.UNIT_HANDLER]
    )


@pytest.fixture
def catalog(city):
    """A three-level branch of the catalog and an empty access list for the city."""
    c = SimpleNamespace()
    c.normal = TimeLimitClass.objects.get(code="normal")
    c.domain = item_create(code="hj", name="环境保护", level=CatalogLevel.DOMAIN)
    c.category = item_create(code="hj-dq", name="大气污染", level=CatalogLevel.CATEGORY, parent=c.domain)
    c.item = item_create(
        code="hj-dq-yc",
        name="餐饮油烟",
        level=CatalogLevel.ITEM,
        parent=c.category,
        keywords="油烟、排烟、饭店",
        time_limit_class=c.normal,
    )
    c.other = item_create(
        code="hj-dq-zs",
        name="施工扬尘",
        level=CatalogLevel.ITEM,
        parent=c.category,
        keywords="扬尘、工地",
        time_limit_class=c.normal,
    )
    c.access_list = access_list_create(name="样例市社区工作事项准入清单", area=city.city, cap=47)
    return c


@pytest.fixture
def rule(city, catalog, root):
    """The item's rule, in force since yesterday: the district's environment department answers."""
    return rule_create(
        item=catalog.item,
        target=RuleTarget.SECTOR,
        level=Level.DISTRICT,
        sector=city.env,
        reason="市编委〔2026〕1号文件",
        by=root,
        valid_from=timezone.now() - dt.timedelta(days=1),
    )


@pytest.fixture
def assignment(city, handler):
    return grid_assign(area=city.grid, person=handler, duty="chief")


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client
