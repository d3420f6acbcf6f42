"""REST endpoints of the assessment (考评): runs, a month's results with the definitions of every
figure, the grassroots-burden figures, and what changed between two versions.

Meant for the router of yousu.api.urls: `router.register("assessments", AssessmentViewSet,
basename="assessment")`. As everywhere in the API, views only read the request and call selectors.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from yousu.api.views import ERRORS, ApiViewSet

from . import definitions
from .assessment import BURDEN_FIELDS, RESULT_FIELDS, assessment_changes
from .models import AssessmentRun, BurdenFigure, UnitAssessment
from .selectors import (
    burden_visible_to,
    check_may_compare,
    is_assessor,
    peer_ranking,
    results_visible_to,
    run_of,
)


class RunOut(serializers.ModelSerializer):
    month = serializers.CharField(source="month_label", help_text="月份 YYYY-MM")
    scheme = serializers.CharField(source="scheme.name", help_text="考评方案")
    computed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AssessmentRun
        fields = [
            "month",
            "version",
            "is_current",
            "is_provisional",
            "final_after",
            "projection_day",
            "scheme",
            "computed_at",
            "computed_by",
            "note",
            "seconds",
        ]


class UnitResultOut(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", help_text="单位编码")
    unit_name = serializers.CharField(source="unit.name", help_text="单位名称")

    class Meta:
        model = UnitAssessment
        fields = ["unit", "unit_name", "level", "kind", *RESULT_FIELDS]


class PeerOut(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = UnitAssessment
        fields = ["unit", "unit_name", "score", "rank", "peers", "zone"]


class BurdenOut(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    kind = serializers.CharField(source="unit.kind")

    class Meta:
        model = BurdenFigure
        fields = ["unit", "unit_name", "kind", *BURDEN_FIELDS, "hours_saved"]


class ChangesQuery(serializers.Serializer):
    # "from" is a Python keyword: the field is declared under another name and renamed below.
    to = serializers.IntegerField(min_value=1, help_text="新版本号")


ChangesQuery._declared_fields["from"] = serializers.IntegerField(min_value=1, help_text="旧版本号")


class AssessmentViewSet(ApiViewSet):
    """月度考评：各单位三率、得分、同类排名、红黄蓝区，以及基层减负数据。"""

    serializer_class = RunOut
    lookup_field = "month"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):
        return AssessmentRun.objects.select_related("scheme", "computed_by")

    @extend_schema(summary="考评批次（每月各版本）", responses={200: RunOut(many=True), **ERRORS})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RunOut(page, many=True).data)

    @extend_schema(
        summary="某月当前版本的考评结果，附各项定义",
        responses={
            200: inline_serializer(
                "AssessmentMonth",
                {
                    "run": RunOut(),
                    "definitions": serializers.DictField(),
                    "results": UnitResultOut(many=True),
                    "peers": PeerOut(many=True),
                },
            ),
            **ERRORS,
        },
    )
    def retrieve(self, request, month=None):
        run = run_of(month)
        person = request.user
        body = {
            "run": RunOut(run).data,
            "definitions": definitions.as_data(),
            "results": UnitResultOut(results_visible_to(person, run), many=True).data,
        }
        if not is_assessor(person):
            body["peers"] = PeerOut(peer_ranking(person, run), many=True).data
        return Response(body)

    @extend_schema(summary="某月基层减负数据", responses={200: BurdenOut(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def burden(self, request, month=None):
        run = run_of(month)
        return Response(
            {
                "run": RunOut(run).data,
                "definitions": definitions.as_data()["burden"],
                "results": BurdenOut(burden_visible_to(request.user, run), many=True).data,
            }
        )

    @extend_schema(
        summary="两个版本之间各单位的变化",
        parameters=[ChangesQuery],
        responses={
            200: inline_serializer(
                "AssessmentChanges",
                {
                    "month": serializers.CharField(),
                    "from": serializers.IntegerField(),
                    "to": serializers.IntegerField(),
                    "units": serializers.ListField(child=serializers.DictField()),
                },
            ),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["get"])
    def changes(self, request, month=None):
        check_may_compare(request.user)
        query = self.read_query(ChangesQuery)
        old, new = run_of(month, query["from"]), run_of(month, query["to"])
        return Response(
            {
                "month": new.month_label,
                "from": old.version,
                "to": new.version,
                "units": assessment_changes(old, new),
            }
        )
