"""A superuser acts for no unit (issue 21): the flag is the system administrator's key to the admin
site's data maintenance (units, people, catalog, calendars), not to a citizen's appeal. Every step of
an appeal's life is refused to a superuser who is not one of the acting unit's people in the right
role, and the unit's own people take the same step right after; nothing is written in the unit's name
by someone who is not of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.api.helpers import Api
from tests.appeals.factories import new_appeal, staff
from yousu.appeals.models import Event
from yousu.callbacks.models import Callback
from yousu.callbacks.services import callback_record, callbacks_create_due
from yousu.core.errors import PermissionRefused
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.consultations import consultation_open
from yousu.dispatch.models import CriticismNotice, Order
from yousu.dispatch.services import (
    appeal_dispatch,
    appeal_handle_self,
    criticism_notice_issue,
    order_accept,
    order_add_assist,
    order_close,
    order_extension_request,
    order_forward,
    order_pause,
    order_reply,
    order_return_request,
    order_review,
    order_send_back,
)
from yousu.dispatch.whistles import whistle_blow
from yousu.grid.services import grid_report_create
from yousu.org.services import person_create
from yousu.public.services import typical_case_publish
from yousu.supervision.services import (
    supervision_order_answer,
    supervision_order_close,
    supervision_order_issue,
    urge_issue,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(world):
    """The system administrator's superuser account: staff, in no unit, with no role."""
    return person_create(
        username="root",
        full_name="系统超级用户",
        unit=None,
        roles=[],
        password="root-Pass-2026x",
        is_staff=True,
        is_superuser=True,
    )


def refused(action) -> None:
    with pytest.raises(PermissionRefused) as caught:
        action()
    assert caught.value.field == "by"


def test_a_superuser_takes_no_step_of_an_appeals_life_and_the_units_people_do(world, root, settings):
    settings.YOUSU_REPLY_REVIEW_LOW_SCORE = 0
    p, u = world.people, world.units
    eco_leader = staff(u.east_eco, "eco_lead", "unit_leader")

    refused(lambda: new_appeal(world, received_by=root))
    appeal = new_appeal(world)
    refused(lambda: appeal_dispatch(appeal=appeal, by=root))
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    refused(lambda: order_forward(order=city_order, by=root))
    order = order_forward(order=city_order, by=p.east_dispatcher)
    refused(
        lambda: order_return_request(order=order, by=root, reason="duplicate", explanation="与另一诉求重复")
    )
    refused(lambda: order_accept(order=order, by=root))
    order = order_accept(order=order, by=p.east_eco_handler)
    refused(
        lambda: order_extension_request(
            order=order, by=root, until=order.completion_due + dt.timedelta(days=3), reason="需要检测"
        )
    )
    refused(
        lambda: order_pause(order=order, by=root, reason="waiting_for_citizen", explanation="等群众补材料")
    )
    refused(lambda: order_add_assist(order=order, by=root, unit=u.east_market))
    refused(lambda: urge_issue(order=order, by=root, text="请加快办理"))
    refused(lambda: supervision_order_issue(order=order, by=root, reason="群众反映强烈"))
    supervision = supervision_order_issue(order=order, by=p.supervisor, reason="群众反映强烈")
    refused(lambda: supervision_order_answer(supervision=supervision, by=root, answer="已处理"))
    supervision = supervision_order_answer(supervision=supervision, by=eco_leader, answer="本周内处理完毕")
    refused(lambda: criticism_notice_issue(unit=u.east_eco, reason="推诿扯皮", by=root))
    refused(lambda: order_reply(order=order, by=root, text="已责令整改。", result="solved"))
    order = order_reply(
        order=order, by=p.east_eco_handler, text="已责令餐馆安装油烟净化器。", result="solved"
    )
    refused(lambda: order_review(order=order, by=root, approve=True))
    order = order_review(order=order, by=p.east_dispatcher, approve=True)
    refused(lambda: supervision_order_close(supervision=supervision, by=root))
    supervision_order_close(supervision=supervision, by=p.supervisor)
    refused(lambda: order_send_back(order=order, by=root, reason="群众不满意"))
    callbacks_create_due()
    callback = Callback.objects.get(order=order)
    refused(
        lambda: callback_record(
            callback=callback, by=root, solved=True, satisfaction="satisfied", unit_caused=None
        )
    )
    refused(lambda: order_close(order=order, by=root))
    callback_record(callback=callback, by=p.operator, solved=True, satisfaction="satisfied", unit_caused=None)
    refused(
        lambda: typical_case_publish(
            appeal=appeal, by=root, title="油烟扰民整改", summary="餐馆油烟直排。", outcome="已安装净化器。"
        )
    )

    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.CLOSED
    assert not CriticismNotice.objects.exists()
    # Nothing in any unit's record names the superuser.
    assert not Event.objects.filter(actor=root).exists()


def test_a_superuser_blows_no_whistle_convenes_nothing_and_reports_from_no_grid(world, grid, root):
    p, u, i = world.people, world.units, world.items
    refused(lambda: whistle_blow(by=root, problem="占道经营", departments=[u.east_market]))
    refused(
        lambda: consultation_open(
            item=i.fumes, topic="油烟职责不清", parties=[u.east_eco, u.east_market], by=root
        )
    )
    refused(
        lambda: grid_report_create(
            by=root, kind=grid.sanitation, text="楼道堆物", mode="self", grid=world.areas.grid
        )
    )
    appeal = new_appeal(world, intake_unit=u.east_community, received_by=p.operator, item=i.hallway)
    refused(lambda: appeal_handle_self(appeal=appeal, unit=u.east_community, by=root))
    assert not Event.objects.filter(actor=root).exists()


def test_a_superuser_who_works_in_one_unit_acts_only_as_that_person(world):
    """The flag adds nothing to a person's own unit and roles: a superuser handler of the east market
    bureau handles its orders and no other unit's."""
    p = world.people
    person = p.east_market_handler
    person.is_superuser = person.is_staff = True
    person.save(update_fields=["is_superuser", "is_staff"])
    city_order = appeal_dispatch(appeal=new_appeal(world), by=p.dispatcher)
    eco_order = order_forward(order=city_order, by=p.east_dispatcher)
    refused(lambda: order_accept(order=eco_order, by=person))
    assert Order.objects.get(pk=eco_order.pk).status == OrderStatus.DISPATCHED


def test_the_unit_desk_and_the_api_refuse_a_superuser(world, root, live_server):
    p = world.people
    city_order = appeal_dispatch(appeal=new_appeal(world), by=p.dispatcher)
    order = order_forward(order=city_order, by=p.east_dispatcher)
    answer = Api(live_server.url).post(f"/api/v1/orders/{order.pk}/accept/", root)
    assert answer.status in (403, 404), answer.body
    client = Client()
    client.force_login(root)
    assert client.get("/unit/").status_code == 403
    page = client.post(f"/unit/orders/{order.pk}/accept/")
    # The page forwards the action and shows the service's refusal.
    assert [str(m) for m in get_messages(page.wsgi_request)] == ["只有东区生态环境局的相应人员可以签收"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DISPATCHED


def test_the_admin_site_still_maintains_data_for_a_superuser(world, root):
    client = Client()
    client.force_login(root)
    for path in ("/admin/", "/admin/org/unit/", "/admin/org/person/", "/admin/catalog/catalogitem/"):
        assert client.get(path).status_code == 200, path
    unit = world.units.east_market
    page = client.get(f"/admin/org/unit/{unit.pk}/change/")
    assert page.status_code == 200
