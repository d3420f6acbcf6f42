"""Hot issues: incremental grouping, names, heat, support votes, the periodic job and the command,
dispatching a hot issue as one problem, and the dashboard's list."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from tests.api.helpers import make_appeal
from yousu.appeals.choices import AppealStatus
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch import hot_issues as dispatch_hot_issues
from yousu.dispatch.hot_issues import hot_issue_dispatch
from yousu.dispatch.models import Order
from yousu.intelligence import similarity
from yousu.intelligence.detector import (
    Cluster,
    HotIssueDetector,
    Message,
    Settings,
    landmark_of,
    place_relation,
)
from yousu.intelligence.hot_issues import (
    hot_issue_absorb,
    hot_issue_support,
    hot_issues_absorb,
    hot_issues_periodic,
    hot_issues_rebuild,
    hot_issues_top,
)
from yousu.intelligence.models import HotIssue, HotIssueAppeal, HotIssueStatus
from yousu.reports.summary import period_of, summary
from yousu.supervision.jobs import PERIODIC_HOOKS

FUMES = [
    ("幸福小区烧烤店油烟扰民", "幸福小区楼下烧烤店每天晚上油烟直排，烟味很大，居民无法开窗。"),
    ("投诉幸福小区烧烤店油烟", "幸福小区门口烧烤店油烟直排扰民，晚上烟味大，请查处。"),
    ("幸福小区烧烤油烟直排", "烧烤店油烟直排到幸福小区楼里，烟味呛人，晚上更严重。"),
]
SCHOOL = ("入学咨询", "孩子明年上小学，学区划分不合理，想咨询入学报名的政策。")
T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def appeal(world, text, *, at=None, **fields):
    title, content = text
    fields.setdefault("item", None)
    return make_appeal(world, title=title, content=content, received_at=at or timezone.now(), **fields)


def message(key, text, at, place=(), votes=0):
    title, content = text
    return Message(
        key=key, at=at, terms=similarity.term_weights(content, title=title), place=place, votes=votes
    )


# ---------------------------------------------------------------- the detector, without a database


def test_similar_messages_join_and_a_different_one_stays_apart():
    detector = HotIssueDetector()
    place = ("C", "C-E", "C-E-1")
    joined = {
        detector.absorb(message(i, text, T0 + dt.timedelta(hours=i), place))[0]
        for i, text in enumerate(FUMES)
    }
    other, _ = detector.absorb(message(9, SCHOOL, T0, place))
    (cluster,) = joined
    assert cluster.count == 3 and cluster.members == [0, 1, 2]
    assert other is not cluster and other.count == 1
    assert cluster.first_at == T0 and cluster.last_at == T0 + dt.timedelta(hours=2)


def test_the_place_decides_at_the_margin():
    first = message(1, FUMES[0], T0, ("C", "C-E", "C-E-1"))
    second = message(2, FUMES[1], T0, ("C", "C-E", "C-E-1", "C-E-1-1"))
    text_score = Cluster(centroid=dict(first.terms)).similarity(second.terms)
    at_margin = Settings(threshold=text_score + 0.05, place_bonus=0.1, place_penalty=0.25)
    same = HotIssueDetector(at_margin)
    same.absorb(first)
    assert same.absorb(second)[0].count == 2  # the bonus lifts it over
    far = HotIssueDetector(Settings(threshold=text_score - 0.05, place_bonus=0.1, place_penalty=0.25))
    far.absorb(first)
    moved = message(2, FUMES[1], T0, ("C", "C-W", "C-W-1"))
    assert far.absorb(moved)[0].count == 1  # the penalty pushes it under
    assert place_relation(("C", "C-E"), ("C", "C-E", "C-E-1")) == "same"
    assert place_relation(("C", "C-E", "C-E-1"), ("C", "C-E", "C-E-2")) == "near"
    assert place_relation(("C", "C-E", "C-E-1"), ("C", "C-W")) == "far"
    assert place_relation(("C",), ("C", "C-W")) == "unknown"


def test_a_cluster_quiet_for_longer_than_the_window_takes_no_more():
    detector = HotIssueDetector(Settings(window=dt.timedelta(days=3)))
    first, _ = detector.absorb(message(1, FUMES[0], T0))
    late, _ = detector.absorb(message(2, FUMES[1], T0 + dt.timedelta(days=4)))
    assert late is not first
    soon, _ = detector.absorb(message(3, FUMES[2], T0 + dt.timedelta(days=5)))
    assert soon is late


def test_the_name_has_the_place_and_keywords():
    detector = HotIssueDetector()
    for i, text in enumerate(FUMES):
        item = message(i, text, T0, ("C", "C-E"))
        item.place_name, item.landmark = "东区", "幸福小区"
        cluster, _ = detector.absorb(item)
    name = detector.name(cluster)
    assert name.startswith("东区·幸福小区：")
    keywords = name.split("：")[1].split("、")
    assert len(keywords) == 3 and "油烟" in keywords
    assert not any("幸福" in word for word in keywords)  # the place is not said twice
    assert landmark_of("东区新城大道88号幸福小区3栋", skip=["东区"]) == "新城大道"
    assert landmark_of("投诉幸福小区楼下烧烤", skip=["东区"]) == "幸福小区"


def test_heat_grows_with_count_growth_and_votes():
    base = {"count": 6, "last_day": 0, "last_week": 3, "previous_week": 3, "votes": 0}
    heat = HotIssueDetector.heat
    assert heat(**{**base, "count": 7}) > heat(**base)
    assert heat(**{**base, "last_week": 5, "previous_week": 1}) > heat(**base)
    assert heat(**{**base, "last_day": 2}) > heat(**base)
    assert heat(**{**base, "votes": 50}) > heat(**{**base, "votes": 5}) > heat(**base)


# ---------------------------------------------------------------- the database service


def test_appeals_are_absorbed_once_into_their_hot_issue(world):
    now = timezone.now()
    fumes = [appeal(world, text, at=now - dt.timedelta(hours=3 - i)) for i, text in enumerate(FUMES)]
    school = appeal(world, SCHOOL, at=now)
    praise = appeal(world, ("表扬", "感谢东一社区工作人员热心帮助。"), kind="praise")
    result = hot_issues_periodic(now=now)
    assert result["absorbed"] == 4
    hot = HotIssue.objects.get(links__appeal=fumes[0])
    assert hot.appeal_count == 3
    assert sorted(hot.links.values_list("appeal_id", flat=True)) == sorted(a.pk for a in fumes)
    assert hot.area == world.areas.grid
    assert hot.name.startswith(f"{world.areas.grid.name}：") and "油烟" in hot.name
    assert hot.first_at == fumes[0].received_at and hot.last_at == fumes[2].received_at
    assert HotIssue.objects.get(links__appeal=school).appeal_count == 1
    assert not HotIssueAppeal.objects.filter(appeal=praise).exists()
    assert hot_issue_absorb(praise) is None
    # Nothing twice: a second run finds nothing new, and absorbing again gives the same hot issue.
    assert hot_issues_periodic(now=now)["absorbed"] == 0
    assert hot_issue_absorb(fumes[1]) == hot
    assert HotIssueAppeal.objects.count() == 4
    # A new appeal about the same matter joins later, incrementally.
    again = appeal(world, FUMES[1], at=now + dt.timedelta(hours=1))
    assert hot_issue_absorb(again) == hot
    hot.refresh_from_db()
    assert hot.appeal_count == 4 and hot.last_at == again.received_at


def test_the_place_of_a_hot_issue_is_the_most_precise_its_appeals_agree_with(world):
    a = world.areas
    first = appeal(world, FUMES[0], area=a.east_street)
    second = appeal(world, FUMES[1], area=a.grid)
    hot_issues_absorb([first, second])
    hot = HotIssue.objects.get()
    # The street says less than the grid, and does not contradict it.
    assert hot.area == a.grid and hot.appeal_count == 2
    assert hot.name.startswith(a.grid.name)
    third = appeal(world, FUMES[2], area=a.east_community)
    fourth = appeal(world, FUMES[0], area=a.west_community)
    with override_settings(YOUSU_PLACE_PENALTY=0.0):
        hot_issues_absorb([third, fourth])
    hot.refresh_from_db()
    # Appeals from two districts: the hot issue is placed where they all lie, the city.
    assert hot.appeal_count == 4 and hot.area == a.city


def test_heat_follows_growth_and_support_votes(world):
    now = timezone.now()
    burst = [appeal(world, text, at=now - dt.timedelta(hours=i)) for i, text in enumerate(FUMES)]
    hot_issues_absorb(burst, now=now)
    hot = HotIssue.objects.get()
    fresh = hot.heat
    # The same appeals seen a week later: no growth any more, the heat falls.
    hot_issues_periodic(now=now + dt.timedelta(days=8))
    hot.refresh_from_db()
    assert hot.heat < fresh
    later = hot.heat
    hot = hot_issue_support(hot_issue=hot, votes=20, now=now + dt.timedelta(days=8))
    assert hot.support_votes == 20 and hot.heat > later
    with pytest.raises(DomainError) as refused:
        hot_issue_support(hot_issue=hot, votes=0)
    assert refused.value.field == "votes"


def test_rebuild_regroups_open_hot_issues_and_keeps_dispatched_ones(world):
    fumes = [appeal(world, text) for text in FUMES]
    school = appeal(world, SCHOOL)
    hot_issues_absorb([*fumes, school])
    dispatched = HotIssue.objects.get(links__appeal=fumes[0])
    HotIssue.objects.filter(pk=dispatched.pk).update(status=HotIssueStatus.DISPATCHED)
    result = hot_issues_rebuild()
    assert result == {"dropped": 1, "absorbed": 1}
    assert HotIssue.objects.filter(pk=dispatched.pk, appeal_count=3).exists()
    assert HotIssueAppeal.objects.get(appeal=school).hot_issue.pk != dispatched.pk


def test_the_periodic_job_and_the_command_run_the_detector(world):
    assert hot_issues_periodic in PERIODIC_HOOKS
    for text in FUMES:
        appeal(world, text)
    out = StringIO()
    with override_settings(YOUSU_HOT_ISSUE_MIN_APPEALS=2):
        call_command("hot-issues", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["absorbed"] == 3
    (top,) = body["top"]
    assert top["appeals"] == 3 and "油烟" in top["name"]
    with pytest.raises(CommandError):
        call_command("hot-issues", "--days", "3")
    with pytest.raises(CommandError):
        call_command("hot-issues", "--rebuild", "--days", "0")


def test_only_hot_issues_with_enough_appeals_are_listed(world):
    fumes = [appeal(world, text) for text in FUMES]
    hot_issues_absorb([*fumes, appeal(world, SCHOOL)])
    assert [h.appeal_count for h in hot_issues_top()] == [3]
    with override_settings(YOUSU_HOT_ISSUE_MIN_APPEALS=4):
        assert list(hot_issues_top()) == []
    assert list(hot_issues_top(within=world.areas.west)) == []
    assert len(hot_issues_top(within=world.areas.east)) == 1


def test_the_dashboard_summary_shows_the_hot_issues(world):
    now = timezone.now()
    fumes = [appeal(world, text, at=now) for text in FUMES]
    hot_issues_absorb(fumes, now=now)
    leader = world.people.supervisor
    figures = summary(leader, period=period_of("today", timezone.localdate(now)), district=None, now=now)
    (shown,) = figures["detected_hot_issues"]
    hot = HotIssue.objects.get()
    assert shown["name"] == hot.name and shown["appeals"] == 3 and shown["heat"] == hot.heat
    assert shown["area"] == {"code": world.areas.grid.code, "name": world.areas.grid.name}
    assert "detected_hot_issues" in figures["definitions"]
    west = summary(
        leader, period=period_of("today", timezone.localdate(now)), district=world.areas.west, now=now
    )
    assert west["detected_hot_issues"] == []


# ---------------------------------------------------------------- dispatch as one problem


@pytest.fixture
def gathered(world):
    now = timezone.now()
    fumes = [
        appeal(world, text, at=now - dt.timedelta(hours=3 - i), item=world.items.fumes)
        for i, text in enumerate(FUMES)
    ]
    hot_issues_absorb(fumes)
    return HotIssue.objects.get(), fumes


def test_a_hot_issue_is_dispatched_as_one_problem(world, gathered):
    hot, fumes = gathered
    p, u = world.people, world.units
    done = hot_issue_dispatch(hot_issue=hot, by=p.dispatcher)
    assert done.primary == fumes[0] and done.primary.status == AppealStatus.DISPATCHED
    assert done.order.unit == u.east_platform
    assert [a.pk for a in done.linked] == [fumes[1].pk, fumes[2].pk]
    for other in fumes[1:]:
        other.refresh_from_db()
        assert other.status == AppealStatus.LINKED and other.duplicate_of == fumes[0]
    assert Order.objects.count() == 1
    hot.refresh_from_db()
    assert hot.status == HotIssueStatus.DISPATCHED and hot.primary_appeal == fumes[0]
    assert hot.dispatched_by == p.dispatcher
    event = fumes[0].events.get(action="hot_issue_dispatched")
    assert event.payload["linked"] == [fumes[1].code, fumes[2].code]
    with pytest.raises(DomainError) as refused:
        hot_issue_dispatch(hot_issue=hot, by=p.dispatcher)
    assert refused.value.field == "status"


def test_the_named_primary_is_dispatched_and_an_already_dispatched_appeal_keeps_its_order(world, gathered):
    from yousu.dispatch.services import appeal_dispatch

    hot, fumes = gathered
    p = world.people
    appeal_dispatch(appeal=fumes[0], by=p.dispatcher)
    done = hot_issue_dispatch(hot_issue=hot, by=p.dispatcher, primary=fumes[2])
    assert done.primary == fumes[2] and done.order is not None
    assert [a.pk for a in done.linked] == [fumes[1].pk]
    assert [a.pk for a in done.kept] == [fumes[0].pk]
    outsider = appeal(world, SCHOOL)
    with pytest.raises(DomainError) as refused:
        hot_issue_dispatch(
            hot_issue=HotIssue.objects.create(name="x", first_at=T0, last_at=T0), by=p.dispatcher
        )
    assert refused.value.field == "hot_issue"
    hot.status = HotIssueStatus.OPEN
    hot.save()
    with pytest.raises(DomainError) as refused:
        hot_issue_dispatch(hot_issue=hot, by=p.dispatcher, primary=outsider)
    assert refused.value.field == "primary"


def _unchanged(world, hot, fumes):
    assert Order.objects.count() == 0
    for item in fumes:
        item.refresh_from_db()
        assert item.status == AppealStatus.RECEIVED and item.duplicate_of is None
        assert not item.events.filter(action__in=["linked_duplicate", "hot_issue_dispatched"]).exists()
    hot.refresh_from_db()
    assert hot.status == HotIssueStatus.OPEN and hot.primary_appeal is None


def test_a_refused_dispatch_changes_nothing(world, gathered):
    hot, fumes = gathered
    p, u = world.people, world.units
    with pytest.raises(DomainError) as refused:
        # Three-level dispatch: the city platform cannot send straight to a community.
        hot_issue_dispatch(hot_issue=hot, by=p.dispatcher, unit=u.east_community, reason="社区就近")
    assert refused.value.field == "unit"
    _unchanged(world, hot, fumes)
    with pytest.raises(PermissionRefused):
        hot_issue_dispatch(hot_issue=hot, by=p.east_market_handler)
    _unchanged(world, hot, fumes)


def test_a_refusal_after_the_dispatch_rolls_everything_back(world, gathered, monkeypatch):
    hot, fumes = gathered
    real_link = dispatch_hot_issues.appeal_link_duplicate
    calls = []

    def link_then_refuse(**kwargs):
        calls.append(kwargs["appeal"].pk)
        if len(calls) == 2:
            raise DomainError("诉求已被他人处理", field="status")
        return real_link(**kwargs)

    monkeypatch.setattr(dispatch_hot_issues, "appeal_link_duplicate", link_then_refuse)
    with pytest.raises(DomainError):
        hot_issue_dispatch(hot_issue=hot, by=world.people.dispatcher)
    assert len(calls) == 2  # the primary was dispatched and one appeal linked before the refusal
    _unchanged(world, hot, fumes)
