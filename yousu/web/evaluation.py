"""The evaluation pages (评): a month's assessment with every rate's definition beside it and the run
history with what changed; the grassroots-burden table (基层减负); and the intake desk's callback queue
(回访台). Who sees what, and every rule of a callback, is decided by the selectors and services of
`yousu.evaluation` and `yousu.callbacks`; these views only read the request and forward."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yousu.appeals.selectors import citizen_for
from yousu.callbacks.choices import CallbackChannel, CallbackOutcome, CallbackStatus, Satisfaction
from yousu.callbacks.models import Callback
from yousu.callbacks.selectors import callback_queue, callbacks_visible_to, may_call_back
from yousu.callbacks.services import callback_record, callback_send_back, callback_unreachable
from yousu.core.errors import DomainError
from yousu.evaluation import definitions
from yousu.evaluation.assessment import RATE_FIELDS, RESULT_FIELDS, assessment_changes
from yousu.evaluation.models import AssessmentRun, UnitAssessment
from yousu.evaluation.selectors import (
    burden_visible_to,
    is_assessor,
    peer_ranking,
    results_visible_to,
    run_of,
)
from yousu.knowledge.answers import (
    intake_answer_check,
    intake_answer_checks_due,
    intake_answer_unreachable,
    intake_answers_visible_to,
)
from yousu.knowledge.models import IntakeAnswer
from yousu.public.selectors import (
    BURDEN_COLUMNS,
    BURDEN_HEADLINE,
    assessed_months,
    burden_ordered,
    burden_totals,
    public_run,
    ranked_groups,
)
from yousu.public.templatetags.figures import percent

from .actions import attempt

# How many earlier versions the history compares; a month is rarely recomputed more often.
HISTORY_LIMIT = 10
DESK_LIMIT = 100


# ---------------------------------------------------------------- shared


def _burden_columns() -> list[dict]:
    """Each burden column with its name and definition, as the page heads the column with them."""
    return [{"code": code, **definitions.BURDEN[code]} for code in BURDEN_COLUMNS]


def _burden_headline(rows) -> list[dict]:
    totals = burden_totals(rows)
    by_code = {column["code"]: column for column in _burden_columns()}
    return [{**by_code[code], "value": totals[code]} for code in BURDEN_HEADLINE]


def _chosen_run(request) -> tuple[AssessmentRun | None, str | None]:
    """The run the page asks for (month, and version on the assessment page), or the latest current
    one; a bad or unknown month or version becomes a message, never an error page."""
    month = (request.GET.get("month") or "").strip()
    version = (request.GET.get("version") or "").strip()
    try:
        if not month:
            return public_run(), None
        if version and not version.isdigit():
            raise DomainError(_("版本号应为正整数"), field="version")
        return run_of(month, int(version) if version else None), None
    except DomainError as error:
        return public_run(), error.message


def _value(name: str, value) -> str:
    """A figure of the history as the tables show it: rates as percentages, scores to one decimal."""
    if value is None or value == "":
        return "—"
    if name in RATE_FIELDS:
        return percent(value)
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def _history(run: AssessmentRun) -> list[dict]:
    """The month's versions, newest first, each with what changed from the version before it."""
    runs = list(
        AssessmentRun.objects.filter(month=run.month)
        .select_related("computed_by")
        .order_by("-version")[: HISTORY_LIMIT + 1]
    )
    labels = {name: UnitAssessment._meta.get_field(name).verbose_name for name in RESULT_FIELDS}
    history = []
    for newer, older in zip(runs, [*runs[1:], None], strict=True):
        if len(history) == HISTORY_LIMIT:
            break
        changes = None
        if older is not None and older.version == newer.version - 1:
            changes = [
                {
                    "unit": unit["name"],
                    "fields": [
                        (labels[name], _value(name, old), _value(name, new))
                        for name, (old, new) in unit["changes"].items()
                    ],
                }
                for unit in assessment_changes(older, newer)
            ]
        history.append({"run": newer, "changes": changes})
    return history


# ---------------------------------------------------------------- assessment


