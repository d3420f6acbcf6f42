"""The grid governance desks (未诉先办) over HTTP: each page for the person it is for and refused to
others; the forms drive yousu.grid's services end to end and show their refusals next to the field."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.models import Appeal, Attachment
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.models import Order
from yousu.grid.choices import HandlingMode, StreetDecision
from yousu.grid.models import DailyReport, FoundProblem, JointMeeting, MeetingDecision, MissingDailyReport
from yousu.grid.services import daily_report_submit, grid_report_create, problem_study
from yousu.web.context import desks_of

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PAGES = [
    "/grid/report/",
    "/grid/daily/",
    "/grid/study/",
    "/grid/district/",
    "/grid/meetings/",
    "/grid/stationed/",
]


def client_of(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def text(answer) -> str:
    return answer.content.decode()


def photo(name="现场.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


def report_form(g, **changes) -> dict:
    data = {
        "kind": g.pollution.pk,
        "text": "东一路餐馆油烟直排，外墙熏黑",
        "mode": HandlingMode.ASSISTED,
        "grid": g.world.areas.grid.pk,
        "address": "东一路 8 号",
        "idempotency_key": "k-1",
    }
    data.update(changes)
    return data


def sent_up(grid) -> FoundProblem:
    """A daily-report problem the street sent up: it waits for the district."""
    w = grid.world
    report = daily_report_submit(
        community=w.units.east_community,
        day=timezone.localdate(),
        by=grid.secretary,
        problems=[{"text": "餐馆油烟直排，尚无居民投诉", "kind": grid.pollution, "area": w.areas.grid}],
    )
    (problem,) = report.problems.all()
    return problem_study(
        problem=problem, by=w.people.street_leader, decision=StreetDecision.SEND_UP, reason="超出街道能力"
    )


# ---------------------------------------------------------------- who may open what


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("worker", "/grid/report/"),
        ("secretary", "/grid/daily/"),
        ("worker", "/grid/daily/"),
        ("street_leader", "/grid/study/"),
        ("east_dispatcher", "/grid/district/"),
        ("east_dispatcher", "/grid/meetings/"),
        ("east_dispatcher", "/grid/meetings/new/"),
        ("street_leader", "/grid/meetings/"),
        ("stationed", "/grid/stationed/"),
    ],
)
def test_each_page_opens_for_the_person_it_is_for(grid, who, path):
    person = getattr(grid, who, None) or getattr(grid.world.people, who)
    assert client_of(person).get(path).status_code == 200


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("east_eco_handler", "/grid/report/"),
        ("street_leader", "/grid/daily/"),
        ("secretary", "/grid/study/"),
        ("dispatcher", "/grid/district/"),
        ("street_leader", "/grid/district/"),
        ("east_market_handler", "/grid/meetings/"),
        ("secretary", "/grid/meetings/new/"),
        ("east_eco_handler", "/grid/stationed/"),
        ("operator", "/grid/stationed/"),
    ],
)
def test_each_page_refuses_the_others(grid, who, path):
    person = getattr(grid, who, None) or getattr(grid.world.people, who)
    assert client_of(person).get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(db, path):
    answer = Client().get(path)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_the_header_shows_each_person_their_grid_desks(grid):
    p = grid.world.people

    def names(person):
        return {d["name"] for d in desks_of(person)}

    assert {"grid-report", "grid-daily"} <= names(grid.worker)
    assert "grid-daily" in names(grid.secretary)
    assert {"grid-study", "grid-meetings"} <= names(p.street_leader)
    assert {"grid-district", "grid-meetings"} <= names(p.east_dispatcher)
    assert "grid-stationed" in names(grid.stationed)
    assert not {n for n in names(p.operator) if n.startswith("grid-")}


# ---------------------------------------------------------------- 1. grid report


def test_a_grid_report_with_a_photo_becomes_an_appeal_with_the_attachment(grid):
    client = client_of(grid.worker)
    answer = client.post("/grid/report/", report_form(grid, attachments=[photo()]), follow=True)
    assert answer.status_code == 200
    problem = FoundProblem.objects.get()
    appeal = problem.appeal
    assert (appeal.channel, appeal.status, appeal.area) == (
        Channel.GRID_REPORT,
        AppealStatus.RECEIVED,
        grid.world.areas.grid,
    )
    assert (problem.mode, problem.reported_by) == (HandlingMode.ASSISTED, grid.worker)
    assert Attachment.objects.get(appeal=appeal).name == "现场.png"
    html = text(answer)
    assert f'id="appeal-code">{appeal.code}<' in html
    assert "待区级研判派单" in html  # the recent reports with their state
    # A second submit of the same form (same key) is the same report.
    client.post("/grid/report/", report_form(grid))
    assert FoundProblem.objects.count() == 1


def test_a_point_on_the_map_finds_the_grid(grid):
    client = client_of(grid.worker)
    answer = client.post("/grid/report/", report_form(grid, grid="", longitude="101.3", latitude="31.3"))
    assert answer.status_code == 302
    assert FoundProblem.objects.get().area == grid.world.areas.grid


def test_self_handling_outside_the_access_list_is_refused_at_the_mode_and_writes_nothing(grid):
    answer = client_of(grid.worker).post("/grid/report/", report_form(grid, mode=HandlingMode.SELF))
    assert answer.status_code == 400
    html = text(answer)
    error_at = html.index('class="field-error"')
    assert html.rindex('id="field-mode"', 0, error_at) > html.rindex('id="field-text"', 0, error_at)
    assert "准入" in html
    assert FoundProblem.objects.count() == 0 and Appeal.objects.count() == 0


def test_self_handling_on_the_access_list_gives_the_community_its_own_order(grid):
    data = report_form(grid, mode=HandlingMode.SELF, kind=grid.sanitation.pk, text="楼道堆放杂物")
    answer = client_of(grid.worker).post("/grid/report/", data, follow=True)
    problem = FoundProblem.objects.get()
    order = Order.objects.get(appeal=problem.appeal)
    assert order.unit == grid.world.units.east_community
    assert "自办工单" in text(answer)


def test_a_bad_report_names_the_field(grid):
    answer = client_of(grid.worker).post("/grid/report/", report_form(grid, text="", kind=""))
    assert answer.status_code == 400
    assert text(answer).count('class="field-error"') == 2
    assert FoundProblem.objects.count() == 0


# ---------------------------------------------------------------- 2. daily report


def test_a_daily_report_with_two_problems(grid):
    a = grid.world.areas
    data = {
        "day": timezone.localdate().isoformat(),
        "rows": "4",
        "p-0-text": "路灯不亮",
        "p-0-kind": grid.sanitation.pk,
        "p-0-area": a.grid.pk,
        "p-0-address": "东一路",
        "p-1-text": "",
        "p-3-text": "餐馆油烟",  # a row the script added
        "p-3-kind": grid.pollution.pk,
        "none": "0",
    }
    answer = client_of(grid.secretary).post("/grid/daily/", data, follow=True)
    assert answer.status_code == 200
    report = DailyReport.objects.get()
    assert sorted(report.problems.values_list("text", flat=True)) == ["路灯不亮", "餐馆油烟"]
    assert report.problems.get(text="路灯不亮").area == a.grid
    html = text(answer)
    assert "今日已报送" in html and "待街道研判" in html


def test_a_no_problem_report(grid):
    answer = client_of(grid.secretary).post(
        "/grid/daily/",
        {"day": timezone.localdate().isoformat(), "p-0-text": "写了又不算", "none": "1"},
        follow=True,
    )
    report = DailyReport.objects.get()
    assert report.problems.count() == 0
    assert "未发现问题" in text(answer)


def test_an_empty_report_without_the_no_problem_button_is_refused(grid):
    answer = client_of(grid.secretary).post(
        "/grid/daily/", {"day": timezone.localdate().isoformat(), "none": "0"}
    )
    assert answer.status_code == 400
    assert DailyReport.objects.count() == 0


def test_a_day_may_be_late_only_when_flagged_missing(grid):
    u = grid.world.units
    client = client_of(grid.secretary)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    answer = client.post("/grid/daily/", {"day": yesterday.isoformat(), "none": "1"})
    assert answer.status_code == 400 and DailyReport.objects.count() == 0
    MissingDailyReport.objects.create(
        community=u.east_community, street=u.east_street, day=yesterday, flagged_at=timezone.now()
    )
    assert yesterday.isoformat() in text(client.get("/grid/daily/"))
    assert client.post("/grid/daily/", {"day": yesterday.isoformat(), "none": "1"}).status_code == 302
    assert MissingDailyReport.objects.get().report == DailyReport.objects.get(day=yesterday)


def test_a_row_refused_by_the_domain_shows_its_error_in_the_row(grid):
    data = {"day": timezone.localdate().isoformat(), "p-0-text": "", "p-0-address": "只有地址", "none": "0"}
    answer = client_of(grid.secretary).post("/grid/daily/", data)
    assert answer.status_code == 400
    html = text(answer)
    row = html[html.index('id="row-0"') : html.index('id="row-1"')]
    assert "不能为空" in row
    assert DailyReport.objects.count() == 0


# ---------------------------------------------------------------- 3. street study


def _daily(grid, *texts):
    report = daily_report_submit(
        community=grid.world.units.east_community,
        day=timezone.localdate(),
        by=grid.secretary,
        problems=[{"text": t, "kind": grid.pollution} for t in texts],
    )
    return list(report.problems.order_by("id"))


def test_the_street_sees_todays_reports_and_problems(grid):
    _daily(grid, "餐馆油烟")
    html = text(client_of(grid.world.people.street_leader).get("/grid/study/"))
    assert "东一社区居委会" in html and "已报送" in html and "餐馆油烟" in html
    assert "此前无群众诉求" in html


def test_the_street_drops_only_with_a_reason_sends_up_and_handles(grid):
    leader = client_of(grid.world.people.street_leader)
    first, second, third = _daily(grid, "问题一", "问题二", "问题三")
    answer = leader.post(f"/grid/study/{first.pk}/", {"decision": "drop", "reason": ""})
    assert answer.status_code == 400
    html = text(answer)
    section = html[html.index(f'id="problem-{first.pk}"') :]
    assert "不能为空" in section[: section.index("</section>")]
    first.refresh_from_db()
    assert first.street_decision == ""
    assert (
        leader.post(f"/grid/study/{first.pk}/", {"decision": "drop", "reason": "已自行解决"}).status_code
        == 302
    )
    assert leader.post(f"/grid/study/{second.pk}/", {"decision": "send_up"}).status_code == 302
    assert (
        leader.post(
            f"/grid/study/{third.pk}/", {"decision": "handle", "item": grid.world.items.parking.code}
        ).status_code
        == 302
    )
    for p in (first, second, third):
        p.refresh_from_db()
    assert first.street_decision == StreetDecision.DROP and first.appeal is None
    assert second.appeal.status == AppealStatus.RECEIVED
    assert third.appeal.item == grid.world.items.parking
    assert Order.objects.get(appeal=third.appeal).unit == grid.world.units.east_street
    # An unknown item code is named at the item.
    (fourth,) = _daily_again(grid)
    answer = leader.post(f"/grid/study/{fourth.pk}/", {"decision": "handle", "item": "NOPE"})
    assert answer.status_code == 400 and "没有这个目录事项" in text(answer)


def _daily_again(grid):
    """A second daily report: yesterday's, sent late after it was flagged missing."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    MissingDailyReport.objects.create(
        community=grid.world.units.east_community,
        street=grid.world.units.east_street,
        day=yesterday,
        flagged_at=timezone.now(),
    )
    report = daily_report_submit(
        community=grid.world.units.east_community,
        day=yesterday,
        by=grid.secretary,
        problems=[{"text": "问题四"}],
    )
    return list(report.problems.all())


