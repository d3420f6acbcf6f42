"""The follow-up of a whistle (吹哨之后): the summoned departments are told at once, warned before the
report-in limit, and when it passes with no report-in the department's leaders, the whistling unit and
its platform are told, and a supervision order is issued to the department, escalated to the unit above
it (督办、提级). Without this a summons nobody answers costs nobody anything, and the street is left
holding the problem it whistled for.

The sweep keeps sweep.py's contract. It reads the report-ins whose `next_node_at` has passed through the
partial index on that column, so it touches only due rows however many whistles there are. Each batch is
claimed with row locks that other sweepers skip (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
serialises writers), and inside the lock a node fires only if it is still unfired; the fired time and the
next node are written in the same transaction, so two sweepers running at once never fire a node twice
(and a unique constraint allows one supervision order per report-in). It is idempotent: running it again
at the same moment finds nothing. A batch's rows, events, supervision orders and notices are written in
bulk. `whistle_report_in` locks the same row, so a report-in and a sweep never both win: whichever comes
second sees what the first wrote (a department reporting in after the miss is late, not missing).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.models import Event
from yousu.core.timestamps import payload_time
from yousu.dispatch.choices import ReportInNode
from yousu.dispatch.models import ReportIn, Whistle
from yousu.dispatch.services import nearest_platform
from yousu.dispatch.whistles import report_in_due_node, report_in_schedule
from yousu.notifications.services import NotificationSpec, notify_many
from yousu.org.models import Unit
from yousu.org.selectors import leaders_by_unit

from .models import SupervisionOrder
from .sweep import answer_due, claim_due

# Notices quote the problem so that a leader reading a text message knows which summons it is; the
# whistle's page has the rest (a problem may run to thousands of characters).
PROBLEM_QUOTED = 40


def _problem(whistle: Whistle) -> str:
    text = " ".join(whistle.problem.split())
    return text if len(text) <= PROBLEM_QUOTED else text[:PROBLEM_QUOTED] + "…"


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _words(report_in: ReportIn) -> dict:
    whistle = report_in.whistle
    return {
        "whistler": whistle.blown_by_unit.name,
        "unit": report_in.unit.name,
        "problem": _problem(whistle),
        "due": _local(whistle.report_in_due),
    }


def _to_unit_and_leaders(
    notices: list, leaders: dict, report_in: ReportIn, *, kind: str, subject: str, text: str
) -> None:
    """The department's inbox, and each of its leaders by name (inbox and text message)."""
    notices.append(NotificationSpec(kind=kind, subject=subject, text=text, unit=report_in.unit))
    for leader in leaders.get(report_in.unit_id, []):
        notices.append(NotificationSpec(kind=kind, subject=subject, text=text, person=leader))


# ---------------------------------------------------------------- the summons


def notify_summoned(whistle: Whistle) -> None:
    """吹哨召集: each summoned department and its leaders learn who summons them, to what, and by when.
    A hook of whistle_blow (dispatch.whistles.WHISTLE_BLOWN_HOOKS), inside its transaction."""
    report_ins = list(whistle.report_ins.select_related("unit", "whistle__blown_by_unit"))
    leaders = leaders_by_unit({report_in.unit_id for report_in in report_ins})
    notices = []
    for report_in in report_ins:
        text = _("%(whistler)s吹哨召集%(unit)s：%(problem)s。请于%(due)s前到场报到。") % _words(report_in)
        _to_unit_and_leaders(notices, leaders, report_in, kind="summons", subject=_("吹哨召集"), text=text)
    notify_many(notices)


# ---------------------------------------------------------------- the sweep


@dataclass
class ReportInSweepResult:
    fired: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {str(node): self.fired[node] for node in ReportInNode.values}


def sweep_report_ins(*, now: dt.datetime | None = None, batch_size: int = 1000) -> ReportInSweepResult:
    """Fire every report-in node due at `now` (default: the current time); return what fired."""
    now = now or timezone.now()
    result = ReportInSweepResult()
    claim_due(
        ReportIn.objects.select_related("whistle__blown_by_unit", "whistle__appeal", "unit__parent"),
        now=now,
        batch_size=batch_size,
        fire=lambda rows: _fire(rows, now, result),
    )
    return result


