"""A second city beside the shared test city: one deployment serving two jurisdictions (and a
province-level reader who sees both)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from yousu.catalog.models import TimeLimitClass
from yousu.catalog.services import item_create
from yousu.org.services import area_create, person_create, unit_create

from ..api.helpers import Api
from ..conftest import box


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


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
