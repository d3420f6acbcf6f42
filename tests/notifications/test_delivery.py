"""Delivering notifications through each channel, with retries on a back-off and a final failure."""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tests.appeals.factories import at_eco, new_appeal
from yousu.appeals.models import Appeal
from yousu.notifications import services
from yousu.notifications.choices import NotificationChannel, NotificationStatus
from yousu.notifications.models import Notification
from yousu.notifications.services import BACKOFF, LEASE, deliver, deliver_due, notify

from .helpers import EMAIL, PHONE, SECRET


def only(rows, channel: str) -> Notification:
    (row,) = [row for row in rows if row.channel == channel]
    return row


def reload(row: Notification) -> Notification:
    return Notification.objects.get(pk=row.pk)


def closed_port() -> int:
    """A local port on which nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sms_goes_to_the_configured_gateway_which_by_default_writes_the_log(world, reachable, caplog):
    sms = only(notify(kind="urge", text="请尽快签收工单", person=reachable), NotificationChannel.SMS)
    with caplog.at_level(logging.INFO, logger="yousu.sms"):
        delivered = deliver(sms.pk)
    assert delivered.status == NotificationStatus.SENT and delivered.attempts == 1
    assert delivered.sent_at is not None and delivered.next_attempt_at is None
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("yousu.sms", f"SMS to {PHONE}: 请尽快签收工单")
    ]
    assert reload(sms).status == NotificationStatus.SENT


def test_email_goes_through_djangos_mail(world, reachable):
    email = only(
        notify(kind="supervision_order", subject="督办单", text="请于今日办结。", person=reachable),
        NotificationChannel.EMAIL,
    )
    assert deliver(email.pk).status == NotificationStatus.SENT
    (message,) = mail.outbox
    assert (message.subject, message.body, message.to) == ("督办单", "请于今日办结。", [EMAIL])
    assert message.from_email == "yousu@localhost"


def test_an_email_without_a_subject_takes_the_start_of_the_text(world, reachable):
    text = "工单超期。\n" + "请尽快处理" * 20
    deliver(only(notify(kind="overdue", text=text, person=reachable), NotificationChannel.EMAIL).pk)
    (message,) = mail.outbox
    assert message.subject.startswith("工单超期。 请尽快处理") and len(message.subject) <= 60


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1")
def test_an_unreachable_mail_server_is_a_failed_attempt(world, reachable):
    email = only(notify(kind="urge", text="催办", person=reachable), NotificationChannel.EMAIL)
    with override_settings(EMAIL_PORT=closed_port()):
        failed = deliver(email.pk)
    assert failed.status == NotificationStatus.PENDING and failed.attempts == 1
    assert "ConnectionRefusedError" in failed.last_error


def test_a_webhook_is_posted_as_signed_json(world, endpoint, receiver):
    _city, order = at_eco(world)
    rows = notify(
        kind="red_warning", subject="红灯预警", text="工单即将超期", unit=world.units.east_eco, order=order
    )
    hook = only(rows, NotificationChannel.WEBHOOK)
    assert deliver(hook.pk).status == NotificationStatus.SENT
    (request,) = receiver.requests
    assert request.signed_with(SECRET)
    assert not request.signed_with("another-secret")
    assert request.headers["X-Yousu-Delivery"] == str(hook.pk)
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.json == {
        "id": hook.pk,
        "kind": "red_warning",
        "subject": "红灯预警",
        "text": "工单即将超期",
        "order": order.pk,
        "unit": world.units.east_eco.code,
        "created_at": hook.created_at.isoformat(),
    }


def test_a_webhook_answering_500_is_retried_after_the_back_off(world, endpoint, receiver):
    receiver.statuses = [500]
    hook = only(notify(kind="red_warning", text="工单即将超期", unit=world.units.east_eco), "webhook")
    start = timezone.now()
    failed = deliver(hook.pk, now=start)
    assert failed.status == NotificationStatus.PENDING and failed.attempts == 1
    assert failed.last_error == "HTTP 500"
    assert reload(hook).next_attempt_at == start + dt.timedelta(minutes=1)

    assert deliver_due(now=start + dt.timedelta(seconds=59)) == 0  # not yet due
    assert deliver(hook.pk, now=start + dt.timedelta(seconds=59)) is None
    assert deliver_due(now=start + dt.timedelta(minutes=1)) == 1
    sent = reload(hook)
    assert sent.status == NotificationStatus.SENT and sent.attempts == 2
    assert sent.sent_at == start + dt.timedelta(minutes=1) and sent.next_attempt_at is None
    assert list(receiver.deliveries().items()) == [(hook.pk, 2)]
    assert all(request.signed_with(SECRET) for request in receiver.requests)
    assert deliver_due(now=start + dt.timedelta(days=1)) == 0  # sent is final


def test_a_redirect_is_not_a_delivery(world, endpoint, receiver):
    receiver.statuses = [302]
    hook = only(notify(kind="urge", text="催办", unit=world.units.east_eco), "webhook")
    assert deliver(hook.pk).last_error == "HTTP 302"


def test_after_the_last_attempt_the_notification_has_failed(world, endpoint, receiver):
    receiver.statuses = [500] * 10
    hook = only(notify(kind="urge", text="催办", unit=world.units.east_eco), "webhook")
    moment = timezone.now()
    waits = []
    for attempt in range(1, 7):
        row = deliver(hook.pk, now=moment)
        assert row.attempts == attempt and row.last_error == "HTTP 500"
        if attempt < 6:
            assert row.status == NotificationStatus.PENDING
            waits.append(row.next_attempt_at - moment)
            moment = row.next_attempt_at
    assert waits == list(BACKOFF)
    assert row.status == NotificationStatus.FAILED and row.next_attempt_at is None
    assert deliver_due(now=moment + dt.timedelta(days=30)) == 0
    assert len(receiver.requests) == 6


@override_settings(YOUSU_NOTIFY_MAX_ATTEMPTS=2)
def test_the_number_of_attempts_is_a_setting(world, endpoint, receiver):
    receiver.statuses = [500] * 10
    hook = only(notify(kind="urge", text="催办", unit=world.units.east_eco), "webhook")
    moment = timezone.now()
    assert deliver(hook.pk, now=moment).status == NotificationStatus.PENDING
    assert deliver(hook.pk, now=moment + BACKOFF[0]).status == NotificationStatus.FAILED


def test_a_deactivated_endpoint_fails_at_once_without_a_request(world, endpoint, receiver):
    hook = only(notify(kind="urge", text="催办", unit=world.units.east_eco), "webhook")
    endpoint.active = False
    endpoint.save(update_fields=["active"])
    failed = deliver(hook.pk)
    assert failed.status == NotificationStatus.FAILED and failed.attempts == 1
    assert receiver.requests == []


def test_an_unreachable_webhook_is_a_failed_attempt(world, endpoint):
    endpoint.url = f"http://127.0.0.1:{closed_port()}/hook"
    endpoint.save(update_fields=["url"])
    hook = only(notify(kind="urge", text="催办", unit=world.units.east_eco), "webhook")
    failed = deliver(hook.pk)
    assert failed.status == NotificationStatus.PENDING and "Connection refused" in failed.last_error


def test_inbox_rows_are_not_delivered_again(world, reachable):
    inbox = only(notify(kind="urge", text="催办", person=reachable), NotificationChannel.INBOX)
    assert deliver(inbox.pk) is None
    assert reload(inbox).attempts == 0


def test_deliver_due_sends_everything_due_up_to_its_limit(world, reachable, endpoint, receiver):
    for index in range(3):
        notify(kind="urge", text=f"催办 {index}", person=reachable)
        notify(kind="urge", text=f"催办 {index}", unit=world.units.east_eco)
    assert deliver_due(limit=4) == 4
    assert deliver_due() == 5
    assert deliver_due() == 0
    assert not Notification.objects.exclude(status=NotificationStatus.SENT).exists()
    assert len(mail.outbox) == 3 and len(receiver.requests) == 3


def test_a_claimed_row_is_left_alone_until_its_lease_ends(world, endpoint, receiver):
    """What keeps two workers from sending one notification (the race itself runs on PostgreSQL in
    test_concurrency.py): a claimed row is not due for anyone else while the claim holds."""
    hook = only(notify(kind="urge", text="催办", unit=world.units.east_eco), "webhook")
    moment = timezone.now()
    claimed = services._claim(Notification.objects.filter(pk=hook.pk), moment)
    assert claimed.attempts == 1 and reload(hook).next_attempt_at == moment + LEASE
    assert deliver(hook.pk, now=moment) is None
    assert deliver_due(now=moment + LEASE - dt.timedelta(seconds=1)) == 0
    assert receiver.requests == []
    # A worker that died holding the claim: after the lease another worker takes the row over ...
    assert deliver_due(now=moment + LEASE) == 1
    assert reload(hook).status == NotificationStatus.SENT and reload(hook).attempts == 2
    # ... and the first worker, should it come back, cannot overwrite what the second recorded.
    late = services._record(claimed, error="HTTP 500", permanent=False, now=moment + LEASE)
    assert late.status == NotificationStatus.SENT and late.last_error == ""


def test_a_failing_send_does_not_roll_back_the_action_that_caused_it(
    transactional_db, world, endpoint, receiver
):
    receiver.statuses = [500]
    with transaction.atomic():
        appeal = new_appeal(world)
        notify(kind="urge", text="催办", unit=world.units.east_eco)
    assert deliver_due() == 1
    assert Appeal.objects.filter(pk=appeal.pk).exists()
    hook = Notification.objects.get(channel="webhook")
    assert hook.status == NotificationStatus.PENDING and hook.last_error == "HTTP 500"


@pytest.mark.parametrize("channel", ["sms", "email", "webhook"])
def test_every_channel_records_the_time_it_was_sent(world, reachable, endpoint, channel):
    rows = notify(kind="urge", text="催办", person=reachable) + notify(
        kind="urge", text="催办", unit=world.units.east_eco
    )
    moment = timezone.now() + dt.timedelta(seconds=5)
    assert deliver(only(rows, channel).pk, now=moment).sent_at == moment
