"""Dispatch and handling (派、办): orders, return and extension requests, consultations, whistles and
report-ins, and criticism notices. Rows are never deleted; every change also writes an Event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.appeals.models import Appeal
from yousu.catalog.models import CatalogItem, ResponsibilityRule, TimeLimitClass
from yousu.org.models import Sector, Unit

from .choices import (
    OrderRole,
    OrderStatus,
    PauseReason,
    ReplyResult,
    RequestStatus,
    ReturnReason,
    TimeNode,
)

USER = settings.AUTH_USER_MODEL


class Order(models.Model):
    """One appeal sent to one unit (工单). The unit that first receives it owns it (首接负责)."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="orders"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="orders"
    )
    role = models.CharField(_("办理方式"), max_length=10, choices=OrderRole.choices, default=OrderRole.LEAD)
    status = models.CharField(
        _("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DISPATCHED
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("三级派单：由哪个平台或街道的工单转派而来"),
    )
    dispatched_by = models.ForeignKey(
        USER, verbose_name=_("派单人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_from = models.ForeignKey(
        Unit, verbose_name=_("派单单位"), on_delete=models.PROTECT, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("派单时间"))
    proposed_unit = models.ForeignKey(
        Unit,
        verbose_name=_("目录建议单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.ForeignKey(
        ResponsibilityRule,
        verbose_name=_("依据规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    override_reason = models.TextField(_("改派理由"), blank=True, help_text=_("未按目录建议派单时必填"))
    time_limit_class = models.ForeignKey(
        TimeLimitClass, verbose_name=_("时限类别"), on_delete=models.PROTECT, related_name="+"
    )
    clock_start = models.DateTimeField(
        _("计时起点"), help_text=_("诉求首次派单的时间；逐级转派和协办不重新计时")
    )
    response_due = models.DateTimeField(_("签收时限"))
    completion_due = models.DateTimeField(_("办结时限"), db_index=True)
    yellow_at = models.DateTimeField(_("黄色预警时间"), null=True, blank=True)
    red_at = models.DateTimeField(_("红色预警时间"), null=True, blank=True)
    response_fired_at = models.DateTimeField(_("签收超时触发时间"), null=True, blank=True)
    yellow_fired_at = models.DateTimeField(_("黄色预警触发时间"), null=True, blank=True)
    red_fired_at = models.DateTimeField(_("红色预警触发时间"), null=True, blank=True)
    overdue_fired_at = models.DateTimeField(_("超期触发时间"), null=True, blank=True)
    # What the supervision sweep looks at: the next unfired node and when it is due (empty while the
    # clock is stopped). A partial index keeps the sweep's scan to orders that have one.
    next_node = models.CharField(_("下一时间节点"), max_length=10, choices=TimeNode.choices, blank=True)
    next_node_at = models.DateTimeField(_("下一时间节点时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("挂起时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        USER, verbose_name=_("签收人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reply_text = models.TextField(_("答复内容"), blank=True)
    reply_result = models.CharField(_("办理结果"), max_length=20, choices=ReplyResult.choices, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        USER, verbose_name=_("答复人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The reply's score at reply time (yousu.intelligence.reply_review, with the scorer's version);
    # empty for orders replied before scoring existed.
    reply_review = models.JSONField(_("答复质量评分"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    send_back_count = models.PositiveSmallIntegerField(_("退回重办次数"), default=0)
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = pgettext_lazy("plural", "工单")
        ordering = ["-dispatched_at", "-id"]
        constraints = [
            # At most one active lead order per appeal: exactly one unit is responsible at a time.
            models.UniqueConstraint(
                fields=["appeal"],
                condition=Q(role="lead", status__in=["dispatched", "accepted", "replied", "completed"]),
                name="order_one_live_lead_per_appeal",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status"], name="order_unit_status"),
            models.Index(
                fields=["next_node_at"], name="order_next_node_due", condition=Q(next_node_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal.code} → {self.unit}（{self.get_status_display()}）"


class ClockPause(models.Model):
    """A stop of an order's clock (挂起) while the unit waits on the citizen or a legal procedure."""

    order = models.ForeignKey(Order, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="pauses")
    reason = models.CharField(_("挂起原因"), max_length=30, choices=PauseReason.choices)
    explanation = models.TextField(_("说明"))
    started_at = models.DateTimeField(_("挂起时间"))
    started_by = models.ForeignKey(USER, verbose_name=_("挂起人"), on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        USER, verbose_name=_("恢复人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_counted = models.DurationField(_("不计入时限的时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("挂起记录")
        verbose_name_plural = pgettext_lazy("plural", "挂起记录")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(ended_at__isnull=True), name="pause_one_open_per_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.get_reason_display()}"


class ReviewedRequest(models.Model):
    """A unit's request that a platform reviews: who asked and when, who decided, when and why."""

    status = models.CharField(
        _("状态"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_by = models.ForeignKey(
        USER, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    reviewed_by = models.ForeignKey(
        USER, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("审核意见"), blank=True)

    class Meta:
        abstract = True


class ReturnRequest(ReviewedRequest):
    """退单: a unit asks to give back an order it has not accepted; in principle refused."""

    order = models.ForeignKey(
        Order, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="return_requests"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="return_requests"
    )
    reason = models.CharField(_("退单理由"), max_length=20, choices=ReturnReason.choices)
    explanation = models.TextField(_("说明"))
    # Required when the unit says another unit is responsible (not our duty, wrong area): the unit it
    # names, and the catalog item it relies on. Empty on a return for a duplicate or a non-appeal.
    suggested_unit = models.ForeignKey(
        Unit,
        verbose_name=_("建议承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    basis_item = models.ForeignKey(
        CatalogItem,
        verbose_name=_("目录依据事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("申请单位认为本诉求所属、并据以判断职责的目录事项"),
    )
    basis_note = models.TextField(_("依据说明"), blank=True)
    # The reviewing platform let the unit file one more return on this order (重新申请退单); without it,
    # a second return on the same order is refused by rule.
    reopened_by = models.ForeignKey(
        USER,
        verbose_name=_("允许再次申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reopened_at = models.DateTimeField(_("允许再次申请时间"), null=True, blank=True)
    reopen_note = models.TextField(_("允许再次申请的理由"), blank=True)

    class Meta(ReviewedRequest.Meta):
        verbose_name = _("退单申请")
        verbose_name_plural = pgettext_lazy("plural", "退单申请")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_reason_display()}（{self.get_status_display()}）"

    @property
    def counts_against_unit(self) -> bool:
        """A refused return (by the dispatcher or by rule) counts against the unit that filed it."""
        return self.status in (RequestStatus.REFUSED, RequestStatus.REFUSED_BY_RULE)

    @property
    def may_file_again(self) -> bool:
        """Whether the reviewing platform reopened the question after refusing this return."""
        return self.reopened_at is not None


class ExtensionRequest(ReviewedRequest):
    """延期: more time asked before the deadline; the platform decides."""

    order = models.ForeignKey(
        Order, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="extension_requests"
    )
    requested_until = models.DateTimeField(_("申请延至"))
    reason = models.TextField(_("理由"))

    class Meta(ReviewedRequest.Meta):
        verbose_name = _("延期申请")
        verbose_name_plural = pgettext_lazy("plural", "延期申请")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} → {self.requested_until:%Y-%m-%d}（{self.get_status_display()}）"


class AssistPart(models.Model):
    """What an assisting (协办) or joint (联办) unit contributed; the lead unit replies to the citizen."""

    order = models.OneToOneField(
        Order, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="assist_part"
    )
    text = models.TextField(_("办理情况"))
    submitted_by = models.ForeignKey(
        USER, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"))

    class Meta:
        verbose_name = _("协办意见")
        verbose_name_plural = pgettext_lazy("plural", "协办意见")

    def __str__(self) -> str:
        return str(self.order)


class Consultation(models.Model):
    """会商: the platform convenes disputing units, records the decision, and proposes a catalog change."""

    appeal = models.ForeignKey(
        Appeal,
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    item = models.ForeignKey(
        CatalogItem, verbose_name=_("目录事项"), on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(_("议题"), max_length=200)
    convened_by = models.ForeignKey(
        USER, verbose_name=_("召集人"), on_delete=models.PROTECT, related_name="+"
    )
    convening_unit = models.ForeignKey(
        Unit, verbose_name=_("召集单位"), on_delete=models.PROTECT, related_name="+"
    )
    parties = models.ManyToManyField(Unit, verbose_name=_("参加单位"), related_name="consultations")
    opened_at = models.DateTimeField(_("发起时间"))
    meeting_record = models.TextField(_("会商记录"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, verbose_name=_("决定人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("主办单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assisting_units = models.ManyToManyField(Unit, verbose_name=_("协办单位"), blank=True, related_name="+")
    # The proposed responsibility rule: "from now on this item goes to the <level> <sector> department".
    proposed_target = models.CharField(_("建议责任方式"), max_length=20, blank=True)
    proposed_level = models.CharField(_("建议责任层级"), max_length=20, blank=True)
    proposed_sector = models.ForeignKey(
        Sector,
        verbose_name=_("建议职能领域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_unit = models.ForeignKey(
        Unit,
        verbose_name=_("建议指定单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    adopted_rule = models.ForeignKey(
        ResponsibilityRule,
        verbose_name=_("采纳后的规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    adopted_by = models.ForeignKey(
        USER, verbose_name=_("采纳人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("会商")
        verbose_name_plural = pgettext_lazy("plural", "会商")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.topic


class Whistle(models.Model):
    """吹哨: a street or community summons departments to a problem; each must report in."""

    blown_by_unit = models.ForeignKey(
        Unit, verbose_name=_("吹哨单位"), on_delete=models.PROTECT, related_name="whistles"
    )
    blown_by = models.ForeignKey(USER, verbose_name=_("吹哨人"), on_delete=models.PROTECT, related_name="+")
    appeal = models.ForeignKey(
        Appeal,
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="whistles",
    )
    problem = models.TextField(_("问题"))
    blown_at = models.DateTimeField(_("吹哨时间"))
    report_in_due = models.DateTimeField(_("报到时限"))

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = pgettext_lazy("plural", "吹哨")
        ordering = ["-blown_at", "-id"]

    def __str__(self) -> str:
        return f"{self.blown_by_unit} · {self.problem[:30]}"


class ReportIn(models.Model):
    """报到: one summoned department's answer to a whistle."""

    whistle = models.ForeignKey(
        Whistle, verbose_name=_("吹哨"), on_delete=models.PROTECT, related_name="report_ins"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("报到部门"), on_delete=models.PROTECT, related_name="report_ins"
    )
    reported_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        USER, verbose_name=_("报到人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_site = models.TextField(_("到场人员"), blank=True)
    note = models.TextField(_("处置情况"), blank=True)
    # The report-in's time nodes (yousu.dispatch.whistles): the warning is due at warn_at, the miss at the
    # whistle's report_in_due; each *_at below is set once, when the supervision sweep fires that node.
    # A row's own copy of its warning time keeps a later change of the rule from moving a summons already
    # made. next_node_at is the sweep's work queue, as on Order: the next unfired node's time, empty once
    # the department has reported in or the miss has fired; a partial index keeps the scan to those rows.
    warn_at = models.DateTimeField(_("报到预警时间"), null=True, blank=True)
    warned_at = models.DateTimeField(_("预警发出时间"), null=True, blank=True)
    missed_at = models.DateTimeField(_("超时未报到认定时间"), null=True, blank=True)
    next_node_at = models.DateTimeField(_("下一时间节点时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报到")
        verbose_name_plural = pgettext_lazy("plural", "报到")
        constraints = [models.UniqueConstraint(fields=["whistle", "unit"], name="reportin_one_per_unit")]
        indexes = [
            models.Index(
                fields=["next_node_at"],
                name="reportin_next_node_due",
                condition=Q(next_node_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.whistle} · {self.unit}"


class CriticismNotice(models.Model):
    """通报批评: recorded against a unit, e.g. for failing first-receiver duty; published later."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("被通报单位"), on_delete=models.PROTECT, related_name="criticism_notices"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("相关工单"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("通报事由"))
    issued_by = models.ForeignKey(USER, verbose_name=_("通报人"), on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("通报时间"))

    class Meta:
        verbose_name = _("通报批评")
        verbose_name_plural = pgettext_lazy("plural", "通报批评")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} · {self.issued_at:%Y-%m-%d}"
