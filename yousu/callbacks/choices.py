"""Choice sets of callbacks: how the citizen is asked, where a callback stands, what they answered and
what followed from it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallbackChannel(models.TextChoices):
    # Phone: the intake desk calls (hotline appeals). Web and SMS: the citizen gets a one-time link by
    # text message; "web" for appeals that came in online (web, mini-program, app, Open311), "sms" for
    # the other channels, so figures can tell the two groups of citizens apart.
    PHONE = "phone", _("电话回访")
    WEB = "web", _("网页链接")
    SMS = "sms", _("短信链接")


LINK_CHANNELS = (CallbackChannel.WEB, CallbackChannel.SMS)


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    DONE = "done", _("已回访")
    UNREACHABLE = "unreachable", _("无法联系")
    # No way to ask (no phone number), or overtaken (the order was sent back before this one was answered).
    NOT_NEEDED = "not_needed", _("无需回访")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class CallbackOutcome(models.TextChoices):
    CLOSED = "closed", _("已结案")
    SENT_BACK = "sent_back", _("已退回重办")
    SEND_BACK_REQUESTED = "send_back_requested", _("待接线员退回重办")
    ESCALATED = "escalated", _("已结案并提交督办")
    NONE = "none", _("工单已结案，仅记录")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
