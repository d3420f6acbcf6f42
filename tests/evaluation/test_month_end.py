"""When an outcome is judged (definitions.TIMING): an order dispatched at the month's end and signed for
in time early next month counts as responded in the month it was dispatched; a month with an outcome
still open is provisional and becomes final by itself once its last limit has passed; a unit with too
few orders is "样本不足", not red; final and projected zones are told to the units."""

import datetime as dt

import pytest

from tests.appeals.factories import at_eco, at_market, new_appeal, staff
from tests.supervision.clock import at, frozen
from yousu.dispatch.services import appeal_dispatch, order_accept, order_forward
from yousu.evaluation.assessment import current_run
from yousu.evaluation.models import AssessmentRun, AssessmentScheme
from yousu.evaluation.publication import assess_and_publish, assessment_periodic, lost_points
from yousu.notifications.models import Notification

SEPTEMBER = dt.date(2026, 9, 1)
OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)
DECEMBER = dt.date(2026, 12, 1)
MINUTE = dt.timedelta(minutes=1)


@pytest.mark.usefixtures("small_sample")
def test_signed_for_in_time_on_the_first_counts_as_responded_in_the_month_it_was_dispatched(world):
    with frozen(at(2026, 11, 30, 16, 0)):
        order = at_eco(world)[1]
    # One working day to sign for: the limit runs into December.
    assert order.response_due > at(2026, 12, 1, 0, 0)
    with frozen(at(2026, 12, 1, 2, 0)):
        done = assessment_periodic()
    assert done["assessed"] == ["2026-11 v1"]
    first = current_run(NOVEMBER)
    eco = first.results.get(unit=world.units.east_eco)
    # Not yet known on the 1st at 02:00: awaiting, not failed, and the month is provisional.
    assert first.is_provisional and first.final_after == order.response_due
    assert (eco.received, eco.assessed, eco.awaiting_response, eco.response_rate) == (1, 0, 1, None)
    assert eco.zone == ""

    with frozen(at(2026, 12, 1, 9, 0)):
        order_accept(order=order, by=world.people.east_eco_handler)
    with frozen(order.response_due - MINUTE):
        assert assessment_periodic()["finalised"] == []
    with frozen(order.response_due + MINUTE):
        assert assessment_periodic()["finalised"] == ["2026-11 v2"]
        assert assessment_periodic()["finalised"] == []  # idempotent
    final = current_run(NOVEMBER)
    eco = final.results.get(unit=world.units.east_eco)
    assert not final.is_provisional and final.final_after is None
    assert (eco.assessed, eco.responded, eco.awaiting_response, eco.response_rate) == (1, 1, 0, 1.0)
    # Still open at the end of November but inside its completion limit: carried to December.
    assert (eco.due, eco.carried_over, eco.completion_rate) == (0, 1, None)
    assert (eco.score, eco.zone) == (100, "blue")
    # Recomputing later changes nothing: the outcome was known and is kept.
    with frozen(at(2026, 12, 20, 9, 0)):
        later = assess_and_publish(month=NOVEMBER, note="复核")
    assert later.results.get(unit=world.units.east_eco).response_rate == 1.0


@pytest.mark.usefixtures("small_sample")
def test_dispatched_at_17_50_before_the_national_day_holiday(world):
    with frozen(at(2026, 9, 30, 17, 50)):
        order = at_eco(world)[1]
    # The sign-for limit skips the seven days of the holiday: it falls on the first working days after it.
    assert order.response_due.date() >= dt.date(2026, 10, 8)
    with frozen(at(2026, 10, 1, 2, 0)):
        provisional = assess_and_publish(month=SEPTEMBER)
    assert provisional.is_provisional and provisional.final_after == order.response_due
    assert provisional.results.get(unit=world.units.east_eco).response_rate is None
    with frozen(at(2026, 10, 8, 9, 0)):
        order_accept(order=order, by=world.people.east_eco_handler)
    with frozen(order.response_due + MINUTE):
        assessment_periodic()
    final = current_run(SEPTEMBER)
    eco = final.results.get(unit=world.units.east_eco)
    assert not final.is_provisional
    assert (eco.received, eco.responded, eco.response_rate, eco.zone) == (1, 1, 1.0, "blue")


@pytest.mark.usefixtures("small_sample")
def test_not_signed_for_by_the_limit_is_a_failure_once_the_limit_has_passed(world):
    with frozen(at(2026, 11, 30, 16, 0)):
        order = at_eco(world)[1]
    with frozen(order.response_due + MINUTE):
        run = assess_and_publish(month=NOVEMBER)
    eco = run.results.get(unit=world.units.east_eco)
    assert not run.is_provisional
    assert (eco.assessed, eco.responded, eco.response_rate) == (1, 0, 0.0)


