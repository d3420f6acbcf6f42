"""What the API reads from a request and what it answers with.

Input serializers only check types and turn codes into objects; every rule (lengths, required
reasons, who may act, which state allows what) is the services' to enforce. Text is taken exactly
as sent: markup in it is data, and the API only ever returns it as a JSON string.
"""

from __future__ import annotations

import functools

from rest_framework import serializers
from rest_framework.fields import empty

from yousu.appeals.choices import AppealStatus, Channel
from yousu.appeals.models import Appeal, Attachment, Event
from yousu.catalog.choices import AppealKind, RuleTarget
from yousu.catalog.models import CatalogItem, ResponsibilityRule, TimeLimitClass
from yousu.dispatch.choices import OrderRole, OrderStatus, PauseReason, ReplyResult, ReturnReason
from yousu.dispatch.models import (
    Consultation,
    CriticismNotice,
    ExtensionRequest,
    Order,
    ReportIn,
    ReturnRequest,
    Whistle,
)
from yousu.knowledge.models import KnowledgeEntry
from yousu.org.choices import Level
from yousu.org.models import Area, Sector, Unit
from yousu.supervision.models import SupervisionOrder, Urge

from .permissions import appeals_visible_to, orders_visible_to

# ---------------------------------------------------------------- strict input fields


class Text(serializers.CharField):
    """A JSON string, kept as sent (no trimming); numbers, lists and objects are refused."""

    default_error_messages = {"invalid": "应为文本（字符串）。"}

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Number(serializers.FloatField):
    """A number; true/false are not numbers even though Python says they are."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class Flag(serializers.BooleanField):
    """A boolean that must be sent when required, also in a form (where DRF reads absence as false)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.required:
            self.default_empty_html = empty


class Code(serializers.SlugRelatedField):
    """An object named by its code; an unknown code is an error on this field."""

    default_error_messages = {
        "does_not_exist": "未知的编码：{value}。",
        "invalid": "应为编码（字符串）。",
    }

    def __init__(self, queryset, **kwargs):
        super().__init__(slug_field="code", queryset=queryset, **kwargs)

    def to_internal_value(self, data):
        # No code has a NUL character, and PostgreSQL refuses one in a query (a 500, not a 400).
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class VisibleAppealCode(Code):
    """An appeal code among the appeals the caller can see; others are unknown to them."""

    def get_queryset(self):
        return appeals_visible_to(self.context["request"].user)


class VisibleOrderId(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": "未知的工单：{pk_value}。",
        "incorrect_type": "应为工单编号（整数）。",
    }

    def get_queryset(self):
        return orders_visible_to(self.context["request"].user)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


# The levels a responsibility rule can name (a grid is never responsible).
RULE_LEVELS = [choice for choice in Level.choices if choice[0] != Level.GRID]


def units():
    return Unit.objects.all()


def unit_codes(**kwargs):
    return Code(queryset=units(), many=True, **kwargs)


def choice(choices, **kwargs):
    return serializers.ChoiceField(choices=choices, **kwargs)


# ---------------------------------------------------------------- input


class NothingIn(serializers.Serializer):
    """An action that takes no input (accept, adopt)."""


