"""The intake desk's callback queue (回访台): phone callbacks first and oldest first, the reply and the
citizen's phone beside each (the view is logged), results and unanswered calls recorded through the
forms, send-backs carried out, and everyone but the desk kept out."""

from __future__ import annotations

import datetime as dt
import html as html_module

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.helpers import CITIZEN_PHONE
from tests.appeals.factories import staff
from tests.callbacks.helpers import completed_order, events
from yousu.appeals.models import PersonalDataAccess
from yousu.callbacks.models import Callback
from yousu.callbacks.selectors import token_digest
from yousu.callbacks.services import callback_by_token, callbacks_create_due
from yousu.dispatch.choices import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(world):
    """A link callback created first, then a phone callback: the phone one still comes first."""
    online = completed_order(world, channel="mini_program", idempotency_key="", title="网上反映油烟")
    callbacks_create_due()
    by_phone = completed_order(world, idempotency_key="", title="热线反映油烟")
    callbacks_create_due()
    Callback.objects.filter(order=online).update(created_at=timezone.now() - dt.timedelta(hours=2))
    return {
        "phone": Callback.objects.get(order=by_phone, appeal=by_phone.appeal),
        "link": Callback.objects.get(order=online, appeal=online.appeal),
    }


def desk(client, person) -> str:
    client.force_login(person)
    response = client.get("/callbacks/desk/")
    assert response.status_code == 200
    return html_module.unescape(response.content.decode())


def test_phone_callbacks_first_with_reply_and_phone_and_the_view_is_logged(client, world, queue):
    html = desk(client, world.people.operator)
    phone, link = queue["phone"], queue["link"]
    assert html.index(f'id="callback-{phone.pk}"') < html.index(f'id="callback-{link.pk}"')
    assert "已责令餐馆安装油烟净化器。" in html and CITIZEN_PHONE in html
    assert "已联系 0 次" in html and "应于" in html
    logged = PersonalDataAccess.objects.filter(person=world.people.operator, purpose="回访")
    assert {access.appeal_id for access in logged} == {phone.appeal_id, link.appeal_id}


def test_an_overdue_callback_says_so(client, world, queue):
    Callback.objects.filter(pk=queue["phone"].pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    html = desk(client, world.people.operator)
    row = html[html.index(f'id="callback-{queue["phone"].pk}"') :]
    assert "已超期" in row[: row.index("</tr>")]


def test_recording_a_result_through_the_form(client, world, queue):
    client.force_login(world.people.operator)
    phone = queue["phone"]
    answer = client.post(
        f"/callbacks/desk/{phone.pk}/record/",
        {"solved": "yes", "satisfaction": "basically_satisfied", "unit_caused": "", "comment": "基本满意"},
        follow=True,
    )
    assert "已记录回访" in answer.content.decode() and "已结案" in answer.content.decode()
    phone.refresh_from_db()
    assert (phone.status, phone.solved, phone.satisfaction, phone.comment) == (
        "done",
        True,
        "basically_satisfied",
        "基本满意",
    )
    assert phone.done_by == world.people.operator and phone.outcome == "closed"
    assert phone.order.status == OrderStatus.CLOSED
    assert events(phone.appeal, "callback_done")[0].payload["satisfaction"] == "basically_satisfied"
    assert f'id="callback-{phone.pk}"' not in desk(client, world.people.operator)


def test_an_unsatisfied_result_the_unit_caused_sends_the_order_back(client, world, queue):
    client.force_login(world.people.operator)
    phone = queue["phone"]
    client.post(
        f"/callbacks/desk/{phone.pk}/record/",
        {"solved": "no", "satisfaction": "unsatisfied", "unit_caused": "yes", "comment": "油烟依旧"},
    )
    phone.refresh_from_db()
    assert phone.unit_caused is True and phone.outcome == "sent_back"
    assert phone.order.status == OrderStatus.ACCEPTED


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"satisfaction": "satisfied"}, "请选择问题是否已解决"),
        ({"solved": "no", "satisfaction": "unsatisfied"}, "不满意时须判断是否因承办单位原因"),
        ({"solved": "yes", "satisfaction": "great"}, "满意度只能是"),
    ],
)
def test_an_incomplete_result_is_a_message_and_nothing_changes(client, world, queue, form, message):
    client.force_login(world.people.operator)
    phone = queue["phone"]
    answer = client.post(f"/callbacks/desk/{phone.pk}/record/", form, follow=True)
    assert message in html_module.unescape(answer.content.decode())
    phone.refresh_from_db()
    assert phone.status == "pending" and phone.attempts == 0 and not events(phone.appeal, "callback_done")