@pytest.mark.usefixtures("small_sample")
def test_an_order_forwarded_on_the_first_counts_in_december_for_the_unit_below(world):
    with frozen(at(2026, 11, 30, 16, 0)):
        city_order = appeal_dispatch(appeal=new_appeal(world), by=world.people.dispatcher)
    with frozen(at(2026, 12, 1, 9, 0)):
        eco_order = order_forward(order=city_order, by=world.people.east_dispatcher)
        order_accept(order=eco_order, by=world.people.east_eco_handler)
    with frozen(at(2026, 12, 2, 9, 0)):
        november = assess_and_publish(month=NOVEMBER)
    platform = november.results.get(unit=world.units.east_platform)
    # The district platform received it in November and passed it on: it does not answer for it.
    assert (platform.received, platform.assessed, platform.awaiting_response) == (1, 0, 0)
    assert not november.results.filter(unit=world.units.east_eco, received__gt=0).exists()
    with frozen(at(2027, 1, 4, 9, 0)):
        december = assess_and_publish(month=DECEMBER)
    eco = december.results.get(unit=world.units.east_eco)
    assert (eco.received, eco.responded) == (1, 1)


def test_one_late_order_is_too_few_to_zone_a_unit(world):
    # The demo's case: one order, not signed for in time; the default scheme needs three.
    assert AssessmentScheme.objects.get().min_sample == 3
    with frozen(at(2026, 10, 12, 9, 0)):
        at_market(world)
    with frozen(at(2026, 11, 2, 9, 0)):
        run = assess_and_publish(month=OCTOBER)
    market = run.results.get(unit=world.units.east_market)
    assert (market.assessed, market.response_rate) == (1, 0.0)
    assert market.insufficient_sample
    assert (market.score, market.rank, market.zone) == (None, None, "")
    # Without the rule (a minimum of one) the same order zones it red.
    AssessmentScheme.objects.update(min_sample=1)
    with frozen(at(2026, 11, 2, 9, 5)):
        strict = assess_and_publish(month=OCTOBER)
    market = strict.results.get(unit=world.units.east_market)
    assert not market.insufficient_sample and market.zone == "red"


@pytest.fixture
def market_unsigned(world):
    """Three orders the east market bureau never signs for, and one the environment bureau signs for."""
    world.people.market_leader = staff(world.units.east_market, "mleader", "unit_leader")
    with frozen(at(2026, 10, 12, 9, 0)):
        orders = [at_market(world)[1] for _ in range(3)]
        eco = at_eco(world)[1]
        order_accept(order=eco, by=world.people.east_eco_handler)
    world.market_orders = orders
    return world


def zone_notices(**filters):
    return Notification.objects.filter(kind="zone_notice", channel="inbox", **filters)


def test_a_final_assessment_tells_red_units_and_their_leaders_why(market_unsigned):
    world = market_unsigned
    with frozen(at(2026, 11, 2, 9, 0)):
        run = assess_and_publish(month=OCTOBER)
    market = run.results.get(unit=world.units.east_market)
    assert market.zone == "red" and not run.is_provisional
    to_unit = zone_notices(recipient_unit=world.units.east_market).get()
    to_leader = zone_notices(recipient_person=world.people.market_leader).get()
    assert to_unit.text == to_leader.text
    assert "红区" in to_unit.subject and "2026-10" in to_unit.subject
    assert f"同类第 {market.rank} / {market.peers} 名" in to_unit.text
    for order in world.market_orders:
        assert order.appeal.code in to_unit.text
    assert "/reports/unit/?month=2026-10&unit=C-E-market" in to_unit.text
    # The leader also gets a text message (the SMS row waits for delivery).
    assert Notification.objects.filter(kind="zone_notice", channel="sms").count() == (
        1 if world.people.market_leader.phone else 0
    )
    # Blue units are not told; a recomputation that changes nothing tells nobody again.
    assert not zone_notices(recipient_unit=world.units.east_eco).exists()
    with frozen(at(2026, 11, 3, 9, 0)):
        assess_and_publish(month=OCTOBER, note="复核")
    assert zone_notices().count() == 2


def test_the_lost_points_name_the_orders_behind_them(market_unsigned):
    world = market_unsigned
    with frozen(at(2026, 11, 2, 9, 0)):
        run = assess_and_publish(month=OCTOBER)
    lost = lost_points(run, world.units.east_market)
    late = [entry["order_id"] for entry in lost if entry["reason"] == "response_rate"]
    assert sorted(late) == sorted(order.pk for order in world.market_orders)
    overdue = [entry for entry in lost if entry["reason"] == "completion_rate"]
    assert len(overdue) == 3  # three working days passed long before the month's end
    # The environment bureau signed for its order in time but has not completed it.
    assert [entry["reason"] for entry in lost_points(run, world.units.east_eco)] == ["completion_rate"]


