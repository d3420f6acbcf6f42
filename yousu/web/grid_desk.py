"""The grid governance desks (未诉先办): the grid worker's report from a phone, the community's daily
discovery report, the street's study, the district platform's study and dispatch, joint meetings,
and the stationed or patrol staff's on-the-spot acceptance.

Every rule is yousu.grid.services': who may act, the access list for self handling, the reason a drop
or an override needs. This module finds the objects, calls the service and shows its refusal next to
the field it names (the page is rendered again, status 400)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yousu.appeals.models import Appeal
from yousu.appeals.services import MAX_CONTENT
from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.selectors import clock_deadline
from yousu.dispatch.services import next_hop, proposal
from yousu.grid.choices import DecisionKind, HandlingMode, StreetDecision
from yousu.grid.models import DailyReport, FoundProblem, MissingDailyReport, ReportKind
from yousu.grid.selectors import (
    daily_reports_of_street,
    meetings_of,
    missing_reports_of_street,
    problem_state,
    problems_for_district,
    problems_to_study,
    reports_by,
    stationed_worklist,
)
from yousu.grid.services import (
    COMMUNITY_STAFF_ROLES,
    CONVENING_KINDS,
    MAX_PROBLEMS_PER_REPORT,
    STATIONED_DUTIES,
    STREET_STAFF_ROLES,
    assignments_of,
    daily_report_due,
    daily_report_submit,
    grid_report_create,
    grids_of,
    joint_meeting_record,
    problem_dispatch,
    problem_study,
    stationed_accept,
)
from yousu.org.choices import Level, RoleCode, UnitKind
from yousu.org.models import Area, Unit

from .actions import attempt
from .citizen import PhotosField, PhotosInput

# Empty rows of the daily report form without a script (the script adds more).
DAILY_ROWS = 3
MEETING_MATTERS = 3
MEETING_DECISIONS = 3
PAST_REPORTS = 30
MODE_HELP = {
    HandlingMode.SELF: gettext_lazy("社区自己办理，仅限社区工作事项准入清单内的事项"),
    HandlingMode.ASSISTED: gettext_lazy("报区级平台派给职能部门办理，社区协助"),
    HandlingMode.JOINT: gettext_lazy("报区级平台派给多个部门共同办理"),
}


# ---------------------------------------------------------------- who is at which desk


def _active_unit(person) -> Unit | None:
    return person.unit if person.is_active and person.unit_id else None


def may_report(person) -> bool:
    return person.is_active and person.has_role(RoleCode.GRID_WORKER)


def daily_community(person) -> Unit | None:
    unit = _active_unit(person)
    if unit is not None and unit.kind == UnitKind.COMMUNITY and person.has_role(*COMMUNITY_STAFF_ROLES):
        return unit
    return None


def study_street(person) -> Unit | None:
    unit = _active_unit(person)
    if unit is not None and unit.kind == UnitKind.STREET and person.has_role(*STREET_STAFF_ROLES):
        return unit
    return None


def district_platform(person) -> Unit | None:
    unit = _active_unit(person)
    if unit is not None and unit.kind == UnitKind.DISTRICT_PLATFORM and person.has_role(RoleCode.DISPATCHER):
        return unit
    return None


# Who records and follows a convening unit's joint meetings: its dispatchers, handlers and leaders.
MEETING_ROLES = (
    RoleCode.DISPATCHER,
    RoleCode.UNIT_HANDLER,
    RoleCode.UNIT_LEADER,
    RoleCode.LEADER,
    RoleCode.ADMINISTRATOR,
)


def convening_unit(person) -> Unit | None:
    unit = _active_unit(person)
    if unit is not None and unit.kind in CONVENING_KINDS and person.has_role(*MEETING_ROLES):
        return unit
    return None


def is_stationed(person) -> bool:
    return person.is_active and assignments_of(person, STATIONED_DUTIES).exists()


def _refused(message: str):
    raise PermissionDenied(message)


def _errors_of(error: DomainError, fields: tuple[str, ...]) -> dict:
    """The refusal under its field's name when the form has that field, else for the whole form."""
    return {error.field if error.field in fields else "general": error.message}


def _put(form: forms.Form, error: DomainError, fallback: str | None = None) -> None:
    field = error.field if error.field in form.fields else fallback
    form.add_error(field, error.message)


