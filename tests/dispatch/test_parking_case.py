"""The first seed's 凤凰山路 parking case, replayed: residents around 凤凰山路 complain again and again to
南山西社区 about parking; 交警 and 城管 each report in when the community blows the whistle, but no
unified plan comes of it. Through the hotline and the mini-program the appeals reach the platform, are
linked to the first one, the district platform convenes a consultation, decides 交警 leads and 城管
assists, the catalog is changed accordingly, and under the seven-day limit 27 temporary parking
spaces are set up; every linked appeal is completed with it."""

from django.utils import timezone

from yousu.appeals.selectors import possible_duplicates
from yousu.appeals.services import appeal_create, appeal_link_duplicate
from yousu.catalog.models import TimeLimitClass
from yousu.catalog.selectors import responsible_unit
from yousu.catalog.services import item_create, rule_create
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.consultations import consultation_adopt_rule, consultation_decide, consultation_open
from yousu.dispatch.models import Order
from yousu.dispatch.services import (
    appeal_dispatch,
    order_accept,
    order_reply,
    order_review,
    order_submit_assist_part,
)
from yousu.dispatch.whistles import whistle_blow, whistle_report_in, whistle_summary
from yousu.org.calendar import calendar_for_unit
from yousu.org.services import area_create, person_create, sector_ensure, unit_create

from ..conftest import SINCE


def add_parking_case(world):
    """What the test city needs besides the shared world: the two departments, the community, the item."""
    a, u = world.areas, world.units
    traffic = sector_ensure(code="traffic", name="公安交通管理")
    urban = sector_ensure(code="urban", name="城市管理")
    units = {
        "traffic": unit_create(
            code="C-E-traffic",
            name="东区交警大队",
            kind="department",
            level="district",
            area=a.east,
            parent=u.east_platform,
            sector=traffic,
        ),
        "urban": unit_create(
            code="C-E-urban",
            name="东区城市管理局",
            kind="department",
            level="district",
            area=a.east,
            parent=u.east_platform,
            sector=urban,
        ),
    }
    place = area_create(code="C-E-1-2", name="南山西社区", kind="community", parent=a.east_street)
    units["community"] = unit_create(
        code="C-E-1-2",
        name="南山西社区居委会",
        kind="community",
        level="community",
        area=place,
        parent=u.east_street,
    )
    people = {
        "traffic": person_create(
            username="jiao", full_name="交警大队民警", unit=units["traffic"], roles=["unit_handler"]
        ),
        "urban": person_create(
            username="cheng", full_name="城管队员", unit=units["urban"], roles=["unit_handler"]
        ),
        "community": person_create(
            username="shi", full_name="社区党委书记", unit=units["community"], roles=["unit_leader"]
        ),
    }
    domain = item_create(code="D3", name="交通运输", level=1)
    category = item_create(code="D3-01", name="停车管理", level=2, parent=domain)
    item = item_create(
        code="D3-01-01",
        name="临时停车位设置",
        level=3,
        parent=category,
        time_limit_class=TimeLimitClass.objects.get(code="complex"),  # 七天办结
        keywords="停车难、停车位、临时停车",
    )
    # The catalog as it stood: parking spaces were the urban-management bureau's, which is what the
    # bureaus disputed.
    rule_create(
        item=item,
        target="sector",
        level="district",
        sector=urban,
        reason="初始权责清单",
        by=world.people.admin,
        valid_from=SINCE,
    )
    return place, units, people, item, traffic


def parking_appeal(world, place, item, channel, citizen):
    return appeal_create(
        kind="complaint",
        channel=channel,
        title="凤凰山路周边停车难",
        content="凤凰山路周边小区住户停车难，交警、城管都来看过，一直没有统一规划停车位。",
        address="凤凰山路",
        intake_unit=world.units.platform,
        received_by=world.people.operator if channel == "hotline" else None,
        area=place,
        item=item,
        citizen_name=citizen,
        citizen_phone="13900001234",
    )


