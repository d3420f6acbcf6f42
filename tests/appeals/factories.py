"""Small builders shared by the intake and handling tests: an appeal, and the usual dispatch paths."""

from __future__ import annotations

from yousu.appeals.models import Appeal
from yousu.appeals.services import appeal_create
from yousu.dispatch.models import Order
from yousu.dispatch.services import appeal_dispatch, order_forward
from yousu.org.models import Person, Unit
from yousu.org.services import person_create

PHONE = "13812345678"


def new_appeal(world, **fields) -> Appeal:
    """A hotline complaint about restaurant fumes in the east district's grid, unless told otherwise."""
    values = {
        "kind": "complaint",
        "channel": "hotline",
        "title": "餐饮店油烟扰民",
        "content": "楼下餐饮店油烟直排，窗户都不敢开。",
        "intake_unit": world.units.platform,
        "received_by": world.people.operator,
        "area": world.areas.grid,
        "item": world.items.fumes,
        "citizen_name": "王小明",
        "citizen_phone": PHONE,
    }
    values.update(fields)
    return appeal_create(**values)


def at_eco(world, appeal: Appeal | None = None) -> tuple[Order, Order]:
    """Dispatched as the catalog says: city platform → east platform → east environment bureau."""
    appeal = appeal or new_appeal(world)
    city_order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    eco_order = order_forward(order=city_order, by=world.people.east_dispatcher)
    return city_order, eco_order


def at_market(world, appeal: Appeal | None = None) -> tuple[Order, Order]:
    """Forwarded against the catalog to the east market bureau (the first seed's 油烟 case)."""
    appeal = appeal or new_appeal(world)
    city_order = appeal_dispatch(appeal=appeal, by=world.people.dispatcher)
    market_order = order_forward(
        order=city_order, by=world.people.east_dispatcher, unit=world.units.east_market, reason="区平台判断"
    )
    return city_order, market_order


def staff(unit: Unit, username: str, *roles: str) -> Person:
    return person_create(username=username, full_name=username, unit=unit, roles=list(roles))


def reload(obj):
    obj.refresh_from_db()
    return obj
