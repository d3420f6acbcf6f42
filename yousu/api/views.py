"""REST endpoints: read the request, call one service or selector, answer with what it returned.

No rule of the platform is decided here. A view finds the object among those the caller may see
(everything else is 404), passes the caller as `by`, and lets the service refuse (403, 409, 400).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from yousu.appeals.selectors import citizen_for, events_of, possible_duplicates
from yousu.appeals.services import AttachmentIn, appeal_answer_at_intake, appeal_create, appeal_link_duplicate
from yousu.core.errors import NotFound, PermissionRefused
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.consultations import consultation_adopt_rule, consultation_decide, consultation_open
from yousu.dispatch.models import CriticismNotice, Order, ReportIn
from yousu.dispatch.services import (
    appeal_dispatch,
    criticism_notice_issue,
    extension_request_review,
    order_accept,
    order_add_assist,
    order_extension_request,
    order_forward,
    order_pause,
    order_reply,
    order_resume,
    order_return_request,
    order_review,
    order_submit_assist_part,
    return_request_reopen,
    return_request_review,
)
from yousu.dispatch.whistles import whistle_blow, whistle_report_in, whistle_summary
from yousu.org.selectors import sees_every_jurisdiction
from yousu.supervision.services import supervision_order_issue, urge_issue

from . import serializers as s
from .exceptions import error_response
from .permissions import (
    appeals_visible_to,
    consultations_visible_to,
    extension_requests_visible_to,
    is_jurisdiction_wide,
    orders_visible_to,
    return_requests_visible_to,
    whistles_visible_to,
)

# Orders whose unit still holds the appeal: it is the handler who may have to call the citizen back.
LET_GO_STATUSES = (OrderStatus.FORWARDED, OrderStatus.RETURNED)
ORDER_RELATED = ("appeal", "unit", "dispatched_from", "proposed_unit", "time_limit_class")
ERRORS = {
    400: OpenApiResponse(description="输入有误：error.field 指出字段"),
    403: OpenApiResponse(description="无权执行此操作"),
    404: OpenApiResponse(description="对象不存在或无权查看"),
}
CONFLICT = {409: OpenApiResponse(description="已被他人处理（冲突），请刷新后再试")}


class ApiViewSet(viewsets.GenericViewSet):
    """Shared plumbing: validate the action's input serializer; answer with an output serializer."""

    # Input serializer of each action that reads a body; the output is `serializer_class`.
    inputs: dict = {}

    def get_serializer_class(self):
        # The browsable API draws its form for an action from this.
        if self.request is not None and self.request.method not in ("GET", "HEAD", "OPTIONS"):
            return self.inputs.get(self.action, self.serializer_class)
        return self.serializer_class

    def read(self) -> dict:
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def read_query(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.query_params, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, serializer_class, instance, code: int = status.HTTP_200_OK) -> Response:
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=code)


def _attachments(files) -> list[AttachmentIn]:
    return [AttachmentIn(name=upload.name or "", data=upload.read()) for upload in files or []]


# ---------------------------------------------------------------- appeals


