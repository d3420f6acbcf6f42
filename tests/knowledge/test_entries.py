"""The rules of the knowledge base: versions, what operators may see, who reviews, and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yousu.core.errors import DomainError, PermissionRefused
from yousu.knowledge.models import KnowledgeEntry
from yousu.knowledge.selectors import entries_flagged, entries_for_operators, entry_history
from yousu.knowledge.services import entry_create, entry_review, entry_update

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def make(world, **overrides) -> KnowledgeEntry:
    fields = {
        "by": world.people.east_eco_handler,
        "question": "餐饮店油烟扰民怎么处理",
        "answer": "餐饮油烟由区生态环境局依法查处，经营者须安装油烟净化设施并保持正常使用。",
        "owning_unit": world.units.east_eco,
        "items": [world.items.fumes],
        "keywords": "油烟、餐饮",
        "source_title": "大气污染防治法",
        "source_number": "主席令第31号",
        "valid_from": TODAY - 30 * DAY,
        "review_due": TODAY + 90 * DAY,
    }
    fields.update(overrides)
    return entry_create(**fields)


def test_each_update_adds_a_version_and_keeps_the_old_values(world):
    entry = make(world)
    assert entry.version == 1
    entry_update(entry=entry, by=world.people.east_eco_handler, answer="新的答复口径。", note="改口径")
    entry_update(entry=entry, by=world.people.east_eco_handler, keywords="油烟", items=[])
    entry.refresh_from_db()
    assert entry.version == 3
    assert entry.answer == "新的答复口径。"
    assert list(entry.items.all()) == []
    versions = list(entry_history(entry))
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[0].answer.startswith("餐饮油烟由区生态环境局")
    assert versions[0].item_codes == ["D1-01-01"]
    assert versions[1].answer == "新的答复口径。" and versions[1].note == "改口径"
    assert versions[1].keywords == "油烟、餐饮"
    assert versions[2].keywords == "油烟" and versions[2].item_codes == []
    assert all(v.changed_by == world.people.east_eco_handler for v in versions)


@pytest.mark.parametrize("field", ["question", "answer"])
def test_an_empty_question_or_answer_is_refused_naming_the_field(world, field):
    with pytest.raises(DomainError) as refused:
        make(world, **{field: "  "})
    assert refused.value.field == field
    entry = make(world)
    with pytest.raises(DomainError) as refused:
        entry_update(entry=entry, by=world.people.east_eco_handler, **{field: ""})
    assert refused.value.field == field
    entry.refresh_from_db()
    assert entry.version == 1 and entry.versions.count() == 1


def test_valid_until_before_valid_from_is_refused(world):
    with pytest.raises(DomainError) as refused:
        make(world, valid_from=TODAY, valid_until=TODAY - DAY)
    assert refused.value.field == "valid_until"
    entry = make(world)
    with pytest.raises(DomainError) as refused:
        entry_update(entry=entry, by=world.people.east_eco_handler, valid_until=entry.valid_from - DAY)
    assert refused.value.field == "valid_until"
    assert KnowledgeEntry.objects.get(pk=entry.pk).valid_until is None


def test_only_the_owning_unit_or_an_administrator_may_edit(world):
    with pytest.raises(PermissionRefused):
        make(world, by=world.people.east_market_handler)
    entry = make(world)
    with pytest.raises(PermissionRefused):
        entry_update(entry=entry, by=world.people.west_market_handler, answer="别人的口径")
    entry_update(entry=entry, by=world.people.admin, answer="平台统一口径")
    assert KnowledgeEntry.objects.get(pk=entry.pk).version == 2


def test_expired_not_yet_valid_and_overdue_entries_are_hidden_from_operators(world):
    current = make(world, question="现行")
    expired = make(world, question="已失效", valid_until=TODAY - DAY)
    future = make(world, question="未生效", valid_from=TODAY + DAY)
    overdue = make(world, question="逾期未审", review_due=TODAY - DAY)
    last_day = make(world, question="今天到期", valid_until=TODAY, review_due=TODAY)

    visible = set(entries_for_operators(at(TODAY)))
    assert visible == {current, last_day}
    assert set(entries_for_operators(at(TODAY + DAY))) == {current, future}
    assert set(entries_flagged(world.units.east_eco, at(TODAY))) == {expired, overdue}
    for entry in (current, expired, future, overdue, last_day):
        assert entry.is_visible_on(TODAY) == (entry in visible)


def test_a_review_shows_an_overdue_entry_again_and_is_versioned(world):
    entry = make(world, review_due=TODAY - DAY)
    assert entry not in entries_for_operators(at(TODAY))
    entry_review(
        entry=entry, by=world.people.east_eco_handler, note="口径仍然适用", next_review_due=TODAY + 180 * DAY
    )
    entry.refresh_from_db()
    assert entry in entries_for_operators(at(TODAY))
    assert entry.last_reviewed_by == world.people.east_eco_handler
    assert entry.last_reviewed_at is not None
    assert entry.version == 2
    last = entry_history(entry).last()
    assert last.note == "口径仍然适用" and last.review_due == TODAY + 180 * DAY
    assert entry_history(entry).first().review_due == TODAY - DAY


def test_review_needs_the_owning_unit_or_a_leader_above_it(world):
    p, u = world.people, world.units
    entry = make(
        world, by=p.east_community_handler, owning_unit=u.east_community, items=[world.items.hallway]
    )
    later = TODAY + 60 * DAY
    for outsider in (p.east_market_handler, p.operator, p.admin, p.east_street_handler):
        # A handler of the street above is not its leader; the platform's administrator edits, not reviews.
        with pytest.raises(PermissionRefused) as refused:
            entry_review(entry=entry, by=outsider, note="", next_review_due=later)
        assert refused.value.field == "by"
    entry_review(entry=entry, by=p.east_community_handler, note="", next_review_due=later)
    entry_review(entry=entry, by=p.street_leader, note="街道复核", next_review_due=later + DAY)
    entry.refresh_from_db()
    assert entry.version == 3 and entry.last_reviewed_by == p.street_leader


def test_a_review_date_must_lie_ahead(world):
    entry = make(world)
    with pytest.raises(DomainError) as refused:
        entry_review(entry=entry, by=world.people.east_eco_handler, note="", next_review_due=TODAY)
    assert refused.value.field == "next_review_due"
    assert KnowledgeEntry.objects.get(pk=entry.pk).version == 1


def test_a_malformed_source_link_is_refused_naming_the_field(world):
    with pytest.raises(DomainError) as refused:
        make(world, source_url="不是链接")
    assert refused.value.field == "source_url"
    assert not KnowledgeEntry.objects.exists()


def test_an_administrator_curates_only_their_own_citys_entries(world, north):
    theirs = make(world, by=north.market_handler, owning_unit=north.market, items=[])
    with pytest.raises(PermissionRefused) as refused:
        entry_update(entry=theirs, by=world.people.admin, answer="越过辖区的口径")
    assert refused.value.field == "by"
    with pytest.raises(PermissionRefused):
        make(world, by=world.people.admin, owning_unit=north.market, items=[])
    assert KnowledgeEntry.objects.get(pk=theirs.pk).version == 1


def test_an_edit_of_a_version_someone_moved_on_from_is_refused_and_changes_nothing(world):
    from yousu.knowledge.services import VersionConflict

    entry = make(world)
    entry_update(entry=entry, by=world.people.east_eco_handler, expected_version=1, answer="第二版口径。")
    with pytest.raises(VersionConflict) as stale:
        entry_update(entry=entry, by=world.people.admin, expected_version=1, answer="基于第一版的修改")
    assert stale.value.field == "version" and "第 1 版" in stale.value.message
    entry.refresh_from_db()
    assert (entry.version, entry.answer) == (2, "第二版口径。")


def test_an_expired_entry_comes_back_only_with_a_validity_that_reaches_today(world):
    from yousu.knowledge.services import UNCHANGED

    expired = make(world, valid_from=TODAY - 100 * DAY, valid_until=TODAY - DAY)
    reviewer = world.people.east_eco_handler
    with pytest.raises(DomainError) as refused:
        entry_review(entry=expired, by=reviewer, next_review_due=TODAY + 90 * DAY, valid_until=UNCHANGED)
    assert refused.value.field == "valid_until" and "失效" in refused.value.message
    with pytest.raises(DomainError) as before_start:
        entry_review(
            entry=expired, by=reviewer, next_review_due=TODAY + 90 * DAY, valid_until=TODAY - 200 * DAY
        )
    assert before_start.value.field == "valid_until"
    expired.refresh_from_db()
    assert expired.version == 1 and expired not in entries_for_operators()

    entry_review(entry=expired, by=reviewer, next_review_due=TODAY + 90 * DAY, valid_until=TODAY + 365 * DAY)
    expired.refresh_from_db()
    assert expired.valid_until == TODAY + 365 * DAY and expired in entries_for_operators()
    assert entry_history(expired).last().valid_until == TODAY + 365 * DAY
    # None: valid without end.
    entry_review(entry=expired, by=reviewer, next_review_due=TODAY + 120 * DAY, valid_until=None)
    expired.refresh_from_db()
    assert expired.valid_until is None
