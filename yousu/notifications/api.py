"""REST endpoints of the inbox (站内信): list my messages with the unread count, mark one read.

Meant for the router of yousu.api.urls: `router.register("notifications", NotificationViewSet,
basename="notification")` gives GET /api/v1/notifications/ and POST /api/v1/notifications/{id}/read/.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action

from yousu.api.serializers import NothingIn
from yousu.api.views import ERRORS, ApiViewSet

from .models import Notification
from .selectors import inbox_for, unread_count
from .services import mark_read


class NotificationOut(serializers.ModelSerializer):
    appeal = serializers.CharField(
        source="order.appeal.code", default=None, allow_null=True, help_text="相关诉求编号"
    )
    unit = serializers.SlugRelatedField(
        source="recipient_unit",
        slug_field="code",
        read_only=True,
        help_text="发给本单位时为单位编码",
        allow_null=True,
    )
    read = serializers.SerializerMethodField(help_text="是否已读")

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "text", "order", "appeal", "unit", "created_at", "read_at", "read"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationViewSet(ApiViewSet):
    """站内信：本人和本单位的通知。"""

    serializer_class = NotificationOut
    inputs = {"read": NothingIn}
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return inbox_for(self.request.user)

    @extend_schema(
        summary="我的站内信（含本单位），附未读数",
        responses={
            200: inline_serializer(
                "NotificationPage",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "unread_count": serializers.IntegerField(),
                    "results": NotificationOut(many=True),
                },
            ),
            **ERRORS,
        },
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        response = self.get_paginated_response(NotificationOut(page, many=True).data)
        response.data["unread_count"] = unread_count(request.user)
        return response

    @extend_schema(summary="标为已读", request=None, responses={200: NotificationOut, **ERRORS})
    @action(detail=True, methods=["post"])
    def read(self, request, id=None):
        return self.respond(NotificationOut, mark_read(notification=self.get_object(), person=request.user))