def test_a_provisional_computation_tells_nobody(market_unsigned):
    with frozen(at(2026, 10, 20, 9, 0)):
        run = assess_and_publish(month=OCTOBER)
    assert run.is_provisional
    assert not Notification.objects.filter(kind__in=("zone_notice", "zone_projection")).exists()


def test_projection_days_warn_the_units_heading_for_the_red_zone(market_unsigned):
    world = market_unsigned
    with frozen(at(2026, 10, 14, 9, 0)):
        assert assessment_periodic()["projected"] == []
    with frozen(at(2026, 10, 15, 0, 1)):
        done = assessment_periodic()
        again = assessment_periodic()
    assert done["projected"] == ["2026-10 v1"] and again["projected"] == []
    run = AssessmentRun.objects.get(month=OCTOBER)
    assert run.is_provisional and run.projection_day == dt.date(2026, 10, 15)
    warned = Notification.objects.filter(kind="zone_projection", channel="inbox")
    assert {n.recipient_unit_id or n.recipient_person.unit_id for n in warned} == {world.units.east_market.pk}
    assert all("预计处于红区" in n.subject for n in warned)
    # When the month has ended, its projection gives way to the month's first assessment.
    with frozen(at(2026, 11, 1, 0, 1)):
        assert assessment_periodic()["assessed"] == ["2026-10 v2"]
    assessed = current_run(OCTOBER)
    assert assessed.projection_day is None and assessed.note == "每月自动考评"
    # The scheme names the days; a scheme without them projects nothing.
    AssessmentScheme.objects.update(projection_days="")
    with frozen(at(2026, 11, 25, 0, 1)):
        assert assessment_periodic()["projected"] == []


def test_a_scheme_refuses_projection_days_that_do_not_exist_every_month(world):
    from django.core.exceptions import ValidationError

    scheme = AssessmentScheme.objects.get()
    for bad in ("31", "1", "15,x"):
        scheme.projection_days = bad
        with pytest.raises(ValidationError) as refused:
            scheme.clean()
        assert "projection_days" in refused.value.message_dict
    scheme.projection_days = "15，25"
    scheme.clean()
    assert scheme.projection_day_numbers() == [15, 25]


def test_pages_api_and_sheet_show_the_provisional_month_the_sample_rule_and_the_lost_points(
    client, market_unsigned
):
    """What a leader and a unit read: the provisional mark and its meaning, the rules of TIMING, the
    "样本不足" cell, the report-in column, and the unit sheet's lost points linking to the orders."""
    import html as html_module

    from yousu.evaluation import definitions

    world = market_unsigned
    with frozen(at(2026, 10, 20, 9, 0)):
        assess_and_publish(month=OCTOBER)

    def page(person, path):
        client.force_login(person)
        response = client.get(path)
        assert response.status_code == 200
        return html_module.unescape(response.content.decode())

    html = page(world.people.supervisor, "/assessment/?month=2026-10")
    assert 'id="provisional-note"' in html and str(definitions.PROVISIONAL["definition"]) in html
    for rule in definitions.TIMING:
        assert str(rule) in html
    assert str(definitions.RATES["report_in_rate"]["name"]) in html
    # The environment bureau has one order: 样本不足, not a zone.
    eco_row = html.split('id="unit-C-E-eco"', 1)[1].split("</tr>", 1)[0]
    assert "样本不足" in eco_row and "zone-red" not in eco_row
    with frozen(at(2026, 10, 20, 9, 0)):
        public = page(world.people.supervisor, "/public/?month=2026-10")
    assert "暂定" in public and 'id="provisional-note"' in public

    client.force_login(world.people.supervisor)
    body = client.get("/api/v1/assessments/2026-10/").json()
    assert body["run"]["is_provisional"] is True and body["run"]["final_after"]
    eco = next(row for row in body["results"] if row["unit"] == "C-E-eco")
    assert eco["insufficient_sample"] is True and eco["zone"] == ""

    with frozen(at(2026, 11, 2, 9, 0)):
        assess_and_publish(month=OCTOBER)
    sheet = page(world.people.market_leader, "/reports/unit/?month=2026-10&unit=C-E-market")
    assert 'id="provisional-note"' not in sheet
    lost = sheet.split('id="lost-points"', 1)[1].split("</table>", 1)[0]
    for order in world.market_orders:
        assert f'href="/unit/orders/{order.pk}/">{order.appeal.code}</a>' in lost
    assert "未在签收时限内签收" in lost
