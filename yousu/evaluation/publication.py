"""Telling units where they stand (预警提醒, 赛马效应): the notices a final assessment sends to red- and
yellow-zone units, the mid-month projections that warn units heading for the red zone, the orders
behind each lost point, and the assessment's share of the periodic job.

The periodic hook is idempotent and safe to run in several workers at once: each computation happens
inside `assess_month`'s month lock and states which run it replaces (`replacing`), so a second worker
that finds the month already recomputed does nothing ("another worker got there first"); a projection
day is unique per month in the database. It reads one small table (the runs) when there is nothing to do.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.models import Event
from yousu.core.errors import DomainError
from yousu.dispatch.models import CriticismNotice, Order, ReportIn
from yousu.dispatch.services import Conflict
from yousu.notifications.services import notify_many
from yousu.org.models import Person, Unit
from yousu.org.selectors import leaders_by_unit

from . import definitions
from .assessment import (
    RATE_FIELDS,
    assess_month,
    month_bounds,
    order_flags,
    previous_month,
    scheme_for,
)
from .choices import Zone
from .models import AssessmentRun, UnitAssessment

logger = logging.getLogger(__name__)
# How many appeal codes a notice names per reason; the unit's monthly sheet lists them all.
CODES_PER_REASON = 5


def _lost(reason: str, label, order: Order | None = None, whistle_id: int | None = None) -> dict:
    return {
        "reason": reason,
        "label": str(label),
        "order_id": order.pk if order is not None else None,
        "appeal": order.appeal.code if order is not None else "",
        "whistle_id": whistle_id,
    }


def lost_points(run: AssessmentRun, unit: Unit) -> list[dict]:
    """What pulled the unit's figures down in the run's month: one entry per order (or report-in,
    or criticism notice) behind each lost point, as the run's figures count them."""
    start, end = month_bounds(run.month)
    cut = min(end, run.computed_at)
    flags = order_flags(run.month, unit, now=run.computed_at)
    orders = Order.objects.select_related("appeal").in_bulk([row["order_id"] for row in flags])
    lost: list[dict] = []
    for row in flags:
        order = orders.get(row["order_id"])
        if order is None or not row["lead"]:
            continue
        if row["answerable"] and not row["awaiting"] and not row["accepted_on_time"]:
            lost.append(_lost("response_rate", _("未在签收时限内签收"), order))
        if row["is_due"] and not row["carried"] and not row["done_at_end"]:
            lost.append(_lost("completion_rate", _("办结时限已过仍未办结"), order))
        if row["is_due"] and row["done_at_end"] and not row["done_on_time"]:
            lost.append(_lost("on_time_rate", _("超过办结时限才办结"), order))
        if row["went_overdue"]:
            lost.append(_lost("overdue", _("超期（扣分）"), order))
        if row["returns_refused"]:
            lost.append(_lost("returns_refused", _("退单被驳回（扣分）"), order))
    # The last callback of each order in the month, as the assessment reads it.
    last_callback: dict[int, dict] = {}
    callbacks = Event.objects.filter(
        action="callback_done", at__gte=start, at__lt=cut, payload__unit=unit.code
    ).order_by("at", "id")
    for order_id, payload in callbacks.values_list("order_id", "payload"):
        last_callback[order_id] = payload
    called = Order.objects.select_related("appeal").in_bulk(list(last_callback))
    for order_id, payload in last_callback.items():
        order = called.get(order_id)
        if order is None:
            continue
        if not payload.get("solved"):
            lost.append(_lost("resolution_rate", _("回访未解决"), order))
        if payload.get("satisfaction") == "unsatisfied" and payload.get("unit_caused", True):
            lost.append(_lost("satisfaction_rate", _("回访不满意"), order))
    for notice in CriticismNotice.objects.filter(
        unit=unit, issued_at__gte=start, issued_at__lt=cut
    ).select_related("order__appeal"):
        lost.append(_lost("criticism_notices", _("通报批评（扣分）"), notice.order))
    report_ins = ReportIn.objects.filter(
        unit=unit, whistle__blown_at__gte=start, whistle__blown_at__lt=cut
    ).select_related("whistle")
    for report_in in report_ins:
        due = report_in.whistle.report_in_due
        reported = (
            report_in.reported_at
            if report_in.reported_at and report_in.reported_at < run.computed_at
            else None
        )
        if reported is not None and reported > due:
            lost.append(_lost("report_in_rate", _("吹哨召集后迟到报到"), whistle_id=report_in.whistle_id))
        elif reported is None and due <= run.computed_at:
            lost.append(_lost("report_in_rate", _("吹哨召集后未报到"), whistle_id=report_in.whistle_id))
    return lost


