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
    # DISPATCHED → COMPLETED only for an assisting order its unit never signed for, when the lead ends.
    OrderStatus.DISPATCHED: {
        OrderStatus.ACCEPTED,
        OrderStatus.FORWARDED,
        OrderStatus.RETURNED,
        OrderStatus.COMPLETED,
    },
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
# The order's clock runs while its unit owes an answer: waiting to be signed for, or in handling. A reply
# stops it (the platform reviews); a send-back starts it again.
CLOCK_RUNNING_STATUSES = (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED)


class TimeNode(models.TextChoices):
    """The four time nodes of an order (四个时间节点)."""

    RESPONSE = "response", _("签收时限到期")
    YELLOW = "yellow", _("黄色预警（时限过半）")
    RED = "red", _("红色预警（临近时限）")
    OVERDUE = "overdue", _("超期")


class ReportInNode(models.TextChoices):
    """The two time nodes of a summoned department's report-in (报到): the warning before the limit, and
    the limit passing with no report-in."""

    WARNING = "warning", _("报到预警")
    MISSED = "missed", _("超时未报到")


class ReportInState(models.TextChoices):
    """Where a summoned department stands with its report-in, as the desks show it."""

    WAITING = "waiting", _("待报到")
    WARNED = "warned", _("临近报到时限")
    MISSED = "missed", _("超时未报到")
    ON_TIME = "on_time", _("按时报到")
    LATE = "late", _("逾时报到")


class PauseReason(models.TextChoices):
    """Why an order's clock may stop (挂起); time spent waiting on others does not count against it."""

    WAITING_FOR_CITIZEN = "waiting_for_citizen", _("等待群众补充材料或确认")
    CITIZEN_UNREACHABLE = "citizen_unreachable", _("群众无法联系")
    CITIZEN_ASKED_TO_WAIT = "citizen_asked_to_wait", _("群众要求暂缓办理")
    LEGAL_PROCEDURE = "legal_procedure", _("等待司法、仲裁等法定程序")


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
