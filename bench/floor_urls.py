"""URLs of the benchmark's `--endpoint floor`: the project's own, and one view that does nothing.

The view goes through everything an API call goes through (middleware, DRF's token authentication
with the project's look-up of the person, unit and area, the permission check, JSON parsing and
rendering) and then answers at once: the least any API request costs on the machine, to set the
intake's figures against.
"""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class Floor(APIView):
    def post(self, request):
        return Response({"received": len(request.data)}, status=201)


urlpatterns = [
    path("bench/floor/", Floor.as_view()),
    path("", include("yousu.urls")),
]
