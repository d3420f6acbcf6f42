"""REST endpoints of the supervision desk: orders overdue or about to be (by unit), supervision orders
(answer, close), and the actions on an order (urge, supervision order, pause and resume its clock).

As everywhere in the API, the views only read the request, call one service or selector, and answer.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from yousu.supervision.choices import SupervisionStatus
from yousu.supervision.selectors import (
    WATCH_STATES,
    supervision_orders_visible_to,
    watch_by_unit,
    watch_state,
    watched_orders,
)
from yousu.supervision.services import supervision_order_answer, supervision_order_close

from .serializers import Code, OrderOut, SupervisionOrderOut, Text, choice, units
from .views import ERRORS, ApiViewSet

# ---------------------------------------------------------------- serializers


class SupervisionAnswerIn(serializers.Serializer):
    answer = Text(help_text="反馈：已采取的措施和预计办结时间")


class SupervisionCloseIn(serializers.Serializer):
    note = Text(required=False)


class WatchQuery(serializers.Serializer):
    state = choice([(state, state) for state in WATCH_STATES], required=False)
    unit = Code(queryset=units(), required=False)
    page = serializers.IntegerField(required=False, min_value=1)


class SupervisionOrderQuery(serializers.Serializer):
    status = choice(SupervisionStatus.choices, required=False)
    unit = Code(queryset=units(), required=False)
    page = serializers.IntegerField(required=False, min_value=1)


class WatchedOrderOut(OrderOut):
    watch_state = serializers.SerializerMethodField(
        help_text="overdue 已超期 / due_soon 临近超期 / paused 挂起"
    )

    class Meta(OrderOut.Meta):
        fields = [*OrderOut.Meta.fields, "watch_state"]

    def get_watch_state(self, order) -> str:
        return watch_state(order, self.context["now"])


class UnitWatchOut(serializers.Serializer):
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    overdue = serializers.IntegerField()
    due_soon = serializers.IntegerField()
    paused = serializers.IntegerField()
    open_supervision_orders = serializers.IntegerField()


# ---------------------------------------------------------------- views


class SupervisionViewSet(ApiViewSet):
    """督办台：超期和临近超期的工单。"""

    serializer_class = WatchedOrderOut

    def get_queryset(self):
        return watched_orders(self.request.user)

    @extend_schema(
        summary="超期、临近超期和挂起的工单",
        parameters=[WatchQuery],
        responses={200: WatchedOrderOut(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def watchlist(self, request):
        query = self.read_query(WatchQuery)
        now = timezone.now()
        orders = watched_orders(request.user, now=now, state=query.get("state"))
        if "unit" in query:
            orders = orders.filter(unit=query["unit"])
        page = self.paginate_queryset(orders)
        data = WatchedOrderOut(page, many=True, context={**self.get_serializer_context(), "now": now}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="各单位超期、临近超期、挂起和待反馈督办单数", responses={200: UnitWatchOut(many=True)}
    )
    # One row per unit the caller watches, not pages: the schema must not promise a paginated envelope.
    @action(detail=False, methods=["get"], pagination_class=None)
    def units(self, request):
        return Response(UnitWatchOut(watch_by_unit(request.user), many=True).data)


class SupervisionOrderViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """督办单：被督办单位反馈，督办员销号。"""

    serializer_class = SupervisionOrderOut
    inputs = {"answer": SupervisionAnswerIn, "close": SupervisionCloseIn}
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return supervision_orders_visible_to(self.request.user)

    @extend_schema(
        summary="督办单", parameters=[SupervisionOrderQuery], responses={200: SupervisionOrderOut(many=True)}
    )
    def list(self, request):
        query = self.read_query(SupervisionOrderQuery)
        rows = self.get_queryset()
        if "status" in query:
            rows = rows.filter(status=query["status"])
        if "unit" in query:
            rows = rows.filter(unit=query["unit"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SupervisionOrderOut(page, many=True).data)

    @extend_schema(summary="督办单详情", responses={200: SupervisionOrderOut, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="反馈督办单", request=SupervisionAnswerIn, responses={200: SupervisionOrderOut, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, id=None):
        done = supervision_order_answer(
            supervision=self.get_object(), by=request.user, answer=self.read()["answer"]
        )
        return self.respond(SupervisionOrderOut, done)

    @extend_schema(summary="销号", request=SupervisionCloseIn, responses={200: SupervisionOrderOut, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, id=None):
        done = supervision_order_close(
            supervision=self.get_object(), by=request.user, note=self.read().get("note", "")
        )
        return self.respond(SupervisionOrderOut, done)
