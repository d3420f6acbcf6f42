"""Builders of the reach tests (issue 21, item 1): the west district platform's dispatcher, appeals each
district platform received itself (so only that district's dispatcher reaches them), and a hot issue
that gathers appeals of both districts."""

from __future__ import annotations

from tests.api.helpers import make_appeal
from yousu.appeals.models import Appeal
from yousu.intelligence.models import HotIssue, HotIssueAppeal
from yousu.org.models import Person
from yousu.org.services import person_create

BARBECUE = [
    ("幸福小区烧烤店油烟扰民", "幸福小区楼下烧烤店每天晚上油烟直排，烟味很大，居民无法开窗。"),
    ("投诉幸福小区烧烤店油烟", "幸福小区门口烧烤店油烟直排扰民，晚上烟味大，请查处。"),
    ("幸福小区烧烤油烟直排", "烧烤店油烟直排到幸福小区楼里，烟味呛人，晚上更严重。"),
    ("幸福小区烧烤店油烟呛人", "幸福小区旁烧烤店油烟很大，晚上呛得睡不着。"),
]


def west_dispatcher(world) -> Person:
    return person_create(
        username="wade", full_name="西区派单员", unit=world.units.west_platform, roles=["dispatcher"]
    )


def district_appeal(world, side: str, number: int, *, by: Person | None = None) -> Appeal:
    """A fumes complaint that the `side` district platform took in itself (its own queue), in that
    district's community; `by` is the dispatcher who took the call (the east one by default)."""
    title, content = BARBECUE[number % len(BARBECUE)]
    return make_appeal(
        world,
        title=title,
        content=content,
        intake_unit=getattr(world.units, f"{side}_platform"),
        received_by=by or world.people.east_dispatcher,
        area=getattr(world.areas, f"{side}_community"),
    )


def hot_issue_of(world, appeals: list[Appeal], *, name: str = "幸福小区：烧烤店、油烟") -> HotIssue:
    """A hot issue of exactly these appeals, placed at the finest area they share (the city when they
    lie in two districts), as the detector would store one that spans the border."""
    paths = [a.area.path for a in appeals]
    common = world.areas.city
    for area in (world.areas.east, world.areas.west, world.areas.grid):
        if all(path.startswith(area.path) for path in paths):
            common = area
    hot_issue = HotIssue.objects.create(
        name=name,
        keywords=["烧烤店", "油烟"],
        area=common,
        first_at=min(a.received_at for a in appeals),
        last_at=max(a.received_at for a in appeals),
        appeal_count=len(appeals),
        heat=10.0,
    )
    HotIssueAppeal.objects.bulk_create(
        HotIssueAppeal(hot_issue=hot_issue, appeal=appeal, similarity=0.8) for appeal in appeals
    )
    return hot_issue
