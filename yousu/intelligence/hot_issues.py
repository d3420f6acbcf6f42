"""Hot issues (热点问题) in the database: appeals absorbed one by one by `HotIssueDetector`, the heat kept
current, citizens' support votes, and the list the dashboard and the API show.

New appeals reach the detector through the periodic job (`hot_issues_periodic`, a hook of
supervision's job list), never during intake, so intake is not slowed; `yousu hot-issues` runs the
same by hand and rebuilds.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from yousu.appeals.models import Appeal
from yousu.appeals.selectors import appeals_visible_to
from yousu.catalog.choices import AppealKind
from yousu.core.errors import DomainError
from yousu.org.choices import PLATFORM_KINDS, RoleCode
from yousu.org.models import Area, Person
from yousu.org.selectors import is_jurisdiction_wide

from . import similarity
from .detector import DAY, WEEK, Cluster, HotIssueDetector, Message, Settings, landmark_of
from .models import HotIssue, HotIssueAppeal, HotIssueMark, HotIssueStatus

# Statuses whose hot issue still takes new appeals: a dispatched one keeps gathering the same matter.
ABSORBING = (HotIssueStatus.OPEN, HotIssueStatus.DISPATCHED)
BATCH = 500
MAX_VOTES_AT_ONCE = 1000


def detector_settings() -> Settings:
    return Settings(
        window=dt.timedelta(days=settings.YOUSU_HOT_ISSUE_WINDOW_DAYS),
        threshold=settings.YOUSU_HOT_ISSUE_THRESHOLD,
        place_bonus=settings.YOUSU_PLACE_BONUS,
        place_penalty=settings.YOUSU_PLACE_PENALTY,
    )


def min_appeals() -> int:
    return settings.YOUSU_HOT_ISSUE_MIN_APPEALS


def appeal_terms(appeal: Appeal) -> dict[str, float]:
    return similarity.term_weights(appeal.content, title=appeal.title)


def area_path(area: Area | None) -> tuple[str, ...]:
    return tuple(area.path_codes()) if area is not None else ()


def appeal_message(appeal: Appeal, terms: dict[str, float] | None = None, city_code: str = "") -> Message:
    """The appeal as the detector sees it; an appeal with no area is placed at its city (`city_code`,
    its jurisdiction's), so it never joins another city's hot issue."""
    area = appeal.area
    return Message(
        key=appeal.pk,
        at=appeal.received_at,
        terms=appeal_terms(appeal) if terms is None else terms,
        place=area_path(area) or ((city_code,) if city_code else ()),
        place_name=area.name if area else "",
        # The area says where in the city; the address names the estate or road inside it.
        landmark=landmark_of(appeal.address, skip=[area.name] if area else []) if appeal.address else "",
    )


def _cluster(hot_issue: HotIssue) -> Cluster:
    area = hot_issue.area
    return Cluster(
        key=hot_issue.pk,
        centroid=dict(hot_issue.centroid),
        count=hot_issue.appeal_count,
        first_at=hot_issue.first_at,
        last_at=hot_issue.last_at,
        place=area_path(area),
        place_name=area.name if area else "",
        landmarks=Counter(hot_issue.landmarks),
        votes=hot_issue.support_votes,
    )


def _lock() -> HotIssueMark:
    HotIssueMark.objects.get_or_create(pk=1)
    return HotIssueMark.objects.select_for_update().get(pk=1)


@transaction.atomic
def hot_issues_absorb(appeals: Iterable[Appeal], *, now: dt.datetime | None = None) -> list[HotIssue | None]:
    """Put each appeal into its hot issue (a new one when none is close enough), in time order;
    the hot issue of each appeal, in the order given (None for a praise, which raises no problem).
    An appeal already absorbed keeps its hot issue."""
    now = now or timezone.now()
    mark = _lock()
    appeals = list(appeals)
    linked = dict(
        HotIssueAppeal.objects.filter(appeal__in=[a.pk for a in appeals]).values_list(
            "appeal_id", "hot_issue_id"
        )
    )
    todo = sorted(
        (a for a in appeals if a.pk not in linked and a.kind != AppealKind.PRAISE),
        key=lambda a: (a.received_at, a.pk),
    )
    clusters_of: dict[int, Cluster] = {}
    if todo:
        detector = HotIssueDetector(detector_settings())
        since = todo[0].received_at - detector.settings.window
        active = HotIssue.objects.filter(status__in=ABSORBING, last_at__gte=since).select_related("area")
        by_key = {}
        for hot_issue in active:
            cluster = _cluster(hot_issue)
            detector.add(cluster)
            by_key[hot_issue.pk] = cluster
        joined = []
        cities = dict(Area.objects.filter(level="city").values_list("pk", "code"))
        for appeal in todo:
            message = appeal_message(appeal, city_code=cities.get(appeal.jurisdiction_id, ""))
            cluster, score = detector.absorb(message)
            joined.append((appeal, cluster, score, message.terms))
        touched = {id(c): c for _a, c, _s, _t in joined}
        for cluster in touched.values():
            _save(cluster)
        HotIssueAppeal.objects.bulk_create(
            HotIssueAppeal(hot_issue_id=c.key, appeal_id=a.pk, similarity=round(s, 4), terms=t)
            for a, c, s, t in joined
        )
        hot_issues_refresh_heat(now=now, ids=[c.key for c in touched.values()])
        for appeal, cluster, _s, _t in joined:
            clusters_of[appeal.pk] = cluster
            linked[appeal.pk] = cluster.key
        mark.absorbed += len(joined)
    mark.ran_at = now
    mark.save()
    found = HotIssue.objects.in_bulk(set(linked.values()))
    return [found.get(linked.get(a.pk)) for a in appeals]


def hot_issue_absorb(appeal: Appeal) -> HotIssue | None:
    """The hot issue the appeal belongs to, absorbing it first if needed."""
    return hot_issues_absorb([appeal])[0]


def _save(cluster: Cluster) -> None:
    area = None
    if cluster.place:
        area = Area.objects.filter(code=cluster.place[-1]).first()
    fields = {
        "name": HotIssueDetector.name(cluster)[:200],
        "keywords": HotIssueDetector.keywords(cluster, limit=5),
        "area": area,
        "first_at": cluster.first_at,
        "last_at": cluster.last_at,
        "appeal_count": cluster.count,
        "centroid": {word: round(weight, 5) for word, weight in cluster.centroid.items()},
        "landmarks": dict(cluster.landmarks),
    }
    if cluster.key is None:
        cluster.key = HotIssue.objects.create(**fields).pk
    else:
        HotIssue.objects.filter(pk=cluster.key).update(updated_at=timezone.now(), **fields)


def hot_issues_refresh_heat(*, now: dt.datetime | None = None, ids: Iterable[int] | None = None) -> int:
    """Recompute the heat of the given hot issues (default: those whose heat can still change, with an
    appeal in the last two weeks), as of `now`. Returns how many changed."""
    now = now or timezone.now()
    hot_issues = HotIssue.objects.all()
    if ids is not None:
        hot_issues = hot_issues.filter(pk__in=list(ids))
    else:
        hot_issues = hot_issues.filter(last_at__gte=now - 2 * WEEK - DAY)
    received = "links__appeal__received_at"
    figures = hot_issues.annotate(
        day=Count("links", filter=Q(**{f"{received}__gt": now - DAY, f"{received}__lte": now})),
        week=Count("links", filter=Q(**{f"{received}__gt": now - WEEK, f"{received}__lte": now})),
        before=Count(
            "links", filter=Q(**{f"{received}__gt": now - 2 * WEEK, f"{received}__lte": now - WEEK})
        ),
    ).values_list("pk", "heat", "appeal_count", "support_votes", "day", "week", "before")
    changed = []
    for pk, old, count, votes, day, week, before in figures:
        heat = HotIssueDetector.heat(
            count=count, last_day=day, last_week=week, previous_week=before, votes=votes
        )
        if heat != old:
            changed.append(HotIssue(pk=pk, heat=heat))
    HotIssue.objects.bulk_update(changed, ["heat"])
    return len(changed)


def pending_appeals(now: dt.datetime) -> QuerySet[Appeal]:
    """Appeals of the window not absorbed yet, oldest first."""
    since = now - dt.timedelta(days=settings.YOUSU_HOT_ISSUE_WINDOW_DAYS)
    return (
        Appeal.objects.filter(received_at__gte=since, received_at__lte=now, hot_issue_link__isnull=True)
        .exclude(kind=AppealKind.PRAISE)
        .select_related("area")
        .order_by("received_at", "pk")
    )


def hot_issues_periodic(now: dt.datetime | None = None) -> dict:
    """The periodic hook: absorb the appeals received since the last run, then let the heat of the
    recent hot issues follow the clock (growth turns into age)."""
    now = now or timezone.now()
    absorbed = 0
    while True:
        batch = list(pending_appeals(now)[:BATCH])
        if not batch:
            break
        hot_issues_absorb(batch, now=now)
        absorbed += len(batch)
        if len(batch) < BATCH:
            break
    refreshed = hot_issues_refresh_heat(now=now)
    return {"absorbed": absorbed, "heat_refreshed": refreshed}


@transaction.atomic
def hot_issues_rebuild(*, now: dt.datetime | None = None, days: int | None = None) -> dict:
    """Forget the open hot issues and absorb the last `days` of appeals again (default: the window).
    Dispatched and closed hot issues stay as they are, with their appeals."""
    now = now or timezone.now()
    days = settings.YOUSU_HOT_ISSUE_WINDOW_DAYS if days is None else days
    if days < 1:
        raise DomainError("天数须为正整数", field="days")
    _lock()
    open_ones = HotIssue.objects.filter(status=HotIssueStatus.OPEN)
    HotIssueAppeal.objects.filter(hot_issue__in=open_ones).delete()
    dropped = open_ones.delete()[1].get(HotIssue._meta.label, 0)
    since = now - dt.timedelta(days=days)
    appeals = (
        Appeal.objects.filter(received_at__gte=since, received_at__lte=now, hot_issue_link__isnull=True)
        .exclude(kind=AppealKind.PRAISE)
        .select_related("area")
        .order_by("received_at", "pk")
    )
    absorbed = 0
    batch = []
    for appeal in appeals.iterator(chunk_size=BATCH):
        batch.append(appeal)
        if len(batch) == BATCH:
            hot_issues_absorb(batch, now=now)
            absorbed, batch = absorbed + len(batch), []
    if batch:
        hot_issues_absorb(batch, now=now)
        absorbed += len(batch)
    hot_issues_refresh_heat(now=now)
    return {"dropped": dropped, "absorbed": absorbed}


@transaction.atomic
def hot_issue_support(*, hot_issue: HotIssue, votes: int = 1, now: dt.datetime | None = None) -> HotIssue:
    """A citizen supports (点赞) a hot issue: its votes and heat go up."""
    if isinstance(votes, bool) or not isinstance(votes, int) or not 1 <= votes <= MAX_VOTES_AT_ONCE:
        raise DomainError(f"支持数须为 1–{MAX_VOTES_AT_ONCE} 的整数", field="votes")
    if hot_issue.status == HotIssueStatus.CLOSED:
        raise DomainError("热点问题已关闭", field="status")
    HotIssue.objects.filter(pk=hot_issue.pk).update(support_votes=F("support_votes") + votes)
    hot_issues_refresh_heat(now=now, ids=[hot_issue.pk])
    hot_issue.refresh_from_db()
    return hot_issue


def hot_issues_top(
    *,
    within: Area | None = None,
    since: dt.datetime | None = None,
    statuses: Iterable[str] = ABSORBING,
    limit: int | None = 10,
) -> QuerySet[HotIssue]:
    """The hottest hot issues with at least YOUSU_HOT_ISSUE_MIN_APPEALS appeals: optionally only those
    within an area (an issue placed at a wider area is left out) and active since a time."""
    hot_issues = HotIssue.objects.filter(status__in=list(statuses), appeal_count__gte=min_appeals())
    if within is not None:
        hot_issues = hot_issues.filter(area__path__startswith=within.path)
    if since is not None:
        hot_issues = hot_issues.filter(last_at__gte=since)
    hot_issues = hot_issues.select_related("area", "primary_appeal").order_by("-heat", "-last_at", "-pk")
    return hot_issues[:limit] if limit else hot_issues


# ---------------------------------------------------------------- who sees which hot issue


def may_see_hot_issues(person: Person | None) -> bool:
    """City-wide roles (leaders, supervisors, operators, administrators) and platform dispatchers."""
    if person is None or not person.is_authenticated or not person.is_active:
        return False
    if is_jurisdiction_wide(person):
        return True
    unit = person.unit if person.unit_id else None
    return unit is not None and unit.kind in PLATFORM_KINDS and person.has_role(RoleCode.DISPATCHER)


def hot_issues_visible_to(person: Person | None) -> QuerySet[HotIssue]:
    """The hot issues a person may see: for those who may see hot issues at all, the ones with at least
    one appeal the person reaches (appeals_visible_to). A city's roles so see their city's, a district
    platform's dispatcher its district's; a hot issue that spans two districts is seen from each, with
    only that side's appeals (hot_issue_appeal_codes)."""
    if not may_see_hot_issues(person):
        return HotIssue.objects.none()
    reached = HotIssueAppeal.objects.filter(appeal__in=appeals_visible_to(person).values("pk"))
    return HotIssue.objects.filter(pk__in=reached.values("hot_issue_id"))


def hot_issue_appeal_codes(person: Person | None, hot_issues: Iterable[HotIssue]) -> dict[int, list[str]]:
    """Each hot issue's appeal codes that the person reaches, earliest received first: a code the
    person could not open is left out, as it would tell them of another unit's appeal."""
    codes: dict[int, list[str]] = {h.pk: [] for h in hot_issues}
    if not codes:
        return codes
    links = HotIssueAppeal.objects.filter(
        hot_issue__in=list(codes), appeal__in=appeals_visible_to(person).values("pk")
    ).order_by("appeal__received_at", "appeal_id")
    for hot_issue_id, code in links.values_list("hot_issue_id", "appeal__code"):
        codes[hot_issue_id].append(code)
    return codes
