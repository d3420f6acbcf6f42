"""Choice sets of the assessment: zones and how a scheme assigns them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Zone(models.TextChoices):
    RED = "red", _("红区")
    YELLOW = "yellow", _("黄区")
    BLUE = "blue", _("蓝区")


class ZoneRule(models.TextChoices):
    THRESHOLD = "threshold", _("按得分阈值")
    RANK_SHARE = "rank_share", _("按同类排名比例")
