"""Notification services: write the rows inside the caller's transaction, deliver them after it.

- `notify` / `notify_many` create an inbox row (sent at once: the row is the message) and one pending
  row per other channel that applies, then queue their delivery after commit. Nothing is sent here,
  so a channel that is down can neither slow down nor roll back the action that caused the message.
- `deliver` / `deliver_due` send pending rows. A worker claims one row in a short transaction (it
  counts the attempt and moves `next_attempt_at` forward as a lease), sends with no transaction open,
  then records the outcome only if its claim still stands. Two workers never hold the same row, so a
  notification is sent once; a worker that dies mid-send leaves the row to be retried when the lease ends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from yousu.core.errors import DomainError, PermissionRefused
from yousu.core.jobs import enqueue_on_commit
from yousu.dispatch.models import Order
from yousu.org.models import Person, Unit

from .channels import DeliveryFailed, channel_for
from .choices import NotificationChannel, NotificationStatus
from .models import Notification, WebhookEndpoint
from .selectors import inbox_for

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt; the last one repeats until the attempts run out.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
# How long a claim keeps other workers off a row: far longer than any one send may take (a webhook
# gives up after 10 s), so a live worker always records its outcome before anyone else may try.
LEASE = dt.timedelta(minutes=5)
# Pending ids per queue message: a sweep's ten thousand rows become messages several workers can share.
ENQUEUE_BATCH = 500
INSERT_BATCH = 1000
KIND_MAX_LENGTH = Notification._meta.get_field("kind").max_length
SUBJECT_MAX_LENGTH = Notification._meta.get_field("subject").max_length


@dataclass(frozen=True)
class NotificationSpec:
    """One message for `notify_many`: the same keywords as `notify`."""

    kind: str
    text: str
    subject: str = ""
    person: Person | None = None
    unit: Unit | None = None
    order: Order | None = None


# ---------------------------------------------------------------- creating


def notify(
    *,
    kind: str,
    text: str,
    subject: str = "",
    person: Person | None = None,
    unit: Unit | None = None,
    order: Order | None = None,
) -> list[Notification]:
    """Notify one person or one unit: the inbox row first, then a pending row per other channel."""
    return notify_many(
        [NotificationSpec(kind=kind, text=text, subject=subject, person=person, unit=unit, order=order)]
    )


def notify_many(specs: Iterable[NotificationSpec | Mapping]) -> list[Notification]:
    """`notify` for many messages at once (a spec is a NotificationSpec or a dict of its fields), in a
    fixed number of queries: the webhook endpoints of all the units in one, the rows in batched inserts.
    People are taken as given (phone, e-mail, active), so pass them fresh from the database."""
    specs = [spec if isinstance(spec, NotificationSpec) else NotificationSpec(**spec) for spec in specs]
    for spec in specs:
        _check(spec)
    if not specs:
        return []
    channels = set(settings.YOUSU_NOTIFY_CHANNELS)
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    unit_ids = {spec.unit.pk for spec in specs if spec.unit is not None}
    if NotificationChannel.WEBHOOK in channels and unit_ids:
        for endpoint in WebhookEndpoint.objects.filter(unit_id__in=unit_ids, active=True).order_by("pk"):
            endpoints.setdefault(endpoint.unit_id, []).append(endpoint)
    now = timezone.now()
    rows = [row for spec in specs for row in _rows_for(spec, channels, endpoints, now)]
    with transaction.atomic():  # all of them or none, also when the caller has no transaction
        created = Notification.objects.bulk_create(rows, batch_size=INSERT_BATCH)
        _enqueue_delivery([row.pk for row in created if row.status == NotificationStatus.PENDING])
    return created


def _check(spec: NotificationSpec) -> None:
    if (spec.person is None) == (spec.unit is None):
        raise DomainError("通知必须有且只有一个接收人或接收单位", field="recipient")
    if not spec.kind or len(spec.kind) > KIND_MAX_LENGTH:
        raise DomainError(f"通知类别必须填写，且不超过 {KIND_MAX_LENGTH} 个字符", field="kind")
    if not spec.text.strip():
        raise DomainError("通知内容不能为空", field="text")
    if len(spec.subject) > SUBJECT_MAX_LENGTH:
        raise DomainError(f"通知标题不能超过 {SUBJECT_MAX_LENGTH} 个字符", field="subject")


def _rows_for(
    spec: NotificationSpec, channels: set[str], endpoints: dict[int, list[WebhookEndpoint]], now: dt.datetime
) -> list[Notification]:
    def row(channel: str, **fields) -> Notification:
        return Notification(
            recipient_person=spec.person,
            recipient_unit=spec.unit,
            channel=channel,
            kind=spec.kind,
            subject=spec.subject,
            text=spec.text,
            order=spec.order,
            created_at=now,
            **fields,
        )

    rows = [row(NotificationChannel.INBOX, status=NotificationStatus.SENT, sent_at=now)]

    def pending(channel: str, address: str, endpoint: WebhookEndpoint | None = None) -> None:
        rows.append(
            row(
                channel,
                address=address,
                endpoint=endpoint,
                status=NotificationStatus.PENDING,
                next_attempt_at=now,
            )
        )

    person = spec.person
    if person is not None:
        # Someone who has left keeps their inbox (the record) but gets no more messages on their phone.
        if person.is_active and person.phone and NotificationChannel.SMS in channels:
            pending(NotificationChannel.SMS, person.phone)
        if person.is_active and person.email and NotificationChannel.EMAIL in channels:
            pending(NotificationChannel.EMAIL, person.email)
    else:
        # A unit's people read the unit inbox; only the unit's own systems are told, by webhook.
        for endpoint in endpoints.get(spec.unit.pk, ()):
            pending(NotificationChannel.WEBHOOK, endpoint.url, endpoint)
    return rows


def _enqueue_delivery(ids: list[int]) -> None:
    # Imported here because the tasks import this module.
    from .tasks import deliver_batch

    for start in range(0, len(ids), ENQUEUE_BATCH):
        enqueue_on_commit(deliver_batch, ids[start : start + ENQUEUE_BATCH])


# ---------------------------------------------------------------- delivering


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> Notification | None:
    """Try to send one notification if it is pending and due. Returns the row after the attempt, or
    None when there was nothing to do (already sent or failed, not yet due, or held by another worker)."""
    claimed = _claim(Notification.objects.filter(pk=notification_id), now)
    return None if claimed is None else _attempt(claimed, now)


def deliver_due(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Try every pending notification whose next attempt is due, at most `limit`; returns how many were
    tried. Safe to run in several workers at once: each row is claimed by exactly one of them."""
    tried = 0
    while tried < limit:
        claimed = _claim(Notification.objects.all(), now)
        if claimed is None:
            break
        _attempt(claimed, now)
        tried += 1
    return tried


