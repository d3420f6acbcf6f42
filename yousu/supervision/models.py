"""Supervision (督): urges and supervision orders, whether fired by an order's time nodes or issued by
hand at the supervision desk. Rows are never deleted; every one also writes an Event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.dispatch.choices import TimeNode
from yousu.dispatch.models import Order, ReportIn
from yousu.org.models import Unit

from .choices import SupervisionStatus

USER = settings.AUTH_USER_MODEL


class Urge(models.Model):
    """催办: a reminder to the unit handling an order, by the sweep at a time node or by a supervisor."""

    order = models.ForeignKey(Order, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="urges")
    unit = models.ForeignKey(
        Unit, verbose_name=_("被催办单位"), on_delete=models.PROTECT, related_name="urges"
    )
    node = models.CharField(
        _("时间节点"), max_length=10, choices=TimeNode.choices, blank=True, help_text=_("人工催办时为空")
    )
    text = models.TextField(_("催办内容"))
    issued_by = models.ForeignKey(
        USER, verbose_name=_("催办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("催办时间"), db_index=True)

    class Meta:
        verbose_name = _("催办")
        verbose_name_plural = pgettext_lazy("plural", "催办")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order.appeal.code} {self.unit}"


class SupervisionOrder(models.Model):
    """督办单: the unit's leader must answer for an overdue (or supervised) order by a deadline; with
    escalation (提级) the unit above is told and watches it too. The same record answers for a summoned
    department that let the report-in limit of a whistle pass (吹哨未报到): then it names the report-in
    instead of an order, so one desk, one answer and one close serve both."""

    order = models.ForeignKey(
        Order,
        verbose_name=_("工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    report_in = models.ForeignKey(
        ReportIn,
        verbose_name=_("报到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("被督办单位"), on_delete=models.PROTECT, related_name="supervision_orders"
    )
    escalated_to = models.ForeignKey(
        Unit,
        verbose_name=_("提级至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalated_supervision_orders",
    )
    node = models.CharField(
        _("时间节点"),
        max_length=10,
        choices=TimeNode.choices,
        blank=True,
        help_text=_("人工督办和吹哨未报到的督办单为空"),
    )
    reason = models.TextField(_("督办事由"))
    issued_by = models.ForeignKey(
        USER, verbose_name=_("督办人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("督办时间"), db_index=True)
    answer_due = models.DateTimeField(_("反馈时限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=SupervisionStatus.choices, default=SupervisionStatus.OPEN
    )
    answer = models.TextField(_("反馈内容"), blank=True)
    answered_by = models.ForeignKey(
        USER, verbose_name=_("反馈人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        USER, verbose_name=_("销号人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    close_note = models.TextField(_("销号意见"), blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = pgettext_lazy("plural", "督办单")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["unit", "status"], name="supervision_unit_status")]
        constraints = [
            # About an order or about a report-in, never both, never neither.
            models.CheckConstraint(
                condition=Q(order__isnull=False, report_in__isnull=True)
                | Q(order__isnull=True, report_in__isnull=False),
                name="supervision_order_or_report_in",
            ),
            # A missed report-in is escalated once, however many sweeps see it.
            models.UniqueConstraint(
                fields=["report_in"],
                condition=Q(report_in__isnull=False),
                name="supervision_one_per_report_in",
            ),
        ]

    def __str__(self) -> str:
        subject = self.order.appeal.code if self.order_id else str(self.report_in.whistle)
        return f"{subject} {self.unit}（{self.get_status_display()}）"

    @property
    def appeal(self):
        """The appeal it concerns: the order's, or the one the whistle was blown for (none when the
        street or community found the problem itself)."""
        return self.order.appeal if self.order_id else self.report_in.whistle.appeal
