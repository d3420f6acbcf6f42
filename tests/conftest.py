"""Shared fixtures: a small city built through the services, the way a real city is set up.

City 测试市 with two districts, a street and a community in each, one grid; an environment and a
market department per district; four catalog items; an access list with one item on it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from yousu.catalog.choices import AccessChangeAction, RuleTarget
from yousu.catalog.models import TimeLimitClass
from yousu.catalog.services import (
    access_list_create,
    access_list_decide,
    access_list_propose,
    item_create,
    rule_create,
)
from yousu.grid.models import DailyReportScope, ReportKind
from yousu.org.calendar import calendar_year_declare
from yousu.org.services import area_create, grid_assign, person_create, sector_ensure, unit_create

SINCE = timezone.make_aware(dt.datetime(2026, 1, 1, 0, 0))


def box(lon0, lat0, lon1, lat1):
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


@dataclass
class World:
    areas: SimpleNamespace
    units: SimpleNamespace
    people: SimpleNamespace
    items: SimpleNamespace
    access_list: object
    sectors: SimpleNamespace


def _migration(app: str, name: str):
    return importlib.import_module(f"yousu.{app}.migrations.{name}")


@pytest.fixture
def defaults(db):
    """The rows data migrations create; a transactional test's flush removes them, so restore them."""
    _migration("org", "0002_roles").create_roles(django_apps, None)
    _migration("org", "0006_provincial_role").create_provincial_role(django_apps, None)
    _migration("catalog", "0003_time_limit_classes").create_classes(django_apps, None)


@pytest.fixture
def small_sample(defaults):
    """For tests whose units have one or two orders each: every unit with an order is scored. The
    default scheme's minimum sample (three) has its own tests in tests/evaluation/test_month_end.py."""
    from yousu.evaluation.models import AssessmentScheme

    _migration("evaluation", "0002_default_scheme").create_default_scheme(django_apps, None)
    AssessmentScheme.objects.update(min_sample=1)


