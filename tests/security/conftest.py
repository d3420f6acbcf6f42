"""Fixtures of the security tests: the real-HTTP API client, and a scene of objects that belong to the
east side of the test city (an appeal at every stage the endpoints act on), with the people who own
them and the people of other units who must not reach them."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from yousu.appeals.models import Appeal
from yousu.appeals.services import appeal_answer_at_intake
from yousu.callbacks.models import Callback
from yousu.callbacks.services import callbacks_create_due
from yousu.dispatch.consultations import consultation_open
from yousu.dispatch.services import (
    appeal_dispatch,
    order_accept,
    order_extension_request,
    order_forward,
    order_reply,
    order_return_request,
)
from yousu.dispatch.whistles import whistle_blow
from yousu.grid.services import grid_report_create
from yousu.intelligence.hot_issues import hot_issues_absorb
from yousu.knowledge.models import IntakeAnswer, KnowledgeProposal
from yousu.knowledge.services import entry_create
from yousu.notifications.models import Notification
from yousu.org.services import person_create
from yousu.supervision.services import supervision_order_issue

from ..api.helpers import Api, make_appeal
from ..callbacks.helpers import completed_order


@pytest.fixture(autouse=True)
def no_limits_used():
    # The citizen page's limits count in the cache, which outlives a test; each test starts with none used.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


def east_order(world, **appeal_fields):
    """A fumes complaint dispatched city → east platform → east environment bureau (per catalog)."""
    p = world.people
    appeal = make_appeal(world, **appeal_fields)
    city_order = appeal_dispatch(appeal=appeal, by=p.dispatcher)
    return order_forward(order=city_order, by=p.east_dispatcher)


@pytest.fixture
def scene(world, grid, north):
    """Objects of the east district, each with the person who may act on it; and a second city."""
    p, u = world.people, world.units
    s = SimpleNamespace(world=world, grid=grid, north=north)
    returning = east_order(world, title="东区油烟一", content="东区油烟一")
    s.return_request = order_return_request(
        order=returning,
        by=p.east_eco_handler,
        reason="wrong_area",
        explanation="不在辖区",
        suggested_unit=u.west_eco,
        basis_item=world.items.fumes,
    )
    s.order = order_accept(
        order=east_order(world, title="东区油烟二", content="东区油烟二"), by=p.east_eco_handler
    )
    s.appeal = s.order.appeal
    s.extension_request = order_extension_request(
        order=s.order,
        by=p.east_eco_handler,
        until=s.order.completion_due + dt.timedelta(days=2),
        reason="需要时间",
    )
    s.supervision_order = supervision_order_issue(order=s.order, by=p.supervisor, reason="督办")
    s.consultation = consultation_open(
        item=world.items.parking,
        topic="东一街道停车由谁管",
        parties=[u.east_street, u.east_market],
        by=p.dispatcher,
        appeal=make_appeal(world, item=world.items.parking, title="东区停车", content="东区停车"),
    )
    s.whistle = whistle_blow(by=p.street_leader, problem="东一社区占道经营", departments=[u.east_eco])
    completed = completed_order(world, title="东区油烟三", content="东区油烟三")
    callbacks_create_due(now=timezone.now() + dt.timedelta(days=2))
    s.callback = Callback.objects.get(order=completed)
    s.problem = grid_report_create(
        by=grid.worker,
        kind=grid.pollution,
        text="东一社区网格发现油烟",
        mode="assisted",
        grid=world.areas.grid,
    )
    s.notification = Notification.objects.filter(recipient_unit=u.east_eco, channel="inbox").first()
    # What the desks show their action forms for: an appeal still to dispatch, an order still to accept,
    # a reply still to review.
    s.received = make_appeal(world, title="待派诉求", content="待派诉求")
    s.fresh_order = east_order(world, title="东区油烟四", content="东区油烟四")
    s.replied = order_reply(
        order=order_accept(
            order=east_order(world, title="东区油烟五", content="东区油烟五"), by=p.east_eco_handler
        ),
        by=p.east_eco_handler,
        text="已处理",
        result="solved",
    )
    # A knowledge entry the east environment bureau keeps (operators of the city read it too).
    s.entry = entry_create(
        by=p.east_eco_handler,
        question="东区餐饮油烟扰民怎么处理",
        answer="由东区生态环境局依法查处。",
        owning_unit=u.east_eco,
        valid_from=timezone.localdate(),
        review_due=timezone.localdate() + dt.timedelta(days=90),
    )
    # An inquiry answered on the spot from that entry (its callback is the intake desk's), and an
    # approved reply to an inquiry proposed to the east environment bureau as an entry.
    answered = appeal_answer_at_intake(
        appeal=make_appeal(world, kind="inquiry", title="油烟找谁", content="油烟投诉找谁", item=None),
        by=p.operator,
        knowledge_entry=s.entry,
    )
    s.intake_answer = IntakeAnswer.objects.get(appeal=answered)
    asked = completed_order(world, kind="inquiry", title="东区油烟咨询", content="餐饮油烟归谁管")
    s.proposal = KnowledgeProposal.objects.get(order=asked)
    # A hot issue of three east appeals about one barbecue stall: the city platform's, and the east
    # platform's once they are its; the west platform reaches none of them.
    barbecue = [
        make_appeal(world, title=title, content=content)
        for title, content in (
            ("东区幸福小区烧烤店油烟扰民", "东区幸福小区楼下烧烤店每天晚上油烟直排，居民无法开窗。"),
            ("投诉东区幸福小区烧烤店油烟", "东区幸福小区门口烧烤店油烟直排扰民，晚上烟味大。"),
            ("东区幸福小区烧烤油烟直排", "烧烤店油烟直排到东区幸福小区楼里，晚上更严重。"),
        )
    ]
    (s.hot_issue,) = set(hot_issues_absorb(barbecue))
    # People of the other side of the city, who own none of it: a street's handler and the other
    # district platform's dispatcher (who dispatches that district's appeals and sees its hot issues).
    s.west_street_handler = person_create(
        username="wes", full_name="西一街道承办人", unit=u.west_street, roles=["unit_handler"]
    )
    s.west_dispatcher = person_create(
        username="wendy", full_name="西区派单员", unit=u.west_platform, roles=["dispatcher"]
    )
    # What an outsider must never be shown of this side, in a list or a page of their own: the codes of
    # the scene's appeals and the words of its objects.
    s.secrets = sorted(
        {
            *Appeal.objects.values_list("code", flat=True),
            s.consultation.topic,
            s.whistle.problem,
            s.problem.text,
            *(appeal.title for appeal in barbecue),
        }
    )
    return s
