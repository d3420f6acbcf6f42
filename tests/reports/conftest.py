"""A month (October 2026) built through the services with a frozen clock, for the reports.

    order  unit               dispatched      accepted     completed          callback
    A      east environment   12 Oct 09:00    09:30        12 Oct 15:00       12 Oct 16:00 solved, satisfied
    M      east market        12 Oct 09:00    09:30        14 Oct 10:00       15 Oct not solved, basically
           (against the catalog; urged by the supervisor on 12 Oct 11:00)     satisfied
    B      east environment   13 Oct 09:00    09:30        — (due 16 Oct: overdue, open at the end of October)
    Q      —                  an inquiry answered at intake on 12 Oct 10:00 (web)
On 30 October the street gets a hallway order (passed down to its community) and a fumes order the
district sends it against the catalog; its attempt to pass that one to the community is refused by
the access list. Every expected figure in the tests is counted by hand from this table.
"""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps

from tests.api.helpers import Api
from tests.appeals.factories import at_eco, at_market, new_appeal
from tests.evaluation.helpers import assess, callback
from tests.supervision.clock import at, frozen
from yousu.appeals.services import appeal_answer_at_intake
from yousu.catalog.services import delegation_exception_decide, delegation_exception_request
from yousu.core.errors import PushDownRefused
from yousu.dispatch.services import appeal_dispatch, order_accept, order_forward, order_reply, order_review
from yousu.supervision.services import urge_issue

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def default_scheme(request):
    """The default scheme comes from a data migration; a live-server test's flush removes it."""
    if "world" not in request.fixturenames:
        return
    request.getfixturevalue("world")
    migration = importlib.import_module("yousu.evaluation.migrations.0002_default_scheme")
    migration.create_default_scheme(django_apps, None)


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


def _complete(order, handler, reviewer, replied, approved):
    with frozen(replied):
        order = order_reply(order=order, by=handler, text="已处理", result="solved")
    with frozen(approved):
        return order_review(order=order, by=reviewer, approve=True)


@pytest.fixture
def october(world):
    p, u, i = world.people, world.units, world.items
    with frozen(at(2026, 10, 12, 9, 0)):
        a = at_eco(world, new_appeal(world, title="甲店油烟"))[1]
        m = at_market(world, new_appeal(world, title="乙店油烟", channel="web"))[1]
    with frozen(at(2026, 10, 12, 9, 30)):
        a = order_accept(order=a, by=p.east_eco_handler)
        m = order_accept(order=m, by=p.east_market_handler)
    with frozen(at(2026, 10, 12, 10, 0)):
        question = new_appeal(world, kind="inquiry", item=None, title="办事时间咨询")
        appeal_answer_at_intake(appeal=question, answer="工作日 9 时至 17 时", by=p.operator)
    with frozen(at(2026, 10, 12, 11, 0)):
        urge_issue(order=m, by=p.supervisor, text="请尽快处理")
    a = _complete(a, p.east_eco_handler, p.east_dispatcher, at(2026, 10, 12, 10, 0), at(2026, 10, 12, 15, 0))
    callback(a, at(2026, 10, 12, 16, 0), solved=True, satisfaction="satisfied")

    with frozen(at(2026, 10, 13, 9, 0)):
        b = at_eco(world, new_appeal(world, title="丙店油烟"))[1]
    with frozen(at(2026, 10, 13, 9, 30)):
        b = order_accept(order=b, by=p.east_eco_handler)
    m = _complete(
        m, p.east_market_handler, p.east_dispatcher, at(2026, 10, 14, 9, 0), at(2026, 10, 14, 10, 0)
    )
    callback(m, at(2026, 10, 15, 9, 0), solved=False, satisfaction="basically_satisfied")

    with frozen(at(2026, 10, 30, 9, 0)):
        hallway = new_appeal(world, item=i.hallway, title="楼道堆物")
        street = order_forward(order=appeal_dispatch(appeal=hallway, by=p.dispatcher), by=p.east_dispatcher)
        order_forward(order=street, by=p.street_leader)
        # The district platform may send a fumes complaint to the street only under a catalog exception
        # the city approved (a bare reason is refused as a push-down); the street still may not pass it on.
        delegation_exception_decide(
            exception=delegation_exception_request(
                item=i.fumes,
                area=world.areas.east_street,
                unit=u.east_street,
                reason="先请街道看看",
                by=p.east_dispatcher,
            ),
            by=p.dispatcher,
            approve=True,
            note="同意",
        )
        city = appeal_dispatch(appeal=new_appeal(world, title="丁店油烟"), by=p.dispatcher)
        at_street = order_forward(order=city, by=p.east_dispatcher, unit=u.east_street, reason="先请街道看看")
        with pytest.raises(PushDownRefused):
            order_forward(order=at_street, by=p.street_leader, unit=u.east_community, reason="社区就近处理")

    run = assess(OCTOBER)
    return SimpleNamespace(world=world, run=run, a=a, m=m, b=b, question=question)
