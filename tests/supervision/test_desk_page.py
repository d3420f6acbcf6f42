"""The supervision desk page (督办台) over HTTP: what a supervisor sees and does, what others may not; the
summons whose report-in is near or past its limit, and closing the supervision order of a missed one."""

import datetime as dt
import re

from tests.appeals.factories import at_eco
from yousu.dispatch.models import CriticismNotice
from yousu.dispatch.whistles import whistle_blow, whistle_report_in
from yousu.notifications.services import notify
from yousu.supervision.models import SupervisionOrder, Urge
from yousu.supervision.report_ins import sweep_report_ins

from .clock import at, frozen


def overdue_order(world):
    with frozen(at(2026, 3, 10, 10, 0)):
        return at_eco(world)[1]


def test_the_desk_shows_the_overdue_order_and_the_units_count(client, world):
    order = overdue_order(world)
    client.force_login(world.people.supervisor)
    page = client.get("/supervision/")
    assert page.status_code == 200
    html = page.content.decode()
    assert order.appeal.code in html and world.units.east_eco.name in html
    assert 'class="tag overdue"' in html
    assert f"/supervision/orders/{order.pk}/urge/" in html
    only_paused = client.get("/supervision/?state=paused").content.decode()
    assert order.appeal.code not in only_paused


def test_a_supervisor_urges_and_supervises_from_the_desk(client, world):
    order = overdue_order(world)
    client.force_login(world.people.supervisor)
    answer = client.post(f"/supervision/orders/{order.pk}/urge/", {"text": "请今天办结", "state": "overdue"})
    assert answer.status_code == 302 and answer["Location"] == "/supervision/?state=overdue"
    assert Urge.objects.get().text == "请今天办结"
    client.post(f"/supervision/orders/{order.pk}/supervise/", {"reason": "超期", "escalate": "on"})
    supervision = SupervisionOrder.objects.get()
    assert supervision.escalated_to == world.units.east_platform
    # Refused by the rule (one open supervision order per order): the page says why, nothing is added.
    page = client.post(f"/supervision/orders/{order.pk}/supervise/", {"reason": "再督办"}, follow=True)
    assert "已有待反馈的督办单" in page.content.decode()
    assert SupervisionOrder.objects.count() == 1


def test_a_handler_sees_only_their_unit_and_cannot_urge(client, world):
    order = overdue_order(world)
    client.force_login(world.people.east_eco_handler)
    html = client.get("/supervision/").content.decode()
    assert order.appeal.code in html and "/urge/" not in html
    page = client.post(f"/supervision/orders/{order.pk}/urge/", {"text": "自己催自己"}, follow=True)
    assert re.search("督办员|派单员", page.content.decode())
    assert not Urge.objects.exists()
    client.force_login(world.people.west_market_handler)
    assert order.appeal.code not in client.get("/supervision/").content.decode()
    assert client.post(f"/supervision/orders/{order.pk}/urge/", {"text": "x"}).status_code == 404


