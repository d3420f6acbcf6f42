"""Grid fixtures on top of the shared test city: a grid worker and a grid chief on the east
community's grid, a department officer stationed on it, and report kinds mapped to catalog items."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from yousu.grid.models import DailyReportScope, ReportKind
from yousu.org.services import grid_assign, person_create


@pytest.fixture
def grid(world):
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
