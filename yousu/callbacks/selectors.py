"""Reads of callbacks: who may call citizens back, the intake desk's queue, a callback by its link."""

from __future__ import annotations

import hashlib

from django.db.models import Q, QuerySet

from yousu.org.choices import RoleCode, UnitKind
from yousu.org.models import Person
from yousu.org.selectors import in_own_jurisdiction

from .choices import CallbackChannel, CallbackOutcome, CallbackStatus
from .models import Callback


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may_call_back(person: Person | None) -> bool:
    """The intake desk (operators) and the city platform's dispatchers: those who may see the citizen's
    phone number (appeals.selectors.may_see_citizen_in_full) and speak for the platform. Supervisors
    act on the units, not on the citizen: an escalated callback reaches them as a notice, and they see
    the citizen masked, so they do not make the calls either."""
    if person is None or not person.is_authenticated or not person.is_active:
        return False
    # Not a superuser as such: the flag maintains data and calls no citizen in the platform's name.
    if person.has_role(RoleCode.OPERATOR):
        return True
    return bool(
        person.unit is not None
        and person.unit.kind == UnitKind.CITY_PLATFORM
        and person.has_role(RoleCode.DISPATCHER)
    )


def callbacks_visible_to(person: Person | None) -> QuerySet[Callback]:
    callbacks = Callback.objects.select_related("appeal", "order", "order__unit", "done_by")
    if not may_call_back(person):
        return callbacks.none()
    # The platform calls back its own jurisdiction's citizens, not a neighbouring city's.
    return in_own_jurisdiction(person, callbacks, "appeal__jurisdiction")


def callback_queue(person: Person | None) -> QuerySet[Callback]:
    """The intake desk's work, oldest first: phone callbacks to make, and citizens' link answers that
    call for a send-back (退回重办) which only a person at the platform may carry out."""
    return (
        callbacks_visible_to(person)
        .filter(
            Q(status=CallbackStatus.PENDING, channel=CallbackChannel.PHONE)
            | Q(outcome=CallbackOutcome.SEND_BACK_REQUESTED)
        )
        .order_by("created_at", "id")
    )


def callback_for_token(token: str) -> Callback | None:
    """The callback a citizen's link opens, answered or not; None for a token that was never given."""
    if not token:
        return None
    return Callback.objects.select_related("appeal", "order").filter(token_hash=token_digest(token)).first()