@pytest.fixture
def world(defaults) -> World:
    a = SimpleNamespace()
    a.city = area_create(code="C", name="测试市", kind="city", boundary=box(100, 30, 102, 32))
    a.east = area_create(
        code="C-E", name="东区", kind="district", parent=a.city, boundary=box(101, 30, 102, 32)
    )
    a.west = area_create(
        code="C-W", name="西区", kind="district", parent=a.city, boundary=box(100, 30, 101, 32)
    )
    a.east_street = area_create(code="C-E-1", name="东一街道", kind="street", parent=a.east)
    a.west_street = area_create(code="C-W-1", name="西一街道", kind="street", parent=a.west)
    a.east_community = area_create(code="C-E-1-1", name="东一社区", kind="community", parent=a.east_street)
    a.west_community = area_create(code="C-W-1-1", name="西一社区", kind="community", parent=a.west_street)
    a.grid = area_create(
        code="C-E-1-1-G1",
        name="东一社区第1网格",
        kind="grid",
        parent=a.east_community,
        boundary=box(101.2, 31.2, 101.4, 31.4),
    )

    s = SimpleNamespace(
        eco=sector_ensure(code="eco", name="生态环境"),
        market=sector_ensure(code="market", name="市场监督管理"),
        water=sector_ensure(code="water", name="供水"),
    )

    u = SimpleNamespace()
    u.platform = unit_create(code="P", name="市平台", kind="city_platform", level="city", area=a.city)
    u.city_eco = unit_create(
        code="CITY-eco",
        name="市生态环境局",
        kind="department",
        level="city",
        area=a.city,
        parent=u.platform,
        sector=s.eco,
    )
    u.water = unit_create(
        code="ENT-W",
        name="供水企业",
        kind="enterprise",
        level="city",
        area=a.city,
        parent=u.platform,
        sector=s.water,
    )
    for side, area, street_area, community_area in (
        ("east", a.east, a.east_street, a.east_community),
        ("west", a.west, a.west_street, a.west_community),
    ):
        platform = unit_create(
            code=f"{area.code}-P",
            name=f"{area.name}平台",
            kind="district_platform",
            level="district",
            area=area,
            parent=u.platform,
        )
        setattr(u, f"{side}_platform", platform)
        setattr(
            u,
            f"{side}_eco",
            unit_create(
                code=f"{area.code}-eco",
                name=f"{area.name}生态环境局",
                kind="department",
                level="district",
                area=area,
                parent=platform,
                sector=s.eco,
            ),
        )
        setattr(
            u,
            f"{side}_market",
            unit_create(
                code=f"{area.code}-market",
                name=f"{area.name}市场监督管理局",
                kind="department",
                level="district",
                area=area,
                parent=platform,
                sector=s.market,
            ),
        )
        street = unit_create(
            code=street_area.code,
            name=f"{street_area.name}办事处",
            kind="street",
            level="street",
            area=street_area,
            parent=platform,
        )
        setattr(u, f"{side}_street", street)
        setattr(
            u,
            f"{side}_community",
            unit_create(
                code=community_area.code,
                name=f"{community_area.name}居委会",
                kind="community",
                level="community",
                area=community_area,
                parent=street,
            ),
        )

    p = SimpleNamespace()
    p.admin = person_create(
        username="alice",
        full_name="管理员甲",
        unit=u.platform,
        roles=["administrator"],
        password="pw-alice-1",
    )
    p.admin2 = person_create(
        username="admin2",
        full_name="管理员乙",
        unit=u.platform,
        roles=["administrator"],
        password="pw-admin2-2026",
    )
    p.east_market_handler = person_create(
        username="bob",
        full_name="承办人乙",
        unit=u.east_market,
        roles=["unit_handler"],
        password="pw-bob-2026-1",
    )
    p.west_market_handler = person_create(
        username="carol", full_name="承办人丙", unit=u.west_market, roles=["unit_handler"]
    )
    p.street_leader = person_create(
        username="dave", full_name="街道负责人", unit=u.east_street, roles=["unit_leader"]
    )
    p.east_dispatcher = person_create(
        username="erin", full_name="东区派单员", unit=u.east_platform, roles=["dispatcher"]
    )
    p.supervisor = person_create(username="sam", full_name="督办员", unit=u.platform, roles=["supervisor"])
    p.dispatcher = person_create(
        username="dina", full_name="市平台派单员", unit=u.platform, roles=["dispatcher"]
    )
    p.operator = person_create(username="otto", full_name="接线员", unit=u.platform, roles=["operator"])
    p.east_eco_handler = person_create(
        username="eve", full_name="东区环境局承办人", unit=u.east_eco, roles=["unit_handler"]
    )
    p.east_street_handler = person_create(
        username="stan", full_name="东一街道承办人", unit=u.east_street, roles=["unit_handler"]
    )
    p.east_community_handler = person_create(
        username="cora", full_name="东一社区承办人", unit=u.east_community, roles=["unit_handler"]
    )

    # Tests dispatch at the real time too: years past the calendar package count Monday–Friday, so a
    # deadline running into them is computed rather than refused.
    for year in (2027, 2028):
        calendar_year_declare(area=a.city, year=year, source="测试：按周一至周五计算", by=p.admin)

    normal = TimeLimitClass.objects.get(code="normal")
    i = SimpleNamespace()
    i.domain = item_create(code="D1", name="生态环境", level=1)
    i.category = item_create(code="D1-01", name="大气污染", level=2, parent=i.domain)
    i.fumes = item_create(
        code="D1-01-01",
        name="餐饮油烟污染",
        level=3,
        parent=i.category,
        time_limit_class=normal,
        keywords="油烟、餐饮、烟道",
        appeal_kinds=["complaint", "report"],
    )
    i.dust = item_create(
        code="D1-01-02", name="工地扬尘", level=3, parent=i.category, time_limit_class=normal
    )
    i.community_domain = item_create(code="D2", name="社区治理", level=1)
    i.community_category = item_create(code="D2-01", name="楼院管理", level=2, parent=i.community_domain)
    i.hallway = item_create(
        code="D2-01-01", name="楼道堆物劝导", level=3, parent=i.community_category, time_limit_class=normal
    )
    i.parking = item_create(
        code="D2-01-02", name="小区停车协调", level=3, parent=i.community_category, time_limit_class=normal
    )
    i.water_outage = item_create(
        code="D2-01-03",
        name="停水",
        level=3,
        parent=i.community_category,
        time_limit_class=TimeLimitClass.objects.get(code="quick"),
    )

    access_list = access_list_create(name="测试市社区工作事项准入清单", area=a.city, cap=3)
    change = access_list_propose(
        access_list=access_list,
        action=AccessChangeAction.ADD,
        item=i.hallway,
        reason="社区自治事务",
        by=p.street_leader,
    )
    access_list_decide(change=change, approve=True, note="同意", by=p.admin)

    rule_create(
        item=i.fumes,
        target=RuleTarget.SECTOR,
        level="district",
        sector=s.eco,
        reason="初始权责清单",
        by=p.admin,
        valid_from=SINCE,
    )
    rule_create(
        item=i.parking,
        target=RuleTarget.TERRITORIAL,
        level="street",
        reason="初始权责清单",
        by=p.admin,
        valid_from=SINCE,
    )
    rule_create(
        item=i.hallway,
        target=RuleTarget.TERRITORIAL,
        level="community",
        reason="初始权责清单",
        by=p.admin,
        valid_from=SINCE,
    )
    rule_create(
        item=i.water_outage,
        target=RuleTarget.UNIT,
        unit=u.water,
        reason="初始权责清单",
        by=p.admin,
        valid_from=SINCE,
    )
    return World(areas=a, units=u, people=p, items=i, access_list=access_list, sectors=s)


