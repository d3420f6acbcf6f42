"""Choice sets of the catalog: appeal kinds, catalog levels, time-limit units, rule targets."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppealKind(models.TextChoices):
    INQUIRY = "inquiry", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class CatalogLevel(models.IntegerChoices):
    DOMAIN = 1, _("一级领域")
    CATEGORY = 2, _("二级类别")
    ITEM = 3, _("三级事项")


class LimitUnit(models.TextChoices):
    MINUTE = "minute", _("分钟")
    HOUR = "hour", _("小时")
    DAY = "day", _("天")


class ClockKind(models.TextChoices):
    WORKING = "working", _("工作时间")
    CALENDAR = "calendar", _("自然时间")


class RuleTarget(models.TextChoices):
    UNIT = "unit", _("指定单位")
    SECTOR = "sector", _("所在地的职能部门")
    TERRITORIAL = "territorial", _("所在地的属地单位")


class AccessChangeAction(models.TextChoices):
    ADD = "add", _("新增")
    REMOVE = "remove", _("移出")


class AccessChangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class AccessChangeStage(models.TextChoices):
    """The levels a proposal climbs (分级准入): street, then district, then city, which applies it."""

    STREET = "street", _("街道审核")
    DISTRICT = "district", _("区县审核")
    CITY = "city", _("市级审批")


ACCESS_STAGE_ORDER = (AccessChangeStage.STREET, AccessChangeStage.DISTRICT, AccessChangeStage.CITY)


class DelegationStatus(models.TextChoices):
    """A catalog exception's decision: only the city platform approves one."""

    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class DelegateKind(models.TextChoices):
    """The grassroots units a catalog exception may name by kind (any such unit serving the place)."""

    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
