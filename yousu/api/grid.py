"""Grid governance and proactive handling (网格治理 · 未诉先办) over the API: report kinds, a grid worker's
reports, a community's daily discovery reports, the street's study, the district's dispatch and the
proactive figures.

As everywhere in the API, the views read the request, find the problem among those the caller may see
(everything else is 404), pass the caller as `by` and let `yousu.grid.services` refuse (403, 400
naming the field).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from yousu.appeals.services import AttachmentIn
from yousu.catalog.models import CatalogItem
from yousu.core.errors import NotFound, PermissionRefused
from yousu.grid.choices import HandlingMode, StreetDecision
from yousu.grid.models import DailyReport, FoundProblem, ReportKind
from yousu.grid.selectors import FIGURE_LEVELS, problem_state
from yousu.grid.services import daily_report_submit, grid_report_create, problem_dispatch, problem_study
from yousu.org.choices import Level, UnitKind
from yousu.org.models import Area, Person, Unit
from yousu.org.selectors import in_jurisdiction_of, units_visible_to
from yousu.reports.proactive import MAX_DAYS, definitions, proactive_report
from yousu.reports.summary import may_read_dashboard

from .permissions import appeals_visible_to, is_jurisdiction_wide
from .serializers import Code, Number, OrderOut, Text, unit_codes
from .views import CONFLICT, ERRORS

IDEMPOTENCY_HEADER = "Idempotency-Key"


# ---------------------------------------------------------------- who sees which problem


def problems_visible_to(person: Person) -> QuerySet[FoundProblem]:
    """City-wide roles see every found problem; others those they reported, those of a community they
    can see or whose street they work for, and those whose appeal they can see."""
    problems = FoundProblem.objects.all()
    if not person.is_authenticated or not person.is_active:
        return problems.none()
    if is_jurisdiction_wide(person):
        return problems.filter(in_jurisdiction_of(person, "community__area__path"))
    seen = Q(reported_by=person) | Q(community__in=units_visible_to(person))
    seen |= Q(appeal__in=appeals_visible_to(person).values("pk"))
    if person.unit_id:
        seen |= Q(community__parent_id=person.unit_id)
    return problems.filter(seen)


def _problem(person: Person, problem_id: int) -> FoundProblem:
    problem = problems_visible_to(person).filter(pk=problem_id).first()
    if problem is None:
        raise NotFound(_("问题不存在或无权查看"), field="id")
    return problem


# ---------------------------------------------------------------- serializers


class ItemRefOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ReportKindOut(serializers.ModelSerializer):
    item = ItemRefOut(allow_null=True, help_text="对应的三级目录事项；上报后据此和位置确定承办单位")

    class Meta:
        model = ReportKind
        fields = ["code", "name", "description", "position", "item"]


class FoundProblemOut(serializers.ModelSerializer):
    source = serializers.CharField(help_text="grid_report（网格员上报）或 daily_report（日报告）")
    source_label = serializers.CharField(source="get_source_display")
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    community_name = serializers.CharField(source="community.name")
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name")
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    appeal = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    appeal_status = serializers.CharField(source="appeal.status", default=None, allow_null=True)
    mode = serializers.CharField(help_text="self / assisted / joint；未定为空")
    before_complaint = serializers.BooleanField(help_text="发现时此前没有群众就同一事项诉求")
    street_decision = serializers.CharField(help_text="街道研判：handle / send_up / drop；未研判为空")
    state = serializers.SerializerMethodField(help_text="当前所处环节")

    class Meta:
        model = FoundProblem
        fields = [
            "id",
            "source",
            "source_label",
            "community",
            "community_name",
            "area",
            "area_name",
            "kind",
            "text",
            "address",
            "longitude",
            "latitude",
            "found_at",
            "mode",
            "appeal",
            "appeal_status",
            "before_complaint",
            "street_decision",
            "street_reason",
            "state",
        ]

    def get_state(self, problem: FoundProblem) -> str:
        return problem_state(problem)


class GridReportIn(serializers.Serializer):
    kind = Code(queryset=ReportKind.objects.all(), help_text="上报事项类别编码（见 grid/kinds/）")
    text = Text(help_text="问题描述")
    mode = serializers.ChoiceField(choices=HandlingMode.choices, help_text="自办、协办或联办")
    grid = Code(
        queryset=Area.objects.filter(is_active=True).defer("boundary"),
        required=False,
        allow_null=True,
        help_text="网格编码；不填则按经纬度或本人唯一负责的网格",
    )
    longitude = Number(required=False, allow_null=True, min_value=-180, max_value=180)
    latitude = Number(required=False, allow_null=True, min_value=-90, max_value=90)
    address = Text(required=False)
    idempotency_key = Text(required=False, help_text="也可用请求头 Idempotency-Key")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, help_text="现场照片")


class DailyProblemIn(serializers.Serializer):
    kind = Code(queryset=ReportKind.objects.all(), required=False, allow_null=True)
    grid = Code(
        queryset=Area.objects.filter(is_active=True).defer("boundary"),
        required=False,
        allow_null=True,
        help_text="网格或社区区域编码；不填为本社区",
    )
    text = Text()
    address = Text(required=False)
    longitude = Number(required=False, allow_null=True, min_value=-180, max_value=180)
    latitude = Number(required=False, allow_null=True, min_value=-90, max_value=90)


class DailyReportIn(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="报告日期，默认今天")
    note = Text(required=False)
    problems = DailyProblemIn(many=True, help_text="当日发现的问题；没有发现问题时为空列表")


class DailyReportOut(serializers.ModelSerializer):
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    community_name = serializers.CharField(source="community.name")
    submitted_by = serializers.CharField(source="submitted_by.username")
    problems = FoundProblemOut(many=True)

    class Meta:
        model = DailyReport
        fields = [
            "id",
            "community",
            "community_name",
            "day",
            "submitted_by",
            "submitted_at",
            "on_time",
            "note",
            "problems",
        ]


class StudyIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=StreetDecision.choices, help_text="街道自办、报区级或不予立项")
    reason = Text(required=False, help_text="研判意见；不予立项时必填")
    item = Code(
        queryset=CatalogItem.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="三级事项编码；不填按上报类别",
    )


class ProblemDispatchIn(serializers.Serializer):
    units = unit_codes(help_text="承办单位编码，第一个为主办")
    mode = serializers.ChoiceField(
        choices=[(m.value, m.label) for m in (HandlingMode.ASSISTED, HandlingMode.JOINT)],
        help_text="协办或联办",
    )
    reason = Text(required=False, help_text="未按职责目录派单时必填")
    item = Code(queryset=CatalogItem.objects.filter(is_active=True), required=False, allow_null=True)


class ProblemDispatchOut(serializers.Serializer):
    problem = FoundProblemOut()
    orders = OrderOut(many=True)


class FiguresQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="开始日期 YYYY-MM-DD（含）；默认本月一日")
    end = serializers.DateField(required=False, help_text="结束日期 YYYY-MM-DD（含）；默认今天")
    level = serializers.ChoiceField(
        choices=[(level, Level(level).label) for level in FIGURE_LEVELS],
        default=Level.STREET,
        help_text="按哪一级区域分行：city、district、street 或 community",
    )
    area = Code(
        queryset=Area.objects.defer("boundary"),
        required=False,
        allow_null=True,
        help_text="只统计此区域之内",
    )

    def validate(self, data):
        # Without dates: the month so far, as the dashboard's default period.
        today = timezone.localdate()
        data.setdefault("end", today)
        data.setdefault("start", data["end"].replace(day=1))
        if data["end"] < data["start"]:
            raise serializers.ValidationError({"end": _("结束日期不能早于开始日期")})
        if (data["end"] - data["start"]).days + 1 > MAX_DAYS:
            raise serializers.ValidationError({"end": _("统计期最长 %(days)s 天") % {"days": MAX_DAYS}})
        return data


class ProactiveRowOut(serializers.Serializer):
    area = serializers.CharField()
    area_code = serializers.CharField()
    level = serializers.CharField()
    found = serializers.IntegerField(help_text="发现问题数")
    from_grid_reports = serializers.IntegerField()
    from_daily_reports = serializers.IntegerField()
    before_complaint = serializers.IntegerField(help_text="发现时尚无群众诉求的")
    before_complaint_share = serializers.FloatField(allow_null=True)
    dropped = serializers.IntegerField(help_text="街道研判不予立项的")
    solved = serializers.IntegerField()
    solved_share = serializers.FloatField(allow_null=True)
    solved_self = serializers.IntegerField()
    solved_assisted = serializers.IntegerField()
    solved_joint = serializers.IntegerField()
    median_hours_to_solve = serializers.FloatField(allow_null=True)
    mean_hours_to_solve = serializers.FloatField(allow_null=True)
    daily_reports = serializers.IntegerField()
    daily_reports_on_time = serializers.IntegerField()
    daily_reports_missing = serializers.IntegerField()
    whistles = serializers.IntegerField()
    report_ins = serializers.IntegerField()
    report_ins_answered = serializers.IntegerField()
    report_ins_on_time = serializers.IntegerField()


class OnSpotOut(serializers.Serializer):
    unit = serializers.CharField()
    unit_code = serializers.CharField()
    accepted_on_spot = serializers.IntegerField(help_text="驻格、巡格人员现场签收的诉求数")
    solved = serializers.IntegerField(help_text="其中已办结的")


class FiguresOut(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    level = serializers.CharField()
    area = ItemRefOut(allow_null=True)
    rows = ProactiveRowOut(many=True)
    totals = serializers.DictField(help_text="各行相加；比率和中位数按全部问题重新计算")
    on_spot = OnSpotOut(many=True)
    definitions = serializers.DictField(child=serializers.CharField())


# ---------------------------------------------------------------- views


def _attachments(files) -> list[AttachmentIn]:
    return [AttachmentIn(name=upload.name or "", data=upload.read()) for upload in files or []]


def _read(serializer_class, data, view) -> dict:
    serializer = serializer_class(data=data, context=view.get_serializer_context())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


PROBLEM_RELATED = ("community", "area", "kind", "appeal")


class ReportKinds(GenericAPIView):
    """启用的网格上报事项类别及其对应的目录事项。"""

    serializer_class = ReportKindOut
    pagination_class = None

    @extend_schema(summary="网格上报事项类别", responses={200: ReportKindOut(many=True), **ERRORS})
    def get(self, request):
        kinds = ReportKind.objects.filter(is_active=True).select_related("item").order_by("position", "code")
        return Response(ReportKindOut(kinds, many=True).data)


class GridReports(GenericAPIView):
    """网格员上报：发现即成诉求（网格上报渠道）。"""

    serializer_class = FoundProblemOut

    def get_serializer_class(self):
        if self.request is not None and self.request.method == "POST":
            return GridReportIn
        return FoundProblemOut

    @extend_schema(summary="本人的网格上报", responses={200: FoundProblemOut(many=True), **ERRORS})
    def get(self, request):
        problems = (
            FoundProblem.objects.filter(reported_by=request.user, source="grid_report")
            .select_related(*PROBLEM_RELATED)
            .order_by("-found_at", "-id")
        )
        page = self.paginate_queryset(problems)
        return self.get_paginated_response(FoundProblemOut(page, many=True).data)

    @extend_schema(
        summary="网格上报",
        description="JSON 或 multipart（attachments 为现场照片）。幂等键可放在请求头 Idempotency-Key 或字段 "
        "idempotency_key；本社区以同一键再次提交时返回 200 和第一次上报的问题与诉求，"
        "其他社区已用过的键返回 409。",
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False)],
        request={"application/json": GridReportIn, "multipart/form-data": GridReportIn},
        responses={201: FoundProblemOut, 200: FoundProblemOut, **ERRORS, **CONFLICT},
    )
    def post(self, request):
        data = _read(GridReportIn, request.data, self)
        key = data.get("idempotency_key") or request.headers.get(IDEMPOTENCY_HEADER, "")
        started = timezone.now()
        problem = grid_report_create(
            by=request.user,
            kind=data["kind"],
            text=data["text"],
            mode=data["mode"],
            grid=data.get("grid"),
            longitude=data.get("longitude"),
            latitude=data.get("latitude"),
            address=data.get("address", ""),
            attachments=_attachments(data.get("attachments")),
            idempotency_key=key,
        )
        created = problem.found_at >= started
        problem = FoundProblem.objects.select_related(*PROBLEM_RELATED).get(pk=problem.pk)
        return Response(
            FoundProblemOut(problem).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def _reports_of(person: Person) -> QuerySet[DailyReport]:
    """The daily reports of the caller's community, or of the communities of the caller's street."""
    if person.unit_id is None:
        return DailyReport.objects.none()
    return DailyReport.objects.filter(
        Q(community_id=person.unit_id)
        | Q(community__parent_id=person.unit_id, community__kind=UnitKind.COMMUNITY)
    )


class DailyReports(GenericAPIView):
    """社区党组织发现问题日报告。"""

    serializer_class = DailyReportOut

    def get_serializer_class(self):
        if self.request is not None and self.request.method == "POST":
            return DailyReportIn
        return DailyReportOut

    @extend_schema(
        summary="本社区（或本街道各社区）的发现问题日报告",
        responses={200: DailyReportOut(many=True), **ERRORS},
    )
    def get(self, request):
        reports = (
            _reports_of(request.user)
            .select_related("community", "submitted_by")
            .prefetch_related("problems__community", "problems__area", "problems__kind", "problems__appeal")
            .order_by("-day", "community__path")
        )
        page = self.paginate_queryset(reports)
        return self.get_paginated_response(DailyReportOut(page, many=True).data)

    @extend_schema(
        summary="报送发现问题日报告",
        description="由社区人员报送本社区当日（或补报此前某日）的发现问题；没有发现问题也要报送（problems 为空）。",
        request=DailyReportIn,
        responses={201: DailyReportOut, **ERRORS, **CONFLICT},
    )
    def post(self, request):
        data = _read(DailyReportIn, request.data, self)
        community: Unit | None = request.user.unit
        if community is None:
            raise PermissionRefused(_("没有所属社区的人员不能报送日报告"), field="community")
        problems = [
            {
                "text": spec["text"],
                "kind": spec.get("kind"),
                "area": spec.get("grid"),
                "address": spec.get("address", ""),
                "longitude": spec.get("longitude"),
                "latitude": spec.get("latitude"),
            }
            for spec in data["problems"]
        ]
        report = daily_report_submit(
            community=community,
            day=data.get("day") or timezone.localdate(),
            by=request.user,
            problems=problems,
            note=data.get("note", ""),
        )
        report = (
            DailyReport.objects.select_related("community", "submitted_by")
            .prefetch_related("problems__community", "problems__area", "problems__kind", "problems__appeal")
            .get(pk=report.pk)
        )
        return Response(DailyReportOut(report).data, status=status.HTTP_201_CREATED)


class ProblemStudy(GenericAPIView):
    """街道会商研判：自办、报区级研判派单或不予立项。"""

    serializer_class = StudyIn

    @extend_schema(
        summary="街道研判社区上报的问题",
        request=StudyIn,
        responses={200: FoundProblemOut, **ERRORS, **CONFLICT},
    )
    def post(self, request, id: int):
        problem = _problem(request.user, id)
        data = _read(StudyIn, request.data, self)
        problem = problem_study(
            problem=problem,
            by=request.user,
            decision=data["decision"],
            reason=data.get("reason", ""),
            item=data.get("item"),
        )
        problem = FoundProblem.objects.select_related(*PROBLEM_RELATED).get(pk=problem.pk)
        return Response(FoundProblemOut(problem).data)


class ProblemDispatch(GenericAPIView):
    """区级问题研判派单：主办单位加协办或联办单位。"""

    serializer_class = ProblemDispatchIn

    @extend_schema(
        summary="区级研判派单",
        request=ProblemDispatchIn,
        responses={201: ProblemDispatchOut, **ERRORS, **CONFLICT},
    )
    def post(self, request, id: int):
        problem = _problem(request.user, id)
        data = _read(ProblemDispatchIn, request.data, self)
        orders = problem_dispatch(
            problem=problem,
            by=request.user,
            units=data["units"],
            mode=data["mode"],
            reason=data.get("reason", ""),
            item=data.get("item"),
        )
        problem = FoundProblem.objects.select_related(*PROBLEM_RELATED).get(pk=problem.pk)
        body = ProblemDispatchOut(
            {"problem": problem, "orders": orders}, context=self.get_serializer_context()
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class Figures(GenericAPIView):
    """未诉先办统计：按区县、街道或社区的发现、办结（按方式）、办结用时、未诉先办占比、吹哨报到。"""

    serializer_class = FiguresOut
    pagination_class = None

    @extend_schema(summary="未诉先办统计", parameters=[FiguresQuery], responses={200: FiguresOut, **ERRORS})
    def get(self, request):
        if not may_read_dashboard(request.user):
            raise PermissionRefused(_("只有领导、督办员、系统管理员和平台派单员可以查看未诉先办统计"))
        query = _read(FiguresQuery, request.query_params, self)
        report = proactive_report(
            start=query["start"], end=query["end"], level=query["level"], within=query.get("area")
        )
        return Response(FiguresOut({**report, "definitions": definitions()}).data)


urlpatterns = [
    path("kinds/", ReportKinds.as_view(), name="api-grid-kinds"),
    path("reports/", GridReports.as_view(), name="api-grid-reports"),
    path("daily-reports/", DailyReports.as_view(), name="api-grid-daily-reports"),
    path("problems/<int:id>/study/", ProblemStudy.as_view(), name="api-grid-problem-study"),
    path("problems/<int:id>/dispatch/", ProblemDispatch.as_view(), name="api-grid-problem-dispatch"),
    path("figures/", Figures.as_view(), name="api-grid-figures"),
]