def _reasons_text(lost: list[dict]) -> str:
    by_label: dict[str, list[str]] = {}
    for entry in lost:
        by_label.setdefault(entry["label"], []).append(entry["appeal"])
    parts = []
    for label, codes in by_label.items():
        named = [code for code in codes if code][:CODES_PER_REASON]
        count = len(codes)
        if named:
            more = _("等 %(n)s 件") % {"n": count} if count > len(named) else ""
            parts.append(f"{label}：{'、'.join(named)}{more}")
        else:
            parts.append(_("%(label)s %(n)s 次") % {"label": label, "n": count})
    return "；".join(parts)


def _rates_text(result: UnitAssessment) -> str:
    shown = []
    for code in RATE_FIELDS:
        value = getattr(result, code)
        if value is not None:
            shown.append(f"{definitions.RATES[code]['name']} {value * 100:.1f}%")
    return "、".join(shown)


def _sheet_link(run: AssessmentRun, unit: Unit) -> str:
    return f"{reverse('reports-unit')}?month={run.month_label}&unit={unit.code}"


def _send(run: AssessmentRun, results: list[UnitAssessment], *, kind: str, subject_of, opening_of) -> int:
    """One notice to each result's unit and to each of its leaders; returns the number of units told."""
    leaders = leaders_by_unit([result.unit_id for result in results])
    specs = []
    for result in results:
        lost = lost_points(run, result.unit)
        text = _("%(opening)s%(rates)s。失分原因：%(reasons)s。详见单位月度工作单：%(link)s") % {
            "opening": opening_of(result),
            "rates": _rates_text(result),
            "reasons": _reasons_text(lost) or _("无单项失分"),
            "link": _sheet_link(run, result.unit),
        }
        subject = subject_of(result)
        first_order = next((Order(pk=entry["order_id"]) for entry in lost if entry["order_id"]), None)
        specs.append(
            {"kind": kind, "subject": subject, "text": text, "unit": result.unit, "order": first_order}
        )
        for leader in leaders.get(result.unit_id, []):
            specs.append(
                {"kind": kind, "subject": subject, "text": text, "person": leader, "order": first_order}
            )
    notify_many(specs)
    return len(results)


def notify_zones(run: AssessmentRun, last_final: AssessmentRun | None = None) -> int:
    """A final assessment is published: every red- and yellow-zone unit and its leaders are told their
    rates, peer rank and what pulled them down. A recomputation tells only units whose zone or score
    changed since the last final version (the rest were told already)."""
    if run.is_provisional:
        return 0
    results = list(
        run.results.filter(zone__in=(Zone.RED, Zone.YELLOW)).select_related("unit").order_by("unit__code")
    )
    if last_final is not None:
        before = {
            row.unit_id: (row.zone, row.score)
            for row in last_final.results.filter(unit_id__in=[result.unit_id for result in results])
        }
        results = [result for result in results if before.get(result.unit_id) != (result.zone, result.score)]

    def subject(result):
        return _("%(month)s 月度考评：%(zone)s") % {
            "month": run.month_label,
            "zone": result.get_zone_display(),
        }

    def opening(result):
        return _(
            "%(unit)s %(month)s 月度考评得分 %(score).1f，处于%(zone)s，同类第 %(rank)s / %(peers)s 名。"
        ) % {
            "unit": result.unit.name,
            "month": run.month_label,
            "score": result.score,
            "zone": result.get_zone_display(),
            "rank": result.rank,
            "peers": result.peers,
        }

    return _send(run, results, kind="zone_notice", subject_of=subject, opening_of=opening)


