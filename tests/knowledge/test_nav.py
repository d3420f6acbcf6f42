"""The header's knowledge links: the base for those who use it, and the review list and the
proposals only when something waits there, with how much."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from yousu.knowledge.models import KnowledgeEntry
from yousu.knowledge.services import entry_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def header(person) -> str:
    client = Client()
    client.force_login(person)
    page = client.get("/")
    if page.status_code == 302:
        page = client.get(page["Location"])
    return page.content.decode()


def test_the_review_link_shows_only_when_the_unit_has_entries_to_review(world):
    handler = world.people.east_eco_handler
    assert 'href="/knowledge/"' in header(handler)
    assert "知识待审核" not in header(handler)
    entry = entry_create(
        by=handler,
        question="油烟怎么投诉",
        answer="向区生态环境局反映。",
        owning_unit=world.units.east_eco,
        valid_from=TODAY - dt.timedelta(days=10),
        review_due=TODAY + dt.timedelta(days=200),
    )
    assert "知识待审核" not in header(handler)
    KnowledgeEntry.objects.filter(pk=entry.pk).update(review_due=TODAY - dt.timedelta(days=1))
    assert "知识待审核（1）" in header(handler)
    # Another unit's people have nothing to review.
    assert "知识待审核" not in header(world.people.west_market_handler)
