"""Fixtures of the API tests: the HTTP client on the live server, and appeals at the stages the
endpoints act on (received; dispatched to the district department)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from yousu.dispatch.services import appeal_dispatch, order_forward

from .helpers import Api, make_appeal


@pytest.fixture
def api(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture
def received(world):
    """A fumes complaint received by the city platform's operator, not yet dispatched."""
    return make_appeal(world)


@pytest.fixture
def handled(world, received):
    """The fumes complaint dispatched city → east platform → east environment bureau (per catalog)."""
    p = world.people
    city_order = appeal_dispatch(appeal=received, by=p.dispatcher)
    eco_order = order_forward(order=city_order, by=p.east_dispatcher)
    return SimpleNamespace(appeal=received, city_order=city_order, order=eco_order)
