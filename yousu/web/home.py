"""The start page's part for a signed-in person: each of their desks with what waits there, counted."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yousu.appeals.models import Appeal
from yousu.callbacks.choices import CallbackStatus
from yousu.callbacks.selectors import callbacks_visible_to
from yousu.dispatch.choices import CLOCK_RUNNING_STATUSES, OrderStatus
from yousu.dispatch.models import Order
from yousu.dispatch.selectors import (
    consultations_open_at,
    dispatch_queue,
    extension_requests_to_review,
    replies_to_review,
    report_ins_owed_by,
    return_requests_to_review,
)
from yousu.grid.models import DailyReport, FoundProblem, MeetingDecision, MissingDailyReport
from yousu.grid.selectors import (
    missing_reports_of_street,
    problems_for_district,
    problems_to_study,
    stationed_worklist,
)
from yousu.supervision.selectors import watch_by_unit

from .context import desks_of
from .grid_desk import convening_unit, daily_community, district_platform, study_street


def _count(label, n: int, url: str, *, urgent: bool = False) -> dict:
    return {"label": label, "n": n, "url": url, "urgent": urgent and n > 0}


def _intake(person, url: str) -> list[dict]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Appeal.objects.filter(received_by=person, received_at__gte=start)
    return [
        _count(_("今日受理"), mine.count(), url),
        _count(_("其中直接办结"), mine.filter(status="answered").count(), url),
    ]


def _dispatch(person, url: str) -> list[dict]:
    platform = person.unit

    def queue(name: str) -> str:
        return reverse("dispatch-reviews", args=[name])

    return [
        _count(_("待派单"), dispatch_queue(platform).count(), url, urgent=True),
        _count(_("待审核答复"), replies_to_review(platform).count(), queue("replies"), urgent=True),
        _count(_("待审核退单"), return_requests_to_review(platform).count(), queue("returns")),
        _count(_("待审核延期"), extension_requests_to_review(platform).count(), queue("extensions")),
        _count(_("待决定会商"), consultations_open_at(platform).count(), queue("consultations")),
    ]


def _unit(person, url: str) -> list[dict]:
    now = timezone.now()
    orders = Order.objects.filter(unit_id=person.unit_id)
    running = orders.filter(status__in=CLOCK_RUNNING_STATUSES)
    overdue = running.filter(
        Q(completion_due__lte=now) | Q(status=OrderStatus.DISPATCHED, response_due__lte=now)
    )
    return [
        _count(
            _("待签收"),
            orders.filter(status=OrderStatus.DISPATCHED).count(),
            f"{url}?state=dispatched",
            urgent=True,
        ),
        _count(_("办理中"), orders.filter(status=OrderStatus.ACCEPTED).count(), f"{url}?state=accepted"),
        _count(_("已超期"), overdue.count(), url, urgent=True),
        _count(
            _("待报到"),
            report_ins_owed_by(person.unit).filter(reported_at__isnull=True).count(),
            reverse("unit-whistles"),
            urgent=True,
        ),
    ]


def _supervision(person, url: str) -> list[dict]:
    rows = watch_by_unit(person)
    return [
        _count(_("已超期"), sum(r["overdue"] for r in rows), f"{url}?state=overdue", urgent=True),
        _count(_("临近超期"), sum(r["due_soon"] for r in rows), f"{url}?state=due_soon"),
        _count(_("待反馈督办单"), sum(r["open_supervision_orders"] for r in rows), url),
    ]


def _callbacks(person, url: str) -> list[dict]:
    pending = callbacks_visible_to(person).filter(status=CallbackStatus.PENDING).count()
    return [_count(_("待回访"), pending, url, urgent=True)]


def _grid_report(person, url: str) -> list[dict]:
    today = timezone.localdate()
    return [
        _count(
            _("今日上报"), FoundProblem.objects.filter(reported_by=person, found_at__date=today).count(), url
        )
    ]


def _grid_daily(person, url: str) -> list[dict]:
    community = daily_community(person)
    today_in = DailyReport.objects.filter(community=community, day=timezone.localdate()).exists()
    late = MissingDailyReport.objects.filter(community=community, report__isnull=True).count()
    return [
        _count(_("今日待报送"), 0 if today_in else 1, url, urgent=True),
        _count(_("缺报待补报"), late, url, urgent=True),
    ]


def _grid_study(person, url: str) -> list[dict]:
    street = study_street(person)
    return [
        _count(_("待研判"), problems_to_study(street).count(), url, urgent=True),
        _count(_("缺报"), missing_reports_of_street(street).filter(report__isnull=True).count(), url),
    ]


def _grid_district(person, url: str) -> list[dict]:
    return [
        _count(_("待研判派单"), problems_for_district(district_platform(person)).count(), url, urgent=True)
    ]


def _grid_stationed(person, url: str) -> list[dict]:
    return [_count(_("待现场签收"), len(stationed_worklist(person)), url, urgent=True)]


def _grid_meetings(person, url: str) -> list[dict]:
    unit = convening_unit(person)
    open_decisions = MeetingDecision.objects.filter(
        matter__meeting__convened_by=unit, order__status__in=CLOCK_RUNNING_STATUSES
    ).count()
    return [_count(_("会议决定在办"), open_decisions, url)]


COUNTERS = {
    "intake-desk": _intake,
    "dispatch-desk": _dispatch,
    "unit-desk": _unit,
    "supervision-desk": _supervision,
    "callback-desk": _callbacks,
    "grid-report": _grid_report,
    "grid-daily": _grid_daily,
    "grid-study": _grid_study,
    "grid-district": _grid_district,
    "grid-stationed": _grid_stationed,
    "grid-meetings": _grid_meetings,
}


def my_work(person) -> list[dict]:
    """Each desk of the person with its counts (the dashboard has its own figures: a link only)."""
    work = []
    for desk in desks_of(person):
        counter = COUNTERS.get(desk["name"])
        work.append({**desk, "counts": counter(person, desk["url"]) if counter else []})
    return work
