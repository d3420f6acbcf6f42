"""REST endpoints of the reports: the daily brief, the monthly assessment report and a unit's monthly
sheet, as JSON (the document's data) or as the .xlsx file (`format=xlsx`).

Mounted at /api/v1/reports/. As everywhere in the API, the views read the query and call
`documents`, which decides who may read what and refuses bad input naming the field.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from yousu.api.views import ERRORS

from . import documents
from .xlsx import CONTENT_TYPE, xlsx_response

FORMATS = ("json", "xlsx")


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class DocumentNegotiation(DefaultContentNegotiation):
    """`format` here picks JSON or the .xlsx file; DRF would otherwise take `?format=xlsx` as the name
    of a renderer and answer 404 before the view runs."""

    settings = _NoFormatOverride


class FormatQuery(serializers.Serializer):
    format = serializers.ChoiceField(choices=FORMATS, default="json", help_text="json（默认）或 xlsx")


class DailyQuery(FormatQuery):
    date = serializers.CharField(required=False, help_text="日期 YYYY-MM-DD，默认昨天")


class MonthlyQuery(FormatQuery):
    month = serializers.CharField(help_text="月份 YYYY-MM（须已完成月度考评）")


class UnitQuery(MonthlyQuery):
    unit = serializers.CharField(help_text="单位编码")


def _xlsx_or(description: str) -> dict:
    return {
        200: OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description=f"{description}。format=xlsx 时为 Excel 文件（{CONTENT_TYPE}），"
            "文件名见 Content-Disposition 的 filename*。",
        ),
        **ERRORS,
    }


class DocumentView(APIView):
    content_negotiation_class = DocumentNegotiation
    query_class = FormatQuery

    def read_query(self, request) -> dict:
        query = self.query_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def answer(self, document: dict, query: dict):
        if query["format"] == "xlsx":
            return xlsx_response(document)
        return Response(document)


class DailyBriefView(DocumentView):
    query_class = DailyQuery

    @extend_schema(
        summary="每日简报",
        description="某日受理、派单、办结、日终在办、超期清单、热点事项、回访和督办数字，附各项定义。"
        "领导、督办员、系统管理员和平台派单员可查看。",
        parameters=[DailyQuery],
        responses=_xlsx_or("简报数据（与 Excel 文件内容相同）"),
    )
    def get(self, request):
        query = self.read_query(request)
        return self.answer(documents.daily_brief_for(request.user, query.get("date")), query)


class MonthlyReportView(DocumentView):
    query_class = MonthlyQuery

    @extend_schema(
        summary="月度考评报告",
        description="某月当前版本的考评结果（按同类分组，含小计）、基层减负数据和指标说明。"
        "月份尚未考评时 404（error.field 为 month）。",
        parameters=[MonthlyQuery],
        responses=_xlsx_or("报告数据（与 Excel 文件内容相同）"),
    )
    def get(self, request):
        query = self.read_query(request)
        return self.answer(documents.monthly_report_for(request.user, query["month"]), query)


class UnitSheetView(DocumentView):
    query_class = UnitQuery

    @extend_schema(
        summary="单位月度工作单",
        description="一个单位某月的考评结果和定义、同类排名（只含名称、得分、名次和分区）、本月主办工单清单。"
        "本单位人员和考评人员可查看。",
        parameters=[UnitQuery],
        responses=_xlsx_or("工作单数据（与 Excel 文件内容相同）"),
    )
    def get(self, request):
        query = self.read_query(request)
        return self.answer(documents.unit_sheet_for(request.user, query["month"], query["unit"]), query)


urlpatterns = [
    path("daily/", DailyBriefView.as_view(), name="api-reports-daily"),
    path("monthly/", MonthlyReportView.as_view(), name="api-reports-monthly"),
    path("unit/", UnitSheetView.as_view(), name="api-reports-unit"),
]
