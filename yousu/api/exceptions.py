"""Every API error as JSON that names the field: {"error": {"code", "message", "field"}}.

Domain errors carry their field from the service that raised them; DRF's validation errors keep
their per-field dict under "fields" as well, and the first of them is named in "field".
"""

from __future__ import annotations

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from yousu.core import storable, unavailable
from yousu.core.errors import DomainError, NotFound, PermissionRefused

# Codes of domain errors that are not "bad input"; any other DomainError answers 400.
DOMAIN_STATUS = {"conflict": status.HTTP_409_CONFLICT}
# What the request got wrong when DRF itself refuses it before any field is read.
REQUEST_PART = {
    exceptions.NotAuthenticated: "authorization",
    exceptions.AuthenticationFailed: "authorization",
    exceptions.ParseError: "body",
    exceptions.UnsupportedMediaType: "content_type",
    exceptions.MethodNotAllowed: "method",
    exceptions.NotAcceptable: "accept",
}


def error_response(
    *, code: str, message: str, field: str | None, status_code: int, fields=None, headers=None
) -> Response:
    body = {"error": {"code": code, "message": message, "field": field}}
    if fields is not None:
        body["error"]["fields"] = fields
    return Response(_shown(body), status=status_code, headers=headers)


def _shown(detail):
    """The error with every text safe to render: a message may echo what was sent (a ChoiceField's
    "\"…\" is not a valid choice"), and a lone surrogate in it would make rendering the answer fail."""
    if isinstance(detail, str):
        return detail if storable.storable(detail) else storable.shown(detail)
    if isinstance(detail, dict):
        return {_shown(key): _shown(value) for key, value in detail.items()}
    if isinstance(detail, list | tuple):
        return [_shown(value) for value in detail]
    return detail


def domain_status(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return status.HTTP_404_NOT_FOUND
    if isinstance(exc, PermissionRefused):
        return status.HTTP_403_FORBIDDEN
    return DOMAIN_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST)


def _first(detail, path: str = "") -> tuple[str, str]:
    """The first (field path, message) in DRF's nested error detail, e.g. ("parties.1", "...")."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if value:
                name = "" if key == "non_field_errors" else str(key)
                return _first(value, ".".join(part for part in (path, name) if part))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                if value:
                    return _first(value, ".".join(part for part in (path, str(index)) if part))
            else:
                return path, str(value)
    else:
        return path, str(detail)
    return path, ""


def exception_handler(exc, context):
    if isinstance(exc, unavailable.DATABASE_GONE):
        unavailable.log(exc)
        return error_response(
            code="unavailable",
            message=unavailable.message(),
            field=None,
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(unavailable.RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DomainError):
        return error_response(
            code=exc.code, message=exc.message, field=exc.field, status_code=domain_status(exc)
        )
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first(exc.detail)
        return error_response(
            code="invalid",
            message=message,
            field=field or "body",
            fields=exc.detail,
            status_code=exc.status_code,
        )
    if isinstance(exc, SuspiciousOperation):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE, or with too many fields or files.
        too_large = isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent)
        return error_response(
            code="too_large" if too_large else "bad_request",
            message=str(exc),
            field="body",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            if too_large
            else status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404 | exceptions.NotFound):
        code, field = "not_found", _lookup_field(context)
    elif isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        code, field = "permission_refused", "authorization"
    else:
        code = getattr(exc, "default_code", "error")
        field = next((name for kind, name in REQUEST_PART.items() if isinstance(exc, kind)), None)
    detail = getattr(exc, "detail", None)
    message = str(detail) if detail is not None else str(exc) or code
    headers = {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Allow")}
    return error_response(
        code=str(code), message=message, field=field, status_code=response.status_code, headers=headers
    )


def _lookup_field(context) -> str | None:
    """The URL part that named the missing thing: the object's code or id, or the page number."""
    kwargs = context.get("kwargs") or {}
    if kwargs:
        return next(iter(kwargs))
    request = context.get("request")
    if request is not None and "page" in request.query_params:
        return "page"
    return None
