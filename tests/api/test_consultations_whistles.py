"""Consultations (open, decide, adopt the proposed rule), whistles and report-ins, criticism notices."""

from __future__ import annotations

import datetime as dt

from yousu.catalog.models import ResponsibilityRule
from yousu.dispatch.consultations import consultation_decide, consultation_open
from yousu.dispatch.models import Consultation, CriticismNotice, ReportIn, Whistle
from yousu.dispatch.services import appeal_dispatch, order_forward
from yousu.dispatch.whistles import whistle_blow

from .helpers import assert_refused, make_appeal

PROBLEM = "东一社区餐饮街油烟扰民，需环境、市场监管部门到场"


def open_parking_consultation(world, appeal=None):
    return consultation_open(
        item=world.items.parking,
        topic="凤凰山路停车由谁管",
        parties=[world.units.east_street, world.units.east_market],
        by=world.people.dispatcher,
        appeal=appeal,
    )


def test_dispatcher_opens_a_consultation_on_an_appeal(api, world, received):
    answer = api.post(
        "/api/v1/consultations/",
        world.people.dispatcher,
        {
            "item": "D2-01-02",
            "topic": "停车由谁管",
            "parties": ["C-E-1", "C-E-market"],
            "appeal": received.code,
        },
    )
    assert answer.status == 201, answer.body
    consultation = Consultation.objects.get(pk=answer.body["id"])
    assert sorted(u.code for u in consultation.parties.all()) == ["C-E-1", "C-E-market"]
    assert consultation.appeal == received
    assert received.events.filter(action="consultation_opened").exists()


def test_a_handler_may_not_open_a_consultation(api, world):
    answer = api.post(
        "/api/v1/consultations/",
        world.people.east_eco_handler,
        {"item": "D2-01-02", "topic": "停车由谁管", "parties": ["C-E-1", "C-E-market"]},
    )
    assert_refused(answer, (403,))
    assert not Consultation.objects.exists()


def test_convening_platform_decides_and_another_platform_may_not(api, world):
    consultation = open_parking_consultation(world)
    decision = {
        "meeting_record": "交警、城管会商，明确由街道牵头",
        "lead_unit": "C-E-1",
        "assisting_units": ["C-E-market"],
        "proposed_target": "territorial",
        "proposed_level": "street",
    }
    path = f"/api/v1/consultations/{consultation.pk}/decide/"
    assert_refused(api.post(path, world.people.east_dispatcher, decision), (403,))
    assert_refused(api.post(path, world.people.west_market_handler, decision), (404,), "凤凰山路")
    consultation.refresh_from_db()
    assert consultation.decided_at is None
    answer = api.post(path, world.people.dispatcher, decision)
    assert answer.status == 200, answer.body
    consultation.refresh_from_db()
    assert (consultation.lead_unit, consultation.proposed_level) == (world.units.east_street, "street")
    assert answer.body["assisting_units"] == ["C-E-market"]


def test_administrator_adopts_the_proposed_rule_and_a_dispatcher_may_not(api, world):
    consultation = open_parking_consultation(world)
    consultation_decide(
        consultation=consultation,
        by=world.people.dispatcher,
        meeting_record="会商记录",
        lead_unit=world.units.east_market,
        assisting_units=[],
        proposed_target="sector",
        proposed_level="district",
        proposed_sector=world.sectors.market,
    )
    path = f"/api/v1/consultations/{consultation.pk}/adopt-rule/"
    rules_before = ResponsibilityRule.objects.count()
    assert_refused(api.post(path, world.people.dispatcher), (403,))
    assert ResponsibilityRule.objects.count() == rules_before
    answer = api.post(path, world.people.admin)
    assert answer.status == 201, answer.body
    rule = ResponsibilityRule.objects.get(pk=answer.body["id"])
    assert (rule.item, rule.target, rule.sector) == (world.items.parking, "sector", world.sectors.market)
    consultation.refresh_from_db()
    assert consultation.adopted_rule == rule


