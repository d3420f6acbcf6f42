"""Choice sets of dispatch and handling: order states and roles, return reasons, review outcomes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DISPATCHED = "dispatched", _("待签收")
    ACCEPTED = "accepted", _("办理中")
    REPLIED = "replied", _("已答复待审核")
    COMPLETED = "completed", _("已办结")
    CLOSED = "closed", _("已结案")
    FORWARDED = "forwarded", _("已转派下级")
    RETURNED = "returned", _("已退回")


# Which states an order may move to from each state; the one table the services consult.
ORDER_TRANSITIONS = {
    OrderStatus.DISPATCHED: {OrderStatus.ACCEPTED, OrderStatus.FORWARDED, OrderStatus.RETURNED},
    OrderStatus.ACCEPTED: {OrderStatus.REPLIED, OrderStatus.FORWARDED},
    OrderStatus.REPLIED: {OrderStatus.COMPLETED, OrderStatus.ACCEPTED},
    OrderStatus.COMPLETED: {OrderStatus.CLOSED, OrderStatus.ACCEPTED},
    OrderStatus.CLOSED: set(),
    # A forward is undone when the unit below gets its return approved.
    OrderStatus.FORWARDED: {OrderStatus.ACCEPTED},
    OrderStatus.RETURNED: set(),
}
ACTIVE_ORDER_STATUSES = (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.REPLIED)
FINAL_ORDER_STATUSES = (OrderStatus.CLOSED, OrderStatus.FORWARDED, OrderStatus.RETURNED)


class OrderRole(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSIST = "assist", _("协办")
    JOINT = "joint", _("联办")


class ReplyResult(models.TextChoices):
    SOLVED = "solved", _("已解决")
    EXPLAINED = "explained", _("已解释说明")
    UNSOLVABLE = "unsolvable", _("无法解决")


class ReturnReason(models.TextChoices):
    NOT_OUR_DUTY = "not_our_duty", _("按职责目录不属本单位职责")
    WRONG_AREA = "wrong_area", _("不在本单位辖区")
    DUPLICATE = "duplicate", _("重复诉求")
    NOT_AN_APPEAL = "not_an_appeal", _("不属于诉求")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("已驳回")
    REFUSED_BY_RULE = "refused_by_rule", _("按规则驳回")
