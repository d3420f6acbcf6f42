"""REST endpoints of the reports: the daily brief, the monthly assessment report and a unit's monthly
sheet, as JSON (the document's data) or as the .xlsx file (`format=xlsx`).

Mounted at /api/v1/reports/. As everywhere in the API, the views read the query and call
`documents`, which decides who may read what and refuses bad input naming the field.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
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


def _answers(name: str, description: str, fields: dict) -> dict:
    """JSON (the document's data, described field by field) or the .xlsx file, by `format`."""
    return {
        (200, "application/json"): OpenApiResponse(
            response=inline_serializer(name, fields), description=f"{description}（format=json）"
        ),
        (200, CONTENT_TYPE): OpenApiResponse(
            response=OpenApiTypes.BINARY,
            description="format=xlsx：Excel 文件，中文文件名见 Content-Disposition 的 filename*（RFC 5987）",
        ),
        **ERRORS,
    }


RUN = inline_serializer(
    "ReportRun",
    {
        "month": serializers.CharField(),
        "version": serializers.IntegerField(),
        "is_current": serializers.BooleanField(),
        "computed_at": serializers.DateTimeField(),
        "computed_by": serializers.CharField(),
        "scheme": serializers.CharField(),
        "scheme_valid_from": serializers.DateField(),
        "note": serializers.CharField(),
    },
)
DAILY = {
    "report": serializers.CharField(help_text="daily"),
    "date": serializers.DateField(),
    "as_of": serializers.DateTimeField(help_text="数据截至"),
    "received": serializers.DictField(help_text="total，by_channel 与 by_kind（code、name、count）"),
    "answered_at_intake": serializers.IntegerField(),
    "dispatched": serializers.IntegerField(),
    "completed": serializers.IntegerField(),
    "open_at_end": serializers.IntegerField(),
    "overdue": serializers.DictField(
        help_text="count 与 orders（unit、unit_name、appeal、title、completion_due）"
    ),
    "top_items": serializers.ListField(child=serializers.DictField()),
    "callbacks": serializers.DictField(
        help_text="done、solved、satisfied、unsatisfied、unreachable、satisfaction_rate"
    ),
    "urges": serializers.IntegerField(),
    "supervision_orders": serializers.IntegerField(),
    "definitions": serializers.DictField(help_text="各项数字的 name 与 definition"),
}
MONTHLY = {
    "report": serializers.CharField(help_text="monthly"),
    "run": RUN,
    "columns": serializers.DictField(help_text="各字段的中文列名"),
    "groups": serializers.ListField(
        child=serializers.DictField(),
        help_text="同类分组：level、kind、label、rows（各单位）、totals（小计）",
    ),
    "burden": serializers.DictField(help_text="基层减负：columns、rows、totals"),
    "proactive": serializers.DictField(
        help_text="未诉先办：start、end、columns、districts、streets（各行同 grid/figures）、totals、on_spot、definitions"
    ),
    "definitions": serializers.DictField(),
}
UNIT = {
    "report": serializers.CharField(help_text="unit"),
    "run": RUN,
    "unit": serializers.DictField(help_text="code、name、group"),
    "columns": serializers.DictField(),
    "result": serializers.DictField(help_text="本单位的考评结果"),
    "peers": serializers.ListField(
        child=serializers.DictField(), help_text="同类排名：名称、得分、名次、分区"
    ),
    "orders": serializers.ListField(child=serializers.DictField(), help_text="本月主办工单"),
    "definitions": serializers.DictField(),
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
        responses=_answers("DailyBrief", "简报数据，与 Excel 文件内容相同", DAILY),
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
        responses=_answers("MonthlyReport", "报告数据，与 Excel 文件内容相同", MONTHLY),
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
        responses=_answers("UnitSheet", "工作单数据，与 Excel 文件内容相同", UNIT),
    )
    def get(self, request):
        query = self.read_query(request)
        return self.answer(documents.unit_sheet_for(request.user, query["month"], query["unit"]), query)


urlpatterns = [
    path("daily/", DailyBriefView.as_view(), name="api-reports-daily"),
    path("monthly/", MonthlyReportView.as_view(), name="api-reports-monthly"),
    path("unit/", UnitSheetView.as_view(), name="api-reports-unit"),
]