def test_another_streets_problem_is_not_found(grid):
    (problem,) = _daily(grid, "问题")
    from yousu.org.services import person_create

    west = person_create(
        username="wes", full_name="西街道", unit=grid.world.units.west_street, roles=["unit_handler"]
    )
    assert client_of(west).post(f"/grid/study/{problem.pk}/", {"decision": "send_up"}).status_code == 404


# ---------------------------------------------------------------- 4. district


def test_the_district_sees_the_proposal_and_dispatches_jointly(grid):
    u = grid.world.units
    problem = sent_up(grid)
    client = client_of(grid.world.people.east_dispatcher)
    html = text(client.get("/grid/district/"))
    assert problem.appeal.code in html and "东区生态环境局" in html
    # Joint needs two units: refused and shown at the units.
    answer = client.post(f"/grid/district/{problem.pk}/", {"lead": u.east_eco.pk, "mode": "joint"})
    assert answer.status_code == 400 and "联办须有两个以上单位" in text(answer)
    answer = client.post(
        f"/grid/district/{problem.pk}/", {"lead": u.east_eco.pk, "units": [u.east_market.pk], "mode": "joint"}
    )
    assert answer.status_code == 302
    orders = {(o.unit, o.role) for o in Order.objects.filter(appeal=problem.appeal)}
    assert orders == {(u.east_eco, OrderRole.LEAD), (u.east_market, OrderRole.JOINT)}
    problem.refresh_from_db()
    assert problem.mode == HandlingMode.JOINT


