"""A database that is briefly gone (restarting, failing over, a dropped connection) answers 503 with
Retry-After, not 500.

The request's transaction was rolled back with the connection, so nothing was half written; the
client may send the same request again (with the same idempotency key, an intake returns the appeal
the first attempt may have saved). `bench/faults.py` restarts PostgreSQL during intake to show it.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DATABASE_GONE = (OperationalError, InterfaceError)


def message() -> str:
    return _("数据库暂时无法连接，请稍后重试")


def log(exc: Exception) -> None:
    # The kind is enough to alert on; the details (host names, errors) stay in the log.
    logger.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)


class DatabaseUnavailableMiddleware:
    """Web pages and other non-API views: a short 503 page (the API's own handler answers in JSON)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not isinstance(exc, DATABASE_GONE):
            return None
        log(exc)
        if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
            response = JsonResponse(
                {"error": {"code": "unavailable", "message": message(), "field": None}}, status=503
            )
        else:
            response = HttpResponse(message(), status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