class AppealIn(serializers.Serializer):
    kind = choice(AppealKind.choices)
    channel = choice(Channel.choices)
    title = Text()
    content = Text()
    address = Text(required=False)
    longitude = Number(required=False, allow_null=True)
    latitude = Number(required=False, allow_null=True)
    # The boundary polygon is not needed to receive an appeal about an area, and may be large.
    area = Code(
        queryset=Area.objects.filter(is_active=True).defer("boundary"), required=False, allow_null=True
    )
    item = Code(queryset=CatalogItem.objects.filter(is_active=True), required=False, allow_null=True)
    citizen_name = Text(required=False)
    citizen_phone = Text(required=False)
    anonymous = serializers.BooleanField(required=False)
    confidential = serializers.BooleanField(required=False)
    idempotency_key = Text(required=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class AnswerIn(serializers.Serializer):
    answer = Text(required=False, help_text="当场答复内容；引用知识条目时可不填（用条目的答复口径）")
    knowledge_entry = serializers.PrimaryKeyRelatedField(
        queryset=KnowledgeEntry.objects.all(),
        required=False,
        allow_null=True,
        help_text="所引用的知识条目编号（须在本辖区有效、已审核）",
        error_messages={
            "does_not_exist": "知识条目 {pk_value} 不存在。",
            "incorrect_type": "应为条目编号（整数）。",
        },
    )


class DispatchIn(serializers.Serializer):
    unit = Code(queryset=units(), required=False, allow_null=True, help_text="承办单位编码；不填则按职责目录")
    reason = Text(required=False, help_text="未按职责目录建议派单时必填")
    time_limit_class = Code(queryset=TimeLimitClass.objects.all(), required=False, allow_null=True)


class LinkDuplicateIn(serializers.Serializer):
    original = VisibleAppealCode(queryset=Appeal.objects.none(), help_text="并入的（在办）诉求编号")
    reason = Text(required=False)


class ReplyIn(serializers.Serializer):
    text = Text()
    result = choice(ReplyResult.choices)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class ExtensionRequestIn(serializers.Serializer):
    until = serializers.DateTimeField(help_text="申请延至（ISO 8601）")
    reason = Text()


class ReturnRequestIn(serializers.Serializer):
    reason = choice(ReturnReason.choices)
    explanation = Text()
    suggested_unit = Code(
        queryset=units(),
        required=False,
        allow_null=True,
        help_text="认为应当承办的单位编码；以“不属本单位职责”或“不在本单位辖区”退单时必填",
    )
    basis_item = Code(
        queryset=CatalogItem.objects.all(),
        required=False,
        allow_null=True,
        help_text="所依据的目录事项编码；以“不属本单位职责”或“不在本单位辖区”退单时必填",
    )
    basis_note = Text(required=False, help_text="依据说明")


class AssistIn(serializers.Serializer):
    unit = Code(queryset=units())
    role = choice(OrderRole.choices, required=False)
    reason = Text(required=False)


class ForwardIn(serializers.Serializer):
    unit = Code(queryset=units(), required=False, allow_null=True, help_text="下级单位编码；不填则按职责目录")
    reason = Text(required=False)


class AssistPartIn(serializers.Serializer):
    text = Text()


class ReviewIn(serializers.Serializer):
    approve = Flag(help_text="true 同意，false 驳回（或退回重办）")
    note = Text(required=False)


class ReturnReviewIn(ReviewIn):
    may_file_again = serializers.BooleanField(
        required=False, default=False, help_text="驳回时允许申请单位就此工单再申请一次退单"
    )


class ReturnReopenIn(serializers.Serializer):
    note = Text(help_text="允许再次申请退单的理由")


class OrderReviewIn(ReviewIn):
    confirm_low_score = serializers.BooleanField(
        required=False, default=False, help_text="答复质量评分低于阈值时，确认仍同意办结"
    )


class ConsultationIn(serializers.Serializer):
    item = Code(queryset=CatalogItem.objects.all())
    topic = Text()
    parties = unit_codes()
    appeal = VisibleAppealCode(queryset=Appeal.objects.none(), required=False, allow_null=True)


class ConsultationDecideIn(serializers.Serializer):
    meeting_record = Text()
    lead_unit = Code(queryset=units())
    assisting_units = unit_codes(required=False)
    proposed_target = choice(RuleTarget.choices, required=False, allow_blank=True)
    proposed_level = choice(RULE_LEVELS, required=False, allow_blank=True)
    proposed_sector = Code(queryset=Sector.objects.all(), required=False, allow_null=True)
    proposed_unit = Code(queryset=units(), required=False, allow_null=True)


class WhistleIn(serializers.Serializer):
    problem = Text()
    departments = unit_codes()
    appeal = VisibleAppealCode(queryset=Appeal.objects.none(), required=False, allow_null=True)
    report_in_within = serializers.DurationField(
        required=False, allow_null=True, help_text="报到时限，例如 PT2H（ISO 8601）；不填按默认"
    )


class ReportInIn(serializers.Serializer):
    on_site = Text(help_text="到场人员")
    note = Text(required=False)


class CriticismNoticeIn(serializers.Serializer):
    unit = Code(queryset=units())
    reason = Text()
    order = VisibleOrderId(queryset=Order.objects.none(), required=False, allow_null=True)


class AppealQuery(serializers.Serializer):
    """Filters of the appeal list (query parameters)."""

    status = choice(AppealStatus.choices, required=False)
    channel = choice(Channel.choices, required=False)
    kind = choice(AppealKind.choices, required=False)
    unit = Code(queryset=units(), required=False, help_text="有该单位工单的诉求")
    item = Code(queryset=CatalogItem.objects.all(), required=False, help_text="事项或其下级事项")
    area = Code(queryset=Area.objects.all(), required=False, help_text="区域及其下级区域")
    received_from = serializers.DateField(required=False, help_text="受理日期起（含）")
    received_to = serializers.DateField(required=False, help_text="受理日期止（含）")
    q = serializers.CharField(required=False, max_length=200, help_text="标题或内容包含的文字")
    page = serializers.IntegerField(required=False, min_value=1)


class OrderQuery(serializers.Serializer):
    status = choice(OrderStatus.choices, required=False)
    page = serializers.IntegerField(required=False, min_value=1)


# ---------------------------------------------------------------- output


def code_of(**kwargs):
    return serializers.SlugRelatedField(slug_field="code", read_only=True, **kwargs)


class CitizenOut(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    masked = serializers.BooleanField(help_text="是否已脱敏")
    hidden = serializers.BooleanField(help_text="保密诉求对承办单位隐藏诉求人")


class AttachmentOut(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", allow_null=True)

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "order", "uploaded_at"]


class ReplyCheckOut(serializers.Serializer):
    passed = serializers.BooleanField()
    evidence = serializers.CharField(help_text="答复中体现该项的文字")


class ReplyReviewOut(serializers.Serializer):
    """The reply's score at reply time (答复质量评分), for the reviewing dispatcher."""

    version = serializers.IntegerField(help_text="评分方法版本")
    total = serializers.IntegerField(help_text="总分 0–100")
    low = serializers.BooleanField(help_text="低于阈值：同意办结须确认")
    threshold = serializers.IntegerField()
    relevance = serializers.FloatField(help_text="与诉求的相关度 0–1")
    cosine = serializers.FloatField()
    completeness = serializers.FloatField(help_text="完整性 0–1：结果、依据、联系方式")
    result_stated = ReplyCheckOut()
    basis_given = ReplyCheckOut()
    contact_given = ReplyCheckOut()
    timeliness = serializers.FloatField(help_text="及时性 0–1")
    on_time = serializers.BooleanField(allow_null=True)
    time_used = serializers.FloatField(allow_null=True, help_text="用去办理时限的比例")
    reasons = serializers.ListField(child=serializers.CharField())


class OrderOut(serializers.ModelSerializer):
    reply_review = ReplyReviewOut(read_only=True, allow_null=True)
    appeal = code_of()
    unit = code_of()
    unit_name = serializers.CharField(source="unit.name")
    dispatched_from = code_of()
    proposed_unit = code_of(allow_null=True)
    time_limit_class = code_of()

    class Meta:
        model = Order
        fields = [
            "id",
            "appeal",
            "unit",
            "unit_name",
            "role",
            "status",
            "parent",
            "dispatched_from",
            "dispatched_at",
            "proposed_unit",
            "override_reason",
            "time_limit_class",
            "response_due",
            "completion_due",
            "yellow_at",
            "red_at",
            "next_node",
            "next_node_at",
            "paused_at",
            "accepted_at",
            "reply_text",
            "reply_result",
            "replied_at",
            "reply_review",
            "completed_at",
            "send_back_count",
        ]


class AppealOut(serializers.ModelSerializer):
    # Nullable as the columns are: an appeal may be received before its place, item or duplicate is known.
    area = code_of(allow_null=True)
    item = code_of(allow_null=True)
    intake_unit = code_of()
    duplicate_of = code_of(allow_null=True)

    class Meta:
        model = Appeal
        fields = [
            "code",
            "kind",
            "channel",
            "status",
            "title",
            "content",
            "address",
            "longitude",
            "latitude",
            "area",
            "item",
            "anonymous",
            "confidential",
            "received_at",
            "intake_unit",
            "duplicate_of",
            "intake_answer",
            "updated_at",
        ]


class AppealListOut(AppealOut):
    class Meta(AppealOut.Meta):
        fields = [
            "code",
            "kind",
            "channel",
            "status",
            "title",
            "address",
            "area",
            "item",
            "received_at",
            "intake_unit",
            "duplicate_of",
        ]


class AppealCreatedOut(AppealOut):
    possible_duplicates = serializers.ListField(
        child=serializers.CharField(), help_text="可能重复的在办诉求编号（可并案）"
    )
    attachments = AttachmentOut(many=True)

    class Meta(AppealOut.Meta):
        fields = [*AppealOut.Meta.fields, "attachments", "possible_duplicates"]


@functools.cache
def _appeal_created_out() -> AppealCreatedOut:
    serializer = AppealCreatedOut()
    serializer.fields["attachments"].child.fields  # noqa: B018 -- built here, once, not on first use
    return serializer


def appeal_created_data(appeal: Appeal) -> dict:
    """What `AppealCreatedOut(appeal).data` gives, from one serializer whose fields are built once.

    DRF builds and binds a new set of fields for every serializer object, a tenth of the CPU of an
    intake. These fields only read the appeal (no hyperlinks, no file URLs: nothing from a request),
    so one object can serve every request and thread; a test checks that both give the same."""
    return _appeal_created_out().to_representation(appeal)


class AppealDetailOut(AppealOut):
    citizen = CitizenOut(help_text="按查看人角色脱敏或隐藏")
    orders = OrderOut(many=True)
    attachments = AttachmentOut(many=True)

    class Meta(AppealOut.Meta):
        fields = [*AppealOut.Meta.fields, "citizen", "orders", "attachments"]


class EventOut(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", allow_null=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    actor_unit = code_of(allow_null=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "at",
            "action",
            "order",
            "actor",
            "actor_unit",
            "from_state",
            "to_state",
            "reason",
            "payload",
        ]


class ReturnRequestOut(serializers.ModelSerializer):
    unit = code_of()
    suggested_unit = code_of(allow_null=True)
    basis_item = code_of(allow_null=True)
    counts_against_unit = serializers.BooleanField(read_only=True)
    may_file_again = serializers.BooleanField(
        read_only=True, help_text="派单单位已允许就此工单再申请一次退单"
    )

    class Meta:
        model = ReturnRequest
        fields = [
            "id",
            "order",
            "unit",
            "reason",
            "explanation",
            "suggested_unit",
            "basis_item",
            "basis_note",
            "status",
            "requested_at",
            "reviewed_at",
            "review_note",
            "counts_against_unit",
            "may_file_again",
            "reopened_at",
            "reopen_note",
        ]


class ExtensionRequestOut(serializers.ModelSerializer):
    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "order",
            "requested_until",
            "reason",
            "status",
            "requested_at",
            "reviewed_at",
            "review_note",
        ]


class RuleOut(serializers.ModelSerializer):
    item = code_of()
    area = code_of(allow_null=True)
    sector = code_of(allow_null=True)
    unit = code_of(allow_null=True)

    class Meta:
        model = ResponsibilityRule
        fields = [
            "id",
            "item",
            "area",
            "target",
            "level",
            "sector",
            "unit",
            "valid_from",
            "valid_until",
            "reason",
        ]


class ConsultationOut(serializers.ModelSerializer):
    appeal = code_of(allow_null=True)
    item = code_of()
    convening_unit = code_of()
    parties = code_of(many=True)
    lead_unit = code_of(allow_null=True)
    assisting_units = code_of(many=True)
    proposed_sector = code_of(allow_null=True)
    proposed_unit = code_of(allow_null=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "appeal",
            "item",
            "topic",
            "convening_unit",
            "parties",
            "opened_at",
            "meeting_record",
            "decided_at",
            "lead_unit",
            "assisting_units",
            "proposed_target",
            "proposed_level",
            "proposed_sector",
            "proposed_unit",
            "adopted_rule",
        ]


class ReportInOut(serializers.ModelSerializer):
    whistle = serializers.IntegerField(source="whistle_id")
    unit = code_of()
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ReportIn
        fields = [
            "id",
            "whistle",
            "unit",
            "reported_at",
            "reported_by",
            "on_site",
            "note",
            "warn_at",
            "warned_at",
            "missed_at",
        ]


class WhistleSummaryOut(serializers.Serializer):
    reported = serializers.ListField(child=serializers.CharField(), help_text="按时报到的部门编码")
    late = serializers.ListField(child=serializers.CharField(), help_text="逾时报到的部门编码")
    missing = serializers.ListField(child=serializers.CharField(), help_text="尚未报到的部门编码")


class WhistleOut(serializers.ModelSerializer):
    blown_by_unit = code_of()
    appeal = code_of(allow_null=True)
    report_ins = ReportInOut(many=True)
    summary = WhistleSummaryOut()

    class Meta:
        model = Whistle
        fields = [
            "id",
            "blown_by_unit",
            "appeal",
            "problem",
            "blown_at",
            "report_in_due",
            "report_ins",
            "summary",
        ]


class CriticismNoticeOut(serializers.ModelSerializer):
    unit = code_of()
    issued_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CriticismNotice
        fields = ["id", "unit", "order", "reason", "issued_by", "issued_at"]


class EndpointOut(serializers.Serializer):
    method = serializers.CharField()
    path = serializers.CharField()
    summary = serializers.CharField()


class DocsOut(serializers.Serializer):
    schema = serializers.URLField()
    endpoints = EndpointOut(many=True)


# ---------------------------------------------------------------- supervision


class UrgeIn(serializers.Serializer):
    text = Text(help_text="催办内容")


class SupervisionOrderIn(serializers.Serializer):
    reason = Text(help_text="督办事由")
    escalate = Flag(required=False, default=False, help_text="true 同时提级至上级单位")


class PauseIn(serializers.Serializer):
    reason = choice(PauseReason.choices)
    explanation = Text()


class ResumeIn(serializers.Serializer):
    note = Text(required=False)


class UrgeOut(serializers.ModelSerializer):
    unit = code_of()
    appeal = serializers.CharField(source="order.appeal.code")
    issued_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Urge
        fields = ["id", "order", "appeal", "unit", "node", "text", "issued_by", "issued_at"]


class SupervisionOrderOut(serializers.ModelSerializer):
    unit = code_of()
    unit_name = serializers.CharField(source="unit.name")
    escalated_to = code_of(allow_null=True)  # only an escalated supervision order has one
    # About an order, or about a summoned department that let the report-in limit pass (吹哨未报到);
    # the appeal is the order's or the whistle's, none for a problem a street found itself.
    appeal = serializers.CharField(source="appeal.code", allow_null=True, help_text="相关诉求编号")
    report_in = serializers.IntegerField(
        source="report_in_id", allow_null=True, help_text="超时未报到的报到记录"
    )
    whistle = serializers.IntegerField(source="report_in.whistle_id", allow_null=True, help_text="相关吹哨")
    issued_by = serializers.StringRelatedField(allow_null=True)
    answered_by = serializers.StringRelatedField(allow_null=True)  # none until the unit answers

    class Meta:
        model = SupervisionOrder
        fields = [
            "id",
            "order",
            "report_in",
            "whistle",
            "appeal",
            "unit",
            "unit_name",
            "escalated_to",
            "node",
            "reason",
            "issued_by",
            "issued_at",
            "answer_due",
            "status",
            "answer",
            "answered_by",
            "answered_at",
            "closed_at",
            "close_note",
        ]
