"""REST endpoint of place resolution: `GET /api/v1/intelligence/place/?address=&text=&lat=&lng=`.

The view reads the query, checks that the caller is staff of a unit (as at intake), and answers with
what `yousu.intelligence.places` found: the area the words name, and the grid a point falls in.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from yousu.api.permissions import is_unit_staff
from yousu.api.views import ERRORS
from yousu.core.errors import DomainError, PermissionRefused
from yousu.org.models import Area
from yousu.org.selectors import jurisdiction_of

from .places import grid_at, grid_chain, place_as_dict, resolve_place

MAX_TEXT = 4000


class PlaceQuery(serializers.Serializer):
    address = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default="", trim_whitespace=False, help_text="地址"
    )
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        default="",
        trim_whitespace=False,
        help_text="诉求标题和内容",
    )
    # Ranges are checked by grid_at, which names the field; here only "is it a number".
    lat = serializers.FloatField(required=False, help_text="纬度（WGS84）")
    lng = serializers.FloatField(required=False, help_text="经度（WGS84）")

    def validate(self, data: dict) -> dict:
        if ("lat" in data) != ("lng" in data):
            missing = "lng" if "lat" in data else "lat"
            raise serializers.ValidationError({missing: _("经纬度须同时提供")})
        return data


class PlaceResolve(APIView):
    """地点识别：从地址和诉求内容识别区县、街道、社区；从经纬度找到所在网格。"""

    @extend_schema(summary="地点识别", parameters=[PlaceQuery], responses={200: dict, **ERRORS})
    def get(self, request):
        person = request.user
        if not is_unit_staff(person):
            raise PermissionRefused(_("没有所属单位的人员不能使用地点识别"), field="by")
        query = PlaceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        city = jurisdiction_of(person)
        point = None
        if "lat" in data:
            # Checked before the words are resolved, so a bad point answers 400 without other work.
            grid = grid_at(lat=data["lat"], lng=data["lng"], within=city)
            point = {"lat": data["lat"], "lng": data["lng"], **_grid_part(grid)}
        if not (data["address"].strip() or data["text"].strip() or point):
            raise DomainError(_("请至少提供地址、内容或经纬度之一"), field="address")
        resolution = resolve_place(address=data["address"], text=data["text"], city=city)
        return Response({"place": place_as_dict(resolution), "point": point})


def _grid_part(grid: Area | None) -> dict:
    if grid is None:
        return {"grid": None, "community": None, "street": None, "district": None}
    return grid_chain(grid)


urlpatterns = [path("", PlaceResolve.as_view(), name="api-intelligence-place")]
