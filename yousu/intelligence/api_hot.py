"""REST endpoints of duplicates and hot issues, under /api/v1/intelligence/:

- `duplicates/` (GET or POST: text, area, exclude): possible duplicates of an appeal being taken in;
- `hot-issues/` (GET: status, district, limit) and `hot-issues/{id}/`: the hottest hot issues.

Dispatching a hot issue as one problem is `yousu.dispatch.api_hot_issues` (dispatch comes after
intelligence). The views read the input, check who asks, and answer with what the services found.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from yousu.api.permissions import appeals_visible_to, is_unit_staff
from yousu.api.views import ERRORS
from yousu.appeals.models import Appeal
from yousu.core.errors import NotFound, PermissionRefused
from yousu.org.choices import Level
from yousu.org.models import Area, Person
from yousu.org.selectors import scope_within, sees_every_jurisdiction

from .duplicates import MAX_LIMIT, MAX_TEXT, find_duplicates
from .hot_issues import (
    ABSORBING,
    hot_issue_appeal_codes,
    hot_issues_top,
    hot_issues_visible_to,
    may_see_hot_issues,
)
from .models import HotIssue, HotIssueStatus

MAX_HOT_ISSUES = 100
STATUS_CHOICES = ("active", *HotIssueStatus.values, "all")


def _staff(person: Person) -> None:
    if not is_unit_staff(person):
        raise PermissionRefused(_("只有单位工作人员可以查询疑似重复诉求"), field="by")


class DuplicatesIn(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=False, help_text="诉求标题和内容")
    area = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="区域编码")
    exclude = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="不列出的诉求编号（例如正在编辑的这件）"
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=5)

    def validate_area(self, code: str) -> Area | None:
        code = code.strip()
        if not code:
            return None
        area = Area.objects.defer("boundary").filter(code=code).first()
        if area is None:
            raise serializers.ValidationError(_("未知的区域编码：%(code)s") % {"code": code})
        return area

    def validate_exclude(self, code: str) -> int | None:
        code = code.strip()
        if not code:
            return None
        pk = Appeal.objects.filter(code=code).values_list("pk", flat=True).first()
        if pk is None:
            raise serializers.ValidationError(_("未知的诉求编号：%(code)s") % {"code": code})
        return pk


def duplicates_as_data(person: Person, found) -> list[dict]:
    if found and not sees_every_jurisdiction(person):
        # Offer only what the caller could open: a code they cannot see would leak its existence.
        visible = set(
            appeals_visible_to(person)
            .filter(pk__in=[c.appeal.pk for c in found])
            .values_list("pk", flat=True)
        )
        found = [c for c in found if c.appeal.pk in visible]
    return [
        {
            "code": c.appeal.code,
            "title": c.appeal.title,
            "received_at": timezone.localtime(c.appeal.received_at).isoformat(),
            "area": {"code": c.appeal.area.code, "name": c.appeal.area.name} if c.appeal.area_id else None,
            "status": c.appeal.status,
            "score": c.score,
            "text_score": c.text_score,
            "same_place": c.same_place,
            "place": c.place,
        }
        for c in found
    ]


class Duplicates(APIView):
    """疑似重复诉求：时间窗内、同一事项和地点的在办诉求，供受理时并案。"""

    def _answer(self, request, data):
        _staff(request.user)
        query = DuplicatesIn(data=data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        found = find_duplicates(
            text=data["text"], area=data.get("area"), exclude_id=data.get("exclude"), limit=data["limit"]
        )
        return Response({"duplicates": duplicates_as_data(request.user, found)})

    @extend_schema(summary="疑似重复诉求", parameters=[DuplicatesIn], responses={200: dict, **ERRORS})
    def get(self, request):
        return self._answer(request, request.query_params)

    @extend_schema(summary="疑似重复诉求", request=DuplicatesIn, responses={200: dict, **ERRORS})
    def post(self, request):
        return self._answer(request, request.data)


def hot_issues_as_data(hot_issues, person: Person) -> list[dict]:
    """The hot issues as the API shows them to `person`: `appeals` holds only the codes the person
    reaches (`appeal_count` is the hot issue's own size, the figure its heat is made of)."""
    hot_issues = list(hot_issues)
    codes = hot_issue_appeal_codes(person, hot_issues)
    return [
        {
            "id": h.pk,
            "name": h.name,
            "keywords": h.keywords,
            "area": {"code": h.area.code, "name": h.area.name} if h.area_id else None,
            "status": h.status,
            "appeal_count": h.appeal_count,
            "support_votes": h.support_votes,
            "heat": h.heat,
            "first_at": timezone.localtime(h.first_at).isoformat(),
            "last_at": timezone.localtime(h.last_at).isoformat(),
            "appeals": codes[h.pk],
            "primary_appeal": h.primary_appeal.code if h.primary_appeal_id else None,
        }
        for h in hot_issues
    ]


class HotIssuesIn(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=STATUS_CHOICES,
        default="active",
        help_text="active（待处理和已合并派单，默认）、open、dispatched、closed、all",
    )
    district = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="区县区域编码"
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_HOT_ISSUES, default=20)

    def validate_district(self, code: str) -> Area | None:
        code = code.strip()
        if not code:
            return None
        district = Area.objects.defer("boundary").filter(code=code, level=Level.DISTRICT).first()
        if district is None:
            raise serializers.ValidationError(_("未知的区县编码：%(code)s") % {"code": code})
        return district


def _reader(person: Person) -> None:
    if not may_see_hot_issues(person):
        raise PermissionRefused(
            _("只有领导、督办员、接线员、系统管理员和平台派单员可以查看热点问题"), field="by"
        )


class HotIssues(APIView):
    """热点问题：按热度排列（至少 YOUSU_HOT_ISSUE_MIN_APPEALS 件诉求）。"""

    @extend_schema(
        summary="热点问题列表",
        operation_id="v1_intelligence_hot_issues_list",
        parameters=[HotIssuesIn],
        responses={200: dict, **ERRORS},
    )
    def get(self, request):
        _reader(request.user)
        query = HotIssuesIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        statuses = {
            "active": ABSORBING,
            "all": HotIssueStatus.values,
        }.get(data["status"], (data["status"],))
        hot_issues = hot_issues_top(
            within=scope_within(request.user, data.get("district")), statuses=statuses, limit=None
        ).filter(pk__in=hot_issues_visible_to(request.user).values("pk"))[: data["limit"]]
        return Response({"hot_issues": hot_issues_as_data(hot_issues, request.user)})


class HotIssueDetail(APIView):
    """一个热点问题及其诉求编号。"""

    @extend_schema(summary="热点问题详情", responses={200: dict, **ERRORS})
    def get(self, request, pk: int):
        # Not found for anyone outside it, whatever their role: the answer tells nothing of it.
        hot_issue = hot_issue_visible(request.user, pk)
        return Response(hot_issues_as_data([hot_issue], request.user)[0])


def hot_issue_visible(person: Person, pk: int) -> HotIssue:
    """The hot issue `pk` if the person may see it (hot_issues_visible_to), else NotFound."""
    hot_issue = hot_issues_visible_to(person).select_related("area", "primary_appeal").filter(pk=pk).first()
    if hot_issue is None:
        raise NotFound(_("没有这个热点问题"), field="hot_issue")
    return hot_issue


urlpatterns = [
    path("duplicates/", Duplicates.as_view(), name="api-intelligence-duplicates"),
    path("hot-issues/", HotIssues.as_view(), name="api-intelligence-hot-issues"),
    path("hot-issues/<int:pk>/", HotIssueDetail.as_view(), name="api-intelligence-hot-issue"),
]
