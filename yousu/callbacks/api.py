"""REST endpoints of callbacks: the intake desk's queue, recording a phone callback, an unanswered
call, and carrying out the send-back a citizen's answer called for. The citizen's own answer goes
through the page at /callback/<token>/, not through the API.

As everywhere in the API, the views read the request, call one service or selector, and answer; a
callback the caller may not work on is 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from yousu.api.serializers import Flag, Text, choice
from yousu.api.views import CONFLICT, ERRORS, ApiViewSet
from yousu.appeals.selectors import citizen_for

from .choices import Satisfaction
from .models import Callback
from .selectors import callback_queue, callbacks_visible_to
from .services import callback_record, callback_send_back, callback_unreachable

# ---------------------------------------------------------------- serializers


class CallbackRecordIn(serializers.Serializer):
    solved = Flag(help_text="问题是否已解决")
    satisfaction = choice(Satisfaction.choices, help_text="满意度")
    unit_caused = Flag(required=False, allow_null=True, help_text="不满意时必填：是否因承办单位原因")
    comment = Text(required=False, help_text="群众意见")


class CallbackUnreachableIn(serializers.Serializer):
    note = Text(help_text="联系情况，例如“无人接听”")


class CallbackSendBackIn(serializers.Serializer):
    reason = Text(required=False, help_text="退回重办理由；留空时用群众的意见")


class CallbackOut(serializers.ModelSerializer):
    appeal_code = serializers.CharField(source="appeal.code", read_only=True)
    appeal_title = serializers.CharField(source="appeal.title", read_only=True)
    unit_code = serializers.CharField(source="order.unit.code", read_only=True)
    unit_name = serializers.CharField(source="order.unit.name", read_only=True)
    reply_text = serializers.CharField(source="order.reply_text", read_only=True)
    citizen = serializers.SerializerMethodField(
        help_text="回访对象：姓名和电话（按查看权限打码；查看会被记录）"
    )
    done_by = serializers.CharField(source="done_by.full_name", default=None, read_only=True, allow_null=True)
    # Plain strings in the schema: other components already name enums "channel" and "status".
    channel = serializers.CharField(read_only=True, help_text="phone 电话 / web 网页链接 / sms 短信链接")
    status = serializers.CharField(
        read_only=True, help_text="pending 待回访 / done 已回访 / unreachable 无法联系 / not_needed 无需回访"
    )
    outcome = serializers.CharField(
        read_only=True,
        help_text="closed / sent_back / send_back_requested（待接线员退回重办）/ escalated / none；未回访时为空",
    )

    class Meta:
        model = Callback
        fields = [
            "id",
            "appeal_code",
            "appeal_title",
            "order",
            "unit_code",
            "unit_name",
            "reply_text",
            "citizen",
            "round",
            "channel",
            "status",
            "attempts",
            "last_attempt_at",
            "solved",
            "satisfaction",
            "unit_caused",
            "comment",
            "note",
            "outcome",
            "done_by",
            "done_at",
            "created_at",
        ]

    def get_citizen(self, callback) -> dict:
        view = citizen_for(self.context["request"].user, callback.appeal, purpose="回访")
        return {"name": view.name, "phone": view.phone, "masked": view.masked}


# ---------------------------------------------------------------- views


class CallbackViewSet(ApiViewSet):
    """回访：接线员的回访队列，记录电话回访和无法联系，执行群众网页回访要求的退回重办。"""

    serializer_class = CallbackOut
    inputs = {
        "record": CallbackRecordIn,
        "unreachable": CallbackUnreachableIn,
        "send_back": CallbackSendBackIn,
    }
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return callbacks_visible_to(self.request.user)

    @extend_schema(
        summary="回访队列（待电话回访、待退回重办，最早的在前）", responses={200: CallbackOut(many=True)}
    )
    def list(self, request):
        page = self.paginate_queryset(callback_queue(request.user))
        return self.get_paginated_response(
            CallbackOut(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="记录电话回访", request=CallbackRecordIn, responses={200: CallbackOut, **ERRORS, **CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def record(self, request, id=None):
        # The callback first: someone who may not see it learns that, not what its body should hold.
        callback = self.get_object()
        data = self.read()
        done = callback_record(
            callback=callback,
            by=request.user,
            solved=data["solved"],
            satisfaction=data["satisfaction"],
            unit_caused=data.get("unit_caused"),
            comment=data.get("comment", ""),
        )
        return self.respond(CallbackOut, done)

    @extend_schema(
        summary="记录一次无法联系", request=CallbackUnreachableIn, responses={200: CallbackOut, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def unreachable(self, request, id=None):
        done = callback_unreachable(callback=self.get_object(), by=request.user, note=self.read()["note"])
        return self.respond(CallbackOut, done)

    @extend_schema(
        summary="按群众回访意见退回重办", request=CallbackSendBackIn, responses={200: CallbackOut, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, id=None):
        done = callback_send_back(
            callback=self.get_object(), by=request.user, reason=self.read().get("reason", "")
        )
        return self.respond(CallbackOut, done)
