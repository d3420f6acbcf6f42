"""Template context of every page: the desks the signed-in person works at (the header's first links),
their unread inbox count, and for administrators the working calendar's notices (the banner)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yousu.appeals.services import may_take_in
from yousu.callbacks.selectors import may_call_back
from yousu.knowledge.proposals import pending_count_for
from yousu.notifications.selectors import unread_count
from yousu.org.calendar import calendar_notices_for
from yousu.org.choices import PLATFORM_KINDS, RoleCode
from yousu.reports.summary import may_read_dashboard

from .grid_desk import (
    convening_unit,
    daily_community,
    district_platform,
    is_stationed,
    may_report,
    study_street,
)
from .knowledge import review_count

# Who sees the supervision desk in the header: those whose work it is. Others may still open it
# and see what their units' orders show.
SUPERVISING = (RoleCode.SUPERVISOR, RoleCode.ADMINISTRATOR, RoleCode.LEADER, RoleCode.UNIT_LEADER)


def desks_of(person) -> list[dict]:
    """The desks of a person, in the order of an appeal's path (接、派、办、督、评、报)."""
    on_platform = person.unit_id is not None and person.unit.kind in PLATFORM_KINDS
    found = []
    if may_take_in(person):
        found.append(("intake-desk", _("接线员工作台")))
    if person.has_role(RoleCode.DISPATCHER) and on_platform:
        found.append(("dispatch-desk", _("派单台")))
    if (
        person.unit_id is not None
        and not on_platform
        and person.has_role(RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER)
    ):
        found.append(("unit-desk", _("单位工作台")))
    # 未诉先办: the grid governance desks, by role and unit kind.
    if may_report(person):
        found.append(("grid-report", _("网格上报")))
    if daily_community(person) is not None:
        found.append(("grid-daily", _("发现问题日报告")))
    if study_street(person) is not None:
        found.append(("grid-study", _("街道研判")))
    if district_platform(person) is not None:
        found.append(("grid-district", _("区级研判派单")))
    if is_stationed(person):
        found.append(("grid-stationed", _("驻格签收")))
    if convening_unit(person) is not None:
        found.append(("grid-meetings", _("联席会议")))
    if person.is_superuser or person.has_role(*SUPERVISING):
        found.append(("supervision-desk", _("督办台")))
    # 知识库: the operators' answers, and each unit's entries to keep right. The review list and the
    # proposals learnt from replies show only when something waits, with how much.
    if may_take_in(person) or person.unit_id is not None or person.has_role(RoleCode.ADMINISTRATOR):
        found.append(("knowledge-search", _("知识库")))
    to_review = review_count(person)
    if to_review:
        found.append(("knowledge-reviews", _("知识待审核（%(n)d）") % {"n": to_review}))
    proposed = pending_count_for(person)
    if proposed:
        found.append(("knowledge-proposal-list", _("答复转知识（%(n)d）") % {"n": proposed}))
    if may_call_back(person):
        found.append(("callback-desk", _("回访台")))
    if may_read_dashboard(person):
        found.append(("dashboard", _("领导看板")))
    return [{"name": name, "url": reverse(name), "label": label} for name, label in found]


def desks(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_desks": desks_of(user),
        "inbox_unread": unread_count(user),
        # An administrator is told on every page when a year the deadlines need is missing or only
        # provisional in the working calendar (from 1 December for the next year).
        "calendar_notices": calendar_notices_for(user),
    }
