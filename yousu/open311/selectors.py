"""Reads of the Open311 GeoReport v2 interface: the service list and definitions from the catalog, and
service requests as GeoReport v2 shows them.

A request is shown from its appeal, its lead order and its event log, and never with anything of the
citizen (name, phone, email, device or account): GET is public in GeoReport v2. Only appeals received
through Open311 are listed: their clients posted them to a public interface, while a hotline caller's
words were never given for publication.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from yousu.appeals.choices import OPEN_APPEAL_STATUSES, AppealStatus
from yousu.appeals.models import Appeal
from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError, NotFound
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.models import Order
from yousu.org.models import Area
from yousu.public.services import redact

from .choices import RequestStatus
from .models import ServiceAttribute, ServiceRequest

MAX_SPAN = dt.timedelta(days=90)
MAX_RESULTS = 1000
# The lead order the citizen hears from: not one passed down (forwarded) or given back (returned).
PASSED_ON = (OrderStatus.FORWARDED, OrderStatus.RETURNED)
REPLY_APPROVED = (OrderStatus.COMPLETED, OrderStatus.CLOSED)
# When this interface first answered: the changeset of a discovery document before anyone edited
# a service attribute.
FIRST_CHANGESET = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def w3c(moment: dt.datetime | None) -> str | None:
    """A W3C date-time with the platform's offset, e.g. 2026-12-01T10:00:00+08:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------ the catalog


def services(city: Area | None = None) -> QuerySet[CatalogItem]:
    """The active level-3 items under active parents: the services a client may post in the city
    (the shared catalog and the city's own local items)."""
    items = CatalogItem.objects.filter(
        level=3, is_active=True, parent__is_active=True, parent__parent__is_active=True
    )
    if city is not None:
        items = items.filter(Q(jurisdiction__isnull=True) | Q(jurisdiction=city))
    return (
        items.select_related("parent")
        .annotate(has_attributes=Exists(ServiceAttribute.objects.filter(item=OuterRef("pk"))))
        .order_by("code")
    )


def service_list(city: Area | None = None) -> list[dict]:
    # realtime: the post is answered with the request's id; batch: with a token to ask for it later.
    kind = "batch" if settings.YOUSU_OPEN311_ANSWER_WITH_TOKEN else "realtime"
    return [
        {
            "service_code": item.code,
            "service_name": item.name,
            "description": item.description or None,
            "metadata": item.has_attributes,
            "type": kind,
            "keywords": ", ".join(item.keyword_list()) or None,
            "group": item.parent.name if item.parent_id else None,
        }
        for item in services(city)
    ]


def service_definition(item: CatalogItem) -> dict:
    attributes = []
    for attribute in ServiceAttribute.objects.filter(item=item).order_by("order"):
        entry = {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or None,
            "order": attribute.order,
            "description": attribute.description,
        }
        if attribute.values:
            entry["values"] = [{"key": str(v["key"]), "name": v["name"]} for v in attribute.values]
        attributes.append(entry)
    return {"service_code": item.code, "attributes": attributes}


def changeset() -> dt.datetime:
    latest = ServiceAttribute.objects.aggregate(latest=Max("updated_at"))["latest"]
    return max(latest, FIRST_CHANGESET) if latest else FIRST_CHANGESET


# -------------------------------------------------------------------------------------- requests


def _closed(appeal: Appeal) -> bool:
    handled = (
        appeal.duplicate_of if appeal.status == AppealStatus.LINKED and appeal.duplicate_of_id else appeal
    )
    return handled.status not in (*OPEN_APPEAL_STATUSES, AppealStatus.LINKED)


def _open_q() -> Q:
    # A linked appeal is handled as the appeal it follows (always the one actually handled).
    return Q(appeal__status__in=OPEN_APPEAL_STATUSES) | Q(
        appeal__status=AppealStatus.LINKED, appeal__duplicate_of__status__in=OPEN_APPEAL_STATUSES
    )


def _requests() -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.select_related("appeal__item", "appeal__duplicate_of").annotate(
        updated=Max("appeal__events__at")
    )


def _lead_orders(appeals: list[Appeal]) -> dict[int, Order]:
    """The lead order of each handled appeal (a linked one's original), in one query: the order
    yousu.callbacks.services.citizen_lead_order finds for one appeal, whose reply the citizen sees."""
    handled = {a.duplicate_of_id or a.pk for a in appeals}
    orders = {}
    for order in (
        Order.objects.filter(appeal_id__in=handled, role=OrderRole.LEAD)
        .exclude(status__in=PASSED_ON)
        .select_related("unit")
        .order_by("appeal_id", "-dispatched_at", "-pk")
    ):
        orders.setdefault(order.appeal_id, order)
    return orders


