"""The REST API's check of what its parsers do not see: the path's parameters (an appeal's code) and the
query string. A character no database can store there (a NUL: PostgreSQL refuses it in any query) is
bad input naming the parameter, for every DRF view at once, before the view looks anything up.

The pages and Open311 answer such input in their own way (an unknown code, a GeoReport error), so
only DRF views are checked here.
"""

from __future__ import annotations

from django.http import JsonResponse
from rest_framework.views import APIView

from yousu.core import storable


class UnstorableInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if not (isinstance(view_class, type) and issubclass(view_class, APIView)):
            return None
        field = storable.first_unstorable(view_kwargs)
        if field is None:
            field = storable.first_unstorable(request.GET)
        if field is None:
            return None
        message = storable.message()
        # The shape of every API error (yousu.api.exceptions).
        return JsonResponse(
            {"error": {"code": "invalid", "message": message, "field": field, "fields": {field: [message]}}},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
