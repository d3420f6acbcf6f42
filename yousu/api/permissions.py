"""Who is calling and what they can find through the API; everyone else gets 404 and learns nothing.

Visibility is built on `yousu.org.selectors.units_visible_to`, the one answer to "whose data may
this person see". Whether a person may *change* something is decided by the services, never here.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

# Who reaches an appeal is the domain's question (appeals.selectors); it is named here too because the
# API's other visibility rules build on it.
from yousu.appeals.selectors import appeals_visible_to
from yousu.dispatch.models import Consultation, ExtensionRequest, Order, ReportIn, ReturnRequest, Whistle
from yousu.org.models import Person
from yousu.org.selectors import (
    in_own_jurisdiction,
    is_jurisdiction_wide,
    units_visible_to,
)


def _active(person: Person) -> bool:
    return person.is_authenticated and person.is_active


def is_unit_staff(person: Person) -> bool:
    """A working member of a unit (or a superuser): who may use the intake aids (places, duplicates,
    suggestions) that read across the city's appeals."""
    return _active(person) and (person.unit_id is not None or person.is_superuser)


def orders_visible_to(person: Person) -> QuerySet[Order]:
    """The orders of the appeals the person can see."""
    orders = Order.objects.all()
    if not _active(person):
        return orders.none()
    if is_jurisdiction_wide(person):
        return in_own_jurisdiction(person, orders, "appeal__jurisdiction")
    return orders.filter(appeal__in=appeals_visible_to(person).values("pk"))


def return_requests_visible_to(person: Person) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(order__in=orders_visible_to(person).values("pk"))


def extension_requests_visible_to(person: Person) -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(order__in=orders_visible_to(person).values("pk"))


def consultations_visible_to(person: Person) -> QuerySet[Consultation]:
    """The convening platform and the parties (and those who can see them) see a consultation."""
    consultations = Consultation.objects.all()
    if not _active(person):
        return consultations.none()
    if is_jurisdiction_wide(person):
        return consultations.filter(convening_unit__in=units_visible_to(person))
    units = units_visible_to(person)
    as_party = Consultation.parties.through.objects.filter(unit__in=units).values("consultation_id")
    return consultations.filter(Q(convening_unit__in=units) | Q(pk__in=as_party))


def whistles_visible_to(person: Person) -> QuerySet[Whistle]:
    """The unit that blew the whistle and the departments it summoned see it."""
    whistles = Whistle.objects.all()
    if not _active(person):
        return whistles.none()
    if is_jurisdiction_wide(person):
        return whistles.filter(blown_by_unit__in=units_visible_to(person))
    units = units_visible_to(person)
    summoned = ReportIn.objects.filter(unit__in=units).values("whistle_id")
    return whistles.filter(Q(blown_by_unit__in=units) | Q(pk__in=summoned))


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token check, fetching the person's unit and its area in the same query: nearly every
    request needs them (intake unit, visibility, the appeal code's prefix). The area's boundary
    polygon is left out: it can be large, and a request about the caller hardly ever needs it."""

    def authenticate_credentials(self, key):
        try:
            token = (
                Token.objects.select_related("user__unit__area")
                .defer("user__unit__area__boundary")
                .get(key=key)
            )
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