class AppealViewSet(ApiViewSet):
    """诉求：受理、查询、当场答复、派单、并案。"""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    serializer_class = s.AppealOut
    inputs = {
        "create": s.AppealIn,
        "answer": s.AnswerIn,
        "dispatch_order": s.DispatchIn,
        "link_duplicate": s.LinkDuplicateIn,
    }

    def get_queryset(self):
        return appeals_visible_to(self.request.user).select_related(
            "area", "item", "intake_unit", "duplicate_of"
        )

    @extend_schema(
        summary="诉求列表",
        parameters=[s.AppealQuery],
        responses={200: s.AppealListOut(many=True), **ERRORS},
    )
    def list(self, request):
        query = self.read_query(s.AppealQuery)
        appeals = self.get_queryset()
        for name in ("status", "channel", "kind"):
            if name in query:
                appeals = appeals.filter(**{name: query[name]})
        if "unit" in query:
            appeals = appeals.filter(pk__in=Order.objects.filter(unit=query["unit"]).values("appeal_id"))
        if "item" in query:
            appeals = appeals.filter(item__path__startswith=query["item"].path)
        if "area" in query:
            appeals = appeals.filter(area__path__startswith=query["area"].path)
        if "received_from" in query:
            appeals = appeals.filter(received_at__gte=_start_of(query["received_from"]))
        if "received_to" in query:
            appeals = appeals.filter(received_at__lt=_start_of(query["received_to"] + dt.timedelta(days=1)))
        if query.get("q"):
            appeals = appeals.filter(Q(title__icontains=query["q"]) | Q(content__icontains=query["q"]))
        page = self.paginate_queryset(appeals)
        return self.get_paginated_response(s.AppealListOut(page, many=True).data)

    @extend_schema(
        summary="受理诉求",
        description="JSON 或 multipart（attachments 为文件）。受理单位为调用者所在单位。"
        "同一受理单位在同一渠道以同一幂等键再次提交时返回 200 和第一次受理的诉求；"
        "其他单位已用过的幂等键返回 409，不含该诉求的任何内容。",
        request={"application/json": s.AppealIn, "multipart/form-data": s.AppealIn},
        responses={201: s.AppealCreatedOut, 200: s.AppealCreatedOut, **ERRORS, **CONFLICT},
    )
    def create(self, request):
        data = self.read()
        person = request.user
        if person.unit is None:
            raise PermissionRefused("没有所属单位的人员不能受理诉求（无受理单位）", field="intake_unit")
        received_at = timezone.now()
        appeal = appeal_create(
            **{name: value for name, value in data.items() if name != "attachments"},
            intake_unit=person.unit,
            received_by=person,
            received_at=received_at,
            attachments=_attachments(data.get("attachments")),
        )
        # For a key used before, appeal_create returns the first appeal, which carries its own time.
        created = appeal.received_at == received_at
        if created and not data.get("attachments"):
            prefetch_none(appeal, "attachments")
        duplicates = possible_duplicates(
            item=appeal.item, area=appeal.area, text=appeal.title + appeal.content, exclude=appeal
        )
        if duplicates and is_jurisdiction_wide(person) and not sees_every_jurisdiction(person):
            # They see their whole jurisdiction, which is the new appeal's.
            duplicates = [a for a in duplicates if a.jurisdiction_id == appeal.jurisdiction_id]
        elif duplicates and not is_jurisdiction_wide(person):
            # Offer only what the caller could open; a code they cannot see would leak its existence.
            candidates = appeals_visible_to(person).filter(pk__in=[a.pk for a in duplicates])
            visible = set(candidates.values_list("pk", flat=True))
            duplicates = [a for a in duplicates if a.pk in visible]
        appeal.possible_duplicates = [a.code for a in duplicates]
        return Response(
            s.appeal_created_data(appeal), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="诉求详情（含工单；诉求人按角色脱敏）", responses={200: s.AppealDetailOut, **ERRORS}
    )
    def retrieve(self, request, code=None):
        appeal = self.get_object()
        prefetch_related_objects(
            [appeal],
            Prefetch(
                "orders",
                queryset=Order.objects.select_related(*ORDER_RELATED).order_by("dispatched_at", "id"),
            ),
            "attachments",
        )
        handling = {order.unit_id for order in appeal.orders.all() if order.status not in LET_GO_STATUSES}
        appeal.citizen = citizen_for(request.user, appeal, handling_unit_ids=handling, purpose="API 查看诉求")
        data = s.AppealDetailOut(appeal, context=self.get_serializer_context()).data
        return Response(data)

    @extend_schema(summary="诉求的事件记录", responses={200: s.EventOut(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def events(self, request, code=None):
        appeal = self.get_object()
        return Response(s.EventOut(events_of(appeal), many=True).data)

    @extend_schema(summary="咨询当场答复办结", request=s.AnswerIn, responses={200: s.AppealOut, **ERRORS})
    @action(detail=True, methods=["post"])
    def answer(self, request, code=None):
        appeal = self.get_object()
        data = self.read()
        return self.appeal_out(
            appeal_answer_at_intake(
                appeal=appeal,
                answer=data.get("answer", ""),
                knowledge_entry=data.get("knowledge_entry"),
                by=request.user,
            )
        )

    @extend_schema(
        summary="派单",
        request=s.DispatchIn,
        responses={201: s.OrderOut, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_order(self, request, code=None):
        appeal = self.get_object()
        data = self.read()
        order = appeal_dispatch(
            appeal=appeal,
            by=request.user,
            unit=data.get("unit"),
            reason=data.get("reason", ""),
            time_limit_class=data.get("time_limit_class"),
        )
        return self.respond(s.OrderOut, order, status.HTTP_201_CREATED)

    @extend_schema(
        summary="并案（重复诉求）", request=s.LinkDuplicateIn, responses={200: s.AppealOut, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="link-duplicate")
    def link_duplicate(self, request, code=None):
        appeal = self.get_object()
        data = self.read()
        linked = appeal_link_duplicate(
            appeal=appeal, original=data["original"], by=request.user, reason=data.get("reason", "")
        )
        return self.appeal_out(linked)

    def appeal_out(self, appeal):
        appeal = self.get_queryset().get(pk=appeal.pk)
        return self.respond(s.AppealOut, appeal)


def prefetch_none(instance, relation: str) -> None:
    """Tell the serializer that a relation is empty without asking the database (a new row)."""
    prefetch_related_objects(
        [instance],
        Prefetch(relation, queryset=instance._meta.get_field(relation).related_model.objects.none()),
    )


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# ---------------------------------------------------------------- orders


class OrderViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """工单：签收、答复、延期、退单、协办、转派、审核。"""

    serializer_class = s.OrderOut
    inputs = {
        "accept": s.NothingIn,
        "reply": s.ReplyIn,
        "extension_request": s.ExtensionRequestIn,
        "return_request": s.ReturnRequestIn,
        "assist": s.AssistIn,
        "forward": s.ForwardIn,
        "assist_part": s.AssistPartIn,
        "review": s.OrderReviewIn,
        "pause": s.PauseIn,
        "resume": s.ResumeIn,
        "urge": s.UrgeIn,
        "supervision_order": s.SupervisionOrderIn,
    }
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return orders_visible_to(self.request.user).select_related(*ORDER_RELATED)

    @extend_schema(
        summary="本单位的工单",
        parameters=[s.OrderQuery],
        responses={200: s.OrderOut(many=True), **ERRORS},
    )
    def list(self, request):
        query = self.read_query(s.OrderQuery)
        orders = Order.objects.filter(unit_id=request.user.unit_id).select_related(*ORDER_RELATED)
        if request.user.unit_id is None:
            orders = orders.none()
        if "status" in query:
            orders = orders.filter(status=query["status"])
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(s.OrderOut(page, many=True).data)

    @extend_schema(summary="工单详情", responses={200: s.OrderOut, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def done(self, order, code: int = status.HTTP_200_OK) -> Response:
        return self.respond(s.OrderOut, self.get_queryset().get(pk=order.pk), code)

    @extend_schema(summary="签收", request=None, responses={200: s.OrderOut, **ERRORS, **CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request, id=None):
        return self.done(order_accept(order=self.get_object(), by=request.user))

    @extend_schema(
        summary="答复（办结申请）",
        request={"application/json": s.ReplyIn, "multipart/form-data": s.ReplyIn},
        responses={200: s.OrderOut, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, id=None):
        order = self.get_object()
        data = self.read()
        replied = order_reply(
            order=order,
            by=request.user,
            text=data["text"],
            result=data["result"],
            attachments=_attachments(data.get("attachments")),
        )
        return self.done(replied)

    @extend_schema(
        summary="申请延期", request=s.ExtensionRequestIn, responses={201: s.ExtensionRequestOut, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="extension-request")
    def extension_request(self, request, id=None):
        order = self.get_object()
        data = self.read()
        made = order_extension_request(
            order=order, by=request.user, until=data["until"], reason=data["reason"]
        )
        return self.respond(s.ExtensionRequestOut, made, status.HTTP_201_CREATED)

    @extend_schema(
        summary="申请退单", request=s.ReturnRequestIn, responses={201: s.ReturnRequestOut, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="return-request")
    def return_request(self, request, id=None):
        order = self.get_object()
        data = self.read()
        made = order_return_request(
            order=order,
            by=request.user,
            reason=data["reason"],
            explanation=data["explanation"],
            suggested_unit=data.get("suggested_unit"),
            basis_item=data.get("basis_item"),
            basis_note=data.get("basis_note", ""),
        )
        return self.respond(s.ReturnRequestOut, made, status.HTTP_201_CREATED)

    @extend_schema(
        summary="增加协办或联办单位", request=s.AssistIn, responses={201: s.OrderOut, **ERRORS, **CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def assist(self, request, id=None):
        order = self.get_object()
        data = self.read()
        added = order_add_assist(
            order=order,
            by=request.user,
            unit=data["unit"],
            role=data.get("role", "assist"),
            reason=data.get("reason", ""),
        )
        return self.done(added, status.HTTP_201_CREATED)

    @extend_schema(
        summary="转派下级（区平台、街道）",
        request=s.ForwardIn,
        responses={201: s.OrderOut, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def forward(self, request, id=None):
        order = self.get_object()
        data = self.read()
        forwarded = order_forward(
            order=order, by=request.user, unit=data.get("unit"), reason=data.get("reason", "")
        )
        return self.done(forwarded, status.HTTP_201_CREATED)

    @extend_schema(
        summary="提交协办意见", request=s.AssistPartIn, responses={200: s.OrderOut, **ERRORS, **CONFLICT}
    )
    @action(detail=True, methods=["post"], url_path="assist-part")
    def assist_part(self, request, id=None):
        order = self.get_object()
        data = self.read()
        return self.done(order_submit_assist_part(order=order, by=request.user, text=data["text"]))

    @extend_schema(
        summary="审核答复（办结或退回重办）",
        description="答复质量评分低（reply_review.low）时，同意办结须同时传 confirm_low_score=true。",
        request=s.OrderReviewIn,
        responses={200: s.OrderOut, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def review(self, request, id=None):
        order = self.get_object()
        data = self.read()
        reviewed = order_review(
            order=order,
            by=request.user,
            approve=data["approve"],
            note=data.get("note", ""),
            confirm_low_score=data["confirm_low_score"],
        )
        return self.done(reviewed)

    # ---------------------------------------------------------------- requests

    @extend_schema(
        summary="挂起（停止计时）", request=s.PauseIn, responses={200: s.OrderOut, **ERRORS, **CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, id=None):
        # The order first: someone who may not see it learns that, not what its body should hold.
        order = self.get_object()
        data = self.read()
        paused = order_pause(
            order=order, by=request.user, reason=data["reason"], explanation=data["explanation"]
        )
        return self.done(paused.order)

    @extend_schema(summary="恢复计时", request=s.ResumeIn, responses={200: s.OrderOut, **ERRORS})
    @action(detail=True, methods=["post"])
    def resume(self, request, id=None):
        note = self.read().get("note", "")
        return self.done(order_resume(order=self.get_object(), by=request.user, note=note))

    @extend_schema(summary="催办", request=s.UrgeIn, responses={201: s.UrgeOut, **ERRORS})
    @action(detail=True, methods=["post"])
    def urge(self, request, id=None):
        made = urge_issue(order=self.get_object(), by=request.user, text=self.read()["text"])
        return self.respond(s.UrgeOut, made, status.HTTP_201_CREATED)

    @extend_schema(
        summary="下发督办单（可提级）",
        request=s.SupervisionOrderIn,
        responses={201: s.SupervisionOrderOut, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="supervision-order")
    def supervision_order(self, request, id=None):
        order = self.get_object()
        data = self.read()
        made = supervision_order_issue(
            order=order, by=request.user, reason=data["reason"], escalate=data["escalate"]
        )
        return self.respond(s.SupervisionOrderOut, made, status.HTTP_201_CREATED)


class ReturnRequestViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """退单申请：由派单单位审核。"""

    serializer_class = s.ReturnRequestOut
    inputs = {"review": s.ReturnReviewIn, "reopen": s.ReturnReopenIn}
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return return_requests_visible_to(self.request.user).select_related("unit", "suggested_unit")

    @extend_schema(summary="退单申请详情", responses={200: s.ReturnRequestOut, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="审核退单申请", request=s.ReturnReviewIn, responses={200: s.ReturnRequestOut, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def review(self, request, id=None):
        made = self.get_object()
        data = self.read()
        reviewed = return_request_review(
            request=made,
            by=request.user,
            approve=data["approve"],
            note=data.get("note", ""),
            may_file_again=data["may_file_again"],
        )
        return self.respond(s.ReturnRequestOut, self.get_queryset().get(pk=reviewed.pk))

    @extend_schema(
        summary="允许再次申请退单",
        description="驳回（含按规则驳回）后，派单单位允许申请单位就此工单再申请一次退单；被驳回的申请仍计入该单位。",
        request=s.ReturnReopenIn,
        responses={200: s.ReturnRequestOut, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, id=None):
        made = self.get_object()
        data = self.read()
        reopened = return_request_reopen(request=made, by=request.user, note=data["note"])
        return self.respond(s.ReturnRequestOut, self.get_queryset().get(pk=reopened.pk))


class ExtensionRequestViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """延期申请：由派单平台审核。"""

    serializer_class = s.ExtensionRequestOut
    inputs = {"review": s.ReviewIn}
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return extension_requests_visible_to(self.request.user)

    @extend_schema(summary="延期申请详情", responses={200: s.ExtensionRequestOut, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="审核延期申请", request=s.ReviewIn, responses={200: s.ExtensionRequestOut, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def review(self, request, id=None):
        made = self.get_object()
        data = self.read()
        reviewed = extension_request_review(
            request=made, by=request.user, approve=data["approve"], note=data.get("note", "")
        )
        return self.respond(s.ExtensionRequestOut, reviewed)


# ---------------------------------------------------------------- consultations, whistles, notices


class ConsultationViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """会商：发起、决定、采纳为职责目录规则。"""

    serializer_class = s.ConsultationOut
    inputs = {"create": s.ConsultationIn, "decide": s.ConsultationDecideIn, "adopt_rule": s.NothingIn}
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return consultations_visible_to(self.request.user).select_related(
            "appeal", "item", "convening_unit", "lead_unit", "proposed_sector", "proposed_unit"
        )

    @extend_schema(summary="会商详情", responses={200: s.ConsultationOut, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="发起会商", request=s.ConsultationIn, responses={201: s.ConsultationOut, **ERRORS})
    def create(self, request):
        data = self.read()
        opened = consultation_open(
            item=data["item"],
            topic=data["topic"],
            parties=data["parties"],
            by=request.user,
            appeal=data.get("appeal"),
        )
        return self.respond(s.ConsultationOut, opened, status.HTTP_201_CREATED)

    @extend_schema(
        summary="会商决定",
        request=s.ConsultationDecideIn,
        responses={200: s.ConsultationOut, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, id=None):
        consultation = self.get_object()
        data = self.read()
        decided = consultation_decide(
            consultation=consultation,
            by=request.user,
            meeting_record=data["meeting_record"],
            lead_unit=data["lead_unit"],
            assisting_units=data.get("assisting_units", []),
            proposed_target=data.get("proposed_target", ""),
            proposed_level=data.get("proposed_level", ""),
            proposed_sector=data.get("proposed_sector"),
            proposed_unit=data.get("proposed_unit"),
        )
        return self.respond(s.ConsultationOut, decided)

    @extend_schema(summary="采纳会商建议为责任规则", request=None, responses={201: s.RuleOut, **ERRORS})
    @action(detail=True, methods=["post"], url_path="adopt-rule")
    def adopt_rule(self, request, id=None):
        rule = consultation_adopt_rule(consultation=self.get_object(), by=request.user)
        return self.respond(s.RuleOut, rule, status.HTTP_201_CREATED)


class WhistleViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    """吹哨报到：街道、社区吹哨，部门报到。"""

    serializer_class = s.WhistleOut
    inputs = {"create": s.WhistleIn, "report_in": s.ReportInIn}
    lookup_url_kwarg = "id"

    def get_queryset(self):
        report_ins = Prefetch(
            "report_ins",
            queryset=ReportIn.objects.select_related("unit", "reported_by").order_by("unit__code"),
        )
        return (
            whistles_visible_to(self.request.user)
            .select_related("blown_by_unit", "appeal")
            .prefetch_related(report_ins)
        )

    def shown(self, whistle, code: int = status.HTTP_200_OK) -> Response:
        whistle = self.get_queryset().get(pk=whistle.pk)
        whistle.summary = whistle_summary(whistle)
        return self.respond(s.WhistleOut, whistle, code)

    @extend_schema(summary="吹哨详情（谁已报到、谁逾时、谁未到）", responses={200: s.WhistleOut, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return self.shown(self.get_object())

    @extend_schema(summary="吹哨", request=s.WhistleIn, responses={201: s.WhistleOut, **ERRORS})
    def create(self, request):
        data = self.read()
        whistle = whistle_blow(
            by=request.user,
            problem=data["problem"],
            departments=data["departments"],
            appeal=data.get("appeal"),
            report_in_within=data.get("report_in_within"),
        )
        return self.shown(whistle, status.HTTP_201_CREATED)

    @extend_schema(summary="报到", request=s.ReportInIn, responses={200: s.ReportInOut, **ERRORS})
    @action(detail=True, methods=["post"], url_path="report-in")
    def report_in(self, request, id=None):
        whistle = self.get_object()
        data = self.read()
        made = whistle_report_in(
            whistle=whistle, by=request.user, on_site=data["on_site"], note=data.get("note", "")
        )
        return self.respond(s.ReportInOut, made)


class CriticismNoticeViewSet(ApiViewSet):
    """通报批评：记录在案（公开发布在后续阶段）。"""

    serializer_class = s.CriticismNoticeOut
    inputs = {"create": s.CriticismNoticeIn}

    def get_queryset(self):
        return CriticismNotice.objects.none()

    @extend_schema(
        summary="记录通报批评", request=s.CriticismNoticeIn, responses={201: s.CriticismNoticeOut, **ERRORS}
    )
    def create(self, request):
        data = self.read()
        notice = criticism_notice_issue(
            unit=data["unit"], reason=data["reason"], by=request.user, order=data.get("order")
        )
        return self.respond(s.CriticismNoticeOut, notice, status.HTTP_201_CREATED)


# ---------------------------------------------------------------- docs


class ApiDocs(APIView):
    """Every endpoint of the API with its summary, from the OpenAPI schema at /api/schema/.

    Swagger UI and Redoc would need their JavaScript from a CDN (no bundle is installed), so the
    docs are DRF's browsable pages, which it serves from its own static files.
    """

    permission_classes = [AllowAny]
    _endpoints: list[dict] | None = None

    @extend_schema(exclude=True)
    def get(self, request):
        return Response({"schema": reverse("api-schema", request=request), "endpoints": self.endpoints()})

    @classmethod
    def endpoints(cls) -> list[dict]:
        if cls._endpoints is None:
            schema = SchemaGenerator().get_schema(request=None, public=True)
            cls._endpoints = [
                {"method": method.upper(), "path": path, "summary": operation.get("summary", "")}
                for path, operations in schema["paths"].items()
                for method, operation in operations.items()
            ]
        return cls._endpoints


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request, path=""):
    """Unknown paths under /api/ answer in JSON too."""
    return error_response(
        code=NotFound.code,
        message="没有这个接口（注意路径以 / 结尾，见 /api/docs/）",
        field="path",
        status_code=status.HTTP_404_NOT_FOUND,
    )
