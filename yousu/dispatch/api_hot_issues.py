"""REST endpoint that dispatches a hot issue as one problem:
`POST /api/v1/intelligence/hot-issues/{id}/dispatch/` (unit, reason, primary: all optional).

The view reads the body and answers with what `hot_issue_dispatch` did; who may dispatch is the
service's rule (a platform dispatcher, as for one appeal, who sees the hot issue and reaches each of
its open appeals).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from yousu.api.serializers import Code, Text, VisibleAppealCode, units
from yousu.api.views import CONFLICT, ERRORS
from yousu.appeals.models import Appeal
from yousu.intelligence.api_hot import hot_issue_visible, hot_issues_as_data

from .hot_issues import hot_issue_dispatch


class HotIssueDispatchIn(serializers.Serializer):
    unit = Code(queryset=units(), required=False, allow_null=True, help_text="承办单位编码；不填则按职责目录")
    reason = Text(required=False, help_text="未按职责目录建议派单时必填；也记为并案原因")
    primary = VisibleAppealCode(
        queryset=Appeal.objects.none(),
        required=False,
        allow_null=True,
        help_text="主办诉求编号；不填则为最早受理的在办诉求",
    )


class HotIssueDispatch(APIView):
    """热点问题合并派单：派出一件主办诉求，其余已受理诉求并入它。"""

    @extend_schema(
        summary="热点问题合并派单",
        request=HotIssueDispatchIn,
        responses={201: dict, **ERRORS, **CONFLICT},
    )
    def post(self, request, pk: int):
        # Looked up before the body is read: an outsider learns nothing of what it should hold.
        hot_issue = hot_issue_visible(request.user, pk)
        body = HotIssueDispatchIn(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        done = hot_issue_dispatch(
            hot_issue=hot_issue,
            by=request.user,
            unit=data.get("unit"),
            reason=data.get("reason", ""),
            primary=data.get("primary"),
        )
        order = done.order
        return Response(
            {
                "hot_issue": hot_issues_as_data([done.hot_issue], request.user)[0],
                "primary": done.primary.code,
                "order": {"id": order.pk, "unit": order.unit.code, "unit_name": order.unit.name}
                if order is not None
                else None,
                "linked": [a.code for a in done.linked],
                "kept": [a.code for a in done.kept],
            },
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [path("<int:pk>/dispatch/", HotIssueDispatch.as_view(), name="api-hot-issue-dispatch")]
