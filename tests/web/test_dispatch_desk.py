"""The dispatcher desk (派单台) through the Django test client: each platform's own queue with the
suggestions, dispatch on the suggestion (kept and measured as the API's are), an override the domain
refuses without a reason, linking a duplicate, withdrawing an automatic dispatch, consultations, the
review queues (returns, extensions, replies with a low score to confirm), and everyone else kept out."""

from __future__ import annotations

import datetime as dt
import html as html_module

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.appeals.factories import at_eco, at_market, new_appeal, reload, staff
from tests.intelligence.test_suggestions import FUMES, WATER, examples
from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Event, PersonalDataAccess
from yousu.appeals.services import AttachmentIn, appeal_set_item
from yousu.dispatch.auto import appeal_auto_dispatch
from yousu.dispatch.choices import OrderStatus, RequestStatus, ReturnReason
from yousu.dispatch.models import Consultation, Order
from yousu.dispatch.services import (
    appeal_dispatch,
    order_accept,
    order_extension_request,
    order_forward,
    order_reply,
    order_return_request,
)
from yousu.intelligence import services
from yousu.intelligence.models import DispatchSuggestion
from yousu.web import dispatch_desk

pytestmark = pytest.mark.django_db

POOR_REPLY = "已收悉。"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def model(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return services.model_train(examples=examples(), activate=True)


def page(client, person, path: str, status: int = 200) -> str:
    client.force_login(person)
    response = client.get(path)
    assert response.status_code == status
    return html_module.unescape(response.content.decode())


def post(client, person, path: str, data: dict) -> str:
    """POST as the person and follow the redirect: the page that shows the outcome."""
    client.force_login(person)
    response = client.post(path, data, follow=True)
    assert response.status_code == 200
    return html_module.unescape(response.content.decode())


def appeal_path(appeal, action: str = "") -> str:
    return f"/dispatch/appeals/{appeal.code}/" + (f"{action}/" if action else "")


# ---------------------------------------------------------------- the queue


def test_each_platform_sees_its_own_queue_with_the_top_suggestion(client, world, model):
    p = world.people
    west_dispatcher = staff(world.units.west_platform, "wendy", "dispatcher")
    fumes = new_appeal(world, item=None, title="饭店油烟", content=FUMES)
    water = new_appeal(world, item=None, title="停水", content=WATER, area=world.areas.east_community)

    city = page(client, p.dispatcher, "/dispatch/")
    assert city.index(f'id="appeal-{fumes.code}"') < city.index(f'id="appeal-{water.code}"')  # oldest first
    row = city[city.index(f'id="appeal-{fumes.code}"') :].split("</tr>")[0]
    assert "餐饮油烟污染" in row and "东区生态环境局" in row and "%" in row
    # The suggestion a row shows is the one kept for the appeal, as the API keeps it.
    assert DispatchSuggestion.objects.filter(appeal__in=[fumes, water]).count() == 2
    # The district platforms have nothing yet: the city platform received both.
    assert fumes.code not in page(client, p.east_dispatcher, "/dispatch/")

    # Dispatched on to the east platform, it waits there to be passed on, and only there.
    appeal_dispatch(
        appeal=appeal_set_item(appeal=fumes, item=world.items.fumes, by=p.dispatcher), by=p.dispatcher
    )
    assert fumes.code not in page(client, p.dispatcher, "/dispatch/")
    east = page(client, p.east_dispatcher, "/dispatch/")
    assert f'id="appeal-{fumes.code}"' in east and "上级派来待转派" in east
    assert fumes.code not in page(client, west_dispatcher, "/dispatch/")


def test_a_grid_report_waits_at_the_nearest_platform_above_its_intake_unit(client, world):
    p = world.people
    grid_worker = staff(world.units.east_community, "gina", "grid_worker")
    report = new_appeal(
        world, channel="grid_report", intake_unit=world.units.east_community, received_by=grid_worker
    )
    assert report.code not in page(client, p.dispatcher, "/dispatch/")
    assert f'id="appeal-{report.code}"' in page(client, p.east_dispatcher, "/dispatch/")
    # Only its intake unit sees it otherwise; in the queue it is the district dispatcher's to open.
    assert 'id="dispatch-form"' in page(client, p.east_dispatcher, appeal_path(report))
    post(client, p.east_dispatcher, appeal_path(report, "dispatch"), {})
    assert report.orders.get().unit == world.units.east_eco


def test_the_queue_pages_and_costs_the_same_queries_for_more_rows(client, world, model, monkeypatch):
    p = world.people
    for n in range(3):
        new_appeal(world, item=None, title=f"油烟{n}", content=FUMES)
    client.force_login(p.dispatcher)
    client.get("/dispatch/")  # suggestions are made and kept on the first view
    with CaptureQueriesContext(connection) as three:
        assert client.get("/dispatch/").status_code == 200
    for n in range(3):
        new_appeal(world, item=None, title=f"又一家油烟{n}", content=FUMES)
    client.get("/dispatch/")
    with CaptureQueriesContext(connection) as six:
        assert client.get("/dispatch/").status_code == 200
    assert len(six) == len(three) <= 20

    monkeypatch.setattr(dispatch_desk, "QUEUE_PAGE", 4)
    first = page(client, p.dispatcher, "/dispatch/")
    second = page(client, p.dispatcher, "/dispatch/?page=2")
    assert first.count('id="appeal-') == 4 and second.count('id="appeal-') == 2
    assert "第 1 / 2 页" in first


# ---------------------------------------------------------------- one appeal


def test_dispatch_on_the_suggestion_is_kept_as_agreeing(client, world, model):
    p = world.people
    appeal = new_appeal(world, item=None, title="饭店油烟", content=FUMES)
    shown = page(client, p.dispatcher, appeal_path(appeal))
    assert "餐饮油烟污染" in shown and "按此建议派给东区平台" in shown
    # The city dispatcher sees the citizen in full (the privacy rules), and that view is logged.
    assert (
        "王小明" in shown and PersonalDataAccess.objects.filter(person=p.dispatcher, appeal=appeal).exists()
    )

    done = post(
        client,
        p.dispatcher,
        appeal_path(appeal, "dispatch"),
        {"item": world.items.fumes.pk, "unit": world.units.east_platform.pk},
    )
    assert f"已派单：{appeal.code} → 东区平台" in done
    appeal = reload(appeal)
    assert appeal.status == AppealStatus.DISPATCHED and appeal.item == world.items.fumes
    kept = DispatchSuggestion.objects.get(appeal=appeal)
    assert kept.chosen_by == p.dispatcher and kept.chosen_item == world.items.fumes
    assert kept.agreed is True and kept.in_top3 is True and kept.auto_dispatched is False


def test_an_override_without_a_reason_is_refused_by_the_domain_and_shown(client, world):
    p = world.people
    appeal = new_appeal(world)
    shown = page(client, p.dispatcher, appeal_path(appeal))
    assert "“餐饮油烟污染”由东区生态环境局负责" in shown  # the catalog's proposal
    refused = post(
        client,
        p.dispatcher,
        appeal_path(appeal, "dispatch"),
        {"unit": world.units.city_eco.pk, "reason": " "},
    )
    assert "职责目录建议派给东区平台；改派市生态环境局须写明理由" in refused
    assert not appeal.orders.exists() and reload(appeal).status == AppealStatus.RECEIVED

    post(
        client,
        p.dispatcher,
        appeal_path(appeal, "dispatch"),
        {"unit": world.units.city_eco.pk, "reason": "涉及全市性排放标准"},
    )
    order = appeal.orders.get()
    assert order.unit == world.units.city_eco and order.override_reason == "涉及全市性排放标准"


def test_a_refused_dispatch_leaves_the_item_as_it_was(client, world):
    p = world.people
    appeal = new_appeal(world, item=None)
    # Parking is a street's, not the water company's: the override has no reason, so nothing changes.
    post(
        client,
        p.dispatcher,
        appeal_path(appeal, "dispatch"),
        {"item_code": world.items.parking.code, "unit": world.units.water.pk},
    )
    appeal = reload(appeal)
    assert appeal.item is None and appeal.status == AppealStatus.RECEIVED
    assert not Event.objects.filter(appeal=appeal, action="item_set").exists()


def test_a_district_platform_passes_its_order_on(client, world):
    p = world.people
    appeal = new_appeal(world)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    shown = page(client, p.east_dispatcher, appeal_path(appeal))
    assert 'id="forward-form"' in shown and 'id="dispatch-form"' not in shown
    done = post(client, p.east_dispatcher, appeal_path(appeal, "forward"), {"unit": world.units.east_eco.pk})
    assert f"已转派：{appeal.code} → 东区生态环境局" in done
    assert reload(city_order).status == OrderStatus.FORWARDED
    assert appeal.orders.get(parent=city_order).unit == world.units.east_eco


def test_link_a_possible_duplicate(client, world):
    p = world.people
    first = new_appeal(world)
    again = new_appeal(world, citizen_phone="13900000000", citizen_name="李四")
    shown = page(client, p.dispatcher, appeal_path(again))
    assert f"<td>{first.code}</td>" in shown  # offered as a possible duplicate
    done = post(
        client, p.dispatcher, appeal_path(again, "link"), {"original": first.code, "reason": "同一餐馆"}
    )
    assert f"已并案：{again.code} 并入 {first.code}" in done
    again = reload(again)
    assert again.status == AppealStatus.LINKED and again.duplicate_of == first
    # The domain refuses a second link: it is shown, nothing changes.
    refused = post(client, p.dispatcher, appeal_path(again, "link"), {"original": first.code})
    assert "只有尚未派单的诉求可以并案" in refused


def test_withdraw_an_automatic_dispatch(client, world, model, settings):
    settings.YOUSU_AUTO_DISPATCH_CONFIDENCE = 0.3
    p = world.people
    appeal = new_appeal(world, item=None, content=FUMES)
    order = appeal_auto_dispatch(appeal)
    assert order is not None
    assert appeal.code in page(client, p.dispatcher, "/dispatch/")  # listed as withdrawable
    assert 'id="withdraw-form"' in page(client, p.dispatcher, appeal_path(appeal))
    refused = post(client, p.dispatcher, appeal_path(appeal, "withdraw"), {"reason": ""})
    assert "撤回自动派单须写明理由" in refused
    post(client, p.dispatcher, appeal_path(appeal, "withdraw"), {"reason": "地点有误"})
    assert reload(appeal).status == AppealStatus.RECEIVED and reload(order).status == OrderStatus.RETURNED


def test_open_a_consultation_and_decide_it(client, world):
    p, u = world.people, world.units
    appeal = new_appeal(world)
    opened = post(
        client,
        p.dispatcher,
        appeal_path(appeal, "consult"),
        {"topic": "油烟由谁管", "parties": [u.city_eco.pk, u.water.pk]},
    )
    assert f"已发起会商：{appeal.code}" in opened
    consultation = Consultation.objects.get(appeal=appeal)
    assert set(consultation.parties.all()) == {u.city_eco, u.water}

    listed = page(client, p.dispatcher, "/dispatch/reviews/consultations/")
    assert "油烟由谁管" in listed and '<span class="n">1</span>' in listed
    path = f"/dispatch/consultations/{consultation.pk}/decide/"
    refused = post(client, p.dispatcher, path, {"meeting_record": "", "lead_unit": u.city_eco.pk})
    assert "必须填写会商记录" in refused
    decision = {"meeting_record": "市局主办", "lead_unit": u.city_eco.pk, "assisting_units": [u.water.pk]}
    # A catalog proposal without its way of naming the unit is refused by the domain, nothing decided.
    refused = post(client, p.dispatcher, path, {**decision, "proposed_level": "city"})
    assert "提出职责目录调整建议须选择责任方式" in refused
    assert reload(consultation).decided_by is None
    post(
        client,
        p.dispatcher,
        path,
        {
            **decision,
            "proposed_target": "sector",
            "proposed_level": "city",
            "proposed_sector": world.sectors.eco.pk,
        },
    )
    consultation = reload(consultation)
    assert consultation.decided_by == p.dispatcher and consultation.lead_unit == u.city_eco
    assert (consultation.proposed_target, consultation.proposed_level, consultation.proposed_sector) == (
        "sector",
        "city",
        world.sectors.eco,
    )
    # Decided by the city's dispatcher, the appeal is dispatched to the lead unit, with the assistant.
    assert {(o.unit, o.role) for o in appeal.orders.all()} == {(u.city_eco, "lead"), (u.water, "assist")}


# ---------------------------------------------------------------- review queues


def test_return_requests_are_reviewed_and_those_refused_by_rule_shown(client, world):
    p = world.people
    city_order, market_order = at_market(world)
    made = order_return_request(
        order=market_order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="油烟归环境局",
        suggested_unit=world.units.east_eco,
        basis_item=world.items.fumes,
    )
    _city, eco_order = at_eco(world, new_appeal(world, title="另一家油烟"))
    by_rule = order_return_request(
        order=eco_order,
        by=p.east_eco_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="不归我们",
        suggested_unit=world.units.east_market,
        basis_item=world.items.fumes,
    )
    assert by_rule.status == RequestStatus.REFUSED_BY_RULE

    shown = page(client, p.east_dispatcher, "/dispatch/reviews/returns/")
    assert f'id="return-{made.pk}"' in shown and "油烟归环境局" in shown
    assert "职责目录规定“餐饮油烟污染”正是东区生态环境局的职责" in shown  # refused by rule, shown
    assert page(client, p.dispatcher, "/dispatch/reviews/returns/").count('id="return-') == 0

    path = f"/dispatch/returns/{made.pk}/review/"
    refused = post(client, p.east_dispatcher, path, {"decision": "approve", "note": ""})
    assert "必须填写审核意见" in refused and reload(made).status == RequestStatus.PENDING
    post(client, p.east_dispatcher, path, {"decision": "approve", "note": "确属环境局职责"})
    assert reload(made).status == RequestStatus.APPROVED
    # The forward is undone: the appeal is back in the east platform's queue to be sent on correctly.
    assert reload(city_order).status == OrderStatus.ACCEPTED
    assert f'id="appeal-{city_order.appeal.code}"' in page(client, p.east_dispatcher, "/dispatch/")


def test_a_return_shows_its_catalog_basis_and_may_be_refused_with_leave_to_file_again(client, world):
    p, u = world.people, world.units
    _city, order = at_market(world)
    made = order_return_request(
        order=order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="油烟归环境局",
        suggested_unit=u.west_eco,
        basis_item=world.items.fumes,
        basis_note="油烟排放由环保监管",
    )
    shown = page(client, p.east_dispatcher, "/dispatch/reviews/returns/")
    row = shown[shown.index(f'id="return-{made.pk}"') :]
    # The unit's claim beside the catalog's answer for the item it relies on, at the appeal's place.
    assert "餐饮油烟污染" in row and f"目录：由{u.east_eco.name}负责" in row and "油烟排放由环保监管" in row
    post(
        client,
        p.east_dispatcher,
        f"/dispatch/returns/{made.pk}/review/",
        {"decision": "refuse", "note": "请指明东区的单位", "may_file_again": "on"},
    )
    assert reload(made).may_file_again
    second = order_return_request(
        order=order,
        by=p.east_market_handler,
        reason=ReturnReason.NOT_OUR_DUTY,
        explanation="油烟归环境局",
        suggested_unit=u.east_eco,
        basis_item=world.items.fumes,
    )
    assert second.status == RequestStatus.PENDING
    post(
        client,
        p.east_dispatcher,
        f"/dispatch/returns/{second.pk}/review/",
        {"decision": "refuse", "note": "驳回"},
    )
    third = order_return_request(
        order=order, by=p.east_market_handler, reason=ReturnReason.DUPLICATE, explanation="重复"
    )
    assert third.status == RequestStatus.REFUSED_BY_RULE
    # The rule's refusal is listed with a way to let the unit file once more.
    shown = page(client, p.east_dispatcher, "/dispatch/reviews/returns/")
    assert f'action="/dispatch/returns/{third.pk}/reopen/"' in shown
    path = f"/dispatch/returns/{third.pk}/reopen/"
    assert "必须说明允许再次申请的理由" in post(client, p.east_dispatcher, path, {"note": ""})
    post(client, p.east_dispatcher, path, {"note": "可补充材料后再申请"})
    assert reload(third).may_file_again
    assert f'action="/dispatch/returns/{third.pk}/reopen/"' not in page(
        client, p.east_dispatcher, "/dispatch/reviews/returns/"
    )
    client.force_login(p.dispatcher)  # another platform's dispatcher finds nothing to reopen
    assert client.post(path, {"note": "x"}).status_code == 404


def test_extension_requests_are_reviewed(client, world):
    p = world.people
    _city, order = at_eco(world)
    order_accept(order=order, by=p.east_eco_handler)
    made = order_extension_request(
        order=order, by=p.east_eco_handler, until=order.completion_due + dt.timedelta(days=3), reason="需检测"
    )
    shown = page(client, p.east_dispatcher, "/dispatch/reviews/extensions/")
    assert f'id="extension-{made.pk}"' in shown and "需检测" in shown
    path = f"/dispatch/extensions/{made.pk}/review/"
    refused = post(client, p.east_dispatcher, path, {"decision": "refuse", "note": ""})
    assert "驳回须写明理由" in refused
    post(client, p.east_dispatcher, path, {"decision": "approve"})
    assert reload(made).status == RequestStatus.APPROVED
    assert reload(order).completion_due == made.requested_until


def test_a_community_order_is_reviewed_by_the_platform_above_the_street(client, world):
    p = world.people
    appeal = new_appeal(world, item=world.items.hallway, area=world.areas.east_community, title="楼道堆物")
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    street_order = order_forward(order=city_order, by=p.east_dispatcher)
    community_order = order_forward(order=street_order, by=p.street_leader)
    assert community_order.unit == world.units.east_community
    order_accept(order=community_order, by=p.east_community_handler)
    made = order_extension_request(
        order=community_order,
        by=p.east_community_handler,
        until=community_order.completion_due + dt.timedelta(days=2),
        reason="等待物业配合",
    )
    assert f'id="extension-{made.pk}"' in page(client, p.east_dispatcher, "/dispatch/reviews/extensions/")
    assert f'id="extension-{made.pk}"' not in page(client, p.dispatcher, "/dispatch/reviews/extensions/")


def test_a_low_scored_reply_is_approved_only_when_confirmed(client, world, settings):
    settings.YOUSU_REPLY_REVIEW_LOW_SCORE = 60
    p = world.people
    _city, order = at_eco(world)
    order_accept(order=order, by=p.east_eco_handler)
    order_reply(order=order, by=p.east_eco_handler, text=POOR_REPLY, result="solved")
    review = reload(order).reply_review
    assert review["low"] is True

    shown = page(client, p.east_dispatcher, "/dispatch/reviews/replies/")
    block = shown[shown.index(f'id="reply-{order.pk}"') :]
    assert f'<dd class="total">{review["total"]}' in block and "低于 60 分" in block
    assert "答复未说明办理结果" in block and 'name="confirm_low_score"' in block

    path = f"/dispatch/replies/{order.pk}/review/"
    asked = post(client, p.east_dispatcher, path, {"decision": "approve"})
    assert "确认后才能办结" in asked and reload(order).status == OrderStatus.REPLIED
    post(client, p.east_dispatcher, path, {"decision": "approve", "confirm_low_score": "on"})
    assert reload(order).status == OrderStatus.COMPLETED
    assert Event.objects.get(order_id=order.pk, action="completed").payload["low_score_confirmed"] is True


def test_a_reply_is_sent_back_with_a_reason(client, world):
    p = world.people
    _city, order = at_eco(world)
    order_accept(order=order, by=p.east_eco_handler)
    order_reply(order=order, by=p.east_eco_handler, text="已处理。", result="solved")
    path = f"/dispatch/replies/{order.pk}/review/"
    assert "退回重办须写明理由" in post(client, p.east_dispatcher, path, {"decision": "send_back"})
    post(client, p.east_dispatcher, path, {"decision": "send_back", "note": "未说明依据"})
    order = reload(order)
    assert order.status == OrderStatus.ACCEPTED and order.send_back_count == 1


# ---------------------------------------------------------------- who may use it


def test_only_platform_dispatchers_use_the_desk(client, world):
    p = world.people
    appeal = new_appeal(world)
    for person in (p.operator, p.east_market_handler, p.supervisor, p.admin):
        client.force_login(person)
        assert client.get("/dispatch/").status_code == 403
        assert client.get(appeal_path(appeal)).status_code == 403
        assert client.post(appeal_path(appeal, "dispatch"), {}).status_code == 403
        assert client.get("/dispatch/reviews/replies/").status_code == 403
    assert not Order.objects.exists()
    client.logout()
    assert client.get("/dispatch/").status_code == 302  # to the login page
    # A district dispatcher cannot open an appeal that never came to the district.
    page(client, p.east_dispatcher, appeal_path(appeal), status=404)


# ---------------------------------------------------------------- attachments


def test_the_dispatcher_opens_the_citizen_s_photo_and_the_reply_s_files(client, world):
    p = world.people
    appeal = new_appeal(world, attachments=[AttachmentIn(name="现场.png", data=PNG)])
    photo = appeal.attachments.get()
    html = page(client, p.dispatcher, appeal_path(appeal))
    link = f"/dispatch/appeals/{appeal.code}/attachments/{photo.pk}/"
    assert f'href="{link}"' in html
    answer = client.get(link)
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == PNG

    _city, order = at_eco(world, appeal)
    order_accept(order=order, by=p.east_eco_handler)
    order_reply(
        order=order,
        by=p.east_eco_handler,
        text="已整改",
        result="solved",
        attachments=[AttachmentIn(name="整改后.png", data=PNG)],
    )
    after = appeal.attachments.get(order_id=order.pk)
    replies = page(client, p.east_dispatcher, "/dispatch/reviews/replies/")
    assert f"/dispatch/appeals/{appeal.code}/attachments/{after.pk}/" in replies
    # Someone who cannot see the appeal gets nothing, not even whether the file exists.
    client.force_login(world.people.west_market_handler)
    assert client.get(link).status_code == 403
    other = staff(world.units.west_platform, "west_dispatcher", "dispatcher")
    client.force_login(other)
    assert client.get(link).status_code == 404