def test_overriding_the_catalog_needs_a_reason(grid):
    u = grid.world.units
    problem = sent_up(grid)
    client = client_of(grid.world.people.east_dispatcher)
    answer = client.post(f"/grid/district/{problem.pk}/", {"lead": u.east_market.pk, "mode": "assisted"})
    assert answer.status_code == 400
    assert Order.objects.filter(appeal=problem.appeal).count() == 0


# ---------------------------------------------------------------- 5. meetings


def test_a_meeting_with_a_decision_creates_an_order(grid):
    u, p = grid.world.units, grid.world.people
    problem = sent_up(grid)
    client = client_of(p.east_dispatcher)
    client.post(f"/grid/district/{problem.pk}/", {"lead": u.east_eco.pk, "mode": "assisted"})
    due = (timezone.localtime() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    data = {
        "held_on": timezone.localdate().isoformat(),
        "title": "油烟问题联席会议",
        "place": "区平台",
        "attendees": [u.east_eco.pk, u.east_street.pk],
        "minutes": "街道组织商户整改",
        "m-0-appeal": problem.appeal.code,
        "m-0-discussion": "未装净化器",
        "m-0-d-0-kind": "order",
        "m-0-d-0-text": "组织商户整改",
        "m-0-d-0-owner": u.east_street.pk,
        "m-0-d-0-due": due.strftime("%Y-%m-%dT%H:%M"),
    }
    answer = client.post("/grid/meetings/new/", data, follow=True)
    assert answer.status_code == 200
    meeting = JointMeeting.objects.get()
    decision = MeetingDecision.objects.get()
    assert (decision.order.unit, decision.order.role, decision.order.completion_due) == (
        u.east_street,
        OrderRole.JOINT,
        due,
    )
    html = text(answer)
    assert (
        meeting.title in html
        and "组织商户整改" in html
        and f"/dispatch/appeals/{problem.appeal.code}/" in html
    )
    # The street attended: it sees the meeting, and its order on its own desk.
    street = client_of(p.street_leader)
    assert meeting.title in text(street.get("/grid/meetings/"))
    assert f"/unit/orders/{decision.order.pk}/" in text(street.get(f"/grid/meetings/{meeting.pk}/"))
    assert client_of(p.west_market_handler).get(f"/grid/meetings/{meeting.pk}/").status_code == 403


def test_a_bad_decision_is_named_in_its_row_and_nothing_is_written(grid):
    u, p = grid.world.units, grid.world.people
    problem = sent_up(grid)
    past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "held_on": timezone.localdate().isoformat(),
        "title": "会议",
        "attendees": [u.east_eco.pk],
        "minutes": "纪要",
        "m-0-appeal": problem.appeal.code,
        "m-0-discussion": "研究",
        "m-0-d-0-text": "整改",
        "m-0-d-0-owner": u.east_eco.pk,
        "m-0-d-0-due": past,
    }
    answer = client_of(p.east_dispatcher).post("/grid/meetings/new/", data)
    assert answer.status_code == 400
    html = text(answer)
    row = html[html.index('id="m-0-d-0"') : html.index('id="m-0-d-1"')]
    assert "完成时限必须晚于现在" in row
    assert JointMeeting.objects.count() == 0
    data["m-0-appeal"] = "NOPE"
    assert "没有这个诉求编号" in text(client_of(p.east_dispatcher).post("/grid/meetings/new/", data))