@login_required
def assessment(request):
    """考评: the month's results by peer group, with rank and zone, every rate's definition beside it."""
    person = request.user
    run, error = _chosen_run(request)
    months = list(AssessmentRun.objects.order_by("-month").values_list("month", flat=True).distinct())
    context = {
        "error": error,
        "run": run,
        "months": months,
        "rates": [{"code": code, **entry} for code, entry in definitions.RATES.items()],
        "score": definitions.SCORE,
        "rank": definitions.RANK,
        "zone": definitions.ZONE,
        "sample": definitions.SAMPLE,
        "provisional": definitions.PROVISIONAL,
        "awaiting": definitions.COUNTS["awaiting_response"],
        "timing": definitions.TIMING,
        "counts": [{"code": code, **entry} for code, entry in definitions.COUNTS.items()],
        "assessor": is_assessor(person),
    }
    if run is not None:
        results = list(results_visible_to(person, run))
        running = (
            AssessmentRun.objects.filter(month=timezone.localdate().replace(day=1), is_current=True)
            .exclude(pk=run.pk)
            .first()
        )
        context.update(
            # The running month's provisional figures, offered beside the headline month.
            running=running,
            versions=AssessmentRun.objects.filter(month=run.month).order_by("-version"),
            groups=ranked_groups(results),
            peers=[] if context["assessor"] else list(peer_ranking(person, run)),
            burden=_burden_headline(burden_visible_to(person, run)),
            # Comparing versions is the assessors' (check_may_compare); others see the list of versions.
            history=_history(run) if context["assessor"] else None,
        )
    return render(request, "web/assessment.html", context)


# ---------------------------------------------------------------- grassroots burden


@login_required
def burden(request):
    """基层减负: every street's and community's burden figures, the most burdened first, with totals."""
    person = request.user
    month = (request.GET.get("month") or "").strip()
    error = None
    try:
        run = run_of(month) if month else public_run()
    except DomainError as exc:
        error, run = exc.message, public_run()
    sort = request.GET.get("sort")
    columns = _burden_columns()
    context = {
        "error": error,
        "run": run,
        "months": assessed_months(),
        "columns": columns,
        "sort": sort if sort in BURDEN_COLUMNS else "",
    }
    if run is not None:
        visible = burden_visible_to(person, run)
        totals = burden_totals(visible)
        context.update(
            rows=[
                {"figure": row, "values": [getattr(row, column["code"]) for column in columns]}
                for row in burden_ordered(visible.select_related("unit__parent"), sort)
            ],
            totals=[totals[column["code"]] for column in columns],
            headline=_burden_headline(visible),
        )
    return render(request, "web/burden.html", context)


# ---------------------------------------------------------------- callback desk


def _check_desk(request) -> None:
    if not may_call_back(request.user):
        raise PermissionDenied(_("只有接线员或市平台派单员、督办员可以使用回访台"))


def _callback_due(callback: Callback) -> dt.datetime:
    """When the citizen should have been asked by: the link's expiry for a link callback; for a phone
    callback, the same number of days from its creation, so both kinds are held to one window."""
    if callback.channel != CallbackChannel.PHONE and callback.token_expires_at is not None:
        return callback.token_expires_at
    return callback.created_at + dt.timedelta(days=settings.YOUSU_CALLBACK_LINK_DAYS)


def _desk_row(request, callback: Callback, now: dt.datetime) -> dict:
    due = _callback_due(callback)
    return {
        "callback": callback,
        # Seeing the phone number is recorded as the platform does for every unmasked view.
        "citizen": citizen_for(request.user, callback.appeal, purpose=_("回访")),
        "due": due,
        "overdue": due < now,
    }


