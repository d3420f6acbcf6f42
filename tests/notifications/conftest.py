"""Fixtures of the notification tests: a real HTTP server that receives webhooks, a handler who can be
reached by phone and e-mail, and a webhook endpoint of the east environment bureau."""

from __future__ import annotations

import pytest

from yousu.notifications.models import WebhookEndpoint

from .helpers import EMAIL, PHONE, SECRET, WebhookReceiver


@pytest.fixture
def receiver():
    server = WebhookReceiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join(timeout=10)


@pytest.fixture
def endpoint(world, receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        unit=world.units.east_eco, url=receiver.url, secret=SECRET, description="区环境局办公系统"
    )


@pytest.fixture
def reachable(world):
    """The east environment bureau's handler, with a mobile number and an e-mail address."""
    person = world.people.east_eco_handler
    person.phone = PHONE
    person.email = EMAIL
    person.save(update_fields=["phone", "email"])
    return person
