"""Callbacks (回访): after a lead order is completed the citizen is asked whether the problem was solved
and how satisfied they are, by the intake desk on the phone or through a one-time link sent by text
message. Rows are never deleted; every step also writes an Event on the appeal."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.appeals.models import Appeal
from yousu.dispatch.models import Order

from .choices import CallbackChannel, CallbackOutcome, CallbackStatus, MessageStatus, Satisfaction

USER = settings.AUTH_USER_MODEL


class Callback(models.Model):
    """One callback to the citizen of one appeal about one completion of its lead order.

    A linked duplicate appeal gets its own callback on the same order: its citizen is asked too.
    """

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="callbacks"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("主办工单"), on_delete=models.PROTECT, related_name="callbacks"
    )
    # Which completion this callback is about: a sent-back order completed again gets a new callback.
    order_completed_at = models.DateTimeField(_("工单办结时间"))
    round = models.PositiveSmallIntegerField(_("回访轮次"), default=1)
    channel = models.CharField(_("回访方式"), max_length=10, choices=CallbackChannel.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=CallbackStatus.choices, default=CallbackStatus.PENDING
    )
    # sha256 of the citizen's one-time token; the token itself is only ever in the text message.
    token_hash = models.CharField(_("链接令牌摘要"), max_length=64, blank=True, editable=False)
    token_expires_at = models.DateTimeField(_("链接有效期至"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("联系次数"), default=0)
    last_attempt_at = models.DateTimeField(_("最近联系时间"), null=True, blank=True)
    solved = models.BooleanField(_("问题是否解决"), null=True, blank=True)
    satisfaction = models.CharField(
        _("满意度"), max_length=20, choices=Satisfaction.choices, blank=True, default=""
    )
    unit_caused = models.BooleanField(
        _("不满意是否因承办单位"),
        null=True,
        blank=True,
        help_text=_("电话回访由接线员判断；网页回访以“未解决”为准"),
    )
    comment = models.TextField(_("群众意见"), blank=True)
    note = models.TextField(_("备注"), blank=True, help_text=_("无法联系或无需回访的原因"))
    outcome = models.CharField(_("处理结果"), max_length=20, choices=CallbackOutcome.choices, blank=True)
    done_by = models.ForeignKey(
        USER, verbose_name=_("回访人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), db_index=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = pgettext_lazy("plural", "回访")
        ordering = ["created_at", "id"]
        constraints = [
            # Each citizen is asked once per completion; the periodic job may run in several workers.
            models.UniqueConstraint(
                fields=["order", "appeal", "order_completed_at"], name="callback_one_per_completion"
            ),
            # One open callback per order (and citizen, for linked duplicates) at a time.
            models.UniqueConstraint(
                fields=["order", "appeal"], condition=Q(status="pending"), name="callback_one_open_per_order"
            ),
            models.UniqueConstraint(
                fields=["token_hash"], condition=~Q(token_hash=""), name="callback_unique_token"
            ),
        ]
        indexes = [models.Index(fields=["status", "channel", "created_at"], name="callback_queue")]

    def __str__(self) -> str:
        return f"{self.appeal.code} #{self.round}（{self.get_status_display()}）"


class CitizenMessage(models.Model):
    """A text message to a citizen's phone number (the notifications app only writes to people and
    units). The row is the delivery queue: attempts, next attempt and outcome, so nothing is lost.
    The text is stored without the link: a fresh one-time link is made at each attempt."""

    callback = models.ForeignKey(
        Callback, verbose_name=_("回访"), on_delete=models.PROTECT, related_name="messages"
    )
    phone = models.CharField(_("手机号"), max_length=20)
    text = models.TextField(_("内容（不含链接）"))
    status = models.CharField(
        _("状态"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_error = models.TextField(_("最近一次错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("群众短信")
        verbose_name_plural = pgettext_lazy("plural", "群众短信")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="citizenmessage_due")
        ]

    def __str__(self) -> str:
        return f"{self.callback} · {self.get_status_display()}"