@login_required
def callback_desk(request):
    """回访台: pending callbacks, phone ones first and oldest first, and link answers awaiting a send-back."""
    _check_desk(request)
    now = timezone.now()
    phone_first = Case(
        When(channel=CallbackChannel.PHONE, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    pending = (
        callbacks_visible_to(request.user)
        .filter(status=CallbackStatus.PENDING)
        .order_by(phone_first, "created_at", "id")[:DESK_LIMIT]
    )
    send_backs = callback_queue(request.user).filter(outcome=CallbackOutcome.SEND_BACK_REQUESTED)[:DESK_LIMIT]
    context = {
        "now": now,
        "pending": [_desk_row(request, callback, now) for callback in pending],
        "send_backs": [_desk_row(request, callback, now) for callback in send_backs],
        "satisfactions": Satisfaction.choices,
        "max_attempts": settings.YOUSU_CALLBACK_MAX_ATTEMPTS,
        "answer_checks": [
            {"record": record, "citizen": citizen_for(request.user, record.appeal, purpose=_("回访"))}
            for record in intake_answer_checks_due(request.user, now)[:DESK_LIMIT]
        ],
    }
    return render(request, "web/callback_desk.html", context)


def _desk_callback(request, callback_id: int) -> Callback:
    _check_desk(request)
    callback = callbacks_visible_to(request.user).filter(pk=callback_id).first()
    if callback is None:
        raise Http404(_("回访不存在"))
    return callback


def _yes_no(value: str | None) -> bool | None:
    """A form's yes/no as a boolean; anything else is "not answered", which the service refuses."""
    return {"yes": True, "no": False}.get(value or "")


def _desk_act(request, action, done) -> object:
    attempt(request, action, done)
    return redirect("callback-desk")


@login_required
@require_POST
def callback_desk_record(request, callback_id: int):
    callback = _desk_callback(request, callback_id)
    return _desk_act(
        request,
        lambda: callback_record(
            callback=callback,
            by=request.user,
            solved=_yes_no(request.POST.get("solved")),
            satisfaction=request.POST.get("satisfaction", ""),
            unit_caused=_yes_no(request.POST.get("unit_caused")),
            comment=request.POST.get("comment", ""),
        ),
        lambda done: (
            _("已记录回访：%(code)s（%(outcome)s）")
            % {"code": done.appeal.code, "outcome": done.get_outcome_display()}
        ),
    )


@login_required
@require_POST
def callback_desk_unreachable(request, callback_id: int):
    callback = _desk_callback(request, callback_id)
    return _desk_act(
        request,
        lambda: callback_unreachable(callback=callback, by=request.user, note=request.POST.get("note", "")),
        lambda done: (
            _("已记录无法联系：%(code)s（第 %(n)d 次，%(status)s）")
            % {"code": done.appeal.code, "n": done.attempts, "status": done.get_status_display()}
        ),
    )


@login_required
@require_POST
def callback_desk_send_back(request, callback_id: int):
    callback = _desk_callback(request, callback_id)
    return _desk_act(
        request,
        lambda: callback_send_back(callback=callback, by=request.user, reason=request.POST.get("reason", "")),
        lambda done: _("已退回重办：%(code)s") % {"code": done.appeal.code},
    )


def _desk_answer(request, record_id: int) -> IntakeAnswer:
    _check_desk(request)
    record = intake_answers_visible_to(request.user).filter(pk=record_id).first()
    if record is None:
        raise Http404(_("当场答复记录不存在"))
    return record


@login_required
@require_POST
def callback_desk_answer_check(request, record_id: int):
    """The citizen's word on an on-the-spot answer: did it help?"""
    record = _desk_answer(request, record_id)
    return _desk_act(
        request,
        lambda: intake_answer_check(
            record=record,
            by=request.user,
            helped=_yes_no(request.POST.get("helped")),
            comment=request.POST.get("comment", ""),
        ),
        lambda done: (
            _("已记录当场答复回访：%(code)s（%(helped)s）")
            % {"code": done.appeal.code, "helped": _("有帮助") if done.helped else _("没有帮助")}
        ),
    )


@login_required
@require_POST
def callback_desk_answer_unreachable(request, record_id: int):
    record = _desk_answer(request, record_id)
    return _desk_act(
        request,
        lambda: intake_answer_unreachable(record=record, by=request.user, note=request.POST.get("note", "")),
        lambda done: (
            _("已记录无法联系：%(code)s（第 %(n)d 次，%(status)s）")
            % {"code": done.appeal.code, "n": done.attempts, "status": done.get_check_status_display()}
        ),
    )