def test_unreachable_attempts_are_counted_until_the_callback_gives_up(client, world, queue, settings):
    settings.YOUSU_CALLBACK_MAX_ATTEMPTS = 2
    client.force_login(world.people.operator)
    phone = queue["phone"]
    empty = client.post(f"/callbacks/desk/{phone.pk}/unreachable/", {"note": " "}, follow=True)
    assert "请说明联系情况" in empty.content.decode()
    first = client.post(f"/callbacks/desk/{phone.pk}/unreachable/", {"note": "无人接听"}, follow=True)
    assert "第 1 次" in first.content.decode()
    phone.refresh_from_db()
    assert (phone.status, phone.attempts, phone.note) == ("pending", 1, "无人接听")
    assert "已联系 1 次" in desk(client, world.people.operator)
    client.post(f"/callbacks/desk/{phone.pk}/unreachable/", {"note": "关机"})
    phone.refresh_from_db()
    assert (phone.status, phone.attempts) == ("unreachable", 2)
    assert phone.order.status == OrderStatus.CLOSED
    assert len(events(phone.appeal, "callback_attempt")) == 1
    assert len(events(phone.appeal, "callback_unreachable")) == 1


def test_a_citizens_unsatisfied_link_answer_is_sent_back_from_the_desk(client, world, queue):
    link = queue["link"]
    Callback.objects.filter(pk=link.pk).update(
        token_hash=token_digest("t0ken"), token_expires_at=timezone.now() + dt.timedelta(days=1)
    )
    callback_by_token(token="t0ken", solved=False, satisfaction="unsatisfied", comment="没有整改")
    html = desk(client, world.people.operator)
    assert f'id="send-back-{link.pk}"' in html and "没有整改" in html
    client.force_login(world.people.operator)
    done = client.post(f"/callbacks/desk/{link.pk}/send-back/", {"reason": ""}, follow=True)
    assert "已退回重办" in done.content.decode()
    link.refresh_from_db()
    assert link.outcome == "sent_back" and link.order.status == OrderStatus.ACCEPTED
    again = client.post(f"/callbacks/desk/{link.pk}/send-back/", {"reason": ""}, follow=True)
    assert "该回访没有待办的退回重办" in again.content.decode()


@pytest.mark.parametrize("who", ["east_market_handler", "street_leader", "supervisor_elsewhere"])
def test_others_are_refused_and_nothing_is_recorded(client, world, queue, who):
    if who == "supervisor_elsewhere":
        person = staff(world.units.east_platform, "sue", "supervisor")
    else:
        person = getattr(world.people, who)
    client.force_login(person)
    phone = queue["phone"]
    assert client.get("/callbacks/desk/").status_code == 403
    assert (
        client.post(
            f"/callbacks/desk/{phone.pk}/record/", {"solved": "yes", "satisfaction": "satisfied"}
        ).status_code
        == 403
    )
    assert client.post(f"/callbacks/desk/{phone.pk}/unreachable/", {"note": "x"}).status_code == 403
    phone.refresh_from_db()
    assert phone.status == "pending" and phone.attempts == 0
    assert not PersonalDataAccess.objects.filter(person=person).exists()


def test_the_desk_needs_a_login_and_posts_only(client, world, queue):
    assert client.get("/callbacks/desk/").status_code == 302
    client.force_login(world.people.operator)
    assert client.get(f"/callbacks/desk/{queue['phone'].pk}/record/").status_code == 405
    assert client.post("/callbacks/desk/999999/record/", {}).status_code == 404


def test_the_desk_reads_no_query_per_callback(client, world, queue):
    """Only the record of each phone number shown is written per row; nothing is read per row."""

    def reads() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/callbacks/desk/").status_code == 200
        return sum(
            1 for query in captured.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")
        )

    client.force_login(world.people.operator)
    before = reads()
    for n in range(3):
        completed_order(world, idempotency_key="", title=f"再一件油烟{n}", citizen_phone=f"1390000000{n}")
    callbacks_create_due()
    assert Callback.objects.filter(status="pending").count() == 5
    assert reads() == before
