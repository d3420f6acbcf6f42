"""Reads of the knowledge base: what operators may see, and what each unit has to review."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from yousu.org.models import Area, Unit

from .models import EntryStatus, KnowledgeEntry, KnowledgeEntryVersion


def _day(at: dt.datetime | None) -> dt.date:
    return timezone.localdate(at) if at is not None else timezone.localdate()


def entries_for_operators(
    at: dt.datetime | None = None, *, jurisdiction: Area | None = None
) -> QuerySet[KnowledgeEntry]:
    """Entries operators may see at `at` (now by default): in use, in force (valid_from reached,
    valid_until not passed), not overdue for review and not flagged by citizens' callbacks; with `jurisdiction`, only entries kept by
    that city's units. The same rule as KnowledgeEntry.is_visible_on and the search index's mask."""
    day = _day(at)
    entries = (
        KnowledgeEntry.objects.filter(
            status=EntryStatus.ACTIVE, flagged_at__isnull=True, valid_from__lte=day, review_due__gte=day
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .select_related("owning_unit")
    )
    if jurisdiction is not None:
        entries = entries.filter(owning_unit__area__path__startswith=jurisdiction.path)
    return entries


def entries_to_review(
    entries: QuerySet[KnowledgeEntry] | None = None, at: dt.datetime | None = None, *, within_days: int = 0
) -> QuerySet[KnowledgeEntry]:
    """Of `entries` (all by default), those in use that their unit must look at: flagged by
    citizens' callbacks, expired, overdue for review, and with `within_days` also those whose review
    falls due within that many days (the review list looks ahead)."""
    day = _day(at)
    entries = KnowledgeEntry.objects.all() if entries is None else entries
    due = Q(review_due__lte=day + dt.timedelta(days=within_days)) if within_days else Q(review_due__lt=day)
    return (
        entries.filter(status=EntryStatus.ACTIVE)
        .filter(Q(flagged_at__isnull=False) | Q(valid_until__lt=day) | due)
        .select_related("owning_unit")
        .order_by("review_due", "id")
    )


def entries_flagged(unit: Unit | None = None, at: dt.datetime | None = None) -> QuerySet[KnowledgeEntry]:
    """Entries in use but hidden from operators because they expired, are overdue for review, or
    were flagged because citizens said their answers did not help (the unit's when `unit` is given)."""
    entries = KnowledgeEntry.objects.filter(owning_unit=unit) if unit is not None else None
    return entries_to_review(entries, at)


def entry_history(entry: KnowledgeEntry) -> QuerySet[KnowledgeEntryVersion]:
    return entry.versions.select_related("changed_by", "owning_unit").order_by("version")
