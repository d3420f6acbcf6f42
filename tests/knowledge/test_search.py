"""Ranked search over the knowledge base: the right entry first, hidden entries never, and an index
that follows the writes."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from tests.conftest import box
from yousu.knowledge import search
from yousu.knowledge.models import SearchGeneration
from yousu.knowledge.search import BM25Index, TfidfIndex, entry_terms, query_terms, tokens
from yousu.knowledge.selectors import entries_for_operators
from yousu.knowledge.services import entry_create, entry_update
from yousu.org.services import area_create, person_create, unit_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)

ENTRIES = [
    (
        "餐饮店油烟扰民怎么处理",
        "餐饮油烟由区生态环境局依法查处，经营者须安装油烟净化设施。",
        "油烟、餐饮、烟道",
    ),
    (
        "小区停水什么时候恢复供水",
        "计划停水会提前公告；突发停水由供水企业抢修，一般当日恢复供水。",
        "停水、供水",
    ),
    ("工地夜间施工噪音扰民", "夜间施工须办理夜间施工许可，无证施工由住建部门查处。", "噪音、施工"),
    ("楼道堆放杂物怎么办", "楼道堆物由社区劝导清理，消防通道堆物可报消防部门。", "楼道、堆物"),
    (
        "新生儿如何办理医保参保",
        "新生儿出生后持出生医学证明到社区或医保经办机构办理参保登记。",
        "医保、新生儿、参保",
    ),
]


@pytest.fixture
def entries(world):
    by = world.people.admin
    return [
        entry_create(
            by=by,
            question=question,
            answer=answer,
            keywords=keywords,
            owning_unit=world.units.east_eco,
            valid_from=TODAY - 10 * DAY,
            review_due=TODAY + 100 * DAY,
        )
        for question, answer, keywords in ENTRIES
    ]


def ids(query: str, **kwargs) -> list[int]:
    return [hit.entry_id for hit in search.search(query, **kwargs)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("我家楼下饭店排烟管道的油烟太呛了", 0),
        ("我们小区从早上开始就没水了，什么时候能来水", 1),
        ("半夜工地还在施工，吵得睡不着", 2),
        ("孩子刚出生，想给他办医保", 4),
    ],
)
def test_the_right_entry_comes_first_for_the_citizens_words(entries, query, expected):
    hits = search.search(query, k=3)
    assert hits[0].entry_id == entries[expected].pk
    assert all(a.score >= b.score > 0 for a, b in itertools.pairwise(hits))


def test_unrelated_or_empty_queries_find_nothing(entries):
    assert ids("   ") == []
    assert ids("，。！？") == []


def test_an_expired_or_overdue_entry_is_never_returned(world, entries):
    entry_update(entry=entries[0], by=world.people.admin, valid_until=TODAY - DAY)
    entry_update(entry=entries[1], by=world.people.admin, review_due=TODAY - DAY)
    assert entries[0].pk not in ids("饭店油烟扰民")
    assert entries[1].pk not in ids("小区停水")
    # Visibility is decided on the day asked: the overdue entry was still shown two days ago.
    two_days_ago = timezone.now() - 2 * DAY
    assert entries[1].pk in ids("小区停水", at=two_days_ago)


def test_the_index_rebuilds_after_an_update(world, entries):
    assert ids("电动车充电桩") == []
    before = SearchGeneration.objects.get(pk=1).generation
    entry_update(
        entry=entries[3],
        by=world.people.admin,
        question="电动车充电桩安装",
        answer="电动车集中充电设施由社区会同物业规划安装。",
        keywords="充电桩",
    )
    assert SearchGeneration.objects.get(pk=1).generation != before
    assert ids("楼下想装电动车充电桩")[0] == entries[3].pk
    assert entries[3].pk not in ids("楼道堆放杂物")


def test_another_workers_write_is_seen_through_the_generation(world, entries):
    search.search("油烟")
    cached = search.entry_index()
    assert search.entry_index() is cached
    SearchGeneration.objects.filter(pk=1).update(generation="written-by-another-worker")
    assert search.entry_index() is not cached


def test_bm25_prefers_the_rarer_word_and_the_shorter_document():
    index = BM25Index([["停水", "小区"], ["小区", "停车"], ["小区", "停车", "小区", "物业", "公告", "通知"]])
    assert [i for i, _ in index.top(["小区", "停水"], 3)] == [0, 1, 2]
    assert [i for i, _ in index.top(["停车"], 3)] == [1, 2]
    assert index.top(["没有的词"], 3) == []


def test_the_terms_are_two_character_pieces_with_the_querys_opening_counted_twice():
    assert tokens("A2区停车位，太少！") == ["a2", "2区", "区停", "停车", "车位", "太少"]
    assert tokens("，。！？") == []
    query = "小区停水已经三天了，物业说不清楚原因。另外楼下饭店油烟"
    terms = query_terms(query)
    # The opening (the first 20 characters) names the matter: its pieces count twice, the rest once.
    assert terms.count("停水") == 2
    assert terms.count("油烟") == 1
    index = BM25Index([["饭店", "油烟"], ["小区", "停水"]])
    assert [i for i, _ in index.top(terms, 2)] == [1, 0]


def test_a_long_entry_is_damped_more_than_under_plain_bm25():
    # Each document holds the term once; the long one is three times as long as the short one.
    documents = [["停水", "a"], ["停水", "b", "c", "d", "e", "f"], ["g", "h"], ["i", "j"]]
    short, long_ = BM25Index(documents).scores(["停水"])[:2]
    plain_short, plain_long = BM25Index(documents, length_power=1.0).scores(["停水"])[:2]
    assert short / long_ > plain_short / plain_long > 1


def test_the_served_search_ranks_by_tfidf_cosine(entries):
    # search() scores with TfidfIndex (recall@5 0.804 on the held-out half against BM25's 0.787), not
    # BM25: its scores are those of a TfidfIndex over the same entries, and lie in 0..1.
    query = "我们小区从早上开始就没水了，什么时候能来水"
    documents = [entry_terms(question=q, answer=a, keywords=kw) for q, a, kw in ENTRIES]
    expected = TfidfIndex(documents).top(query_terms(query), 5)
    hits = search.search(query, k=5)
    by_position = {entry.pk: position for position, entry in enumerate(entries)}
    assert [(by_position[hit.entry_id], pytest.approx(hit.score, rel=1e-5)) for hit in hits] == expected
    assert all(0 < hit.score <= 1 for hit in hits)


def test_tfidf_counts_a_repeated_word_sublinearly_and_damps_long_entries():
    index = TfidfIndex([["停水"] * 6 + ["a"], ["停水", "小区", "b", "c"], ["d", "e"], ["f", "g"]])
    # Six 停水 do not outweigh one 停水 beside one 小区.
    assert [i for i, _ in index.top(["停水", "小区"], 3)] == [1, 0]
    documents = [["停水", "a"], ["停水", "b", "c", "d", "e", "f"], ["g", "h"], ["i", "j"]]
    short, long_ = TfidfIndex(documents).scores(["停水"])[:2]
    plain_short, plain_long = TfidfIndex(documents, norm_power=1.0).scores(["停水"])[:2]
    assert short / long_ > plain_short / plain_long > 1
    assert TfidfIndex(documents).top(["没有的词"], 3) == []


def test_the_opening_of_the_query_decides_between_two_matters(entries):
    # Both matters are named once; the one the query opens with comes first.
    assert ids("小区停水已经三天了，物业说不清楚原因。另外楼下饭店油烟")[0] == entries[1].pk
    assert ids("楼下饭店油烟已经三天了，物业说不清楚原因。另外小区停水")[0] == entries[0].pk


def test_an_operator_finds_only_their_citys_entries(world, entries):
    north = area_create(code="N", name="北市", kind="city", boundary=box(110, 30, 111, 31))
    platform = unit_create(code="NP", name="北市平台", kind="city_platform", level="city", area=north)
    # Kept by the other city's own administrator: one city's administrator curates only its entries.
    keeper = person_create(username="n_admin", full_name="北市管理员", unit=platform, roles=["administrator"])
    other = entry_create(
        by=keeper,
        question="北市餐饮油烟扰民怎么处理",
        answer="北市的餐饮油烟由北市生态环境局查处。",
        owning_unit=platform,
        valid_from=TODAY - DAY,
        review_due=TODAY + DAY,
    )
    city = world.areas.city
    assert other.pk in ids("餐饮油烟")
    assert other.pk not in ids("餐饮油烟", jurisdiction=city)
    assert entries[0].pk in ids("餐饮油烟", jurisdiction=city)
    assert ids("餐饮油烟", jurisdiction=north) == [other.pk]
    assert other not in entries_for_operators(jurisdiction=city)
    assert list(entries_for_operators(jurisdiction=north)) == [other]