def test_fenghuangshan_road_parking_case(world):
    p = world.people
    place, units, staff, item, traffic = add_parking_case(world)

    # The first appeal comes through the mini-program; the catalog sends it toward the district.
    first = parking_appeal(world, place, item, "mini_program", "住户甲")
    city_order = appeal_dispatch(appeal=first, by=p.dispatcher)
    assert city_order.unit == world.units.east_platform
    assert city_order.proposed_unit == units["urban"]
    # "七天办结": seven working days of the city's calendar.
    calendar = calendar_for_unit(city_order.unit)
    assert calendar.elapsed(city_order.dispatched_at, city_order.completion_due) == 7 * calendar.day_length

    # More residents raise the same matter; intake offers the open appeal and links them to it.
    later = []
    for channel, citizen in (("hotline", "住户乙"), ("app", "住户丙"), ("hotline", "住户丁")):
        appeal = parking_appeal(world, place, item, channel, citizen)
        assert possible_duplicates(item=item, area=place, exclude=appeal) == [first]
        later.append(
            appeal_link_duplicate(appeal=appeal, original=first, by=p.operator, reason="同一停车问题")
        )

    # The community blows the whistle; both bureaus report in, yet nobody plans the spaces.
    whistle = whistle_blow(
        by=staff["community"],
        problem="凤凰山路周边停车难，社区无权规划停车位",
        departments=[units["traffic"], units["urban"]],
        appeal=first,
    )
    whistle_report_in(whistle=whistle, by=staff["traffic"], on_site="交警大队民警 2 人", note="现场查看")
    whistle_report_in(whistle=whistle, by=staff["urban"], on_site="城管队员 2 人", note="现场查看")
    assert whistle_summary(whistle) == {
        "reported": [units["traffic"].code, units["urban"].code],
        "late": [],
        "missing": [],
    }

    # The district platform convenes 交警 and 城管 and decides: 交警 leads, 城管 assists, and the
    # catalog should say so from now on.
    consultation = consultation_open(
        item=item,
        topic="凤凰山路临时停车位由谁牵头设置",
        parties=[units["traffic"], units["urban"]],
        by=p.east_dispatcher,
        appeal=first,
    )
    consultation_decide(
        consultation=consultation,
        by=p.east_dispatcher,
        meeting_record="交警大队牵头规划施划临时停车位，城管局配合清理占道。",
        lead_unit=units["traffic"],
        assisting_units=[units["urban"]],
        proposed_target="sector",
        proposed_level="district",
        proposed_sector=traffic,
    )
    lead = Order.objects.get(appeal=first, role=OrderRole.LEAD, status=OrderStatus.DISPATCHED)
    assist = Order.objects.get(appeal=first, role=OrderRole.ASSIST)
    assert (lead.unit, lead.parent) == (units["traffic"], city_order)
    assert (assist.unit, assist.parent) == (units["urban"], lead)
    # Forwarding down the chain does not restart the seven-day clock.
    assert lead.completion_due == city_order.completion_due

    before_adoption = timezone.now()
    consultation_adopt_rule(consultation=consultation, by=p.admin)
    assert responsible_unit(item=item, area=place).unit == units["traffic"]
    assert responsible_unit(item=item, area=place, at=before_adoption).unit == units["urban"]

    # Handling: the lead accepts, the assisting bureau does its part, the lead replies, the platform approves.
    order_accept(order=lead, by=staff["traffic"])
    order_accept(order=assist, by=staff["urban"])
    order_submit_assist_part(order=assist, by=staff["urban"], text="已清理凤凰山路占道摊点，腾出停车空间")
    order_reply(order=lead, by=staff["traffic"], text="经实地查看，新设临时停车位27个。", result="solved")
    done = order_review(order=lead, by=p.east_dispatcher, approve=True)

    assert done.status == OrderStatus.COMPLETED
    assert done.completed_at <= done.completion_due
    assist.refresh_from_db()
    assert assist.status == OrderStatus.COMPLETED
    first.refresh_from_db()
    assert first.status == "completed"
    for appeal in later:
        appeal.refresh_from_db()
        assert (appeal.status, appeal.duplicate_of) == ("completed", first)
        assert list(appeal.events.order_by("at", "id").values_list("action", flat=True)) == [
            "received",
            "linked_duplicate",
            "follows_appeal_completed",
        ]

    story = list(first.events.order_by("at", "id").values_list("action", flat=True))
    assert story == [
        "received",
        "dispatched",
        "appeal_dispatched",
        "duplicate_attached",
        "duplicate_attached",
        "duplicate_attached",
        "whistle_blown",
        "reported_in",
        "reported_in",
        "consultation_opened",
        "consultation_decided",
        "forwarded",
        "dispatched",
        "dispatched",
        "consultation_rule_adopted",
        "accepted",
        "accepted",
        "assist_part_submitted",
        "replied",
        "completed",
        "completed_with_lead",
        "appeal_completed",
    ]

    # The next appeal about it goes where the adopted rule says, with no consultation needed.
    next_year = parking_appeal(world, place, item, "hotline", "住户戊")
    assert appeal_dispatch(appeal=next_year, by=p.dispatcher).proposed_unit == units["traffic"]
