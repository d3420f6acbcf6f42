"""Reads of notifications: a person's inbox (站内信), which holds their own messages and their unit's."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yousu.org.models import Person

from .choices import NotificationChannel
from .models import Notification


def inbox_for(person: Person) -> QuerySet[Notification]:
    """The person's own inbox messages and their unit's, newest first."""
    if not (person.is_authenticated and person.is_active):
        return Notification.objects.none()
    addressed = Q(recipient_person=person)
    if person.unit_id:
        addressed |= Q(recipient_unit_id=person.unit_id)
    return (
        Notification.objects.filter(addressed, channel=NotificationChannel.INBOX)
        .select_related("order__appeal", "recipient_unit")
        .order_by("-created_at", "-id")
    )


def unread_count(person: Person) -> int:
    return inbox_for(person).filter(read_at__isnull=True).count()
