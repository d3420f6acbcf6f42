"""The duplicate finder: open appeals about the same matter and place, within the window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.api.helpers import make_appeal
from yousu.appeals.services import appeal_answer_at_intake, appeal_link_duplicate
from yousu.core.errors import DomainError
from yousu.intelligence import similarity
from yousu.intelligence.duplicates import find_duplicates
from yousu.intelligence.hot_issues import hot_issues_absorb

FUMES_TITLE = "幸福小区楼下烧烤店油烟扰民"
FUMES = "幸福小区楼下烧烤店每天晚上油烟直排，烟味很大，居民无法开窗，请环保部门查处。"
FUMES_AGAIN = "投诉幸福小区楼下烧烤店油烟直排扰民，晚上烟味大，希望查处。"
SCHOOL = "孩子明年上小学，学区划分不合理，想咨询入学报名的政策。"


def fumes(world, **fields):
    fields.setdefault("title", FUMES_TITLE)
    fields.setdefault("content", FUMES)
    return make_appeal(world, **fields)


def codes(found):
    return [c.appeal.code for c in found]


def test_the_same_matter_at_the_same_place_is_offered(world):
    first = fumes(world)
    make_appeal(world, title="入学咨询", content=SCHOOL, item=None)
    (found,) = find_duplicates(text=FUMES_AGAIN, area=world.areas.east_community)
    assert found.appeal == first
    assert found.same_place and found.place == "same"
    assert found.score == pytest.approx(found.text_score + 0.1, abs=1e-3)
    assert found.text_score > 0.5


def test_an_appeal_outside_the_window_is_not_offered(world):
    now = timezone.now()
    old = fumes(world, received_at=now - dt.timedelta(days=8))
    assert find_duplicates(text=FUMES_AGAIN, area=world.areas.grid, at=now) == []
    assert codes(find_duplicates(text=FUMES_AGAIN, area=world.areas.grid, at=now, window_days=10)) == [
        old.code
    ]
    with override_settings(YOUSU_DUPLICATE_WINDOW_DAYS=9):
        assert codes(find_duplicates(text=FUMES_AGAIN, area=world.areas.grid, at=now)) == [old.code]
    # Nor one received after the moment asked about.
    assert find_duplicates(text=FUMES_AGAIN, at=now - dt.timedelta(days=9), window_days=30) == []


def test_another_districts_appeal_is_not_offered_and_the_same_place_adds(world):
    east = fumes(world, area=world.areas.east_community)
    west = fumes(world, area=world.areas.west_community)
    text_score = similarity.dot(
        similarity.term_weights(FUMES_AGAIN), similarity.term_weights(FUMES, title=FUMES_TITLE)
    )
    with override_settings(YOUSU_DUPLICATE_THRESHOLD=text_score - 0.3):
        found = find_duplicates(text=FUMES_AGAIN, area=world.areas.grid)
        # Without a place to go by, both are offered, with no bonus.
        anywhere = find_duplicates(text=FUMES_AGAIN)
    assert codes(found) == [east.code]
    assert [c.place for c in found] == ["same"]
    assert found[0].score - found[0].text_score == pytest.approx(0.1, abs=1e-3)
    assert sorted(codes(anywhere)) == sorted([east.code, west.code])
    # At a threshold the text alone just reaches, the place decides.
    with override_settings(YOUSU_DUPLICATE_THRESHOLD=text_score):
        assert codes(find_duplicates(text=FUMES_AGAIN, area=world.areas.grid)) == [east.code]
    # Without a place, neither gains nor loses.
    with override_settings(YOUSU_DUPLICATE_THRESHOLD=text_score - 0.3):
        unplaced = find_duplicates(text=FUMES_AGAIN)
    assert {c.place for c in unplaced} == {"unknown"}
    assert unplaced[0].score == pytest.approx(text_score, abs=1e-3)


def test_a_neighbouring_street_of_the_same_district_is_neither_same_nor_far(world):
    fumes(world, area=world.areas.east_street)
    (found,) = find_duplicates(text=FUMES_AGAIN, area=world.areas.east)
    assert found.place == "same"  # the district contains the street
    (found,) = find_duplicates(text=FUMES_AGAIN, area=world.areas.grid)
    assert found.place == "same"  # the grid lies within the street


def test_settled_and_linked_appeals_are_not_offered(world):
    p = world.people
    original = fumes(world)
    linked = fumes(world)
    appeal_link_duplicate(appeal=linked, original=original, by=p.operator)
    answered = make_appeal(world, kind="inquiry", title=FUMES_TITLE, content=FUMES, item=None)
    appeal_answer_at_intake(appeal=answered, answer="已告知投诉渠道", by=p.operator)
    assert codes(find_duplicates(text=FUMES_AGAIN, area=world.areas.grid)) == [original.code]


def test_the_threshold_and_the_excluded_appeal(world):
    first = fumes(world)
    with override_settings(YOUSU_DUPLICATE_THRESHOLD=1.5):
        assert find_duplicates(text=FUMES_AGAIN, area=world.areas.grid) == []
    assert find_duplicates(text=SCHOOL, area=world.areas.grid) == []
    assert find_duplicates(text=FUMES_AGAIN, area=world.areas.grid, exclude_id=first.pk) == []


def test_the_best_come_first_and_the_limit_holds(world):
    appeals = [fumes(world) for _ in range(4)]
    found = find_duplicates(text=FUMES_AGAIN, area=world.areas.grid, limit=3)
    assert len(found) == 3
    # Equal scores: the latest first.
    assert codes(found) == [a.code for a in reversed(appeals)][:3]


def test_word_weights_kept_by_the_hot_issue_detector_give_the_same_answer(world):
    first = fumes(world)
    before = find_duplicates(text=FUMES_AGAIN, area=world.areas.grid)
    hot_issues_absorb([first])
    assert first.hot_issue_link.terms
    after = find_duplicates(text=FUMES_AGAIN, area=world.areas.grid)
    assert [(c.appeal, c.score) for c in after] == [(c.appeal, c.score) for c in before]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "  "}, "text"),
        ({"text": "x" * 5000}, "text"),
        ({"text": FUMES, "window_days": 0}, "window_days"),
        ({"text": FUMES, "limit": 0}, "limit"),
    ],
)
def test_bad_input_names_the_field(world, kwargs, field):
    with pytest.raises(DomainError) as refused:
        find_duplicates(**kwargs)
    assert refused.value.field == field


def test_text_vectors_and_cosine():
    a = similarity.text_vector(FUMES, title=FUMES_TITLE)
    b = similarity.text_vector(FUMES_AGAIN)
    c = similarity.text_vector(SCHOOL)
    assert similarity.cosine(a, a) == pytest.approx(1.0)
    assert similarity.cosine(a, b) > 0.5 > similarity.cosine(a, c)
    assert similarity.cosine(a, similarity.text_vector("，。！")) == 0.0
    # The sparse row and the weight dict agree.
    assert similarity.cosine(a, b) == pytest.approx(
        similarity.dot(
            similarity.term_weights(FUMES, title=FUMES_TITLE), similarity.term_weights(FUMES_AGAIN)
        ),
        abs=1e-6,
    )
    assert "的" not in similarity.tokens(FUMES) and "油烟" in similarity.tokens(FUMES)