def _claim(candidates: QuerySet[Notification], now: dt.datetime | None) -> Notification | None:
    """Take one pending, due row for this worker: count the attempt and hold the row for LEASE.

    The claim is a conditional update that only succeeds on the row as it was read, so of two
    workers that read the same row one claims it and the other moves on. On PostgreSQL the row lock
    with SKIP LOCKED spares that contest: a worker passes over a row another is claiming instead of
    queueing behind it. SQLite runs each transaction with the write lock (IMMEDIATE), so claims take turns.
    """
    moment = now or timezone.now()
    while True:
        with transaction.atomic():
            row = (
                candidates.select_for_update(skip_locked=True)
                .filter(status=NotificationStatus.PENDING, next_attempt_at__lte=moment)
                .order_by("next_attempt_at")
                .first()
            )
            if row is None:
                return None
            # The attempt counts at the claim, so a send that kills its worker still uses one up.
            lease = {"attempts": row.attempts + 1, "next_attempt_at": moment + LEASE}
            won = Notification.objects.filter(
                pk=row.pk,
                status=NotificationStatus.PENDING,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
            ).update(**lease)
        if won:
            for name, value in lease.items():
                setattr(row, name, value)
            return row


def _attempt(row: Notification, now: dt.datetime | None) -> Notification:
    error, permanent = None, False
    try:
        channel_for(row.channel).send(row)
    except DeliveryFailed as exc:
        error, permanent = str(exc), exc.permanent
    except Exception as exc:  # a gateway's own error or a bug: recorded and retried like any failure
        logger.exception("notification %s by %s raised", row.pk, row.channel)
        error = f"{type(exc).__name__}: {exc}"
    return _record(row, error=error, permanent=permanent, now=now)


def _record(
    row: Notification, *, error: str | None, permanent: bool, now: dt.datetime | None
) -> Notification:
    moment = now or timezone.now()
    if error is None:
        fields = {"status": NotificationStatus.SENT, "sent_at": moment, "next_attempt_at": None}
    elif permanent or row.attempts >= settings.YOUSU_NOTIFY_MAX_ATTEMPTS:
        fields = {"status": NotificationStatus.FAILED, "next_attempt_at": None, "last_error": error}
    else:
        wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        fields = {"next_attempt_at": moment + wait, "last_error": error}
    # Only while our claim stands: had the lease run out and another worker claimed the row, the
    # attempt count has moved on and that worker's outcome is the one to keep.
    held = Notification.objects.filter(
        pk=row.pk, status=NotificationStatus.PENDING, attempts=row.attempts
    ).update(**fields)
    if not held:
        logger.warning("notification %s: claim lost before the outcome was recorded", row.pk)
        row.refresh_from_db()
        return row
    for name, value in fields.items():
        setattr(row, name, value)
    if error is not None:
        logger.warning(
            "notification %s by %s failed (attempt %s): %s", row.pk, row.channel, row.attempts, error
        )
    return row


# ---------------------------------------------------------------- the inbox


def mark_read(*, notification: Notification, person: Person) -> Notification:
    """Mark an inbox message read. A unit's message is read for the unit once one of its people reads it."""
    if not inbox_for(person).filter(pk=notification.pk).exists():
        raise PermissionRefused("只能标记本人或本单位的站内信", field="notification")
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
    return notification
