"""Writing the event log: the one way any stage records a change of an appeal or an order."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import Appeal, Event


def record_event(
    appeal: Appeal,
    action: str,
    *,
    actor=None,
    order_id: int | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    payload: dict | None = None,
    at: dt.datetime | None = None,
) -> Event:
    return Event.objects.create(
        appeal=appeal,
        order_id=order_id,
        actor=actor if actor is not None and actor.pk else None,
        actor_unit=getattr(actor, "unit", None) if actor is not None else None,
        at=at or timezone.now(),
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason or "",
        payload=payload or {},
    )
