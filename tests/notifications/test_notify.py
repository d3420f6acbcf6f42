"""Creating notifications: which rows a message becomes, in the caller's transaction, queued after commit."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import override_settings

from tests.appeals.factories import at_eco
from yousu.core.errors import DomainError
from yousu.notifications.choices import NotificationChannel, NotificationStatus
from yousu.notifications.models import Notification, WebhookEndpoint
from yousu.notifications.services import NotificationSpec, notify, notify_many

from .helpers import EMAIL, PHONE

BROKER = {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/12"}


def by_channel(rows) -> dict[str, Notification]:
    channels = [row.channel for row in rows]
    assert len(channels) == len(set(channels)), channels
    return {row.channel: row for row in rows}


def test_a_person_gets_the_inbox_row_sent_and_one_pending_row_per_address(world, reachable):
    _city, order = at_eco(world)
    rows = by_channel(
        notify(
            kind="yellow_warning", subject="黄灯预警", text="工单已过半时限", person=reachable, order=order
        )
    )
    assert set(rows) == {NotificationChannel.INBOX, NotificationChannel.SMS, NotificationChannel.EMAIL}
    inbox = rows[NotificationChannel.INBOX]
    assert inbox.status == NotificationStatus.SENT
    assert inbox.sent_at == inbox.created_at and inbox.next_attempt_at is None and inbox.address == ""
    assert rows[NotificationChannel.SMS].address == PHONE
    assert rows[NotificationChannel.EMAIL].address == EMAIL
    for channel in (NotificationChannel.SMS, NotificationChannel.EMAIL):
        row = Notification.objects.get(pk=rows[channel].pk)
        assert row.status == NotificationStatus.PENDING and row.attempts == 0
        assert row.next_attempt_at == row.created_at  # due at once
        assert row.order == order and row.recipient_person == reachable and row.recipient_unit is None
        assert (row.kind, row.subject, row.text) == ("yellow_warning", "黄灯预警", "工单已过半时限")


def test_a_person_without_addresses_gets_only_the_inbox(world):
    rows = notify(kind="urge", text="请尽快签收", person=world.people.east_market_handler)
    assert [row.channel for row in rows] == [NotificationChannel.INBOX]


def test_a_person_who_left_keeps_the_inbox_but_gets_no_messages(world, reachable):
    reachable.is_active = False
    reachable.save(update_fields=["is_active"])
    rows = notify(kind="urge", text="请尽快签收", person=reachable)
    assert [row.channel for row in rows] == [NotificationChannel.INBOX]


@override_settings(YOUSU_NOTIFY_CHANNELS=["inbox", "email"])
def test_channels_left_out_of_the_setting_are_not_used(world, reachable, endpoint):
    assert set(by_channel(notify(kind="urge", text="催办", person=reachable))) == {"inbox", "email"}
    assert [row.channel for row in notify(kind="urge", text="催办", unit=world.units.east_eco)] == ["inbox"]


def test_a_unit_gets_its_inbox_row_and_one_webhook_row_per_active_endpoint(world, endpoint):
    second = WebhookEndpoint.objects.create(
        unit=world.units.east_eco, url="https://example.org/b", secret="s"
    )
    WebhookEndpoint.objects.create(unit=world.units.east_eco, url="https://example.org/off", active=False)
    WebhookEndpoint.objects.create(unit=world.units.west_eco, url="https://example.org/other")
    rows = notify(kind="red_warning", text="工单即将超期", unit=world.units.east_eco)
    assert [row.channel for row in rows] == ["inbox", "webhook", "webhook"]
    assert [(row.endpoint, row.address) for row in rows[1:]] == [
        (endpoint, endpoint.url),
        (second, second.url),
    ]
    # The unit's people read the unit inbox: no SMS or e-mail to anyone for a unit's message.
    assert all(row.recipient_unit == world.units.east_eco for row in rows)
    assert not any(row.recipient_person_id for row in rows)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "recipient"),
        ({"person": "p", "unit": "u"}, "recipient"),
        ({"person": "p", "kind": ""}, "kind"),
        ({"person": "p", "kind": "k" * 41}, "kind"),
        ({"person": "p", "text": "  "}, "text"),
        ({"person": "p", "subject": "标" * 201}, "subject"),
    ],
)
def test_a_message_needs_one_recipient_a_short_kind_and_some_text(world, fields, field):
    values = {"kind": "urge", "text": "催办"}
    values.update(fields)
    if values.get("person") == "p":
        values["person"] = world.people.east_eco_handler
    if values.get("unit") == "u":
        values["unit"] = world.units.east_eco
    with pytest.raises(DomainError) as refused:
        notify(**values)
    assert refused.value.field == field
    assert not Notification.objects.exists()


def test_rows_are_part_of_the_callers_transaction(world, reachable, django_capture_on_commit_callbacks):
    with (
        override_settings(**BROKER),
        django_capture_on_commit_callbacks() as queued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(kind="urge", text="催办", person=reachable)
        raise RuntimeError("the action that caused the message failed")
    assert not Notification.objects.exists()
    assert queued == []  # nothing queued for rows that never existed


def test_delivery_is_queued_once_per_call_after_commit(world, reachable, django_capture_on_commit_callbacks):
    with override_settings(**BROKER), django_capture_on_commit_callbacks() as queued:
        notify(kind="urge", text="催办", person=reachable)
    assert len(queued) == 1  # one message for the SMS and the e-mail row together


def test_nothing_is_queued_without_a_broker(world, reachable, django_capture_on_commit_callbacks):
    with override_settings(CELERY_BROKER_URL=""), django_capture_on_commit_callbacks() as queued:
        notify(kind="urge", text="催办", person=reachable)
    assert queued == []  # the periodic job delivers instead


def test_notify_many_creates_ten_thousand_messages_in_a_few_queries(
    world, reachable, endpoint, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    units = [world.units.east_eco, world.units.west_eco, world.units.east_street, world.units.east_community]
    specs = [
        NotificationSpec(kind="overdue", text=f"工单 {i} 已超期", unit=units[i % len(units)])
        for i in range(9000)
    ]
    specs += [{"kind": "urge", "text": f"催办 {i}", "person": reachable} for i in range(1000)]
    # One query for the endpoints, then inserts of 1,000 rows (SQLite takes at most 999 values a query,
    # so there an insert holds 62 rows); no query per message.
    most = 20 if connection.vendor == "postgresql" else 250
    with (
        override_settings(**BROKER),
        django_capture_on_commit_callbacks() as queued,
        django_assert_max_num_queries(most),
    ):
        rows = notify_many(specs)
    webhook_rows = 9000 // len(units)
    assert len(rows) == 10000 + webhook_rows + 2000
    assert Notification.objects.filter(channel="inbox", status="sent").count() == 10000
    assert Notification.objects.filter(channel="webhook", endpoint=endpoint).count() == webhook_rows
    assert Notification.objects.filter(status="pending").count() == webhook_rows + 2000
    assert all(row.pk for row in rows)
    # The pending rows are queued in messages of 500 ids that several workers can share.
    assert len(queued) == (webhook_rows + 2000 + 499) // 500


def test_notify_many_with_nothing_to_send_does_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notify_many([]) == []