def _originals_updated(appeals: list[Appeal]) -> dict[int, dt.datetime]:
    originals = {a.duplicate_of_id for a in appeals if a.duplicate_of_id}
    if not originals:
        return {}
    rows = Appeal.objects.filter(pk__in=originals).annotate(updated=Max("events__at")).values("pk", "updated")
    return {row["pk"]: row["updated"] for row in rows}


def _shown(request: ServiceRequest, order: Order | None, original_updated: dt.datetime | None) -> dict:
    appeal = request.appeal
    closed = _closed(appeal)
    # A citizen may write their own number or name into the text, and a reply may address them by
    # name: both are published, so they are redacted as the public cases are.
    names = (appeal.citizen_name,)
    notes = None
    if closed:
        if appeal.status == AppealStatus.ANSWERED_AT_INTAKE:
            notes = appeal.intake_answer
        elif order is not None and order.status in REPLY_APPROVED:
            # The reply the platform approved, as the citizen sees it on the portal.
            notes = order.reply_text
    updated = max(filter(None, (request.updated, original_updated, appeal.received_at)))
    return {
        "service_request_id": appeal.code,
        "status": RequestStatus.CLOSED.value if closed else RequestStatus.OPEN.value,
        "status_notes": redact(notes, names=names) if notes else None,
        "service_name": appeal.item.name if appeal.item_id else "",
        "service_code": appeal.item.code if appeal.item_id else "",
        "description": redact(appeal.content, names=names),
        "agency_responsible": order.unit.name if order is not None else None,
        "service_notice": None,
        "requested_datetime": w3c(appeal.received_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(order.completion_due) if order is not None else None,
        "address": appeal.address or None,
        "address_id": request.address_id or None,
        "zipcode": None,
        "lat": appeal.latitude,
        "long": appeal.longitude,
        "media_url": request.media_url or None,
    }


def requests_shown(requests: list[ServiceRequest]) -> list[dict]:
    appeals = [request.appeal for request in requests]
    orders = _lead_orders(appeals)
    originals = _originals_updated(appeals)
    return [
        _shown(
            request,
            orders.get(request.appeal.duplicate_of_id or request.appeal.pk),
            originals.get(request.appeal.duplicate_of_id),
        )
        for request in requests
    ]


def request_find(*, service_request_id: str, city: Area | None) -> ServiceRequest:
    requests = _requests().filter(appeal__code=service_request_id)
    if city is not None:
        requests = requests.filter(jurisdiction=city)
    found = requests.first()
    if found is None:
        raise NotFound(
            _("service_request_id was not found：没有服务请求 %(id)s") % {"id": service_request_id},
            field="service_request_id",
        )
    return found


def parse_w3c(value: str, field: str) -> dt.datetime:
    """A W3C date-time (or date) given as a parameter; one without an offset is in local time."""
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise DomainError(
            _("%(field)s is not a valid W3C date-time：例如 2026-12-01T10:00:00+08:00") % {"field": field},
            field=field,
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@dataclass(frozen=True)
class RequestQuery:
    """The parameters of GET Service Requests; empty ones are None."""

    service_request_id: str | None = None
    service_code: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def requests_list(*, query: RequestQuery, city: Area | None) -> list[dict]:
    """GET Service Requests: by ids (which override every other parameter), or by service, status and
    a window of requested_datetime of at most 90 days (default: the last 90), newest first, at most
    1,000."""
    requests = _requests()
    if city is not None:
        requests = requests.filter(jurisdiction=city)
    ids = _listed(query.service_request_id)
    if ids:
        requests = requests.filter(appeal__code__in=ids[:MAX_RESULTS])
    else:
        start = parse_w3c(query.start_date, "start_date") if query.start_date else None
        end = parse_w3c(query.end_date, "end_date") if query.end_date else None
        if start is not None and end is not None:
            if end < start:
                raise DomainError(_("end_date is before start_date：结束时间早于开始时间"), field="end_date")
            if end - start > MAX_SPAN:
                raise DomainError(
                    _("start_date and end_date span more than 90 days：时间范围不能超过 90 天"),
                    field="end_date",
                )
        elif start is not None:
            end = start + MAX_SPAN
        else:
            end = end or timezone.now()
            start = end - MAX_SPAN
        requests = requests.filter(appeal__received_at__gte=start, appeal__received_at__lte=end)
        codes = _listed(query.service_code)
        if codes:
            requests = requests.filter(appeal__item__code__in=codes)
        statuses = set(_listed(query.status))
        if statuses - set(RequestStatus.values):
            raise DomainError(
                _("status must be open or closed：status 只能是 open 或 closed"), field="status"
            )
        if statuses == {RequestStatus.OPEN}:
            requests = requests.filter(_open_q())
        elif statuses == {RequestStatus.CLOSED}:
            requests = requests.exclude(_open_q())
    return requests_shown(list(requests.order_by("-appeal__received_at", "-pk")[:MAX_RESULTS]))