def warn_projected_red(run: AssessmentRun) -> int:
    """A mid-month projection: units whose month-to-date figures put them in the red zone are warned,
    so they can act before the month closes."""
    results = list(run.results.filter(zone=Zone.RED).select_related("unit").order_by("unit__code"))
    day = run.projection_day or timezone.localdate(run.computed_at)

    def subject(result):
        return _("考评预警：按本月截至 %(day)s 的数据预计处于红区") % {"day": f"{day:%m-%d}"}

    def opening(result):
        return _(
            "按 %(month)s 截至 %(day)s 的数据试算，%(unit)s 得分 %(score).1f，预计处于红区，"
            "同类第 %(rank)s / %(peers)s 名，月底前仍可改进。"
        ) % {
            "month": run.month_label,
            "day": f"{day:%m-%d}",
            "unit": result.unit.name,
            "score": result.score,
            "rank": result.rank,
            "peers": result.peers,
        }

    return _send(run, results, kind="zone_projection", subject_of=subject, opening_of=opening)


@transaction.atomic
def assess_and_publish(
    *,
    month: dt.date,
    by: Person | None = None,
    note: str = "",
    projection_day: dt.date | None = None,
    replacing: int | None = None,
) -> AssessmentRun:
    """Compute the month (assess_month) and tell the units: a final version notifies the red and
    yellow zones, a projection warns the red zone; a provisional computation tells nobody."""
    last_final = (
        AssessmentRun.objects.filter(month=month, is_provisional=False, projection_day__isnull=True)
        .order_by("-version")
        .first()
    )
    run = assess_month(month=month, by=by, note=note, projection_day=projection_day, replacing=replacing)
    if projection_day is not None:
        warn_projected_red(run)
    else:
        notify_zones(run, last_final)
    return run


def _had_activity(month: dt.date) -> bool:
    """Whether anything was dispatched or summoned in the month: a platform started mid-month (or a
    demo) has nothing to assess for the months before it, and an empty run would only be noise."""
    start, end = month_bounds(month)
    return (
        Event.objects.filter(action="dispatched", at__gte=start, at__lt=end).exists()
        or ReportIn.objects.filter(whistle__blown_at__gte=start, whistle__blown_at__lt=end).exists()
    )


def assessment_periodic(now: dt.datetime | None = None) -> dict:
    """The assessment's share of the periodic job: assess the month just ended on the 1st, recompute a
    provisional month once its last limit has passed (the final version), and project the running month
    on the scheme's projection days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    this_month = today.replace(day=1)
    done: dict[str, list[str]] = {"assessed": [], "finalised": [], "projected": []}
    ended = previous_month(today)
    due = []
    if not AssessmentRun.objects.filter(month=ended).exists() and _had_activity(ended):
        due.append((ended, 0, "assessed", _("每月自动考评")))
    stale = AssessmentRun.objects.filter(
        is_current=True, is_provisional=True, month__lt=this_month, final_after__lte=now
    ).order_by("month")
    for run in stale:
        if run.projection_day is not None:
            # The month's last projection stands until the month is assessed for the first time.
            due.append((run.month, run.version, "assessed", _("每月自动考评")))
        else:
            due.append((run.month, run.version, "finalised", _("各工单签收时限均已届满，自动重算为终版")))
    for month, replacing, what, note in due:
        try:
            run = assess_and_publish(month=month, note=note, replacing=replacing)
        except (Conflict, IntegrityError):
            continue  # another worker got there first
        except DomainError as error:
            logger.warning("assessment of %s not computed: %s", f"{month:%Y-%m}", error)
            continue
        done[what].append(f"{run.month_label} v{run.version}")
    try:
        scheme = scheme_for(this_month)
    except DomainError:
        return done
    if (
        today.day in scheme.projection_day_numbers()
        and not AssessmentRun.objects.filter(month=this_month, projection_day=today).exists()
        and _had_activity(this_month)
    ):
        try:
            run = assess_and_publish(month=this_month, projection_day=today, note=_("月中试算"))
        except (Conflict, IntegrityError):
            return done
        done["projected"].append(f"{run.month_label} v{run.version}")
    return done