def test_the_desk_needs_a_sign_in(client, world):
    answer = client.get("/supervision/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_supervisor_issues_a_criticism_notice_for_an_overdue_order(client, world):
    order = overdue_order(world)
    client.force_login(world.people.supervisor)
    assert f"/supervision/orders/{order.pk}/notice/" in client.get("/supervision/").content.decode()
    page = client.post(
        f"/supervision/orders/{order.pk}/notice/", {"reason": "超期未办结", "state": "overdue"}, follow=True
    )
    notice = CriticismNotice.objects.get()
    assert (notice.unit, notice.order, notice.reason) == (world.units.east_eco, order, "超期未办结")
    html = page.content.decode()
    assert 'id="notices"' in html and "超期未办结" in html
    # Without a reason the domain refuses and says so; nothing is recorded.
    refused = client.post(f"/supervision/orders/{order.pk}/notice/", {"reason": " "}, follow=True)
    assert "必须写明通报事由" in refused.content.decode()
    assert CriticismNotice.objects.count() == 1


def test_a_handler_gets_no_notice_form_and_is_refused_by_the_domain(client, world):
    order = overdue_order(world)
    client.force_login(world.people.east_eco_handler)
    assert "/notice/" not in client.get("/supervision/").content.decode()
    page = client.post(f"/supervision/orders/{order.pk}/notice/", {"reason": "自己通报自己"}, follow=True)
    assert "只有督办员、平台派单员或系统管理员可以通报批评" in page.content.decode()
    assert not CriticismNotice.objects.exists()


def test_unread_time_node_warnings_show_on_the_desk(client, world):
    order = overdue_order(world)
    notify(
        kind="red_warning",
        subject="红色预警",
        text="工单即将超期",
        person=world.people.supervisor,
        order=order,
    )
    client.force_login(world.people.supervisor)
    html = client.get("/supervision/").content.decode()
    assert 'id="alerts-title"' in html and "红色预警" in html and order.appeal.code in html


# ---------------------------------------------------------------- whistle follow-up (吹哨报到)

BLOWN = at(2026, 3, 10, 9, 0)
LIMIT = dt.timedelta(hours=24)


def summon(world, department, blown=BLOWN):
    with frozen(blown):
        return whistle_blow(
            by=world.people.street_leader,
            problem="小区门口占道经营，街道无执法权",
            departments=[department],
            report_in_within=LIMIT,
        )


def section(html: str, table_id: str, attribute: str, value) -> str:
    found = re.search(rf'<table id="{table_id}".*?</table>', html, re.S)
    assert found, f"no #{table_id} on the page"
    row = re.search(rf'<tr {attribute}="{value}".*?</tr>', found.group(0), re.S)
    assert row, f"no row {attribute}={value} in #{table_id}"
    return row.group(0)


def test_the_desk_lists_report_ins_near_and_past_their_limit_with_the_escalation(client, world):
    u = world.units
    missed = summon(world, u.east_eco)
    sweep_report_ins(now=BLOWN + LIMIT)  # the limit passed: a supervision order, escalated
    now = BLOWN + LIMIT + dt.timedelta(hours=1)
    warned = summon(world, u.east_market, blown=now - dt.timedelta(hours=13))
    waiting = summon(world, u.west_market, blown=now - dt.timedelta(hours=1))
    client.force_login(world.people.supervisor)
    with frozen(now):
        html = client.get("/supervision/").content.decode()
    missed_row = section(html, "report-ins", "data-report-in", missed.report_ins.get().pk)
    assert 'data-state="missed"' in missed_row and "超时未报到" in missed_row
    assert u.east_eco.name in missed_row and f"已提级至{u.east_platform.name}" in missed_row
    warned_row = section(html, "report-ins", "data-report-in", warned.report_ins.get().pk)
    assert 'data-state="warned"' in warned_row and "临近报到时限" in warned_row
    # Still within the first half of its limit: nothing to chase yet.
    assert f'data-report-in="{waiting.report_ins.get().pk}"' not in html
    supervision = SupervisionOrder.objects.get()
    row = section(html, "supervision-orders", "data-supervision", supervision.pk)
    assert f"{u.east_street.name}吹哨未报到" in row and u.east_eco.name in row
    # Not answered, not reported in: nothing to close yet.
    assert "/close/" not in row


def test_a_supervisor_closes_a_missed_report_in_once_the_department_has_come(client, world):
    whistle = summon(world, world.units.east_eco)
    sweep_report_ins(now=BLOWN + LIMIT)
    supervision = SupervisionOrder.objects.get()
    client.force_login(world.people.supervisor)
    refused = client.post(
        f"/supervision/supervision-orders/{supervision.pk}/close/", {"note": "x"}, follow=True
    )
    assert "尚未反馈，也未报到" in refused.content.decode()
    assert SupervisionOrder.objects.get().status == "open"
    with frozen(BLOWN + LIMIT + dt.timedelta(hours=2)):
        whistle_report_in(whistle=whistle, by=world.people.east_eco_handler, on_site="执法队张三")
    html = client.get("/supervision/").content.decode()
    row = section(html, "supervision-orders", "data-supervision", supervision.pk)
    assert f"/supervision/supervision-orders/{supervision.pk}/close/" in row and "补报到" in row
    # The department reported in: the summons is no longer one to chase.
    assert 'data-report-in="' not in html
    page = client.post(
        f"/supervision/supervision-orders/{supervision.pk}/close/", {"note": "已补报到"}, follow=True
    )
    assert "已销号" in page.content.decode()
    closed = SupervisionOrder.objects.get()
    assert (closed.status, closed.close_note, closed.closed_by) == (
        "closed",
        "已补报到",
        world.people.supervisor,
    )


def test_another_districts_unit_neither_sees_nor_closes_a_missed_report_in(client, world):
    summon(world, world.units.east_eco)
    sweep_report_ins(now=BLOWN + LIMIT)
    supervision = SupervisionOrder.objects.get()
    client.force_login(world.people.west_market_handler)
    html = client.get("/supervision/").content.decode()
    assert 'data-report-in="' not in html and f'data-supervision="{supervision.pk}"' not in html
    assert client.post(f"/supervision/supervision-orders/{supervision.pk}/close/").status_code == 404
    assert SupervisionOrder.objects.get().status == "open"
