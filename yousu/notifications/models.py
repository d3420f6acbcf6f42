"""Notifications (通知): one row per message per channel, which is also the delivery queue; and the
webhook endpoints a unit registers to receive its notifications. Rows are never deleted."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.dispatch.models import Order
from yousu.org.models import Unit

from .choices import NotificationChannel, NotificationStatus

USER = settings.AUTH_USER_MODEL


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """An address where a unit's own system receives the unit's notifications, signed with a secret."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(
        _("推送地址"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("接收 JSON POST 请求的 http(s) 地址"),
    )
    secret = models.CharField(
        _("签名密钥"),
        max_length=200,
        default=new_webhook_secret,
        help_text=_("请求头 X-Yousu-Signature 为 sha256=<以此密钥对请求体计算的 HMAC-SHA256>"),
    )
    active = models.BooleanField(_("启用"), default=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Webhook 推送地址")
        verbose_name_plural = pgettext_lazy("plural", "Webhook 推送地址")
        ordering = ["unit__code", "id"]

    def __str__(self) -> str:
        return f"{self.unit} → {self.url}"


class Notification(models.Model):
    """One message to one person or one unit by one channel (通知). The in-app inbox row is the message
    itself and is created sent; every other row waits in the queue until a worker delivers it."""

    recipient_person = models.ForeignKey(
        USER,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    recipient_unit = models.ForeignKey(
        Unit,
        verbose_name=_("接收单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=NotificationChannel.choices)
    address = models.CharField(
        _("发送地址"), max_length=500, blank=True, help_text=_("本次发送所用的手机号、邮箱或推送地址")
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("Webhook 推送地址"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    kind = models.CharField(
        _("类别"), max_length=40, help_text=_("简短代码，例如 yellow_warning、urge、supervision_order")
    )
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    text = models.TextField(_("内容"))
    order = models.ForeignKey(
        Order,
        verbose_name=_("相关工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    # While a worker holds the row this is the end of its lease; no other worker takes the row before it.
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_error = models.TextField(_("最近一次错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = pgettext_lazy("plural", "通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient_person__isnull=False, recipient_unit__isnull=True)
                | Q(recipient_person__isnull=True, recipient_unit__isnull=False),
                name="notification_one_recipient",
            ),
            # Only a pending row has a next attempt, so the queue index below holds nothing else.
            models.CheckConstraint(
                condition=Q(status="pending", next_attempt_at__isnull=False)
                | (~Q(status="pending") & Q(next_attempt_at__isnull=True)),
                name="notification_next_attempt_iff_pending",
            ),
        ]
        indexes = [
            # "Pending and due" is a range scan on this small partial index, however many rows were sent.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notification_due"),
            models.Index(
                fields=["recipient_person", "-created_at"],
                condition=Q(channel="inbox"),
                name="notification_person_inbox",
            ),
            models.Index(
                fields=["recipient_unit", "-created_at"],
                condition=Q(channel="inbox"),
                name="notification_unit_inbox",
            ),
        ]

    def __str__(self) -> str:
        recipient = self.recipient_person if self.recipient_person_id else self.recipient_unit
        return f"{recipient} · {self.get_channel_display()} · {self.subject or self.kind}"
