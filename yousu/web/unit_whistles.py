"""Whistle and report-in on the unit desk (街道吹哨、部门报到): a street or community summons departments
to a problem (from its desk or from an order's page); a summoned department sees what it must report
in to and by when, whether it has been warned or has let the limit pass and been put under supervision,
and reports in; the street sees who came, who was late, who has not, and what was escalated.

yousu.dispatch.whistles decides who may blow, whom, and who may report in; this module forwards."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yousu.core.errors import DomainError
from yousu.dispatch.models import Order, ReportIn, Whistle
from yousu.dispatch.selectors import departments_to_summon, report_ins_owed_by, whistles_blown_by
from yousu.dispatch.whistles import (
    DEFAULT_REPORT_IN_WITHIN,
    WHISTLING_KINDS,
    whistle_blow,
    whistle_report_in,
)
from yousu.org.models import Unit
from yousu.org.selectors import units_visible_to

from .actions import attempt
from .unit_desk import SUPERVISION_PREFETCH, desk_unit, report_in_row

SHOWN = 100
# The whistle form states the domain's default limit rather than a number of its own.
DEFAULT_HOURS = int(DEFAULT_REPORT_IN_WITHIN.total_seconds() // 3600)


@login_required
def whistles(request):
    unit = desk_unit(request)
    now = timezone.now()
    owed = [
        report_in_row(row, now)
        for row in report_ins_owed_by(unit).prefetch_related(SUPERVISION_PREFETCH)[:SHOWN]
    ]
    blown = []
    may_whistle = unit.kind in WHISTLING_KINDS
    if may_whistle:
        blown_whistles = whistles_blown_by(unit).prefetch_related(f"report_ins__{SUPERVISION_PREFETCH}")
        for whistle in blown_whistles[:SHOWN]:
            rows = [report_in_row(row, now) for row in whistle.report_ins.all()]
            blown.append(
                {
                    "whistle": whistle,
                    "rows": rows,
                    "reported": sum(1 for r in rows if r["report_in"].reported_at),
                }
            )
    context = {
        "unit": unit,
        "now": now,
        "owed": owed,
        "blown": blown,
        "may_whistle": may_whistle,
        "departments": departments_to_summon(unit) if may_whistle else (),
        "default_hours": DEFAULT_HOURS,
    }
    return render(request, "web/unit/whistles.html", context)


def _hours(value: str) -> dt.timedelta | None:
    """The report-in limit typed in hours; blank means the domain's default."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.timedelta(hours=float(value))
    except (ValueError, OverflowError):
        raise DomainError(_("报到时限请填写小时数"), field="report_in_within") from None


@login_required
@require_POST
def blow(request):
    post = request.POST
    order = None
    if (post.get("order") or "").isdigit():
        order = Order.objects.filter(pk=int(post["order"]), unit__in=units_visible_to(request.user)).first()
        if order is None:
            raise Http404(_("工单不存在或无权查看"))
    ids = [int(value) for value in post.getlist("departments") if value.isdigit()]
    departments = list(Unit.objects.filter(pk__in=ids).order_by("path"))
    attempt(
        request,
        lambda: whistle_blow(
            by=request.user,
            problem=post.get("problem", ""),
            departments=departments,
            appeal=order.appeal if order else None,
            report_in_within=_hours(post.get("hours", "")),
        ),
        _("已吹哨，召集：%(units)s") % {"units": "、".join(unit.name for unit in departments)},
    )
    if order is not None:
        return redirect("unit-order", order_id=order.pk)
    return redirect("unit-whistles")


@login_required
@require_POST
def report_in(request, whistle_id: int):
    # Only a whistle that summoned the person's unit; whistle_report_in decides who of it may answer.
    summoned = ReportIn.objects.filter(whistle_id=whistle_id, unit_id=request.user.unit_id)
    whistle = Whistle.objects.filter(pk=whistle_id, pk__in=summoned.values("whistle_id")).first()
    if whistle is None:
        raise Http404(_("没有召集本单位的这次吹哨"))
    attempt(
        request,
        lambda: whistle_report_in(
            whistle=whistle,
            by=request.user,
            on_site=request.POST.get("on_site", ""),
            note=request.POST.get("note", ""),
        ),
        _("已报到"),
    )
    return redirect("unit-whistles")
