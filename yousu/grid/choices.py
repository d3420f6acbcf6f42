"""Choice sets of grid governance: handling modes, where a found problem came from, study decisions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HandlingMode(models.TextChoices):
    """How a found problem is solved (自办、协办、联办)."""

    SELF = "self", _("自办")
    ASSISTED = "assisted", _("协办")
    JOINT = "joint", _("联办")


class ProblemSource(models.TextChoices):
    GRID_REPORT = "grid_report", _("网格员上报")
    DAILY_REPORT = "daily_report", _("发现问题日报告")


class StreetDecision(models.TextChoices):
    """The street's study of a problem its community found (街道会商研判)."""

    HANDLE = "handle", _("街道自办")
    SEND_UP = "send_up", _("报区级研判派单")
    DROP = "drop", _("不予立项")


class DecisionKind(models.TextChoices):
    """What a joint meeting's decision becomes."""

    ORDER = "order", _("形成工单")
    CONSULTATION = "consultation", _("作为会商结论")
