"""REST endpoints of the callbacks that ask whether an on-the-spot answer helped (当场答复回访): the
intake desk's queue of answers due to be asked about, recording the citizen's answer, and an
unanswered call. The same rules as the callback desk's page (yousu.knowledge.answers); an answer the
caller may not work on is 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from yousu.api.serializers import Flag, Text
from yousu.api.views import ERRORS, ApiViewSet
from yousu.appeals.selectors import citizen_for

from .answers import (
    intake_answer_check,
    intake_answer_checks_due,
    intake_answer_unreachable,
    intake_answers_visible_to,
)
from .models import IntakeAnswer


class AnswerCheckIn(serializers.Serializer):
    helped = Flag(help_text="答复是否有帮助")
    comment = Text(required=False, help_text="群众意见")


class AnswerUnreachableIn(serializers.Serializer):
    note = Text(help_text="联系情况，例如“无人接听”")


class IntakeAnswerOut(serializers.ModelSerializer):
    appeal_code = serializers.CharField(source="appeal.code", read_only=True)
    appeal_title = serializers.CharField(source="appeal.title", read_only=True)
    answer = serializers.CharField(source="appeal.intake_answer", read_only=True, help_text="当场答复内容")
    citizen = serializers.SerializerMethodField(
        help_text="回访对象：姓名和电话（按查看权限打码；查看会被记录）"
    )
    answered_by = serializers.CharField(source="answered_by.full_name", read_only=True)
    checked_by = serializers.CharField(
        source="checked_by.full_name", default=None, read_only=True, allow_null=True
    )
    check_status = serializers.CharField(
        read_only=True, help_text="pending 待回访 / done 已回访 / unreachable 无法联系 / not_needed 无需回访"
    )

    class Meta:
        model = IntakeAnswer
        fields = [
            "id",
            "appeal_code",
            "appeal_title",
            "answer",
            "entry",
            "entry_version",
            "answered_by",
            "answered_at",
            "citizen",
            "check_status",
            "check_due_at",
            "attempts",
            "helped",
            "comment",
            "checked_by",
            "checked_at",
        ]

    def get_citizen(self, record) -> dict:
        view = citizen_for(self.context["request"].user, record.appeal, purpose="回访")
        return {"name": view.name, "phone": view.phone, "masked": view.masked}


class IntakeAnswerViewSet(ApiViewSet):
    """当场答复回访：询问群众当场答复是否有帮助（引用知识条目的答复多次无帮助时该条目暂停使用）。"""

    serializer_class = IntakeAnswerOut
    inputs = {"check": AnswerCheckIn, "unreachable": AnswerUnreachableIn}
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return intake_answers_visible_to(self.request.user)

    @extend_schema(
        summary="当场答复回访队列（已到回访时间，最早的在前）", responses={200: IntakeAnswerOut(many=True)}
    )
    def list(self, request):
        page = self.paginate_queryset(intake_answer_checks_due(request.user))
        return self.get_paginated_response(
            IntakeAnswerOut(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(summary="一条当场答复及其回访", responses={200: IntakeAnswerOut, **ERRORS})
    def retrieve(self, request, id=None):
        return self.respond(IntakeAnswerOut, self.get_object())

    @extend_schema(
        summary="记录群众对当场答复的评价", request=AnswerCheckIn, responses={200: IntakeAnswerOut, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def check(self, request, id=None):
        # The record first: someone who may not see it learns that, not what its body should hold.
        record = self.get_object()
        data = self.read()
        done = intake_answer_check(
            record=record, by=request.user, helped=data["helped"], comment=data.get("comment", "")
        )
        return self.respond(IntakeAnswerOut, done)

    @extend_schema(
        summary="记录一次无法联系", request=AnswerUnreachableIn, responses={200: IntakeAnswerOut, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def unreachable(self, request, id=None):
        record = self.get_object()
        done = intake_answer_unreachable(record=record, by=request.user, note=self.read()["note"])
        return self.respond(IntakeAnswerOut, done)
