"""The unit desk (单位工作台) over HTTP: a unit sees its own queue with counts and a countdown coloured by
time node; the order page shows the appeal with the citizen masked as the rules require, and forwards
each action to its service, showing the domain's refusal; streets blow the whistle and departments
report in; a community sees its access list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.appeals.factories import PHONE, at_eco, at_market, new_appeal, reload, staff
from tests.supervision.clock import at, frozen
from yousu.appeals.models import Attachment, PersonalDataAccess
from yousu.dispatch.choices import OrderStatus, RequestStatus
from yousu.dispatch.models import AssistPart, ExtensionRequest, Order, ReportIn, ReturnRequest, Whistle
from yousu.dispatch.services import appeal_dispatch, order_accept, order_forward, order_pause
from yousu.dispatch.whistles import whistle_blow
from yousu.supervision.report_ins import sweep_report_ins

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
MINUTE = dt.timedelta(minutes=1)


def client_of(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def html_of(answer) -> str:
    assert answer.status_code == 200
    return answer.content.decode()


def countdown_of(html: str) -> str:
    """The class list of the first countdown on the page."""
    found = re.search(r'class="countdown (node-[a-z]+)"', html)
    assert found, "no countdown on the page"
    return found.group(1)


@pytest.fixture
def eco(world):
    return client_of(world.people.east_eco_handler)


def at_street(world, item) -> Order:
    """An appeal about an item the catalog gives to a place's street (or community), at the east street."""
    appeal = new_appeal(world, item=item, title="小区停车难", content="小区车位不够，车辆乱停。")
    city_order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    return order_forward(order=city_order, by=world.people.east_dispatcher)


# ---------------------------------------------------------------- the queue


def test_the_queue_shows_only_the_units_own_orders_with_counts_per_state(world, eco):
    _city, mine = at_eco(world)
    _city2, theirs = at_market(world, new_appeal(world, title="另一家饭店"))
    html = html_of(eco.get("/unit/"))
    assert mine.appeal.code in html and f"/unit/orders/{mine.pk}/" in html
    assert theirs.appeal.code not in html
    counts = re.search(r'id="state-counts">(.*?)</ul>', html, re.S).group(1)
    assert re.search(r'data-state="dispatched".*?待签收</span> <span class="n">1</span>', counts)
    assert re.search(r'data-state="accepted".*?办理中</span> <span class="n">0</span>', counts)
    # Filtered by state: the dispatched order is not among those in handling.
    assert mine.appeal.code not in html_of(eco.get("/unit/?state=accepted"))
    assert mine.appeal.code in html_of(eco.get("/unit/?state=dispatched"))
    # Another unit's handler does not see it, nor open it.
    other = client_of(world.people.west_market_handler)
    assert mine.appeal.code not in html_of(other.get("/unit/"))
    assert other.get(f"/unit/orders/{mine.pk}/").status_code == 404


