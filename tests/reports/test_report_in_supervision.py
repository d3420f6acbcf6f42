"""The daily brief counts the supervision order of a missed report-in (it has no order, so no appeal)
in the city of the unit it supervises."""

import datetime as dt

from tests.supervision.clock import at, frozen
from yousu.dispatch.whistles import whistle_blow
from yousu.reports.documents import daily_brief
from yousu.supervision.models import SupervisionOrder
from yousu.supervision.report_ins import sweep_report_ins


def test_a_missed_report_ins_supervision_order_counts_in_its_citys_daily_brief(world):
    with frozen(at(2026, 10, 12, 9, 0)):
        whistle = whistle_blow(
            by=world.people.east_street_handler,
            problem="占道经营需要执法到场",
            departments=[world.units.east_market],
            report_in_within=dt.timedelta(hours=4),
        )
    missed = whistle.report_in_due + dt.timedelta(minutes=1)
    with frozen(missed):
        sweep_report_ins(now=missed)
    supervision = SupervisionOrder.objects.get()
    assert supervision.order_id is None and supervision.unit == world.units.east_market
    with frozen(at(2026, 10, 13, 9, 0)):
        city = daily_brief(dt.date(2026, 10, 12), jurisdiction=world.areas.city)
        everywhere = daily_brief(dt.date(2026, 10, 12))
    assert city["supervision_orders"] == everywhere["supervision_orders"] == 1