# ---------------------------------------------------------------- 1. the grid worker's report


class GridReportForm(forms.Form):
    """Shapes only; the grid, the mode and the access list are the domain's to check."""

    kind = forms.ModelChoiceField(
        label=gettext_lazy("上报事项类别"),
        queryset=ReportKind.objects.filter(is_active=True),
        empty_label=gettext_lazy("请选择"),
        error_messages={"invalid_choice": gettext_lazy("没有这个事项类别")},
    )
    text = forms.CharField(
        label=gettext_lazy("问题描述"),
        max_length=MAX_CONTENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("写清楚地点、现状和已做的处置"),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("办理方式"),
        choices=HandlingMode.choices,
        initial=HandlingMode.ASSISTED,
        widget=forms.RadioSelect,
    )
    grid = forms.ModelChoiceField(
        label=gettext_lazy("网格"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=gettext_lazy("按地图所选位置确定"),
        error_messages={"invalid_choice": gettext_lazy("不是您负责的网格")},
    )
    address = forms.CharField(
        label=gettext_lazy("地址"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("填写地址，并选择网格或在下方地图上点选位置"),
    )
    attachments = PhotosField(
        label=gettext_lazy("现场照片（选填）"),
        required=False,
        widget=PhotosInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text=gettext_lazy("可选多张；出错重新提交时请重新选择照片"),
    )
    longitude = forms.FloatField(label=gettext_lazy("经度"), required=False, widget=forms.HiddenInput)
    latitude = forms.FloatField(label=gettext_lazy("纬度"), required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = Area.objects.filter(pk__in=[g.pk for g in grids]).order_by("path")
        for name in ("longitude", "latitude"):
            self.fields[name].error_messages["invalid"] = _("经纬度应为数字")


def _report_context(request, form, done=None) -> dict:
    reports = list(reports_by(request.user, limit=20))
    return {
        "form": form,
        "modes": [{"radio": radio, "help": MODE_HELP[radio.data["value"]]} for radio in form["mode"]],
        "areas_url": reverse("citizen-areas"),
        "tile_url": getattr(settings, "YOUSU_CITIZEN_MAP_TILE_URL", ""),
        "rows": [{"problem": p, "state": problem_state(p)} for p in reports],
        "done": done,
    }


@login_required
def report(request):
    if not may_report(request.user):
        _refused(_("网格上报供网格员使用"))
    grids = grids_of(request.user)
    done = None
    if request.method == "POST":
        form = GridReportForm(request.POST, request.FILES, grids=grids)
        if form.is_valid():
            data = form.cleaned_data
            try:
                problem = grid_report_create(
                    by=request.user,
                    kind=data["kind"],
                    text=data["text"],
                    mode=data["mode"],
                    grid=data["grid"],
                    longitude=data["longitude"],
                    latitude=data["latitude"],
                    address=data["address"],
                    attachments=data["attachments"],
                    idempotency_key=data["idempotency_key"],
                )
            except DomainError as error:
                _put(form, error, fallback="grid" if error.field == "by" else None)
            else:
                return redirect(f"{reverse('grid-report')}?done={problem.pk}")
        return render(request, "web/grid/report.html", _report_context(request, form), status=400)
    if request.GET.get("done", "").isdigit():
        done = (
            FoundProblem.objects.filter(pk=int(request.GET["done"]), reported_by=request.user)
            .select_related("appeal", "community")
            .first()
        )
    form = GridReportForm(
        initial={"idempotency_key": uuid.uuid4().hex, "grid": grids[0].pk if len(grids) == 1 else None},
        grids=grids,
    )
    context = _report_context(
        request, form, done={"problem": done, "state": problem_state(done)} if done else None
    )
    return render(request, "web/grid/report.html", context)


# ---------------------------------------------------------------- 2. the community's daily report

ROW_FIELDS = ("text", "kind", "area", "address")
PROBLEM_FIELD = re.compile(r"^problems\[(\d+)\]\.(\w+)$")


def _report_days(community: Unit) -> list[dt.date]:
    """Today (unless its report is in), and the past days flagged missing that no report has settled."""
    today = timezone.localdate()
    late = MissingDailyReport.objects.filter(community=community, report__isnull=True, day__lt=today)
    first = [] if DailyReport.objects.filter(community=community, day=today).exists() else [today]
    return [*first, *late.order_by("-day").values_list("day", flat=True)]


def _rows_from(post, count: int) -> list[dict]:
    rows = []
    for index in range(count):
        row = {name: post.get(f"p-{index}-{name}", "").strip() for name in ROW_FIELDS}
        row["index"] = index
        row["errors"] = {}
        rows.append(row)
    return rows


def _daily_context(community: Unit, *, rows, days, day_value="", errors=None, note="") -> dict:
    today = timezone.localdate()
    today_report = DailyReport.objects.filter(community=community, day=today).first()
    past = (
        DailyReport.objects.filter(community=community)
        .select_related("submitted_by")
        .prefetch_related("problems__appeal", "problems__kind", "problems__area")
        .order_by("-day")[:PAST_REPORTS]
    )
    return {
        "community": community,
        "today": today,
        "today_iso": today.isoformat(),
        "due": daily_report_due(community, today),
        "today_report": today_report,
        "days": days,
        "day_value": day_value or (days[0].isoformat() if days else ""),
        "rows": rows,
        "next_index": len(rows),
        "kinds": ReportKind.objects.filter(is_active=True),
        "grids": Area.objects.filter(level=Level.GRID, path__startswith=community.area.path).order_by("path"),
        "errors": errors or {},
        "note": note,
        "max_rows": MAX_PROBLEMS_PER_REPORT,
        "missing": MissingDailyReport.objects.filter(community=community, report__isnull=True).order_by(
            "-day"
        ),
        "past": [
            {"report": r, "problems": [{"problem": p, "state": problem_state(p)} for p in r.problems.all()]}
            for r in past
        ],
    }


@login_required
def daily(request):
    community = daily_community(request.user)
    if community is None:
        _refused(_("发现问题日报告由社区工作人员报送"))
    days = _report_days(community)
    if request.method != "POST":
        rows = _rows_from({}, DAILY_ROWS)
        return render(request, "web/grid/daily.html", _daily_context(community, rows=rows, days=days))
    count = request.POST.get("rows", "")
    count = min(int(count), MAX_PROBLEMS_PER_REPORT) if count.isdigit() else DAILY_ROWS
    rows = _rows_from(request.POST, max(count, DAILY_ROWS))
    day_value = request.POST.get("day", "")
    note = request.POST.get("note", "")
    errors: dict = {}
    day = next((d for d in days if d.isoformat() == day_value), None)
    if day is None:
        errors["day"] = _("只能报送今天或被标记缺报的日期")
    nothing_found = request.POST.get("none") == "1"
    problems, used = [], []
    if not nothing_found:
        kinds = {str(k.pk): k for k in ReportKind.objects.filter(is_active=True)}
        for row in rows:
            if not any(row[name] for name in ROW_FIELDS):
                continue
            spec = {"text": row["text"], "address": row["address"]}
            if row["kind"]:
                spec["kind"] = kinds.get(row["kind"])
                if spec["kind"] is None:
                    row["errors"]["kind"] = _("没有这个事项类别")
            if row["area"]:
                spec["area"] = Area.objects.filter(pk=row["area"]).first() if row["area"].isdigit() else None
                if spec["area"] is None:
                    row["errors"]["area"] = _("没有这个网格")
            problems.append(spec)
            used.append(row)
        if not problems and not errors:
            errors["problems"] = _("请填写发现的问题，或点“今日未发现问题”")
    if not errors and not any(row["errors"] for row in rows):
        try:
            report = daily_report_submit(
                community=community, day=day, by=request.user, problems=problems, note=note
            )
        except DomainError as error:
            match = PROBLEM_FIELD.match(error.field or "")
            if match and int(match.group(1)) < len(used):
                name = {"longitude": "area"}.get(match.group(2), match.group(2))
                used[int(match.group(1))]["errors"][name] = error.message
            else:
                errors[error.field if error.field in ("day", "note", "problems") else "general"] = (
                    error.message
                )
        else:
            attempt(
                request,
                lambda: report,
                _("%(day)s 的日报告已报送，共 %(n)d 个问题") % {"day": report.day, "n": len(problems)},
            )
            return redirect("grid-daily")
    context = _daily_context(community, rows=rows, days=days, day_value=day_value, errors=errors, note=note)
    return render(request, "web/grid/daily.html", context, status=400)


# ---------------------------------------------------------------- 3. the street's study


def _study_context(street: Unit, errors=None, values=None) -> dict:
    today = timezone.localdate()
    return {
        "street": street,
        "today": today,
        "communities": daily_reports_of_street(street, today),
        "missing": missing_reports_of_street(street).order_by("-day", "community__path"),
        "rows": [
            {"problem": p, "errors": (errors or {}).get(p.pk, {}), "values": (values or {}).get(p.pk, {})}
            for p in problems_to_study(street)
        ],
        "decisions": StreetDecision,
    }


def _item(code: str) -> CatalogItem | None:
    """The catalog item of a typed code; DomainError when there is none."""
    code = (code or "").strip()
    if not code:
        return None
    item = CatalogItem.objects.filter(code=code, is_active=True).first()
    if item is None:
        raise DomainError(_("没有这个目录事项"), field="item")
    return item


@login_required
def study(request):
    street = study_street(request.user)
    if street is None:
        _refused(_("街道研判供街道的承办人和负责人使用"))
    return render(request, "web/grid/study.html", _study_context(street))


@login_required
@require_POST
def study_decide(request, problem_id: int):
    street = study_street(request.user)
    if street is None:
        _refused(_("街道研判供街道的承办人和负责人使用"))
    problem = problems_to_study(street).filter(pk=problem_id).first()
    if problem is None:
        raise Http404(_("该问题不在本街道的待研判列表中"))
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        done = problem_study(
            problem=problem,
            by=request.user,
            decision=decision,
            reason=reason,
            item=_item(request.POST.get("item")),
        )
    except DomainError as error:
        values = {problem.pk: {"reason": reason, "item": request.POST.get("item", "")}}
        context = _study_context(
            street, errors={problem.pk: _errors_of(error, ("reason", "item"))}, values=values
        )
        return render(request, "web/grid/study.html", context, status=400)
    code = f" {done.appeal.code}" if done.appeal_id else ""
    attempt(
        request,
        lambda: done,
        _("研判完成：%(d)s%(code)s") % {"d": done.get_street_decision_display(), "code": code},
    )
    return redirect("grid-study")


# ---------------------------------------------------------------- 4. the district's study and dispatch


def _proposal(problem: FoundProblem, platform: Unit) -> dict:
    try:
        unit = proposal(problem.appeal).unit
    except DomainError as error:
        return {"unit": None, "hop": None, "note": error.message}
    try:
        hop = next_hop(platform, unit)
    except DomainError as error:
        return {"unit": unit, "hop": None, "note": error.message}
    return {"unit": unit, "hop": hop, "note": ""}


def _district_context(platform: Unit, errors=None, values=None) -> dict:
    rows = [
        {
            "problem": p,
            "proposal": _proposal(p, platform),
            "errors": (errors or {}).get(p.pk, {}),
            "values": (values or {}).get(p.pk, {}),
        }
        for p in problems_for_district(platform)
    ]
    return {
        "platform": platform,
        "rows": rows,
        "units": Unit.objects.filter(parent=platform, is_active=True).order_by("kind", "code"),
        "modes": [HandlingMode.ASSISTED, HandlingMode.JOINT],
    }


@login_required
def district(request):
    platform = district_platform(request.user)
    if platform is None:
        _refused(_("区级研判派单供区级平台的派单员使用"))
    return render(request, "web/grid/district.html", _district_context(platform))


@login_required
@require_POST
def district_dispatch(request, problem_id: int):
    platform = district_platform(request.user)
    if platform is None:
        _refused(_("区级研判派单供区级平台的派单员使用"))
    problem = problems_for_district(platform).filter(pk=problem_id).first()
    if problem is None:
        raise Http404(_("该问题不在本平台的待研判派单列表中"))
    lead = request.POST.get("lead", "")
    others = [v for v in request.POST.getlist("units") if v != lead]
    ids = [v for v in [lead, *others] if v.isdigit()]
    found = Unit.objects.in_bulk([int(v) for v in ids])
    units = [found[int(v)] for v in ids if int(v) in found]
    values = {
        "lead": lead,
        "units": others,
        "mode": request.POST.get("mode", ""),
        "reason": request.POST.get("reason", ""),
    }
    try:
        if not lead:
            raise DomainError(_("请选择主办单位"), field="units")
        orders = problem_dispatch(
            problem=problem,
            by=request.user,
            units=units,
            mode=values["mode"],
            reason=values["reason"],
            item=_item(request.POST.get("item")),
        )
    except DomainError as error:
        shown = _errors_of(error, ("units", "mode", "reason", "item"))
        if error.field == "unit":  # the dispatch names the receiving unit: the unit choices
            shown = {"units": error.message}
        context = _district_context(platform, errors={problem.pk: shown}, values={problem.pk: values})
        return render(request, "web/grid/district.html", context, status=400)
    names = "、".join(order.unit.name for order in orders)
    attempt(
        request,
        lambda: orders,
        _("已派单：%(code)s → %(units)s") % {"code": problem.appeal.code, "units": names},
    )
    return redirect("grid-district")


# ---------------------------------------------------------------- 5. joint meetings


def _meeting_unit(request) -> Unit:
    unit = _active_unit(request.user)
    if unit is None or not (convening_unit(request.user) is not None or meetings_of(unit).exists()):
        _refused(_("联席会议供召集或参会单位的人员使用"))
    return unit


@login_required
def meetings(request):
    unit = _meeting_unit(request)
    return render(
        request,
        "web/grid/meetings.html",
        {
            "unit": unit,
            "meetings": meetings_of(unit)[:100],
            "may_convene": convening_unit(request.user) is not None,
        },
    )


def _empty_matters() -> list[dict]:
    return [
        {
            "index": m,
            "appeal": "",
            "discussion": "",
            "errors": {},
            "decisions": [
                {"index": n, "kind": DecisionKind.ORDER, "text": "", "owner": "", "due": "", "errors": {}}
                for n in range(MEETING_DECISIONS)
            ],
        }
        for m in range(MEETING_MATTERS)
    ]


def _meeting_context(unit: Unit, *, values=None, matters=None, errors=None) -> dict:
    return {
        "unit": unit,
        "values": values or {"held_on": timezone.localdate().isoformat()},
        "matters": matters or _empty_matters(),
        "errors": errors or {},
        "units": Unit.objects.filter(is_active=True, area__path__startswith=unit.area.path)
        .exclude(pk=unit.pk)
        .order_by("path"),
        "decision_kinds": DecisionKind.choices,
        "today": timezone.localdate(),
    }


MATTER_FIELD = re.compile(r"^matters\[(\d+)\](?:\.decisions\[(\d+)\])?(?:\.(\w+))?$")


def _parse_due(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@login_required
def meeting_new(request):
    unit = _meeting_unit(request)
    if convening_unit(request.user) is None:
        _refused(_("联席会议由街道或区、市平台召集"))
    if request.method != "POST":
        return render(request, "web/grid/meeting_new.html", _meeting_context(unit))
    post = request.POST
    values = {name: post.get(name, "") for name in ("held_on", "title", "place", "minutes")}
    values["attendees"] = post.getlist("attendees")
    errors: dict = {}
    matters, specs, where = _empty_matters(), [], []
    for matter in matters:
        m = matter["index"]
        matter["appeal"] = post.get(f"m-{m}-appeal", "").strip()
        matter["discussion"] = post.get(f"m-{m}-discussion", "")
        decisions = []
        for decision in matter["decisions"]:
            prefix = f"m-{m}-d-{decision['index']}-"
            for name in ("kind", "text", "owner", "due"):
                decision[name] = post.get(prefix + name, "").strip()
            if not (decision["text"] or decision["owner"] or decision["due"]):
                continue
            owner = Unit.objects.filter(pk=decision["owner"]).first() if decision["owner"].isdigit() else None
            due = _parse_due(decision["due"]) if decision["due"] else None
            if decision["due"] and due is None:
                decision["errors"]["due"] = _("请按“年-月-日 时:分”填写")
            decisions.append(
                ({"kind": decision["kind"], "text": decision["text"], "owner": owner, "due": due}, decision)
            )
        if not (matter["appeal"] or matter["discussion"] or decisions):
            continue
        appeal = Appeal.objects.filter(code=matter["appeal"]).first() if matter["appeal"] else None
        if appeal is None:
            matter["errors"]["appeal"] = _("没有这个诉求编号") if matter["appeal"] else _("请填写诉求编号")
        specs.append(
            {"appeal": appeal, "discussion": matter["discussion"], "decisions": [s for s, _row in decisions]}
        )
        where.append((matter, [row for _s, row in decisions]))
    held_on = None
    try:
        held_on = dt.date.fromisoformat(values["held_on"])
    except ValueError:
        errors["held_on"] = _("请填写会议日期")
    attendee_ids = [int(v) for v in values["attendees"] if v.isdigit()]
    attendees = list(Unit.objects.filter(pk__in=attendee_ids))
    row_errors = any(m["errors"] or any(d["errors"] for d in m["decisions"]) for m in matters)
    if not errors and not row_errors:
        try:
            meeting = joint_meeting_record(
                by=request.user,
                convened_by=unit,
                held_on=held_on,
                title=values["title"],
                attendees=attendees,
                minutes=values["minutes"],
                matters=specs,
                place=values["place"],
            )
        except DomainError as error:
            match = MATTER_FIELD.match(error.field or "")
            if match and int(match.group(1)) < len(where):
                matter, decision_rows = where[int(match.group(1))]
                if match.group(2) is not None and int(match.group(2)) < len(decision_rows):
                    decision_rows[int(match.group(2))]["errors"][match.group(3) or "text"] = error.message
                else:
                    matter["errors"][match.group(3) or "appeal"] = error.message
            else:
                field = (
                    error.field
                    if error.field in ("held_on", "title", "place", "minutes", "attendees", "matters")
                    else None
                )
                errors[field or "general"] = error.message
        else:
            attempt(request, lambda: meeting, _("联席会议已记录：%(title)s") % {"title": meeting.title})
            return redirect("grid-meeting", meeting_id=meeting.pk)
    context = _meeting_context(unit, values=values, matters=matters, errors=errors)
    return render(request, "web/grid/meeting_new.html", context, status=400)


@login_required
def meeting(request, meeting_id: int):
    unit = _meeting_unit(request)
    found = meetings_of(unit).filter(pk=meeting_id).first()
    if found is None:
        raise Http404(_("会议不存在或本单位未参加"))
    matters = []
    for matter in found.matters.all():
        decisions = []
        for decision in matter.decisions.all():
            order = decision.order
            decisions.append(
                {
                    "decision": decision,
                    "order": order,
                    "deadline": clock_deadline(order) if order is not None else None,
                    "link": _order_link(request.user, order),
                }
            )
        matters.append({"matter": matter, "decisions": decisions})
    return render(request, "web/grid/meeting.html", {"unit": unit, "meeting": found, "matters": matters})


def _order_link(person, order) -> str:
    """The unit desk's order page for the order's own unit; the dispatch desk's appeal page for a
    platform; nothing for anyone else."""
    if order is None:
        return ""
    if person.unit_id == order.unit_id:
        return reverse("unit-order", args=[order.pk])
    if (
        person.unit_id
        and person.unit.kind in (UnitKind.DISTRICT_PLATFORM, UnitKind.CITY_PLATFORM)
        and (person.has_role(RoleCode.DISPATCHER))
    ):
        return reverse("dispatch-appeal", args=[order.appeal.code])
    return ""


# ---------------------------------------------------------------- 6. stationed and patrol staff


@login_required
def stationed(request):
    if not is_stationed(request.user):
        _refused(_("驻格签收供驻在或巡查网格的部门人员使用"))
    return render(request, "web/grid/stationed.html", {"rows": stationed_worklist(request.user)})


@login_required
@require_POST
def stationed_sign(request, code: str):
    if not is_stationed(request.user):
        _refused(_("驻格签收供驻在或巡查网格的部门人员使用"))
    appeal = Appeal.objects.filter(code=code).first()
    if appeal is None:
        raise Http404(_("诉求不存在"))
    order = attempt(
        request,
        lambda: stationed_accept(appeal=appeal, by=request.user),
        lambda order: _("已现场签收 %(code)s，请在单位工作台办理") % {"code": appeal.code},
    )
    if order is not None and order.status == OrderStatus.ACCEPTED:
        return redirect("unit-order", order_id=order.pk)
    return redirect("grid-stationed")
