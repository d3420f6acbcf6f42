"""Publishing and withdrawing typical cases: who may, which appeals, and what text may go public."""

from __future__ import annotations

import pytest

from tests.api.helpers import CITIZEN_NAME, CITIZEN_PHONE
from tests.appeals.factories import at_eco, new_appeal
from yousu.appeals.models import Event
from yousu.appeals.services import appeal_answer_at_intake
from yousu.core.errors import DomainError, PermissionRefused
from yousu.public.models import TypicalCase
from yousu.public.services import PHONE_MARK, default_texts, typical_case_publish, typical_case_withdraw

from .helpers import settled_appeal

pytestmark = pytest.mark.django_db

TEXTS = {"title": "油烟扰民得到解决", "summary": "市民反映餐饮店油烟直排。", "outcome": "已安装油烟净化器。"}


def publish(appeal, by, **overrides):
    return typical_case_publish(appeal=appeal, by=by, **{**TEXTS, **overrides})


def test_a_supervisor_publishes_a_settled_appeal_with_its_place_cut_to_the_street(world):
    appeal = settled_appeal(world)
    case = publish(appeal, world.people.supervisor)
    assert case.is_live and case.published_by == world.people.supervisor
    assert (case.district, case.street) == (world.areas.east, world.areas.east_street)
    assert case.item == world.items.fumes
    assert Event.objects.filter(appeal=appeal, action="typical_case_published").count() == 1


def test_an_administrator_may_publish_too(world):
    assert publish(settled_appeal(world), world.people.admin).pk


@pytest.mark.parametrize("who", ["operator", "dispatcher", "east_market_handler", "street_leader"])
def test_anyone_else_is_refused_and_nothing_is_written(world, who):
    appeal = settled_appeal(world)
    with pytest.raises(PermissionRefused) as refused:
        publish(appeal, getattr(world.people, who))
    assert refused.value.field == "by"
    assert not TypicalCase.objects.exists()


def test_an_appeal_still_in_handling_is_refused(world):
    _city, order = at_eco(world)
    with pytest.raises(DomainError) as refused:
        publish(order.appeal, world.people.supervisor)
    assert refused.value.field == "appeal" and "结案" in refused.value.message
    assert not TypicalCase.objects.exists()


def test_an_appeal_answered_at_intake_is_settled(world):
    appeal = new_appeal(world, kind="inquiry", idempotency_key="")
    appeal_answer_at_intake(appeal=appeal, answer="已告知办理流程。", by=world.people.operator)
    assert publish(appeal, world.people.supervisor).pk


def test_a_confidential_appeal_is_never_published(world):
    appeal = settled_appeal(world, confidential=True)
    with pytest.raises(DomainError) as refused:
        publish(appeal, world.people.supervisor)
    assert refused.value.field == "appeal"


def test_the_stored_text_is_redacted_whatever_was_sent(world):
    appeal = settled_appeal(world)
    case = publish(
        appeal,
        world.people.supervisor,
        summary=f"{CITIZEN_NAME}（电话{CITIZEN_PHONE}）反映新城大道88号油烟直排。",
        title=f"{CITIZEN_NAME}的诉求",
    )
    assert case.summary == f"王某（电话{PHONE_MARK}）反映新城大道【门牌号】油烟直排。"
    assert case.title == "王某的诉求"


@pytest.mark.parametrize(
    ("field", "text", "what"),
    [
        ("summary", "联系人王-小-明反映油烟", "姓名"),
        ("outcome", "已回电 一三八零零零零五六七八 告知结果", "电话"),
        ("title", "回电138.0000.5678", "电话"),
    ],
)
def test_text_that_still_shows_the_name_or_phone_is_refused_naming_the_field(world, field, text, what):
    appeal = settled_appeal(world)
    assert CITIZEN_PHONE == "13800005678" and CITIZEN_NAME == "王小明"
    with pytest.raises(DomainError) as refused:
        publish(appeal, world.people.supervisor, **{field: text})
    assert refused.value.field == field and what in refused.value.message
    assert not TypicalCase.objects.exists()


@pytest.mark.parametrize("field", ["title", "summary", "outcome"])
def test_empty_text_is_refused_naming_the_field(world, field):
    with pytest.raises(DomainError) as refused:
        publish(settled_appeal(world), world.people.supervisor, **{field: "  "})
    assert refused.value.field == field


def test_an_appeal_is_published_once_until_withdrawn(world):
    appeal = settled_appeal(world)
    case = publish(appeal, world.people.supervisor)
    with pytest.raises(DomainError) as refused:
        publish(appeal, world.people.admin)
    assert refused.value.field == "appeal"
    typical_case_withdraw(case=case, by=world.people.admin, reason="表述需修改")
    again = publish(appeal, world.people.supervisor, title="重新发布")
    assert TypicalCase.objects.filter(appeal=appeal).count() == 2 and again.is_live


def test_withdrawing_keeps_the_row_with_who_when_and_why(world):
    case = publish(settled_appeal(world), world.people.supervisor)
    with pytest.raises(PermissionRefused):
        typical_case_withdraw(case=case, by=world.people.operator, reason="x")
    with pytest.raises(DomainError) as no_reason:
        typical_case_withdraw(case=case, by=world.people.admin, reason="")
    assert no_reason.value.field == "reason"
    done = typical_case_withdraw(case=case, by=world.people.admin, reason="群众要求撤下")
    assert done.withdrawn_by == world.people.admin and done.withdrawal_reason == "群众要求撤下"
    assert TypicalCase.objects.filter(pk=case.pk, withdrawn_at__isnull=False).exists()
    with pytest.raises(DomainError) as twice:
        typical_case_withdraw(case=case, by=world.people.admin, reason="再撤")
    assert twice.value.field == "case"


def test_the_starting_texts_are_redacted(world):
    appeal = settled_appeal(
        world, content=f"我是{CITIZEN_NAME}，住新城大道88号3单元501室，电话{CITIZEN_PHONE}。"
    )
    texts = default_texts(appeal)
    assert CITIZEN_NAME not in texts["summary"] and CITIZEN_PHONE not in texts["summary"]
    assert "501" not in texts["summary"] and "新城大道" in texts["summary"]
    assert texts["outcome"] == "已责令餐馆安装油烟净化器。"


def test_a_title_that_redaction_makes_too_long_is_refused_not_a_database_error(world):
    # "1号" (2 characters) becomes "【门牌号】" (5): 66 of them fit in 200 before redaction, not after.
    title = "，".join(["1号"] * 66)
    assert len(title) <= 200
    with pytest.raises(DomainError) as refused:
        publish(settled_appeal(world), world.people.supervisor, title=title)
    assert refused.value.field == "title" and "200" in refused.value.message
