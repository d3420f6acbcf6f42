"""The hot-issue detector (热点问题发现) as plain Python: single-pass clustering of appeals in time order.

Each message is compared with the clusters still active (a member within the window) by the cosine
of its word weights to the cluster's centroid, adjusted for place agreement; it joins the best one
at or above the threshold, or starts a cluster of its own. The database service and the benchmark
use this same class, so the figures the benchmark prints are the service's.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import similarity

# Place agreement (地点一致性) between two place paths (root → leaf codes).
SAME, NEAR, FAR, UNKNOWN = "same", "near", "far", "unknown"
# Index of the district in a place path (city, district, street, community, grid).
DISTRICT_DEPTH = 1
# A centroid keeps its strongest words only: matching stays cheap however large the cluster grows.
CENTROID_TERMS = 60
NAME_KEYWORDS = 3
# Heat (热度) weights: see docs/hot-issues.md.
HEAT_COUNT, HEAT_WEEK, HEAT_DAY, HEAT_GROWTH, HEAT_VOTES = 1.0, 2.0, 3.0, 2.0, 5.0
DAY, WEEK = dt.timedelta(days=1), dt.timedelta(days=7)


def place_relation(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    """SAME when one place lies within the other, below the city; NEAR when they share the district
    but not the branch; FAR when the districts differ; UNKNOWN when either is not known that far."""
    if len(a) <= DISTRICT_DEPTH or len(b) <= DISTRICT_DEPTH:
        return UNKNOWN
    shorter = min(len(a), len(b))
    if a[:shorter] == b[:shorter]:
        return SAME
    if a[: DISTRICT_DEPTH + 1] == b[: DISTRICT_DEPTH + 1]:
        return NEAR
    return FAR


def common_place(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """The most precise place both agree with: the deeper one when one lies within the other (the
    shallower one only says less), else the deepest place both lie within."""
    if a[: len(b)] == b:
        return a
    if b[: len(a)] == a:
        return b
    depth = 0
    while depth < min(len(a), len(b)) and a[depth] == b[depth]:
        depth += 1
    return a[:depth]


@dataclass
class Message:
    """One appeal as the detector sees it."""

    key: object
    at: dt.datetime
    terms: dict[str, float]
    place: tuple[str, ...] = ()
    place_name: str = ""
    landmark: str = ""
    votes: int = 0


@dataclass(eq=False)
class Cluster:
    """A hot issue in the making: its members' summed word weights and what the name and heat need."""

    key: object = None
    centroid: dict[str, float] = field(default_factory=dict)
    count: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    place: tuple[str, ...] = ()
    place_name: str = ""
    landmarks: Counter = field(default_factory=Counter)
    # code → name of the places seen, so the name follows when the place narrows or widens.
    place_names: dict = field(default_factory=dict)
    votes: int = 0
    # Member times of the last two weeks, enough for the growth terms of the heat.
    recent: deque = field(default_factory=deque)
    members: list = field(default_factory=list)
    norm: float = 0.0

    def __post_init__(self) -> None:
        self.norm = math.sqrt(sum(v * v for v in self.centroid.values()))

    def similarity(self, terms: dict[str, float]) -> float:
        if not self.norm:
            return 0.0
        return similarity.dot(terms, self.centroid) / self.norm


@dataclass(frozen=True)
class Settings:
    window: dt.timedelta = dt.timedelta(days=14)
    threshold: float = 0.55
    place_bonus: float = 0.1
    place_penalty: float = 0.25


