"""REST endpoints of the public page (宣), mounted at /api/v1/public/:

    GET  cases/?month=YYYY-MM        published typical cases (no login)
    POST cases/                      publish a settled appeal (supervisors and administrators)
    POST cases/<id>/withdraw/        take a case down, with a reason (same)
    GET  ranking/?month=YYYY-MM      the month's headline figures, burden totals and ranking (no login)

As everywhere in the API, views read the request and call one service or selector; errors name the field.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from yousu.api.permissions import appeals_visible_to
from yousu.api.serializers import Text
from yousu.api.views import ERRORS
from yousu.core.errors import DomainError, NotFound
from yousu.evaluation import definitions
from yousu.evaluation.assessment import parse_month

from .models import TypicalCase
from .selectors import (
    BURDEN_HEADLINE,
    burden_totals,
    headline,
    live_cases,
    public_burden,
    public_jurisdiction,
    public_ranking,
    public_run,
)
from .services import typical_case_publish, typical_case_withdraw

MONTH = OpenApiParameter("month", str, description="月份 YYYY-MM；不填为最近一个已考评的月份")
JURISDICTION = OpenApiParameter("jurisdiction", str, description="城市（辖区）的区域编码；不填为第一个城市")
CASE_MONTH = OpenApiParameter("month", str, description="诉求办结的月份 YYYY-MM；不填为全部公开案例")


class CaseOut(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m", help_text="诉求办结的月份 YYYY-MM")
    item = serializers.CharField(source="item.name", default=None, help_text="事项类别")
    district = serializers.CharField(source="district.name", default=None, help_text="区县")
    street = serializers.CharField(source="street.name", default=None, help_text="街道")

    class Meta:
        model = TypicalCase
        fields = ["id", "title", "summary", "outcome", "item", "district", "street", "month", "published_at"]


class CaseIn(serializers.Serializer):
    appeal = Text(help_text="诉求编号（须已结案）")
    title = Text(help_text="标题")
    summary = Text(help_text="公开摘要；发布时自动隐去个人信息")
    outcome = Text(help_text="办理结果")


class WithdrawIn(serializers.Serializer):
    reason = Text(help_text="撤下理由")


class WithdrawnOut(CaseOut):
    class Meta(CaseOut.Meta):
        fields = [*CaseOut.Meta.fields, "withdrawn_at", "withdrawal_reason"]


def _read(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CasesView(APIView):
    """典型案例：公开列表（无需登录），督办员发布。"""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        summary="已公开的典型案例",
        parameters=[CASE_MONTH, JURISDICTION],
        responses={200: CaseOut(many=True), **ERRORS},
    )
    def get(self, request):
        month = request.query_params.get("month")
        code = request.query_params.get("jurisdiction")
        cases = live_cases(parse_month(month) if month else None, public_jurisdiction(code) if code else None)
        return Response(CaseOut(cases[:200], many=True).data)

    @extend_schema(summary="发布典型案例", request=CaseIn, responses={201: CaseOut, **ERRORS})
    def post(self, request):
        data = _read(CaseIn, request)
        appeal = appeals_visible_to(request.user).filter(code=data["appeal"].strip()).first()
        if appeal is None:
            raise DomainError(_("没有编号为“%(code)s”的诉求") % {"code": data["appeal"]}, field="appeal")
        case = typical_case_publish(
            appeal=appeal,
            by=request.user,
            title=data["title"],
            summary=data["summary"],
            outcome=data["outcome"],
        )
        return Response(CaseOut(case).data, status=status.HTTP_201_CREATED)


class CaseWithdrawView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="撤下典型案例", request=WithdrawIn, responses={200: WithdrawnOut, **ERRORS})
    def post(self, request, case_id: int):
        case = TypicalCase.objects.filter(pk=case_id).first()
        if case is None:
            raise NotFound(_("典型案例不存在"), field="case_id")
        case = typical_case_withdraw(case=case, by=request.user, reason=_read(WithdrawIn, request)["reason"])
        return Response(WithdrawnOut(case).data)


class RankingView(APIView):
    """某月公开的考评排名、概况和基层减负合计（无需登录）。"""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="某月的单位排名、红黄蓝区、概况和基层减负合计",
        parameters=[MONTH, JURISDICTION],
        responses={
            200: inline_serializer(
                "PublicRanking",
                {
                    "month": serializers.CharField(),
                    "jurisdiction": serializers.DictField(allow_null=True),
                    "version": serializers.IntegerField(),
                    "headline": serializers.DictField(),
                    "burden": serializers.DictField(),
                    "groups": serializers.ListField(child=serializers.DictField()),
                    "definitions": serializers.DictField(),
                },
            ),
            **ERRORS,
        },
    )
    def get(self, request):
        run = public_run(request.query_params.get("month"))
        city = public_jurisdiction(request.query_params.get("jurisdiction"))
        if run is None:
            raise NotFound(_("尚无月度考评结果"), field="month")
        totals = burden_totals(public_burden(run, city))
        return Response(
            {
                "month": run.month_label,
                "version": run.version,
                "jurisdiction": {"code": city.code, "name": city.name} if city is not None else None,
                "headline": headline(run, city),
                "burden": {code: totals[code] for code in BURDEN_HEADLINE},
                "groups": [
                    {
                        "level": group.level,
                        "kind": group.kind,
                        "label": group.label,
                        "units": [
                            {
                                "name": row.unit.name,
                                "score": row.score,
                                "rank": row.rank,
                                "peers": row.peers,
                                "zone": row.zone,
                            }
                            for row in group.rows
                        ],
                    }
                    for group in public_ranking(run, city)
                ],
                "definitions": {
                    key: value
                    for key, value in definitions.as_data().items()
                    if key in ("rates", "zone", "burden")
                },
            }
        )


urlpatterns = [
    path("cases/", CasesView.as_view(), name="public-api-cases"),
    path("cases/<int:case_id>/withdraw/", CaseWithdrawView.as_view(), name="public-api-case-withdraw"),
    path("ranking/", RankingView.as_view(), name="public-api-ranking"),
]
