"""The Open311 GeoReport v2 endpoints under /open311/v2/: read the parameters, call a service or a
selector, and answer in the format the path asks for (.xml or .json).

Every answer, errors included, is a GeoReport v2 document. An empty parameter counts as absent.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yousu.core import storable
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.core.ratelimit import client_ip

from . import render, selectors, services
from .models import ApiKey

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
IDEMPOTENCY_HEADER = "Idempotency-Key"
FORMATS = ["text/xml", "application/json"]


def _param(request: HttpRequest, name: str) -> str | None:
    """A parameter from the form posted or the query string; blank is absent, as the spec asks."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None or not value.strip():
        value = request.GET.get(name)
    value = (value or "").strip()
    return value or None


def _client(request: HttpRequest, *, key_required: bool) -> ApiKey | None:
    """The caller's key, counted against its allowance; without one, the caller's address is counted.
    A key that was given must be valid, on any endpoint."""
    raw = _param(request, "api_key")
    ip = client_ip(request)
    if raw is None and not key_required:
        services.rate_check(key=None, ip=ip)
        return None
    try:
        key = services.api_key_check(raw)
    except PermissionRefused:
        # Wrong keys count against the address, so guessing keys is as limited as reading.
        services.rate_check(key=None, ip=ip)
        raise
    services.rate_check(key=key, ip=ip)
    return key


def open311_endpoint(*methods: str):
    """Answer a DomainError as GeoReport v2 does (403, 404, 429 or 400 with an error document) and a
    method the endpoint does not serve with 405."""

    def decorate(view):
        # Clients are other systems calling with a key or nothing, never a browser session, so CSRF
        # has nothing to protect; exempt, a wrong method gets the spec's error document, not a page.
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = render.errors(
                    fmt, 405, [_("Method not allowed：不支持 %(m)s") % {"m": request.method}]
                )
                response["Allow"] = ", ".join(methods)
                return response
            unstorable = _unstorable_parameter(request, kwargs)
            if unstorable is not None:
                return render.errors(fmt, 400, [f"{unstorable}: {storable.message()}"])
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except services.RateLimited as exc:
                response = render.errors(fmt, 429, [exc.message])
                response["Retry-After"] = str(exc.retry_after)
                return response
            except PermissionRefused as exc:
                return render.errors(fmt, 403, [exc.message])
            except NotFound as exc:
                return render.errors(fmt, 404, [exc.message])
            except DomainError as exc:
                # A conflict (another client's idempotency key) is 409, as on the REST API.
                return render.errors(fmt, 409 if exc.code == "conflict" else 400, [exc.message])

        return wrapper

    return decorate


def _unstorable_parameter(request: HttpRequest, path_parameters: dict) -> str | None:
    """The first parameter, of the path, the query or the form, holding a character no database can
    store (a NUL: PostgreSQL refuses it in any query); refused before anything is looked up, counted
    or written."""
    for given in (path_parameters, request.GET, request.POST if request.method == "POST" else {}):
        found = storable.first_unstorable(given)
        if found is not None:
            return found
    return None


def _jurisdiction(request: HttpRequest):
    return services.jurisdiction_resolve(_param(request, "jurisdiction_id"))


@open311_endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    _client(request, key_required=False)
    changeset = selectors.w3c(selectors.changeset())
    url = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    document = {
        "changeset": changeset,
        "contact": settings.YOUSU_OPEN311_CONTACT,
        "key_service": settings.YOUSU_OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": "production",
                "formats": FORMATS,
            }
        ],
    }
    return render.respond(fmt, "discovery", document)


@open311_endpoint("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    _client(request, key_required=False)
    city = _jurisdiction(request)
    return render.respond(fmt, "services", selectors.service_list(city))


@open311_endpoint("GET")
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    _client(request, key_required=False)
    city = _jurisdiction(request)
    item = services.service_find(service_code, city)
    return render.respond(fmt, "service_definition", selectors.service_definition(item))


def _attributes(request: HttpRequest) -> dict[str, list[str]]:
    """attribute[code]=value and attribute[code][]=value (a multivaluelist), by code."""
    given: dict[str, list[str]] = {}
    for name in request.POST:
        if not (name.startswith("attribute[") and name.endswith("]")):
            continue
        code = name[len("attribute[") : -len("][]") if name.endswith("][]") else -1]
        values = [value.strip() for value in request.POST.getlist(name)]
        given.setdefault(code, []).extend(value for value in values if value)
    return given


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    key = _client(request, key_required=True)
    city = _jurisdiction(request)
    param = functools.partial(_param, request)
    created = services.open311_request_create(
        key=key,
        city=city,
        service_code=param("service_code"),
        location=services.Location(
            latitude=param("lat"),
            longitude=param("long"),
            address=param("address_string") or "",
            address_id=param("address_id") or "",
        ),
        description=param("description") or "",
        attributes=_attributes(request),
        contact=services.Contact(
            first_name=param("first_name") or "",
            last_name=param("last_name") or "",
            phone=param("phone") or "",
            email=param("email") or "",
            device_id=param("device_id") or "",
            account_id=param("account_id") or "",
        ),
        media_url=param("media_url") or "",
        # Not in GeoReport v2: a client that retries may send one, as a header or a parameter.
        idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, "").strip() or param("idempotency_key") or "",
    )
    # The spec answers with the id or, where requests are queued, a token to ask for the id later;
    # a deployment whose clients expect tokens turns them on.
    answer = (
        {"token": created.token}
        if settings.YOUSU_OPEN311_ANSWER_WITH_TOKEN
        else {"service_request_id": created.appeal.code}
    )
    answer.update({"service_notice": None, "account_id": created.account_id or None})
    return render.respond(fmt, "service_requests", [answer])


def _get(request: HttpRequest, fmt: str) -> HttpResponse:
    _client(request, key_required=False)
    city = _jurisdiction(request)
    param = functools.partial(_param, request)
    query = selectors.RequestQuery(
        service_request_id=param("service_request_id"),
        service_code=param("service_code"),
        start_date=param("start_date"),
        end_date=param("end_date"),
        status=param("status"),
    )
    return render.respond(fmt, "service_requests", selectors.requests_list(query=query, city=city))


@open311_endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    return _post(request, fmt) if request.method == "POST" else _get(request, fmt)


@open311_endpoint("GET")
def request_detail(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    _client(request, key_required=False)
    city = _jurisdiction(request)
    found = selectors.request_find(service_request_id=service_request_id, city=city)
    return render.respond(fmt, "service_requests", selectors.requests_shown([found]))


@open311_endpoint("GET")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    _client(request, key_required=False)
    city = _jurisdiction(request)
    found = services.token_find(token)
    if city is not None and found.jurisdiction_id != city.pk:
        raise NotFound(_("token was not found：没有该令牌"), field="token")
    return render.respond(
        fmt, "service_requests", [{"service_request_id": found.appeal.code, "token": found.token}]
    )