def test_the_desk_is_for_unit_staff_signed_in(world, client):
    answer = client.get("/unit/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    assert client_of(world.people.dispatcher).get("/unit/").status_code == 403
    assert client_of(world.people.supervisor).get("/unit/").status_code == 403


def test_the_queue_reads_a_bounded_number_of_queries_however_many_orders(
    world, eco, django_assert_max_num_queries
):
    at_eco(world)
    with django_assert_max_num_queries(100) as few:
        eco.get("/unit/")
    for n in range(6):
        at_eco(world, new_appeal(world, title=f"油烟 {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = html_of(eco.get("/unit/"))
    assert html.count('class="countdown ') == 7


# ---------------------------------------------------------------- countdown by time node


def test_the_countdown_is_coloured_and_named_by_the_time_node(world, eco):
    with frozen(at(2026, 3, 10, 10, 0)):
        order = at_eco(world)[1]
        order_accept(order=order, by=world.people.east_eco_handler)
    order = reload(order)
    moments = [
        (order.yellow_at - MINUTE, "node-normal", "正常"),
        (order.yellow_at + MINUTE, "node-yellow", "黄色预警"),
        (order.red_at + MINUTE, "node-red", "红色预警"),
        (order.completion_due + MINUTE, "node-overdue", "已超期"),
    ]
    for moment, css, label in moments:
        with frozen(moment):
            for path in ("/unit/?state=accepted", f"/unit/orders/{order.pk}/"):
                html = html_of(eco.get(path))
                assert countdown_of(html) == css, (moment, path)
                # The node is written out beside the colour.
                assert f'<span class="cd-node">{label}</span>' in html
    with frozen(order.completion_due - dt.timedelta(hours=1)):
        assert "剩余 01:00:00" in html_of(eco.get("/unit/?state=accepted"))
    with frozen(order.completion_due + dt.timedelta(days=1, hours=2)):
        assert "超时 1天 02:00:00" in html_of(eco.get("/unit/?state=accepted"))


def test_before_acceptance_the_countdown_runs_to_the_response_deadline(world, eco):
    with frozen(at(2026, 3, 10, 10, 0)):
        order = at_eco(world)[1]
    with frozen(order.response_due - dt.timedelta(minutes=30)):
        html = html_of(eco.get("/unit/"))
        assert countdown_of(html) == "node-normal" and "剩余 00:30:00" in html
        assert f"签收时限 {order.response_due.astimezone(at(2026, 1, 1).tzinfo):%Y-%m-%d %H:%M}" in html
    # Not signed for in time: overdue against the limit it broke, though completion is days away.
    with frozen(order.response_due + MINUTE):
        assert countdown_of(html_of(eco.get("/unit/"))) == "node-overdue"


def test_a_paused_order_shows_as_paused(world, eco):
    with frozen(at(2026, 3, 10, 10, 0)):
        order = at_eco(world)[1]
        order_accept(order=order, by=world.people.east_eco_handler)
        order_pause(
            order=order, by=world.people.east_eco_handler, reason="waiting_for_citizen", explanation="等材料"
        )
    with frozen(reload(order).completion_due + dt.timedelta(days=2)):
        html = html_of(eco.get("/unit/?state=accepted"))
    assert countdown_of(html) == "node-paused"
    assert "已挂起" in html and "计时暂停" in html and "data-deadline" not in html


# ---------------------------------------------------------------- the order page and its actions


def test_accept_from_the_queue_then_the_second_accept_shows_the_conflict(world, eco):
    order = at_eco(world)[1]
    answer = eco.post(f"/unit/orders/{order.pk}/accept/", {"next": "/unit/?state=dispatched"})
    assert answer.status_code == 302 and answer["Location"] == "/unit/?state=dispatched"
    order = reload(order)
    assert (order.status, order.accepted_by) == (OrderStatus.ACCEPTED, world.people.east_eco_handler)
    html = html_of(eco.post(f"/unit/orders/{order.pk}/accept/", follow=True))
    assert "工单已由" in html and "签收" in html
    # A next outside the desk is not followed.
    assert eco.post(f"/unit/orders/{order.pk}/accept/", {"next": "//evil.example/"})["Location"] == (
        f"/unit/orders/{order.pk}/"
    )


def test_the_order_page_offers_what_the_state_allows(world, eco):
    order = at_eco(world)[1]
    html = html_of(eco.get(f"/unit/orders/{order.pk}/"))
    for form in ("accept-form", "return-form", "extension-form"):
        assert f'id="{form}"' in html
    assert 'id="reply-form"' not in html and 'id="pause-form"' not in html
    # Adding an assisting unit is for the unit's leader; whistles are for streets and communities.
    assert 'id="assist-form"' not in html and "whistle-form" not in html
    assert "按规则直接驳回" in html
    order_accept(order=order, by=world.people.east_eco_handler)
    html = html_of(eco.get(f"/unit/orders/{order.pk}/"))
    assert 'id="reply-form"' in html and 'id="pause-form"' in html
    assert 'id="accept-form"' not in html and 'id="return-form"' not in html
    # The event history shows the trail.
    events = re.search(r'id="events">(.*?)</table>', html, re.S).group(1)
    assert "派单" in events and "签收" in events
    # Someone who may only look at the order (a supervisor here) is offered no action.
    assert 'id="actions"' not in html_of(client_of(world.people.supervisor).get(f"/unit/orders/{order.pk}/"))


def test_a_return_that_the_catalog_contradicts_is_refused_by_rule_and_said_so(world, eco):
    order = at_eco(world)[1]
    html = html_of(
        eco.post(
            f"/unit/orders/{order.pk}/return-request/",
            {
                "reason": "not_our_duty",
                "explanation": "不归我们管",
                "suggested_unit": world.units.east_market.pk,
                "basis_item": world.items.fumes.pk,
            },
            follow=True,
        )
    )
    request = ReturnRequest.objects.get()
    assert request.status == RequestStatus.REFUSED_BY_RULE
    assert "按规则驳回" in html and "正是" in html
    assert reload(order).status == OrderStatus.DISPATCHED


def test_a_return_request_waits_for_review_and_accepting_meanwhile_is_refused(world, eco):
    order = at_eco(world)[1]
    eco.post(
        f"/unit/orders/{order.pk}/return-request/",
        {
            "reason": "wrong_area",
            "explanation": "地址在西区",
            "suggested_unit": world.units.west_eco.pk,
            "basis_item": world.items.fumes.pk,
            "basis_note": "西区的店",
        },
    )
    request = ReturnRequest.objects.get()
    assert (request.status, request.suggested_unit) == (RequestStatus.PENDING, world.units.west_eco)
    assert (request.basis_item, request.basis_note) == (world.items.fumes, "西区的店")
    html = html_of(eco.get(f"/unit/orders/{order.pk}/"))
    assert 'id="accept-form"' not in html and "待审核" in html
    html = html_of(eco.post(f"/unit/orders/{order.pk}/accept/", follow=True))
    assert "退单申请审核中，暂不能签收" in html
    # Without an explanation the domain refuses.
    html = html_of(eco.post(f"/unit/orders/{order.pk}/return-request/", {"reason": "duplicate"}, follow=True))
    assert "必须说明退单理由" in html


def test_the_return_form_picks_the_responsible_unit_and_the_catalog_item_by_name(world, eco):
    u = world.units
    order = at_eco(world)[1]
    html = html_of(eco.get(f"/unit/orders/{order.pk}/"))
    form = re.search(r'id="return-form">(.*?)</form>', html, re.S).group(1)
    units = re.search(r'name="suggested_unit">(.*?)</select>', form, re.S).group(1)
    # The unit tree under the platforms that dispatch to it, by name; neither a platform nor the unit
    # itself may be picked, and a community sits indented under its street.
    assert f'<optgroup label="{u.east_platform.name}">' in units
    assert f'<option value="{u.east_market.pk}">{u.east_market.name}</option>' in units
    assert f'<option value="{u.east_community.pk}">\u3000{u.east_community.name}</option>' in units
    assert f'value="{u.east_platform.pk}"' not in units and f'value="{u.east_eco.pk}"' not in units
    assert u.east_market.code not in units
    items = re.search(r'name="basis_item">(.*?)</select>', form, re.S).group(1)
    assert '<optgroup label="生态环境 / 大气污染">' in items
    assert f'<option value="{world.items.fumes.pk}" selected>{world.items.fumes.name}</option>' in items
    assert world.items.fumes.code not in items
    # Naming nobody is refused, and nothing is filed.
    html = html_of(
        eco.post(
            f"/unit/orders/{order.pk}/return-request/",
            {"reason": "not_our_duty", "explanation": "这是街办和社区就能解决的事情"},
            follow=True,
        )
    )
    assert "须选择你认为应当承办的单位" in html and not ReturnRequest.objects.exists()
    # Once refused, the page warns that a second return would be refused by rule.
    eco.post(
        f"/unit/orders/{order.pk}/return-request/",
        {
            "reason": "not_our_duty",
            "explanation": "不归我们管",
            "suggested_unit": u.east_market.pk,
            "basis_item": world.items.fumes.pk,
        },
    )
    assert 'id="return-repeat"' in html_of(eco.get(f"/unit/orders/{order.pk}/"))


def test_an_extension_is_requested_and_a_deadline_before_the_current_one_is_refused(world, eco):
    order = at_eco(world)[1]
    earlier = order.completion_due - dt.timedelta(hours=1)
    html = html_of(
        eco.post(
            f"/unit/orders/{order.pk}/extension-request/",
            {"until": f"{earlier:%Y-%m-%dT%H:%M}", "reason": "需要检测"},
            follow=True,
        )
    )
    assert "申请延至的时间须晚于现在的办结时限" in html and not ExtensionRequest.objects.exists()
    later = (order.completion_due + dt.timedelta(days=3)).astimezone(at(2026, 1, 1).tzinfo)
    html = html_of(
        eco.post(
            f"/unit/orders/{order.pk}/extension-request/",
            {"until": f"{later:%Y-%m-%dT%H:%M}", "reason": "需要检测"},
            follow=True,
        )
    )
    made = ExtensionRequest.objects.get()
    assert made.requested_until == later.replace(second=0, microsecond=0) and made.reason == "需要检测"
    assert "已提交延期申请" in html and 'id="extension-form"' not in html
    html = html_of(
        eco.post(f"/unit/orders/{order.pk}/extension-request/", {"until": "", "reason": "x"}, follow=True)
    )
    assert "请填写申请延至的日期和时间" in html


def test_a_reply_with_an_attachment_and_an_empty_reply_refused(world, eco):
    order = at_eco(world)[1]
    order_accept(order=order, by=world.people.east_eco_handler)
    html = html_of(
        eco.post(f"/unit/orders/{order.pk}/reply/", {"text": " ", "result": "solved"}, follow=True)
    )
    assert "不能为空" in html and reload(order).status == OrderStatus.ACCEPTED
    photo = SimpleUploadedFile("整改后.png", PNG, content_type="image/png")
    html = html_of(
        eco.post(
            f"/unit/orders/{order.pk}/reply/",
            {"text": "已责令安装油烟净化器", "result": "solved", "attachments": [photo]},
            follow=True,
        )
    )
    order = reload(order)
    assert (order.status, order.reply_text) == (OrderStatus.REPLIED, "已责令安装油烟净化器")
    stored = Attachment.objects.get()
    assert (stored.name, stored.order_id) == ("整改后.png", order.pk)
    assert "已答复" in html and "整改后.png" in html
    download = eco.get(f"/unit/orders/{order.pk}/attachments/{stored.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    other = client_of(world.people.west_market_handler)
    assert other.get(f"/unit/orders/{order.pk}/attachments/{stored.pk}/").status_code == 404


def test_a_leader_adds_an_assisting_unit_which_submits_its_part(world):
    order = at_eco(world)[1]
    leader = staff(world.units.east_eco, "lee", "unit_leader")
    desk = client_of(leader)
    assert 'id="assist-form"' in html_of(desk.get(f"/unit/orders/{order.pk}/"))
    desk.post(f"/unit/orders/{order.pk}/assist/", {"unit": world.units.east_market.pk, "reason": "涉及证照"})
    helper = Order.objects.get(unit=world.units.east_market)
    assert (helper.role, helper.parent) == ("assist", order)
    # Asking a community that may not be given the item is refused by the no-push-down rule.
    html = html_of(
        desk.post(f"/unit/orders/{order.pk}/assist/", {"unit": world.units.east_community.pk}, follow=True)
    )
    assert "准入清单" in html
    market = client_of(world.people.east_market_handler)
    market.post(f"/unit/orders/{helper.pk}/accept/")
    html = html_of(market.get(f"/unit/orders/{helper.pk}/"))
    assert 'id="assist-part-form"' in html and 'id="reply-form"' not in html
    market.post(f"/unit/orders/{helper.pk}/assist-part/", {"text": "已核查营业执照"})
    assert AssistPart.objects.get(order=helper).text == "已核查营业执照"
    assert "已核查营业执照" in html_of(desk.get(f"/unit/orders/{order.pk}/"))


def test_pause_and_resume(world, eco):
    order = at_eco(world)[1]
    order_accept(order=order, by=world.people.east_eco_handler)
    html = html_of(
        eco.post(f"/unit/orders/{order.pk}/pause/", {"reason": "waiting_for_citizen"}, follow=True)
    )
    assert "必须说明挂起理由" in html and reload(order).paused_at is None
    eco.post(
        f"/unit/orders/{order.pk}/pause/", {"reason": "waiting_for_citizen", "explanation": "等群众补材料"}
    )
    assert reload(order).paused_at is not None
    html = html_of(eco.get(f"/unit/orders/{order.pk}/"))
    assert 'id="resume-form"' in html and "等群众补材料" in html
    eco.post(f"/unit/orders/{order.pk}/resume/", {"note": "材料已到"})
    assert reload(order).paused_at is None


# ---------------------------------------------------------------- the citizen


def test_a_confidential_appeal_hides_the_citizen_from_the_handling_unit(world, eco):
    order = at_eco(world, new_appeal(world, confidential=True))[1]
    html = html_of(eco.get(f"/unit/orders/{order.pk}/"))
    assert "王小明" not in html and PHONE not in html and PHONE[-4:] not in html
    assert "保密诉求" in html
    assert not PersonalDataAccess.objects.exists()


def test_the_handling_unit_sees_the_citizen_it_must_call_back_and_the_view_is_recorded(world, eco):
    order = at_eco(world)[1]
    html = html_of(eco.get(f"/unit/orders/{order.pk}/"))
    assert "王小明" in html and PHONE in html
    access = PersonalDataAccess.objects.get()
    assert (access.person, access.appeal) == (world.people.east_eco_handler, order.appeal)
    # The queue shows no citizen at all.
    assert PHONE not in html_of(eco.get("/unit/"))


# ---------------------------------------------------------------- street and community


def test_a_street_blows_the_whistle_and_a_department_reports_in(world):
    order = at_street(world, world.items.parking)
    street = client_of(world.people.street_leader)
    html = html_of(street.get(f"/unit/orders/{order.pk}/"))
    assert "whistle-form" in html and world.units.east_eco.name in html
    street.post(
        "/unit/whistles/blow/",
        {
            "order": order.pk,
            "problem": "占道经营和油烟，街道无执法权",
            "departments": [world.units.east_eco.pk, world.units.east_market.pk],
            "hours": "4",
        },
    )
    whistle = Whistle.objects.get()
    assert (whistle.blown_by_unit, whistle.appeal) == (world.units.east_street, order.appeal)
    assert whistle.report_in_due - whistle.blown_at == dt.timedelta(hours=4)

    eco = client_of(world.people.east_eco_handler)
    assert re.search(r'<span class="badge"[^>]*>1</span>', html_of(eco.get("/unit/")))
    html = html_of(eco.get("/unit/whistles/"))
    assert "占道经营和油烟" in html and f"/unit/whistles/{whistle.pk}/report-in/" in html
    html = html_of(eco.post(f"/unit/whistles/{whistle.pk}/report-in/", {"on_site": " "}, follow=True))
    assert "必须写明到场人员" in html
    eco.post(f"/unit/whistles/{whistle.pk}/report-in/", {"on_site": "执法队张三", "note": "已到场"})
    assert ReportIn.objects.get(unit=world.units.east_eco).on_site == "执法队张三"
    html = html_of(eco.post(f"/unit/whistles/{whistle.pk}/report-in/", {"on_site": "又来"}, follow=True))
    assert "已于" in html and "报到" in html

    html = html_of(street.get("/unit/whistles/"))
    eco_row = re.search(rf'data-unit="{world.units.east_eco.code}">(.*?)</li>', html, re.S).group(1)
    market_row = re.search(rf'data-unit="{world.units.east_market.code}">(.*?)</li>', html, re.S).group(1)
    assert "已报到" in eco_row and "执法队张三" in eco_row
    assert "未报到" in market_row
    # A unit that was not summoned cannot report in to it.
    west = client_of(world.people.west_market_handler)
    assert west.post(f"/unit/whistles/{whistle.pk}/report-in/", {"on_site": "x"}).status_code == 404


def test_a_summoned_department_sees_its_limit_the_warning_and_the_escalation(world, eco):
    u = world.units
    street = client_of(world.people.street_leader)
    blown = at(2026, 3, 10, 9, 0)
    with frozen(blown):
        whistle = whistle_blow(
            by=world.people.street_leader,
            problem="占道经营和油烟，街道无执法权",
            departments=[u.east_eco, u.east_market],
            report_in_within=dt.timedelta(hours=24),
        )
    sweep_report_ins(now=blown + dt.timedelta(hours=12))  # the warning
    with frozen(blown + dt.timedelta(hours=13)):
        html = html_of(eco.get("/unit/"))
        summons = re.search(r'<table id="summons".*?</table>', html, re.S).group(0)
        assert "2026-03-11 09:00" in summons and 'data-state="warned"' in summons
        assert "临近报到时限，03-10 21:00 已预警" in summons and u.east_street.name in summons
    sweep_report_ins(now=blown + dt.timedelta(hours=24))  # the limit passes: escalated
    with frozen(blown + dt.timedelta(hours=25)):
        html = html_of(eco.get("/unit/whistles/"))
        row = re.search(rf'<tr data-whistle="{whistle.pk}">.*?</tr>', html, re.S).group(0)
        assert 'data-state="missed"' in row and "超时未报到" in row and "03-10 21:00 已预警" in row
        assert f"已下发督办单并提级至{u.east_platform.name}（待反馈）" in row
        # The street sees which department let the limit pass and where it was escalated.
        html = html_of(street.get("/unit/whistles/"))
        eco_row = re.search(rf'data-unit="{u.east_eco.code}">(.*?)</li>', html, re.S).group(1)
        assert "未报到，已超时" in eco_row and f"提级至{u.east_platform.name}" in eco_row
        with frozen(blown + dt.timedelta(hours=26)):
            eco.post(f"/unit/whistles/{whistle.pk}/report-in/", {"on_site": "执法队张三"})
    html = html_of(eco.get("/unit/"))
    assert 'id="summons"' not in html  # nothing left to report in to
    html = html_of(street.get("/unit/whistles/"))
    eco_row = re.search(rf'data-unit="{u.east_eco.code}">(.*?)</li>', html, re.S).group(1)
    assert "逾时" in eco_row and "已下发督办单" in eco_row


def test_a_department_may_not_blow_the_whistle(world, eco):
    assert "whistle-form" not in html_of(eco.get("/unit/whistles/"))
    html = html_of(
        eco.post(
            "/unit/whistles/blow/", {"problem": "x", "departments": [world.units.east_market.pk]}, follow=True
        )
    )
    assert "只有街道或社区" in html and not Whistle.objects.exists()


def test_a_street_forwards_to_a_community_only_what_its_access_list_allows(world):
    street = client_of(world.people.street_leader)
    refused = at_street(world, world.items.parking)
    html = html_of(
        street.post(
            f"/unit/orders/{refused.pk}/forward/",
            {"unit": world.units.east_community.pk, "reason": "请社区协调"},
            follow=True,
        )
    )
    assert "不在社区工作事项准入清单内" in html and reload(refused).status == OrderStatus.DISPATCHED
    allowed = at_street(world, world.items.hallway)
    street.post(f"/unit/orders/{allowed.pk}/forward/", {"unit": ""})
    assert reload(allowed).status == OrderStatus.FORWARDED
    assert Order.objects.get(parent=allowed).unit == world.units.east_community


def test_a_community_sees_its_access_list_on_its_desk(world, eco):
    html = html_of(client_of(world.people.east_community_handler).get("/unit/"))
    entries = re.search(r'id="access-entries">(.*?)</table>', html, re.S).group(1)
    assert world.items.hallway.name in entries and world.items.parking.name not in entries
    assert 'id="access-entries"' not in html_of(eco.get("/unit/"))
