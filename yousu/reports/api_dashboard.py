"""REST endpoint of the live dashboard: `GET /api/v1/dashboard/summary/`.

The view reads the query (period, custom dates, district), checks who is asking, and answers with
what `yousu.reports.summary.summary` computed.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from yousu.api.views import ERRORS
from yousu.core.errors import PermissionRefused
from yousu.org.choices import Level
from yousu.org.models import Area

from .summary import MAX_CUSTOM_DAYS, PERIODS, may_read_dashboard, period_of, summary


class SummaryQuery(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, default="today", help_text="统计期")
    start = serializers.DateField(required=False, help_text="自定义统计期的开始日期 YYYY-MM-DD（含）")
    end = serializers.DateField(required=False, help_text="自定义统计期的结束日期 YYYY-MM-DD（含）")
    district = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="区县区域编码（省级监管也可填城市编码）"
    )

    def validate_district(self, code: str) -> Area | None:
        code = code.strip()
        if not code:
            return None
        # A district, or a whole city (for a reader of several, the provincial role).
        district = Area.objects.filter(code=code, level__in=(Level.DISTRICT, Level.CITY)).first()
        if district is None:
            raise serializers.ValidationError(_("未知的区县编码：%(code)s") % {"code": code})
        return district

    def validate(self, data: dict) -> dict:
        if data["period"] != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if start is None:
            raise serializers.ValidationError({"start": _("自定义统计期须填写开始日期")})
        if end is None:
            raise serializers.ValidationError({"end": _("自定义统计期须填写结束日期")})
        if end < start:
            raise serializers.ValidationError({"end": _("结束日期不能早于开始日期")})
        if (end - start).days + 1 > MAX_CUSTOM_DAYS:
            raise serializers.ValidationError(
                {"end": _("统计期最长 %(days)s 天") % {"days": MAX_CUSTOM_DAYS}}
            )
        return data


class DashboardSummary(APIView):
    """数据看板汇总：受理、办结、办结率、渠道与类型分布、热点问题、区域分布、超期工单、考评排名和未诉先办。"""

    @extend_schema(summary="数据看板汇总", parameters=[SummaryQuery], responses={200: dict, **ERRORS})
    def get(self, request):
        if not may_read_dashboard(request.user):
            raise PermissionRefused(str(_("只有领导、督办员、系统管理员和平台派单员可以查看数据看板")))
        query = SummaryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        now = timezone.now()
        period = period_of(data["period"], timezone.localdate(now), data.get("start"), data.get("end"))
        return Response(summary(request.user, period=period, district=data.get("district"), now=now))


urlpatterns = [path("summary/", DashboardSummary.as_view(), name="api-dashboard-summary")]
