"""Choice sets of intake: channels and appeal states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12345 热线")
    WEB = "web", _("网站")
    MINI_PROGRAM = "mini_program", _("小程序")
    APP = "app", _("市民通 App")
    REPORTING_PLATFORM = "reporting_platform", _("网信办举报平台")
    MEDIA = "media", _("媒体")
    WECHAT_GROUP = "wechat_group", _("微信群（民声直达）")
    GRID_REPORT = "grid_report", _("网格上报")
    PROACTIVE = "proactive", _("主动发现")
    OPEN311 = "open311", _("Open311")


class AppealStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")
    ANSWERED_AT_INTAKE = "answered", _("直接办结")
    LINKED = "linked", _("已并案")
    DISPATCHED = "dispatched", _("办理中")
    COMPLETED = "completed", _("已办结")
    CLOSED = "closed", _("已结案")


OPEN_APPEAL_STATUSES = (AppealStatus.RECEIVED, AppealStatus.DISPATCHED)
