"""Answering at intake from the knowledge base: the entry is recorded with its version, the citizen is
asked later whether it helped, unhelpful entries are flagged and hidden until reviewed, and the
dashboard counts it all. Over the services, the workbench, the callback desk and the real-HTTP API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.helpers import make_appeal
from yousu.appeals.models import Appeal, Event
from yousu.appeals.services import appeal_answer_at_intake, appeal_take_in
from yousu.core.errors import DomainError, PermissionRefused
from yousu.knowledge.answers import (
    intake_answer_check,
    intake_answer_checks_due,
    intake_answer_unreachable,
)
from yousu.knowledge.models import CheckStatus, IntakeAnswer, KnowledgeEntry
from yousu.knowledge.search import search
from yousu.knowledge.selectors import entries_flagged, entries_for_operators, entry_history
from yousu.knowledge.services import entry_create, entry_review, entry_update
from yousu.notifications.models import Notification
from yousu.reports.summary import period_of, summary

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
ANSWER = "社保卡遗失后，可携带本人身份证到任一社保服务大厅或通过政务服务网办理挂失补卡，工本费免收。"


def make_entry(world, **overrides) -> KnowledgeEntry:
    fields = {
        "by": world.people.dispatcher,
        "question": "社保卡丢了怎么补办",
        "answer": ANSWER,
        "owning_unit": world.units.platform,
        "keywords": "社保卡、补办、挂失",
        "source_title": "社会保障卡管理办法",
        "source_number": "人社部发〔2011〕47号",
        "valid_from": TODAY - 30 * DAY,
        "review_due": TODAY + 90 * DAY,
    }
    fields.update(overrides)
    return entry_create(**fields)


def inquiry(world, **overrides) -> Appeal:
    fields = {"kind": "inquiry", "title": "社保卡补办", "content": "社保卡丢了怎么补办？", "item": None}
    fields.update(overrides)
    return make_appeal(world, **fields)


def answered(world, entry, **overrides) -> IntakeAnswer:
    appeal = appeal_answer_at_intake(
        appeal=inquiry(world, **overrides), by=world.people.operator, knowledge_entry=entry
    )
    return IntakeAnswer.objects.get(appeal=appeal)


def later(hours: int = 25) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


# ---------------------------------------------------------------- answering


def test_an_answer_from_an_entry_records_the_entry_and_its_version(world):
    entry = make_entry(world)
    entry_update(entry=entry, by=world.people.dispatcher, keywords="社保卡、补卡")
    appeal = appeal_answer_at_intake(appeal=inquiry(world), by=world.people.operator, knowledge_entry=entry)
    assert appeal.status == "answered"
    # Left empty, the answer is the entry's, with the policy it rests on.
    assert appeal.intake_answer == f"{ANSWER}\n依据：社会保障卡管理办法（人社部发〔2011〕47号）"
    record = IntakeAnswer.objects.get(appeal=appeal)
    assert (record.entry, record.entry_version, record.answered_by) == (entry, 2, world.people.operator)
    event = Event.objects.get(appeal=appeal, action="answered_at_intake")
    assert event.payload["entry"] == entry.pk and event.payload["entry_version"] == 2


def test_the_operators_own_words_stand_beside_the_entry(world):
    entry = make_entry(world)
    appeal = appeal_answer_at_intake(
        appeal=inquiry(world),
        answer="带身份证去社保大厅补办即可。",
        by=world.people.operator,
        knowledge_entry=entry,
    )
    assert appeal.intake_answer == "带身份证去社保大厅补办即可。"
    assert IntakeAnswer.objects.get(appeal=appeal).entry == entry


def test_every_answer_at_intake_gets_a_record_even_without_an_entry(world):
    appeal = appeal_answer_at_intake(appeal=inquiry(world), answer="已告知。", by=world.people.operator)
    record = IntakeAnswer.objects.get(appeal=appeal)
    assert record.entry is None and record.check_status == CheckStatus.PENDING
    assert record.check_due_at > record.answered_at


@pytest.mark.parametrize(
    "change",
    [
        {"valid_until": TODAY - DAY, "valid_from": TODAY - 10 * DAY},
        {"review_due": TODAY - DAY},
        {"valid_from": TODAY + DAY},
    ],
    ids=["expired", "overdue", "not-yet-valid"],
)
def test_an_entry_operators_may_not_see_cannot_answer_and_nothing_is_written(world, change):
    entry = make_entry(world)
    KnowledgeEntry.objects.filter(pk=entry.pk).update(**change)
    appeal = inquiry(world)
    with pytest.raises(DomainError) as refused:
        appeal_answer_at_intake(appeal=appeal, by=world.people.operator, knowledge_entry=entry)
    assert refused.value.field == "knowledge_entry"
    appeal.refresh_from_db()
    assert appeal.status == "received" and appeal.intake_answer == ""
    assert not IntakeAnswer.objects.exists()


def test_another_citys_entry_cannot_answer(world, north):
    theirs = make_entry(world, by=north.market_handler, owning_unit=north.market)
    with pytest.raises(DomainError) as refused:
        appeal_answer_at_intake(appeal=inquiry(world), by=world.people.operator, knowledge_entry=theirs)
    assert refused.value.field == "knowledge_entry"


def test_a_complaint_is_not_answered_from_the_knowledge_base(world):
    entry = make_entry(world)
    fields = {
        "kind": "complaint",
        "channel": "hotline",
        "title": "油烟",
        "content": "油烟扰民",
        "intake_unit": world.units.platform,
        "received_by": world.people.operator,
    }
    with pytest.raises(DomainError) as refused:
        appeal_take_in(knowledge_entry=entry, **fields)
    assert refused.value.field == "answer"
    assert not Appeal.objects.exists()


# ---------------------------------------------------------------- the callback


def test_the_callback_is_due_a_day_later_and_records_whether_it_helped(world):
    record = answered(world, make_entry(world))
    operator = world.people.operator
    assert not intake_answer_checks_due(operator).exists()
    assert list(intake_answer_checks_due(operator, later())) == [record]
    done = intake_answer_check(record=record, by=operator, helped=True, comment="很清楚")
    assert (done.check_status, done.helped, done.checked_by) == (CheckStatus.DONE, True, operator)
    assert Event.objects.filter(appeal=record.appeal, action="intake_answer_checked").exists()
    with pytest.raises(DomainError) as again:
        intake_answer_check(record=record, by=operator, helped=False)
    assert again.value.field == "status"


def test_no_phone_no_callback(world):
    record = answered(world, make_entry(world), citizen_phone="", anonymous=True)
    assert record.check_status == CheckStatus.NOT_NEEDED
    assert not intake_answer_checks_due(world.people.operator, later()).exists()


def test_an_answer_is_needed_and_only_the_intake_desk_may_call(world):
    record = answered(world, make_entry(world))
    with pytest.raises(DomainError) as missing:
        intake_answer_check(record=record, by=world.people.operator, helped=None)
    assert missing.value.field == "helped"
    with pytest.raises(PermissionRefused):
        intake_answer_check(record=record, by=world.people.east_eco_handler, helped=True)
    record.refresh_from_db()
    assert record.check_status == CheckStatus.PENDING


def test_unreachable_after_the_allowed_attempts(world, settings):
    settings.YOUSU_CALLBACK_MAX_ATTEMPTS = 2
    record = answered(world, make_entry(world))
    record = intake_answer_unreachable(record=record, by=world.people.operator, note="无人接听")
    assert (record.attempts, record.check_status) == (1, CheckStatus.PENDING)
    record = intake_answer_unreachable(record=record, by=world.people.operator, note="关机")
    assert (record.attempts, record.check_status) == (2, CheckStatus.UNREACHABLE)


def test_unhelpful_answers_flag_the_entry_hide_it_and_tell_its_unit_until_reviewed(world, settings):
    settings.YOUSU_KNOWLEDGE_UNHELPFUL_FLAG = 2
    entry = make_entry(world)
    operator = world.people.operator
    assert [hit.entry_id for hit in search("社保卡丢了怎么补办")] == [entry.pk]

    intake_answer_check(record=answered(world, entry), by=operator, helped=False)
    entry.refresh_from_db()
    assert entry.flagged_at is None  # one citizen is not yet a pattern

    intake_answer_check(record=answered(world, entry), by=operator, helped=False, comment="说法过时了")
    entry.refresh_from_db()
    assert entry.flagged_at is not None and "回访 2 位群众，2 位表示答复没有帮助" in entry.flag_reason
    assert search("社保卡丢了怎么补办") == []
    assert not entries_for_operators().filter(pk=entry.pk).exists()
    assert list(entries_flagged(world.units.platform)) == [entry]
    assert entry_history(entry).last().note.startswith("标记待审核")
    notice = Notification.objects.get(kind="knowledge_flagged", channel="inbox")
    assert notice.recipient_unit == world.units.platform and "社保卡丢了怎么补办" in notice.text
    # Hidden means hidden at the counter too: it cannot answer the next call.
    with pytest.raises(DomainError):
        answered(world, entry)

    entry_review(entry=entry, by=world.people.dispatcher, next_review_due=TODAY + 180 * DAY, note="已更新")
    entry.refresh_from_db()
    assert entry.flagged_at is None and entry.flag_reason == ""
    assert [hit.entry_id for hit in search("社保卡丢了怎么补办")] == [entry.pk]
    # Counting starts again from the review: one more "did not help" does not flag it again.
    intake_answer_check(record=answered(world, entry), by=operator, helped=False)
    entry.refresh_from_db()
    assert entry.flagged_at is None


def test_answers_that_helped_never_flag(world, settings):
    settings.YOUSU_KNOWLEDGE_UNHELPFUL_FLAG = 1
    entry = make_entry(world)
    for _n in range(3):
        intake_answer_check(record=answered(world, entry), by=world.people.operator, helped=True)
    entry.refresh_from_db()
    assert entry.flagged_at is None


def test_an_entry_that_mostly_helps_is_not_hidden_for_a_few_that_it_did_not(world, settings):
    settings.YOUSU_KNOWLEDGE_UNHELPFUL_FLAG, settings.YOUSU_KNOWLEDGE_UNHELPFUL_SHARE = 2, 30
    entry = make_entry(world)
    for helped in [True] * 5 + [False, False]:
        intake_answer_check(record=answered(world, entry), by=world.people.operator, helped=helped)
    entry.refresh_from_db()
    assert entry.flagged_at is None  # 2 of 7 asked: under 30%
    intake_answer_check(record=answered(world, entry), by=world.people.operator, helped=False)
    entry.refresh_from_db()
    assert entry.flagged_at is not None  # 3 of 8: over 30%


# ---------------------------------------------------------------- the dashboard


def test_the_dashboard_shows_the_share_answered_at_intake_and_from_the_knowledge_base(world):
    entry = make_entry(world)
    make_appeal(world)  # a complaint, received for dispatch
    intake_answer_check(record=answered(world, entry), by=world.people.operator, helped=True)
    intake_answer_check(record=answered(world, entry), by=world.people.operator, helped=False)
    appeal_answer_at_intake(appeal=inquiry(world), answer="已告知。", by=world.people.operator)
    data = summary(world.people.dispatcher, period=period_of("today", TODAY), district=None)
    # Four received today, three answered on the spot (the counters may lag the log by a horizon,
    # so the share is checked against the totals the summary itself reports).
    totals = data["totals"]
    assert totals["answered_at_intake_rate"] == round(totals["answered_at_intake"] / totals["received"], 4)
    assert data["knowledge"]["answered"] == 3
    assert data["knowledge"]["from_entries"] == 2
    assert (data["knowledge"]["checked"], data["knowledge"]["helped"]) == (2, 1)
    assert data["knowledge"]["helped_rate"] == 0.5
    assert set(data["definitions"]) >= {
        "answered_at_intake_rate",
        "knowledge_from_entries",
        "knowledge_helped_rate",
    }


def test_another_citys_leader_does_not_count_these(world, north):
    answered(world, make_entry(world))
    data = summary(north.leader, period=period_of("today", TODAY), district=None)
    assert data["knowledge"]["answered"] == 0


# ---------------------------------------------------------------- the pages


def client_of(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_workbench_offers_the_entry_and_answers_from_it_in_one_submit(world):
    entry = make_entry(world)
    operator = client_of(world.people.operator)
    aids = operator.post("/intake/aids/", {"title": "社保卡丢了", "content": "社保卡丢了怎么补办"})
    shown = aids.content.decode()
    assert f'data-adopt-entry="{entry.pk}"' in shown and "社会保障卡管理办法" in shown
    form = {
        "kind": "inquiry",
        "channel": "hotline",
        "title": "社保卡补办",
        "content": "社保卡丢了怎么补办",
        "citizen_phone": "13800005678",
        "knowledge_entry": str(entry.pk),
        "answer": "",
    }
    assert operator.post("/intake/", form).status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.status == "answered" and appeal.intake_answer.startswith(ANSWER)
    assert IntakeAnswer.objects.get(appeal=appeal).entry == entry


def test_the_workbench_names_the_field_of_a_refused_entry(world):
    entry = make_entry(world)
    KnowledgeEntry.objects.filter(pk=entry.pk).update(review_due=TODAY - DAY)
    operator = client_of(world.people.operator)
    form = {
        "kind": "inquiry",
        "channel": "hotline",
        "title": "社保卡",
        "content": "补办",
        "citizen_phone": "13800005678",
        "knowledge_entry": entry.pk,
    }
    page = operator.post("/intake/", form)
    assert page.status_code == 400
    assert "已失效、待审核" in str(page.context["form"].errors.get("knowledge_entry"))
    assert not Appeal.objects.exists()
    bad = operator.post("/intake/", {**form, "knowledge_entry": "abc"})
    assert bad.status_code == 400 and "knowledge_entry" in bad.context["form"].errors


def test_the_callback_desk_asks_and_records(world):
    record = answered(world, make_entry(world))
    IntakeAnswer.objects.filter(pk=record.pk).update(check_due_at=timezone.now() - DAY)
    desk = client_of(world.people.operator)
    page = desk.get("/callbacks/desk/").content.decode()
    assert f'id="answer-check-{record.pk}"' in page and record.appeal.code in page
    done = desk.post(f"/callbacks/desk/answers/{record.pk}/check/", {"helped": "no", "comment": "没说清楚"})
    assert done.status_code == 302
    record.refresh_from_db()
    assert (record.check_status, record.helped, record.comment) == (CheckStatus.DONE, False, "没说清楚")


def test_another_citys_desk_cannot_touch_the_record(world, north):
    record = answered(world, make_entry(world))
    IntakeAnswer.objects.filter(pk=record.pk).update(check_due_at=timezone.now() - DAY)
    theirs = client_of(north.operator)
    assert f'id="answer-check-{record.pk}"' not in theirs.get("/callbacks/desk/").content.decode()
    assert theirs.post(f"/callbacks/desk/answers/{record.pk}/check/", {"helped": "yes"}).status_code == 404
    record.refresh_from_db()
    assert record.check_status == CheckStatus.PENDING


# ---------------------------------------------------------------- the API, over real HTTP


def test_the_api_answers_from_an_entry_and_names_a_bad_one(world, live_server):
    from tests.api.helpers import Api

    api = Api(live_server.url)
    entry = make_entry(world)
    appeal = inquiry(world)
    bad = api.call(
        "POST",
        f"/api/v1/appeals/{appeal.code}/answer/",
        world.people.operator,
        json_body={"knowledge_entry": "x"},
    )
    assert bad.status == 400 and "knowledge_entry" in str(bad.error)
    missing = api.call(
        "POST",
        f"/api/v1/appeals/{appeal.code}/answer/",
        world.people.operator,
        json_body={"knowledge_entry": 999999},
    )
    assert missing.status == 400 and "knowledge_entry" in str(missing.error)
    appeal.refresh_from_db()
    assert appeal.status == "received"
    done = api.call(
        "POST",
        f"/api/v1/appeals/{appeal.code}/answer/",
        world.people.operator,
        json_body={"knowledge_entry": entry.pk},
    )
    assert done.status == 200, done.body
    assert IntakeAnswer.objects.get(appeal=appeal).entry == entry
    aids = api.call(
        "POST",
        "/api/v1/intelligence/suggestions/",
        world.people.operator,
        json_body={"title": "社保卡丢了怎么补办", "content": ""},
    )
    assert aids.status == 200 and aids.body["knowledge"][0]["id"] == entry.pk


# ---------------------------------------------------------------- the index rebuilt in the background


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_answering_from_its_index_while_the_next_one_builds(world, settings, monkeypatch):
    """Production's mode: after a write the search answers at once from the index it has, the new
    index comes in from a thread, and a hit withdrawn meanwhile is never offered at the workbench."""
    from yousu.knowledge import search as engine
    from yousu.knowledge.answers import suggest_entries
    from yousu.knowledge.services import entry_withdraw

    settings.YOUSU_KNOWLEDGE_BACKGROUND_REBUILD = True
    monkeypatch.setattr(engine, "_index", None)  # a fresh worker process, whatever ran before
    first = make_entry(world)
    assert [hit.entry_id for hit in search("社保卡丢了怎么补办")] == [first.pk]  # first index: built in place
    old_index = engine.entry_index()
    second = make_entry(
        world, question="医保卡丢了怎么补办", answer="医保电子凭证可在线激活；实体卡到医保窗口补办。"
    )
    entry_withdraw(entry=first, by=world.people.dispatcher, reason="政策已调整")
    # Answered from the old index: the withdrawn entry is still among its hits…
    assert first.pk in [hit.entry_id for hit in search("社保卡丢了怎么补办")]
    # …but the workbench checks every hit against the database and drops it.
    assert all(row["id"] != first.pk for row in suggest_entries(world.people.operator, "社保卡丢了怎么补办"))
    assert engine.wait_for_rebuild()
    assert engine.entry_index() is not old_index
    assert first.pk not in [hit.entry_id for hit in search("社保卡丢了怎么补办")]
    assert [hit.entry_id for hit in search("医保卡丢了怎么补办")][:1] == [second.pk]


def test_the_api_queue_records_and_refuses_like_the_desk(world, north, live_server):
    from tests.api.helpers import Api

    api = Api(live_server.url)
    record = answered(world, make_entry(world))
    operator = world.people.operator
    assert api.call("GET", "/api/v1/knowledge/answers/", operator).body["results"] == []  # not due yet
    IntakeAnswer.objects.filter(pk=record.pk).update(check_due_at=timezone.now() - DAY)
    queue = api.call("GET", "/api/v1/knowledge/answers/", operator).body["results"]
    assert [row["id"] for row in queue] == [record.pk]
    assert queue[0]["citizen"]["phone"] == "13800005678" and queue[0]["entry"] == record.entry_id
    path = f"/api/v1/knowledge/answers/{record.pk}/"
    # Another city's desk and a department do not find it; a bad body names its field.
    assert api.call("POST", path + "check/", north.operator, json_body={"helped": True}).status == 404
    assert api.call("GET", path, world.people.east_eco_handler).status == 404
    bad = api.call("POST", path + "check/", operator, json_body={"helped": "maybe"})
    assert bad.status == 400 and "helped" in str(bad.error)
    done = api.call("POST", path + "check/", operator, json_body={"helped": False, "comment": "没讲清楚"})
    assert done.status == 200 and done.body["check_status"] == "done" and done.body["helped"] is False
    again = api.call("POST", path + "unreachable/", operator, json_body={"note": "无人接听"})
    assert again.status == 400 and "status" in str(again.error)


def test_the_workbench_leaves_out_entries_far_below_the_best(world):
    from yousu.knowledge.answers import suggest_entries

    social = make_entry(world)
    make_entry(
        world, question="身份证补办需要多久", answer="身份证补办一般20个工作日内办结，可申请临时身份证。"
    )
    shown = [row["id"] for row in suggest_entries(world.people.operator, "社保卡丢了怎么补办")]
    assert shown == [social.pk]  # the identity card shares only 补办 with the call
    assert len(search("社保卡丢了怎么补办")) == 2  # the search itself still returns both
