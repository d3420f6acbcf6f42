"""Withdrawing an entry (撤下) and putting it back: hidden from operators and search, versioned, and
only by those who may edit it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yousu.core.errors import DomainError, PermissionRefused
from yousu.knowledge.models import EntryStatus, KnowledgeEntry, SearchGeneration
from yousu.knowledge.search import search
from yousu.knowledge.selectors import entries_for_operators, entry_history
from yousu.knowledge.services import entry_create, entry_restore, entry_review, entry_withdraw

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def entry(world) -> KnowledgeEntry:
    return entry_create(
        by=world.people.east_eco_handler,
        question="餐饮店油烟扰民怎么处理",
        answer="餐饮油烟由区生态环境局依法查处，经营者须安装油烟净化设施并保持正常使用。",
        owning_unit=world.units.east_eco,
        keywords="油烟、餐饮",
        valid_from=TODAY - 30 * DAY,
        review_due=TODAY + 90 * DAY,
    )


def found(entry: KnowledgeEntry) -> bool:
    return entry.pk in [hit.entry_id for hit in search("饭店油烟太大")]


def generation() -> str:
    return SearchGeneration.objects.get(pk=1).generation


def test_withdrawing_hides_the_entry_and_restoring_shows_it_again(world, entry):
    assert found(entry) and entry in entries_for_operators()
    before = generation()

    entry_withdraw(entry=entry, by=world.people.east_eco_handler, reason="政策已调整，口径待更新")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN
    assert entry.version == 2
    assert generation() != before
    assert not found(entry)
    assert entry not in entries_for_operators()
    assert not entry.is_visible_on(TODAY)

    withdrawn = generation()
    entry_restore(entry=entry, by=world.people.east_eco_handler, note="新政策口径不变")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE
    assert entry.version == 3
    assert generation() != withdrawn
    assert found(entry)
    assert entry in entries_for_operators()

    versions = list(entry_history(entry))
    assert [(v.version, v.status, v.note) for v in versions] == [
        (1, EntryStatus.ACTIVE, "新建"),
        (2, EntryStatus.WITHDRAWN, "政策已调整，口径待更新"),
        (3, EntryStatus.ACTIVE, "新政策口径不变"),
    ]
    assert all(v.changed_by == world.people.east_eco_handler for v in versions)
    # A snapshot keeps the content too, not only the status.
    assert versions[1].answer == entry.answer and versions[1].question == entry.question


def test_restore_without_a_note_records_a_default_one(world, entry):
    entry_withdraw(entry=entry, by=world.people.admin, reason="重复条目")
    entry_restore(entry=entry, by=world.people.admin, note="  ")
    assert entry_history(entry).last().note == "恢复在用"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(world, entry, reason):
    with pytest.raises(DomainError) as refused:
        entry_withdraw(entry=entry, by=world.people.east_eco_handler, reason=reason)
    assert refused.value.field == "reason"
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE and entry.version == 1
    assert entry.versions.count() == 1


def test_a_reason_longer_than_a_note_is_refused_rather_than_cut(world, entry):
    with pytest.raises(DomainError) as refused:
        entry_withdraw(entry=entry, by=world.people.east_eco_handler, reason="长" * 501)
    assert refused.value.field == "reason"
    assert KnowledgeEntry.objects.get(pk=entry.pk).status == EntryStatus.ACTIVE


def test_only_those_who_may_edit_may_withdraw_or_restore(world, entry):
    for outsider in (world.people.east_market_handler, world.people.operator, world.people.supervisor):
        with pytest.raises(PermissionRefused) as refused:
            entry_withdraw(entry=entry, by=outsider, reason="不是我的条目")
        assert refused.value.field == "by"
    assert KnowledgeEntry.objects.get(pk=entry.pk).status == EntryStatus.ACTIVE

    # The platform administrator curates the whole base.
    entry_withdraw(entry=entry, by=world.people.admin, reason="重复条目")
    with pytest.raises(PermissionRefused):
        entry_restore(entry=entry, by=world.people.west_market_handler, note="")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN and entry.version == 2
    # The owning unit may put it back.
    entry_restore(entry=entry, by=world.people.east_eco_handler, note="")
    assert KnowledgeEntry.objects.get(pk=entry.pk).status == EntryStatus.ACTIVE


def test_an_inactive_person_may_not_withdraw(world, entry):
    person = world.people.east_eco_handler
    person.is_active = False
    person.save(update_fields=["is_active"])
    with pytest.raises(PermissionRefused):
        entry_withdraw(entry=entry, by=person, reason="停用人员")
    assert KnowledgeEntry.objects.get(pk=entry.pk).status == EntryStatus.ACTIVE


def test_withdrawing_twice_or_restoring_an_entry_in_use_is_refused(world, entry):
    with pytest.raises(DomainError) as refused:
        entry_restore(entry=entry, by=world.people.east_eco_handler, note="")
    assert refused.value.field == "entry"
    entry_withdraw(entry=entry, by=world.people.east_eco_handler, reason="口径过时")
    with pytest.raises(DomainError) as refused:
        entry_withdraw(entry=entry, by=world.people.east_eco_handler, reason="再撤一次")
    assert refused.value.field == "entry"
    entry.refresh_from_db()
    assert entry.version == 2 and entry.versions.count() == 2


def test_a_withdrawn_entry_cannot_be_reviewed_back_into_view(world, entry):
    entry_withdraw(entry=entry, by=world.people.east_eco_handler, reason="口径过时")
    with pytest.raises(DomainError):
        entry_review(
            entry=entry, by=world.people.east_eco_handler, note="", next_review_due=TODAY + 100 * DAY
        )
    assert entry not in entries_for_operators()