# ---------------------------------------------------------------- 6. stationed


def test_stationed_staff_accept_on_the_spot(grid):
    problem = grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="油烟直排",
        mode=HandlingMode.ASSISTED,
        grid=grid.world.areas.grid,
    )
    client = client_of(grid.stationed)
    assert problem.appeal.code in text(client.get("/grid/stationed/"))
    answer = client.post(f"/grid/stationed/{problem.appeal.code}/accept/")
    order = Order.objects.get(appeal=problem.appeal)
    assert (order.unit, order.status) == (grid.world.units.east_eco, OrderStatus.ACCEPTED)
    assert answer.status_code == 302 and answer["Location"] == f"/unit/orders/{order.pk}/"
    # A second try is refused with the domain's words, back on the worklist.
    answer = client.post(f"/grid/stationed/{problem.appeal.code}/accept/", follow=True)
    assert "不在待签收状态" in text(answer) or "不归" in text(answer)


# ---------------------------------------------------------------- home


def test_the_home_page_counts_what_waits_at_the_grid_desks(grid):
    sent_up(grid)
    _daily_again(grid)
    html = text(client_of(grid.world.people.east_dispatcher).get("/"))
    assert 'id="work-grid-district"' in html
    html = text(client_of(grid.world.people.street_leader).get("/"))
    assert 'id="work-grid-study"' in html