@pytest.fixture
def grid(world):
    """Grid governance on top of world: a grid worker on the east community's grid, a department
    officer stationed on it, two report kinds mapped to catalog items, and the daily report required
    across the city."""
    a, u = world.areas, world.units
    g = SimpleNamespace(world=world)
    g.worker = person_create(
        username="gwen", full_name="网格员甲", unit=u.east_community, roles=["grid_worker"]
    )
    grid_assign(area=a.grid, person=g.worker, duty="full_time")
    g.stationed = person_create(
        username="ivan", full_name="驻格人员甲", unit=u.east_eco, roles=["unit_handler"]
    )
    grid_assign(area=a.grid, person=g.stationed, duty="stationed", unit=u.east_eco)
    g.secretary = world.people.east_community_handler
    # The fourteen default kinds come from a data migration; a transactional test flushes them, so
    # the ones used here are made sure of.
    g.pollution, _ = ReportKind.objects.get_or_create(code="pollution", defaults={"name": "生态环境污染"})
    g.pollution.item = world.items.fumes
    g.pollution.save()
    g.sanitation, _ = ReportKind.objects.get_or_create(code="sanitation", defaults={"name": "环境卫生"})
    g.sanitation.item = world.items.hallway
    g.sanitation.save()
    # The daily report is required across the test city (from the start of the year).
    g.scope = DailyReportScope.objects.create(area=a.city, since=dt.date(2026, 1, 1), note="测试：全市实行")
    return g


@pytest.fixture
def north(world) -> SimpleNamespace:
    """北市 (code N, appeal prefix BS): a district, its platform and market department, a city
    platform with an operator, a dispatcher and a leader, and one local catalog item of its own."""
    n = SimpleNamespace()
    n.city = area_create(code="N", name="北市", kind="city", boundary=box(110, 40, 112, 42))
    n.city.appeal_code_prefix = "BS"
    n.city.save(update_fields=["appeal_code_prefix"])
    n.district = area_create(
        code="N-A", name="北一区", kind="district", parent=n.city, boundary=box(110, 40, 111, 42)
    )
    n.platform = unit_create(code="NP", name="北市平台", kind="city_platform", level="city", area=n.city)
    n.district_platform = unit_create(
        code="N-A-P",
        name="北一区平台",
        kind="district_platform",
        level="district",
        area=n.district,
        parent=n.platform,
    )
    n.market = unit_create(
        code="N-A-market",
        name="北一区市场监督管理局",
        kind="department",
        level="district",
        area=n.district,
        parent=n.district_platform,
        sector=world.sectors.market,
    )
    n.operator = person_create(username="n_otto", full_name="北市接线员", unit=n.platform, roles=["operator"])
    n.dispatcher = person_create(
        username="n_dina", full_name="北市派单员", unit=n.platform, roles=["dispatcher"]
    )
    n.leader = person_create(username="n_lee", full_name="北市领导", unit=n.platform, roles=["leader"])
    n.supervisor = person_create(
        username="n_sam", full_name="北市督办员", unit=n.platform, roles=["supervisor"]
    )
    n.market_handler = person_create(
        username="n_bob", full_name="北一区承办人", unit=n.market, roles=["unit_handler"]
    )
    n.local_item = item_create(
        code="N-D1-01-09",
        name="北市供暖投诉（地方事项）",
        level=3,
        parent=world.items.category,
        time_limit_class=TimeLimitClass.objects.get(code="normal"),
        jurisdiction=n.city,
    )
    n.province = person_create(username="prov", full_name="省级监管员", unit=None, roles=["provincial"])
    return n