@dataclass
class _Batch:
    """What one batch writes, collected first and inserted in bulk."""

    now: dt.datetime
    leaders: dict
    calendars: dict = field(default_factory=dict)
    platforms: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    supervision_orders: list = field(default_factory=list)
    notices: list = field(default_factory=list)


def _fire(rows: list[ReportIn], now: dt.datetime, result: ReportInSweepResult) -> None:
    batch = _Batch(now=now, leaders=leaders_by_unit({row.unit_id for row in rows}))
    for row in rows:
        node = report_in_due_node(row, now)
        if node == ReportInNode.WARNING:
            row.warned_at = now
            _warn(batch, row)
        elif node == ReportInNode.MISSED:
            row.missed_at = now
            _miss(batch, row)
        report_in_schedule(row)
        if node is not None:
            result.fired[node] += 1
    ReportIn.objects.bulk_update(rows, ["warned_at", "missed_at", "next_node_at"])
    Event.objects.bulk_create(batch.events)
    SupervisionOrder.objects.bulk_create(batch.supervision_orders)
    notify_many(batch.notices)


def _event(batch: _Batch, row: ReportIn, action: str, text: str, **payload) -> None:
    """Into the appeal's log when the whistle was blown for one; a problem the street found itself has
    no appeal, and its whistle's rows are the record."""
    whistle = row.whistle
    if whistle.appeal_id is None:
        return
    batch.events.append(
        Event(
            appeal=whistle.appeal,
            at=batch.now,
            action=action,
            reason=text,
            payload={
                "whistle": whistle.pk,
                "unit": row.unit.code,
                "report_in_due": payload_time(whistle.report_in_due),
                **payload,
            },
        )
    )


def _warn(batch: _Batch, row: ReportIn) -> None:
    """报到预警: the department and its leaders, while there is still time to come."""
    text = _("报到预警：%(whistler)s吹哨召集%(unit)s（%(problem)s），报到时限为%(due)s，尚未报到。") % _words(
        row
    )
    _to_unit_and_leaders(
        batch.notices, batch.leaders, row, kind="report_in_warning", subject=_("报到预警"), text=text
    )
    _event(batch, row, "report_in_warned", text)


def _platform(batch: _Batch, unit: Unit) -> Unit | None:
    if unit.pk not in batch.platforms:
        batch.platforms[unit.pk] = nearest_platform(unit)
    return batch.platforms[unit.pk]


def _miss(batch: _Batch, row: ReportIn) -> None:
    """超时未报到: a supervision order to the department, escalated to the unit above it; its leaders,
    the whistling unit and that unit's platform are told. The unit above hears it as an escalation,
    also when it is that platform."""
    whistle = row.whistle
    words = _words(row)
    text = _("%(unit)s未在报到时限（%(due)s）前响应%(whistler)s的吹哨（%(problem)s），已下发督办单。") % words
    escalated_to = row.unit.parent
    batch.supervision_orders.append(
        SupervisionOrder(
            report_in=row,
            unit=row.unit,
            escalated_to=escalated_to,
            reason=text,
            issued_at=batch.now,
            answer_due=answer_due(row.unit, batch.now, batch.calendars),
        )
    )
    subject = _("超时未报到")
    _to_unit_and_leaders(
        batch.notices, batch.leaders, row, kind="report_in_missed", subject=subject, text=text
    )
    platform = _platform(batch, whistle.blown_by_unit)
    told = {row.unit_id}
    for unit in (whistle.blown_by_unit, platform):
        if unit is not None and unit.pk not in told and unit != escalated_to:
            batch.notices.append(
                NotificationSpec(kind="report_in_missed", subject=subject, text=text, unit=unit)
            )
            told.add(unit.pk)
    if escalated_to is not None:
        batch.notices.append(
            NotificationSpec(
                kind="escalation",
                subject=_("提级督办"),
                text=_("提级督办：%(unit)s未按时响应%(whistler)s的吹哨（%(problem)s），请督促其到场报到。")
                % words,
                unit=escalated_to,
            )
        )
    _event(
        batch,
        row,
        "report_in_missed",
        text,
        **({"escalated_to": escalated_to.code} if escalated_to else {}),
        **({"platform": platform.code} if platform else {}),
    )