def test_street_blows_the_whistle_on_its_appeal_and_a_department_may_not(api, world):
    parking = make_appeal(world, title="小区门口乱停车", item=world.items.parking)
    order_forward(
        order=appeal_dispatch(appeal=parking, by=world.people.dispatcher), by=world.people.east_dispatcher
    )
    body = {"problem": PROBLEM, "departments": ["C-E-eco", "C-E-market"]}
    refused = api.post("/api/v1/whistles/", world.people.east_eco_handler, body)
    assert_refused(refused, (403,))
    assert not Whistle.objects.exists()
    answer = api.post(
        "/api/v1/whistles/",
        world.people.street_leader,
        {**body, "appeal": parking.code, "report_in_within": "PT2H"},
    )
    assert answer.status == 201, answer.body
    whistle = Whistle.objects.get(pk=answer.body["id"])
    assert whistle.report_in_due - whistle.blown_at == dt.timedelta(hours=2)
    assert answer.body["summary"] == {"reported": [], "late": [], "missing": ["C-E-eco", "C-E-market"]}
    assert whistle.appeal == parking
    assert parking.events.filter(action="whistle_blown").exists()


def test_summoned_department_reports_in_and_others_may_not(api, world):
    whistle = whistle_blow(
        by=world.people.street_leader,
        problem=PROBLEM,
        departments=[world.units.east_eco, world.units.east_market],
    )
    path = f"/api/v1/whistles/{whistle.pk}/report-in/"
    body = {"on_site": "执法队员两名", "note": "已现场检查"}
    assert_refused(api.post(path, world.people.street_leader, body), (403,))
    assert_refused(api.post(path, world.people.west_market_handler, body), (404,), PROBLEM)
    assert not ReportIn.objects.filter(reported_at__isnull=False).exists()
    answer = api.post(path, world.people.east_eco_handler, body)
    assert answer.status == 200, answer.body
    assert (answer.body["unit"], answer.body["on_site"]) == ("C-E-eco", "执法队员两名")
    shown = api.get(f"/api/v1/whistles/{whistle.pk}/", world.people.east_market_handler)
    assert shown.status == 200
    assert shown.body["summary"] == {"reported": ["C-E-eco"], "late": [], "missing": ["C-E-market"]}


def test_whistle_is_unknown_to_units_it_did_not_summon(api, world):
    whistle = whistle_blow(by=world.people.street_leader, problem=PROBLEM, departments=[world.units.east_eco])
    assert_refused(
        api.get(f"/api/v1/whistles/{whistle.pk}/", world.people.west_market_handler), (404,), PROBLEM
    )
    assert api.get(f"/api/v1/whistles/{whistle.pk}/", world.people.supervisor).status == 200


def test_supervisor_records_a_criticism_notice_and_a_handler_may_not(api, world, handled):
    body = {"unit": "C-E-eco", "reason": "首接责任制落实不力", "order": handled.order.pk}
    assert_refused(api.post("/api/v1/criticism-notices/", world.people.east_eco_handler, body), (403,))
    assert not CriticismNotice.objects.exists()
    answer = api.post("/api/v1/criticism-notices/", world.people.supervisor, body)
    assert answer.status == 201, answer.body
    notice = CriticismNotice.objects.get(pk=answer.body["id"])
    assert (notice.unit, notice.order, notice.issued_by) == (
        world.units.east_eco,
        handled.order,
        world.people.supervisor,
    )
    assert handled.appeal.events.filter(action="criticism_notice").exists()


def test_a_notice_cannot_name_an_order_the_caller_cannot_see(api, world, handled):
    answer = api.post(
        "/api/v1/criticism-notices/",
        world.people.west_market_handler,
        {"unit": "C-W-market", "reason": "x", "order": handled.order.pk},
    )
    assert answer.status == 400
    assert answer.error["field"] == "order"
    assert not CriticismNotice.objects.exists()
