"""Who sees and dispatches a hot issue over real HTTP (issue 21, item 1): a hot issue is seen by those
who reach at least one of its appeals, each seeing only the codes they reach; merging it is for who
reaches every open appeal of it. Another district's dispatcher finds an east hot issue nowhere (list,
detail, dashboard, dispatch) and writes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.api.helpers import Api, assert_refused, make_appeal
from tests.dispatch.reach import BARBECUE, district_appeal, hot_issue_of, west_dispatcher
from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal, Event
from yousu.dispatch.models import Order
from yousu.intelligence.hot_issues import hot_issues_absorb
from yousu.intelligence.models import HotIssue, HotIssueStatus
from yousu.reports.summary import period_of, summary

URL = "/api/v1/intelligence/hot-issues/"


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture
def west(world):
    return west_dispatcher(world)


@pytest.fixture
def east_hot_issue(world):
    """Three fumes complaints the east district platform took in itself, gathered by the detector."""
    appeals = [district_appeal(world, "east", n) for n in range(3)]
    (hot_issue,) = set(hot_issues_absorb(appeals))
    return hot_issue, appeals


def _written():
    return Order.objects.count(), Event.objects.count()


def _listed(api, person) -> dict[int, list[str]]:
    answer = api.get(f"{URL}?status=all", person)
    assert answer.status == 200, answer.body
    return {row["id"]: row["appeals"] for row in answer.body["hot_issues"]}


def test_another_districts_dispatcher_cannot_list_see_or_dispatch_an_east_hot_issue(
    api, world, west, east_hot_issue
):
    hot, appeals = east_hot_issue
    secrets = [appeals[0].code, "烧烤"]
    assert _listed(api, world.people.east_dispatcher) == {hot.pk: [a.code for a in appeals]}
    assert _listed(api, west) == {}
    assert_refused(api.get(f"{URL}{hot.pk}/", west), (404,), *secrets)

    before = _written()
    for body in (
        {},
        {"unit": world.units.west_market.code, "reason": "就近办理"},
        {"primary": appeals[0].code},
    ):
        assert_refused(api.post(f"{URL}{hot.pk}/dispatch/", west, body), (404,), *secrets)
    assert _written() == before and Order.objects.count() == 0
    assert set(Appeal.objects.values_list("status", flat=True)) == {AppealStatus.RECEIVED}
    assert HotIssue.objects.get(pk=hot.pk).status == HotIssueStatus.OPEN
    # …and the appeals stay out of their sight.
    for appeal in appeals:
        assert_refused(api.get(f"/api/v1/appeals/{appeal.code}/", west), (404,))

    # The dashboard lists the hot issues of now the same way.
    now = timezone.now()
    period = period_of("today", timezone.localdate(now))
    assert summary(west, period=period, district=None, now=now)["detected_hot_issues"] == []
    shown = summary(world.people.east_dispatcher, period=period, district=None, now=now)
    assert [row["id"] for row in shown["detected_hot_issues"]] == [hot.pk]

    # The east district's dispatcher, who reaches all three, merges them.
    done = api.post(f"{URL}{hot.pk}/dispatch/", world.people.east_dispatcher, {})
    assert done.status == 201, done.body
    assert done.body["order"]["unit"] == world.units.east_eco.code
    assert done.body["linked"] == [appeals[1].code, appeals[2].code]


def test_a_hot_issue_across_two_districts_shows_each_dispatcher_only_their_own_appeals(api, world, west):
    p, u = world.people, world.units
    east = [district_appeal(world, "east", n) for n in range(2)]
    west_side = [district_appeal(world, "west", n, by=west) for n in range(2, 4)]
    hot = hot_issue_of(world, [east[0], west_side[0], east[1], west_side[1]])
    assert hot.area == world.areas.city

    # Each district's dispatcher sees the hot issue with their own appeals; the city sees all four.
    assert _listed(api, west) == {hot.pk: [a.code for a in west_side]}
    assert _listed(api, p.east_dispatcher) == {hot.pk: [a.code for a in east]}
    assert sorted(_listed(api, p.supervisor)[hot.pk]) == sorted(a.code for a in [*east, *west_side])
    detail = api.get(f"{URL}{hot.pk}/", west)
    assert detail.status == 200 and detail.body["appeals"] == [a.code for a in west_side]
    assert not [a.code for a in east if a.code in detail.raw.decode()]

    # Neither may merge it: it would dispatch or link the other district's appeals.
    before = _written()
    for person in (west, p.east_dispatcher):
        refused = api.post(f"{URL}{hot.pk}/dispatch/", person, {})
        assert_refused(refused, (403,), *[a.code for a in east])
        assert refused.error["field"] == "hot_issue"
    assert _written() == before and Order.objects.count() == 0
    assert HotIssue.objects.get(pk=hot.pk).status == HotIssueStatus.OPEN

    # Each handles their own side one by one: the west dispatcher dispatches one west appeal and
    # links the other to it, but cannot link it to an east appeal.
    first, second = west_side
    sent = api.post(f"/api/v1/appeals/{first.code}/dispatch/", west, {})
    assert sent.status == 201, sent.body
    assert sent.body["unit"] == u.west_eco.code
    into_east = api.post(f"/api/v1/appeals/{second.code}/link-duplicate/", west, {"original": east[0].code})
    # Answered as for a code that does not exist (the message only repeats what was typed).
    assert into_east.status == 400 and into_east.error["field"] == "original"
    linked = api.post(f"/api/v1/appeals/{second.code}/link-duplicate/", west, {"original": first.code})
    assert linked.status == 200, linked.body
    assert Appeal.objects.get(pk=second.pk).duplicate_of_id == first.pk
    for appeal in east:
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.RECEIVED and not appeal.orders.exists()


def test_a_platform_that_reaches_every_appeal_merges_a_hot_issue_across_districts(api, world, west):
    # Taken in by the city's hotline: the city platform's to dispatch, on either side of the border.
    appeals = [
        make_appeal(world, title=title, content=content, area=area)
        for (title, content), area in zip(
            BARBECUE, [world.areas.grid, world.areas.west_community, world.areas.east_community], strict=False
        )
    ]
    hot = hot_issue_of(world, appeals)
    # The west district's dispatcher reaches none of them (they are not in its queue).
    assert _listed(api, west) == {}
    assert_refused(api.post(f"{URL}{hot.pk}/dispatch/", west, {}), (404,))
    assert Order.objects.count() == 0
    done = api.post(f"{URL}{hot.pk}/dispatch/", world.people.dispatcher, {})
    assert done.status == 201, done.body
    assert done.body["primary"] == appeals[0].code
    assert done.body["linked"] == [appeals[1].code, appeals[2].code]
