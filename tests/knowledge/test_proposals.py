"""Learning from replies (yousu.knowledge.proposals): an approved reply to an inquiry is proposed to the
replying unit, personal data stripped, as a new entry or an update; the unit accepts or declines."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.appeals.factories import PHONE, at_eco, new_appeal, reload
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.services import (
    ORDER_COMPLETED_HOOKS,
    order_accept,
    order_reply,
    order_review,
    order_send_back,
)
from yousu.knowledge.models import KnowledgeEntry, KnowledgeProposal, ProposalStatus
from yousu.knowledge.proposals import (
    DEFAULT_REVIEW_DAYS,
    NOTIFICATION_KIND,
    pending_count_for,
    proposal_accept,
    proposal_decline,
    proposal_from_approved_reply,
    proposals_for,
)
from yousu.knowledge.services import entry_create
from yousu.notifications.models import Notification
from yousu.org.services import person_create

TITLE = "王小明咨询餐饮店油烟净化设施安装标准"
REPLY = (
    "王小明您好！经核实，餐饮店应当安装油烟净化设施并保持正常使用，油烟排放须符合《饮食业油烟排放标准》。"
    "新开餐饮店须在营业前完成油烟净化设施安装，并向生态环境部门备案。"
    "如有疑问请联系经办人：刘建国，电话0731-84123456或13987654321。王先生身份证号430102199003071234已登记。"
)


@pytest.fixture(autouse=True)
def lenient_review(settings):
    # The reply score must not stand in the way of approving the test replies.
    settings.YOUSU_REPLY_REVIEW_LOW_SCORE = 0


def approved(world, *, kind="inquiry", title=TITLE, reply=REPLY, appeal=None):
    """An appeal dispatched to the east environment bureau, replied and approved."""
    appeal = appeal or new_appeal(world, kind=kind, title=title)
    _city, order = at_eco(world, appeal)
    order = order_accept(order=order, by=world.people.east_eco_handler)
    order = order_reply(order=order, by=world.people.east_eco_handler, text=reply, result="solved")
    return order_review(order=order, by=world.people.east_dispatcher, approve=True)


def entry_for(world, **fields):
    values = {
        "by": world.people.east_eco_handler,
        "question": "餐饮店油烟净化设施安装标准是什么",
        "answer": "餐饮店应当安装油烟净化设施并保持正常使用，油烟排放须符合《饮食业油烟排放标准》。",
        "owning_unit": world.units.east_eco,
        "valid_from": timezone.localdate() - dt.timedelta(days=30),
        "review_due": timezone.localdate() + dt.timedelta(days=300),
        "items": [world.items.fumes],
    }
    values.update(fields)
    return entry_create(**values)


# ---------------------------------------------------------------- making proposals


def test_the_hook_is_registered_by_the_knowledge_app():
    assert proposal_from_approved_reply in ORDER_COMPLETED_HOOKS


def test_an_approved_reply_to_an_inquiry_makes_one_proposal_for_the_replying_unit(world):
    order = approved(world)
    proposal = KnowledgeProposal.objects.get()
    assert proposal.order == order and proposal.appeal == order.appeal
    assert proposal.owning_unit == world.units.east_eco
    assert proposal.order_completed_at == reload(order).completed_at
    assert proposal.item == world.items.fumes
    assert proposal.status == ProposalStatus.PENDING and proposal.entry is None
    assert "油烟净化设施" in proposal.answer and "油烟净化设施" in proposal.question
    # The unit hears of it.
    note = Notification.objects.get(kind=NOTIFICATION_KIND, channel="inbox")
    assert note.recipient_unit == world.units.east_eco and order.appeal.code in note.text
    # A second call for the same completion (a retried hook) adds nothing.
    assert proposal_from_approved_reply(order) is None
    assert KnowledgeProposal.objects.count() == 1


def test_the_proposal_has_no_phone_id_or_name_of_the_appeal(world):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    text = proposal.question + proposal.answer
    for value in ("王小明", "王先生", "刘建国", "0731-84123456", "13987654321", "430102199003071234", PHONE):
        assert value not in text
    assert not re.search(r"\d{7,}", text)
    assert "[姓名]" in proposal.question and "[电话]" in proposal.answer and "[身份证号]" in proposal.answer
    assert proposal.redactions == {"name": 4, "phone": 2, "id_number": 1}
    assert "《饮食业油烟排放标准》" in proposal.answer


def test_a_complaint_makes_no_proposal(world):
    approved(world, kind="complaint")
    assert not KnowledgeProposal.objects.exists()


def test_a_sent_back_order_approved_again_proposes_again(world):
    order = approved(world)
    order = order_send_back(order=order, by=world.people.dispatcher, reason="群众不满意")
    order = order_reply(
        order=order, by=world.people.east_eco_handler, text=REPLY + "补充说明。", result="solved"
    )
    order_review(order=order, by=world.people.east_dispatcher, approve=True)
    assert KnowledgeProposal.objects.filter(order=order).count() == 2


def test_a_failing_hook_does_not_undo_the_approval(world, monkeypatch):
    def broken(order):
        KnowledgeProposal.objects.create()  # violates NOT NULL: the savepoint rolls back
        raise AssertionError("unreachable")

    monkeypatch.setattr("yousu.dispatch.services.ORDER_COMPLETED_HOOKS", [broken])
    order = approved(world)
    assert reload(order).status == OrderStatus.COMPLETED
    assert not KnowledgeProposal.objects.exists()


def test_a_reply_on_a_matter_the_unit_keeps_proposes_an_update_of_that_entry(world):
    entry = entry_for(world)
    entry_for(
        world,
        question="工地扬尘如何投诉",
        answer="工地扬尘由住建部门负责，施工单位须落实围挡、洒水。",
        items=[],
    )
    approved(world)
    assert KnowledgeProposal.objects.get().entry == entry


def test_another_units_entry_is_not_proposed_for_update(world):
    entry_for(world, owning_unit=world.units.west_eco, by=world.people.admin)
    approved(world)
    assert KnowledgeProposal.objects.get().entry is None


# ---------------------------------------------------------------- deciding


def test_accept_creates_an_entry_whose_version_names_the_appeal(world):
    order = approved(world)
    proposal = KnowledgeProposal.objects.get()
    entry = proposal_accept(proposal=proposal, by=world.people.east_eco_handler, keywords="油烟、净化")
    assert entry.owning_unit == world.units.east_eco
    assert entry.answer == proposal.answer and entry.question == proposal.question
    assert list(entry.items.all()) == [world.items.fumes]
    assert entry.valid_from == timezone.localdate()
    assert entry.review_due == timezone.localdate() + dt.timedelta(days=DEFAULT_REVIEW_DAYS)
    version = entry.versions.get()
    assert order.appeal.code in version.note and "采纳群众诉求答复建议" in version.note
    proposal = reload(proposal)
    assert (proposal.status, proposal.result_entry, proposal.decided_by) == (
        ProposalStatus.ACCEPTED,
        entry,
        world.people.east_eco_handler,
    )
    assert proposal.decided_at is not None


def test_accept_with_edits_takes_the_units_text(world):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    entry = proposal_accept(
        proposal=proposal,
        by=world.people.east_eco_handler,
        question="餐饮店油烟净化设施安装标准",
        answer="餐饮店须安装油烟净化设施，详询 12345。",
        items=[],
    )
    assert entry.question == "餐饮店油烟净化设施安装标准"
    assert entry.answer == "餐饮店须安装油烟净化设施，详询 12345。"
    assert not entry.items.exists()


def test_accept_as_update_makes_a_new_version_of_the_entry(world):
    entry = entry_for(world)
    order = approved(world)
    proposal = KnowledgeProposal.objects.get()
    assert proposal.entry == entry
    updated = proposal_accept(
        proposal=proposal, by=world.people.east_eco_handler, answer="更新后的答复口径。"
    )
    assert updated.pk == entry.pk and updated.version == 2
    assert KnowledgeEntry.objects.count() == 1
    assert reload(entry).answer == "更新后的答复口径。"
    v1, v2 = entry.versions.order_by("version")
    assert v1.answer != v2.answer and order.appeal.code in v2.note


def test_an_edit_that_brings_back_a_phone_or_id_number_is_refused(world):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    for answer in ("请拨打13812345678咨询。", "身份证号430102199003071234。"):
        with pytest.raises(DomainError) as refused:
            proposal_accept(proposal=proposal, by=world.people.east_eco_handler, answer=answer)
        assert refused.value.field == "answer"
    assert reload(proposal).status == ProposalStatus.PENDING
    assert not KnowledgeEntry.objects.exists()


def test_decline_needs_a_reason(world):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    with pytest.raises(DomainError) as refused:
        proposal_decline(proposal=proposal, by=world.people.east_eco_handler, note="  ")
    assert refused.value.field == "note"
    assert reload(proposal).status == ProposalStatus.PENDING
    proposal_decline(proposal=proposal, by=world.people.east_eco_handler, note="个案答复，不宜作为口径")
    proposal = reload(proposal)
    assert proposal.status == ProposalStatus.REJECTED and proposal.decision_note == "个案答复，不宜作为口径"
    assert not KnowledgeEntry.objects.exists()


def test_a_decided_proposal_cannot_be_decided_again(world):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    proposal_decline(proposal=proposal, by=world.people.east_eco_handler, note="不采纳")
    with pytest.raises(DomainError) as refused:
        proposal_accept(proposal=proposal, by=world.people.east_eco_handler)
    assert refused.value.field == "status"
    with pytest.raises(DomainError):
        proposal_decline(proposal=proposal, by=world.people.east_eco_handler, note="再次")
    assert not KnowledgeEntry.objects.exists()


def test_only_the_unit_or_a_leader_above_may_decide(world):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    for outsider in (world.people.east_market_handler, world.people.east_dispatcher, world.people.admin):
        with pytest.raises(PermissionRefused) as refused:
            proposal_accept(proposal=proposal, by=outsider)
        assert refused.value.field == "by"
        with pytest.raises(PermissionRefused):
            proposal_decline(proposal=proposal, by=outsider, note="不采纳")
    assert reload(proposal).status == ProposalStatus.PENDING
    leader = person_create(
        username="lee", full_name="东区平台负责人", unit=world.units.east_platform, roles=["unit_leader"]
    )
    assert pending_count_for(leader) == 1 and pending_count_for(world.people.east_market_handler) == 0
    assert proposal_accept(proposal=proposal, by=leader).owning_unit == world.units.east_eco


def test_selectors_list_pending_proposals_of_the_unit(world):
    approved(world)
    assert list(proposals_for(world.units.east_eco)) == [KnowledgeProposal.objects.get()]
    assert not proposals_for(world.units.east_market).exists()
    assert proposals_for(world.units.east_platform, below=True).count() == 1


# ---------------------------------------------------------------- the pages


def login(client, person):
    client.force_login(person)
    return client


def test_the_list_shows_only_the_units_own_proposals(world, client):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    page = login(client, world.people.east_eco_handler).get(reverse("knowledge-proposal-list"))
    assert page.status_code == 200
    assert proposal.appeal.code in page.content.decode()
    other = login(client, world.people.east_market_handler).get(reverse("knowledge-proposal-list"))
    assert other.status_code == 200 and proposal.appeal.code not in other.content.decode()


def test_another_unit_cannot_open_or_decide_a_proposal(world, client):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    login(client, world.people.east_market_handler)
    assert client.get(reverse("knowledge-proposal-detail", args=[proposal.pk])).status_code == 404
    answer = client.post(
        reverse("knowledge-proposal-accept", args=[proposal.pk]), {"question": "x", "answer": "y"}
    )
    assert answer.status_code == 404
    assert reload(proposal).status == ProposalStatus.PENDING


def test_the_page_shows_the_stripped_text_the_kinds_removed_and_the_entry_to_update(world, client):
    entry = entry_for(world)
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    page = login(client, world.people.east_eco_handler).get(
        reverse("knowledge-proposal-detail", args=[proposal.pk])
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert proposal.appeal.code in body and "[电话]" in body
    assert "13987654321" not in body and "刘建国" not in body
    assert "身份证号" in body and "电话号码" in body
    assert entry.answer in body


def test_posting_the_accept_form_creates_the_entry(world, client):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    today = timezone.localdate()
    response = login(client, world.people.east_eco_handler).post(
        reverse("knowledge-proposal-accept", args=[proposal.pk]),
        {
            "question": "餐饮店油烟净化设施安装标准",
            "answer": proposal.answer,
            "keywords": "油烟",
            "valid_from": today.isoformat(),
            "review_due": (today + dt.timedelta(days=180)).isoformat(),
            "items": world.items.fumes.code,
        },
    )
    assert response.status_code == 302
    entry = KnowledgeEntry.objects.get()
    assert entry.question == "餐饮店油烟净化设施安装标准" and entry.keywords == "油烟"
    assert entry.review_due == today + dt.timedelta(days=180)
    assert reload(proposal).status == ProposalStatus.ACCEPTED


def test_a_bad_accept_form_answers_400_with_the_fields_message_and_writes_nothing(world, client):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    login(client, world.people.east_eco_handler)
    url = reverse("knowledge-proposal-accept", args=[proposal.pk])
    response = client.post(url, {"question": "", "answer": proposal.answer})
    assert response.status_code == 400 and 'id="id_question_error"' in response.content.decode()
    response = client.post(url, {"question": "油烟", "answer": "请拨打13812345678咨询。"})
    assert response.status_code == 400
    assert 'id="id_answer_error"' in response.content.decode()
    assert "内容含有个人信息（电话号码）" in response.content.decode()
    assert not KnowledgeEntry.objects.exists()
    assert reload(proposal).status == ProposalStatus.PENDING


def test_declining_over_the_page_needs_a_reason(world, client):
    approved(world)
    proposal = KnowledgeProposal.objects.get()
    login(client, world.people.east_eco_handler)
    url = reverse("knowledge-proposal-decline", args=[proposal.pk])
    response = client.post(url, {"note": ""})
    assert response.status_code == 400 and "请填写不采纳的理由" in response.content.decode()
    assert reload(proposal).status == ProposalStatus.PENDING
    assert client.post(url, {"note": "个案答复"}).status_code == 302
    assert reload(proposal).status == ProposalStatus.REJECTED
