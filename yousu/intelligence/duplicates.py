"""Possible duplicates at intake (重复诉求): open appeals about the same matter and place, received in the
last days, for the operator to link the new appeal to instead of dispatching it again.

The score is the cosine of the two texts' word weights plus a bonus when the places lie on one
branch of the area tree, minus a penalty when they are in different districts. Old appeals' word
weights come from a process cache, else from the hot-issue detector's records (it has segmented them
already), so a look-up over a few thousand open appeals stays within an intake request.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from yousu.appeals.choices import OPEN_APPEAL_STATUSES
from yousu.appeals.models import Appeal
from yousu.core.errors import DomainError
from yousu.org.models import Area

from . import similarity
from .detector import DISTRICT_DEPTH, FAR, SAME, place_relation
from .models import HotIssueAppeal

MAX_LIMIT = 50
MAX_TEXT = 4200
_CACHE_SIZE = 5000
# (appeal id, updated at) → word weights of recent appeals, so a look-up reads and decodes them once per
# process. The time keeps an id given out again (a test database rolled back) from finding another
# appeal's words; a status change costs one more read.
_terms_cache: OrderedDict[tuple[int, str], dict[str, float]] = OrderedDict()


@dataclass(frozen=True)
class DuplicateCandidate:
    appeal: Appeal
    score: float
    text_score: float
    same_place: bool
    place: str  # same / near / far / unknown


def _terms_of(keys: list[tuple[int, str]]) -> dict[int, dict[str, float]]:
    """Word weights of the candidates: from the process cache, else as the hot-issue detector stored
    them, else computed from the text (an appeal the periodic job has not reached yet)."""
    found = {}
    missing = {}
    for key in keys:
        terms = _terms_cache.get(key)
        if terms is None:
            missing[key[0]] = key
        else:
            found[key[0]] = terms
    if missing:
        stored = HotIssueAppeal.objects.filter(appeal_id__in=list(missing)).values_list("appeal_id", "terms")
        for pk, terms in stored:
            found[pk] = _terms_cache[missing.pop(pk)] = terms
    if missing:
        texts = Appeal.objects.filter(pk__in=list(missing)).values_list("pk", "title", "content")
        for pk, title, content in texts:
            found[pk] = _terms_cache[missing[pk]] = similarity.term_weights(content, title=title)
    while len(_terms_cache) > _CACHE_SIZE:
        _terms_cache.popitem(last=False)
    return found


def find_duplicates(
    *,
    text: str,
    area: Area | None = None,
    at: dt.datetime | None = None,
    window_days: int | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[DuplicateCandidate]:
    """The open appeals received within `window_days` before `at` (default: now and
    YOUSU_DUPLICATE_WINDOW_DAYS) whose score reaches YOUSU_DUPLICATE_THRESHOLD, best first."""
    if not isinstance(text, str) or not text.strip():
        raise DomainError("请填写诉求内容", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(f"内容不能超过 {MAX_TEXT} 个字符", field="text")
    window_days = settings.YOUSU_DUPLICATE_WINDOW_DAYS if window_days is None else window_days
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise DomainError("时间窗须为正整数（天）", field="window_days")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"条数须为 1–{MAX_LIMIT}", field="limit")
    terms = similarity.term_weights(text)
    if not terms:
        return []
    at = at or timezone.now()
    candidates = Appeal.objects.filter(
        status__in=OPEN_APPEAL_STATUSES,
        received_at__gte=at - dt.timedelta(days=window_days),
        received_at__lte=at,
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    place = tuple(area.path_codes()) if area is not None else ()
    if len(place) > DISTRICT_DEPTH:
        # Another district's appeal is a different place (FAR) and would need a near-identical text
        # to pass; leaving those out keeps the look-up proportional to one district, not the city.
        district = "/" + "/".join(place[: DISTRICT_DEPTH + 1]) + "/"
        coarser = ["/" + "/".join(place[: depth + 1]) + "/" for depth in range(DISTRICT_DEPTH)]
        candidates = candidates.filter(
            Q(area__isnull=True) | Q(area__path__startswith=district) | Q(area__path__in=coarser)
        )
    rows = list(
        candidates.order_by("-received_at", "-pk")
        # The time as text: it is only part of a cache key, and parsing thousands of them costs more
        # than the whole comparison.
        .annotate(version=Cast("updated_at", CharField()))
        .values_list("pk", "version", "area__path")[: settings.YOUSU_DUPLICATE_MAX_CANDIDATES]
    )
    weights = _terms_of([(pk, updated) for pk, updated, _path in rows])
    threshold = settings.YOUSU_DUPLICATE_THRESHOLD
    scored = []
    for pk, _updated, path in rows:
        text_score = similarity.dot(terms, weights.get(pk, {}))
        # Cheap cut before the place is looked at: the bonus is the most a place can add.
        if text_score + settings.YOUSU_PLACE_BONUS < threshold:
            continue
        relation = place_relation(place, tuple(c for c in (path or "").split("/") if c))
        score = text_score
        if relation == SAME:
            score += settings.YOUSU_PLACE_BONUS
        elif relation == FAR:
            score -= settings.YOUSU_PLACE_PENALTY
        if score >= threshold:
            scored.append((score, text_score, relation, pk))
    scored.sort(key=lambda row: (-row[0], -row[3]))
    scored = scored[:limit]
    appeals = Appeal.objects.select_related("area").in_bulk([pk for *_rest, pk in scored])
    return [
        DuplicateCandidate(
            appeal=appeals[pk],
            score=round(score, 4),
            text_score=round(text_score, 4),
            same_place=relation == SAME,
            place=relation,
        )
        for score, text_score, relation, pk in scored
    ]
