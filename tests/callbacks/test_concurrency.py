"""Two workers running the callbacks' periodic work at once create each callback and send each
citizen's link exactly once. Needs two connections to one database: runs on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from yousu.callbacks.models import Callback, CitizenMessage
from yousu.callbacks.services import callbacks_periodic

from ..notifications.test_concurrency import run_at_once
from .helpers import GATEWAY, SENT, completed_order

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two workers racing need two connections to one database: runs on PostgreSQL (DATABASE_URL)",
)


def test_two_workers_create_each_callback_and_send_each_link_once(transactional_db, world):
    SENT.clear()
    orders = [
        completed_order(world, channel="web", citizen_phone=f"1390000{i:04d}", title=f"油烟{i}")
        for i in range(6)
    ]
    with override_settings(YOUSU_SMS_GATEWAY=GATEWAY):
        results = run_at_once(callbacks_periodic, callbacks_periodic)
    assert all(isinstance(result, dict) for result in results), results
    assert sum(result["created"] for result in results) == len(orders)
    assert Callback.objects.count() == len(orders)
    assert sorted(message["phone"] for message in SENT) == sorted(o.appeal.citizen_phone for o in orders)
    assert set(CitizenMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
