"""The demo city's knowledge base: one entry per inquiry the demo's citizens ask about, kept by the
unit the responsibility rules name for that matter (the city platform where no rule does), through
the same services a real city's units use. One entry is left overdue for review, so the review list
has work on it. Everything is marked as demo data."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.catalog.selectors import responsible_unit
from yousu.core.errors import DomainError
from yousu.knowledge.models import KnowledgeEntry
from yousu.knowledge.services import entry_create
from yousu.org.choices import Level
from yousu.org.models import Area, Person, Unit

from .city import CITY, DEMO_MARK

SOURCE_TITLE = "本市政务服务常见问题解答（演示）"
# An entry the demo leaves overdue: its unit sees it on the review list, operators do not see it.
OVERDUE_QUESTION = "医保门诊报销比例"


def _keeper(item: CatalogItem, district: Area | None, platform: Unit) -> Unit:
    if district is None:
        return platform
    try:
        return responsible_unit(item=item, area=district).unit
    except DomainError:
        return platform


def ensure_demo_knowledge(*, by: Person, scenarios, platform: Unit) -> int:
    """Create the entries not yet there; returns how many were created."""
    today = timezone.localdate()
    city = Area.objects.get(code=CITY[0])
    district = Area.objects.filter(parent=city, level=Level.DISTRICT).order_by("code").first()
    items = {item.code: item for item in CatalogItem.objects.filter(level=3, is_active=True)}
    existing = set(KnowledgeEntry.objects.values_list("question", flat=True))
    created = 0
    for code, kind, _weight, title, _content, reply in scenarios:
        if kind != AppealKind.INQUIRY or code not in items or title in existing:
            continue
        item = items[code]
        entry_create(
            by=by,
            question=title,
            answer=reply + DEMO_MARK,
            owning_unit=_keeper(item, district, platform),
            items=[item],
            keywords=item.name,
            source_title=SOURCE_TITLE,
            valid_from=today - dt.timedelta(days=400),
            review_due=today - dt.timedelta(days=3)
            if title == OVERDUE_QUESTION
            else today + dt.timedelta(days=180),
            note="演示数据",
        )
        existing.add(title)
        created += 1
    return created