class HotIssueDetector:
    """Incremental clustering over messages fed in time order.

    `absorb` is the whole algorithm for in-memory use (the benchmark, a rebuild); the database
    service loads the active clusters, calls `best` and `join`, and stores what changed.
    """

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.clusters: list[Cluster] = []
        # word → active clusters whose centroid holds it: only clusters sharing a word with a
        # message can reach the threshold, so only they are scored.
        self._index: dict[str, set[Cluster]] = {}
        self._active: set[Cluster] = set()
        self._pruned_at: dt.datetime | None = None

    def add(self, cluster: Cluster) -> None:
        """Take in a cluster found earlier (loaded from the database)."""
        self.clusters.append(cluster)
        self._active.add(cluster)
        for word in cluster.centroid:
            self._index.setdefault(word, set()).add(cluster)

    # ------------------------------------------------------------------ scoring

    def score(self, cluster: Cluster, message: Message) -> float:
        if cluster.place and message.place and cluster.place[0] != message.place[0]:
            # Another city's matter (the first code of a place is its jurisdiction) never joins.
            return float("-inf")
        score = cluster.similarity(message.terms)
        relation = place_relation(cluster.place, message.place)
        if relation == SAME:
            score += self.settings.place_bonus
        elif relation == FAR:
            score -= self.settings.place_penalty
        return score

    def best(self, message: Message, clusters: Iterable[Cluster]) -> tuple[Cluster | None, float]:
        """The cluster the message belongs to (None: it starts its own) and the score."""
        found, best = None, self.settings.threshold
        for cluster in clusters:
            if cluster.last_at is not None and message.at - cluster.last_at > self.settings.window:
                continue
            score = self.score(cluster, message)
            if score >= best:
                found, best = cluster, score
        return found, (best if found is not None else 0.0)

    # ------------------------------------------------------------------ updating

    def join(self, cluster: Cluster, message: Message) -> Cluster:
        centroid = dict(cluster.centroid)
        for word, weight in message.terms.items():
            centroid[word] = centroid.get(word, 0.0) + weight
        if len(centroid) > CENTROID_TERMS:
            centroid = dict(sorted(centroid.items(), key=lambda kv: kv[1], reverse=True)[:CENTROID_TERMS])
        cluster.centroid = centroid
        cluster.norm = math.sqrt(sum(v * v for v in centroid.values()))
        if cluster.place and cluster.place_name:
            cluster.place_names.setdefault(cluster.place[-1], cluster.place_name)
        if message.place and message.place_name:
            cluster.place_names.setdefault(message.place[-1], message.place_name)
        place = message.place if cluster.count == 0 else common_place(cluster.place, message.place)
        if place != cluster.place:
            cluster.place = place
            cluster.place_name = cluster.place_names.get(place[-1], "") if place else ""
        cluster.count += 1
        cluster.first_at = min(cluster.first_at or message.at, message.at)
        cluster.last_at = max(cluster.last_at or message.at, message.at)
        if message.landmark:
            cluster.landmarks[message.landmark] += 1
        cluster.votes += message.votes
        cluster.recent.append(message.at)
        while cluster.recent and cluster.last_at - cluster.recent[0] > 2 * WEEK:
            cluster.recent.popleft()
        cluster.members.append(message.key)
        return cluster

    def absorb(self, message: Message) -> tuple[Cluster, float]:
        """Put a message into its cluster (a new one, without a key, if none is close enough)."""
        self._prune(message.at)
        candidates = {cluster for word in message.terms for cluster in self._index.get(word, ())}
        cluster, score = self.best(message, candidates)
        if cluster is None:
            cluster = Cluster()
            self.clusters.append(cluster)
            self._active.add(cluster)
            score = 1.0
        else:
            for word in cluster.centroid:
                self._index[word].discard(cluster)
        self.join(cluster, message)
        for word in cluster.centroid:
            self._index.setdefault(word, set()).add(cluster)
        return cluster, score

    def _prune(self, now: dt.datetime) -> None:
        # Once a day of message time is enough: `best` skips stale clusters anyway; this only keeps
        # the index small.
        if self._pruned_at is not None and now - self._pruned_at < DAY:
            return
        self._pruned_at = now
        for cluster in list(self._active):
            if now - cluster.last_at > self.settings.window:
                self._active.discard(cluster)
                for word in cluster.centroid:
                    self._index[word].discard(cluster)

    # ------------------------------------------------------------------ naming and heat

    @staticmethod
    def keywords(cluster: Cluster, *, limit: int = NAME_KEYWORDS, exclude: str = "") -> list[str]:
        """The cluster's strongest words, leaving out those the place name already says."""
        words = []
        for word, _weight in sorted(cluster.centroid.items(), key=lambda kv: kv[1], reverse=True):
            if exclude and (word in exclude or exclude in word):
                continue
            if any(word in kept or kept in word for kept in words):
                continue
            words.append(word)
            if len(words) == limit:
                break
        return words

    @classmethod
    def name(cluster_cls, cluster: Cluster) -> str:
        """地点 + 关键词, e.g. "东城区·幸福小区：油烟、扰民、餐馆"."""
        place = cluster.place_name
        landmark = ""
        if cluster.landmarks:
            landmark, seen = cluster.landmarks.most_common(1)[0]
            # A landmark only half the members mention is not the issue's place.
            if seen * 2 < cluster.count:
                landmark = ""
        where = "·".join(part for part in (place, landmark) if part)
        words = cluster_cls.keywords(cluster, exclude=landmark)
        return f"{where}：{'、'.join(words)}" if where else "、".join(words)

    @staticmethod
    def heat(*, count: int, last_day: int, last_week: int, previous_week: int, votes: int) -> float:
        """count + 2·(last 7 days) + 3·(last 24 h) + 2·max(0, last 7 days − the 7 before) + 5·log10(1 + votes)."""
        return round(
            HEAT_COUNT * count
            + HEAT_WEEK * last_week
            + HEAT_DAY * last_day
            + HEAT_GROWTH * max(0, last_week - previous_week)
            + HEAT_VOTES * math.log10(1 + max(0, votes)),
            2,
        )

    @classmethod
    def cluster_heat(cluster_cls, cluster: Cluster, now: dt.datetime) -> float:
        times = list(cluster.recent)
        return cluster_cls.heat(
            count=cluster.count,
            last_day=sum(1 for t in times if now - DAY < t <= now),
            last_week=sum(1 for t in times if now - WEEK < t <= now),
            previous_week=sum(1 for t in times if now - 2 * WEEK < t <= now - WEEK),
            votes=cluster.votes,
        )


# A named place inside an area: the words before a suffix such as 小区 or 路 (…小区/…路/…街道/…村).
LANDMARK_SUFFIXES = (
    "小区",
    "社区",
    "新村",
    "家园",
    "花园",
    "公馆",
    "广场",
    "新城",
    "大道",
    "街道",
    "商城",
    "市场",
    "学校",
    "学院",
    "小学",
    "中学",
    "幼儿园",
    "医院",
    "公园",
    "村",
    "镇",
    "路",
    "街",
    "苑",
)
_LANDMARK = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{2,8}?(?:" + "|".join(LANDMARK_SUFFIXES) + r"))")
# Words that come before a place name in a sentence; a match is cut after the last of them.
_LEAD = re.compile(
    r"^.*(?:反映|投诉|咨询|举报|关于|建议|请求|希望|要求|请|对|在|的|和|与|及|至|到|从|给|让|将|位于|地处|座落在|坐落在)"
)
_BREAK = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")


def landmark_of(text: str, *, skip: Iterable[str] = ()) -> str:
    """The first named place in a text (a title or an address), or "". Words in `skip` (area names
    already known) are removed first, so what is left is the place inside the area."""
    for word in skip:
        if word:
            text = text.replace(word, " ")
    for chunk in _BREAK.split(text):
        for found in _LANDMARK.finditer(chunk):
            name = _LEAD.sub("", found.group(1))
            if len(name) > 2 and name not in LANDMARK_SUFFIXES:
                return name
    return ""
