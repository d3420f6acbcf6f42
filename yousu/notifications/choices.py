"""Choice sets of notifications: the channels a message goes out by, and the state of one send."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationChannel(models.TextChoices):
    INBOX = "inbox", _("站内信")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("Webhook 推送")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
