"""The public page (宣), open to everyone without login, and the supervisor's pages to publish and
withdraw typical cases. Rules live in `services`; reads in `selectors`; these views only forward."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yousu.api.permissions import appeals_visible_to, in_own_jurisdiction
from yousu.core.errors import DomainError
from yousu.evaluation import definitions
from yousu.org.selectors import jurisdictions

from .models import TypicalCase
from .selectors import (
    BURDEN_HEADLINE,
    assessed_months,
    burden_totals,
    headline,
    live_cases,
    public_burden,
    public_jurisdiction,
    public_ranking,
    public_run,
)
from .services import default_texts, may_publish, typical_case_publish, typical_case_withdraw


def home(request):
    """公开页: the month's headline figures, grassroots-burden totals, ranking with zones, typical cases."""
    error = None
    try:
        run = public_run(request.GET.get("month"))
    except DomainError as exc:
        error, run = exc.message, public_run()
    try:
        city = public_jurisdiction(request.GET.get("jurisdiction"))
    except DomainError as exc:
        error, city = exc.message, public_jurisdiction(None)
    cities = list(jurisdictions())
    context = {
        "error": error,
        "run": run,
        "months": assessed_months(),
        "may_publish": may_publish(request.user),
        # With several cities on one deployment, each city's figures are published apart.
        "city": city,
        "cities": cities if len(cities) > 1 else [],
    }
    if run is not None:
        burden = burden_totals(public_burden(run, city))
        figures = headline(run, city)
        context.update(
            headline=figures,
            rates=[(code, entry, figures[code]) for code, entry in definitions.RATES.items()],
            zone_definition=definitions.ZONE["definition"],
            burden=[(code, burden[code], definitions.BURDEN[code]) for code in BURDEN_HEADLINE],
            groups=public_ranking(run, city),
            cases=live_cases(run.month, city),
        )
    else:
        context["cases"] = live_cases(city=city)
    return render(request, "public/home.html", context)


def _publisher(request) -> None:
    if not may_publish(request.user):
        raise PermissionDenied(_("只有督办员或系统管理员可以发布或撤下典型案例"))


@login_required
def cases(request):
    """The supervisor's list: every case published, live or withdrawn, with a form to withdraw."""
    _publisher(request)
    rows = TypicalCase.objects.select_related("appeal", "published_by", "withdrawn_by")
    rows = in_own_jurisdiction(request.user, rows, "appeal__jurisdiction")[:200]
    return render(request, "public/cases.html", {"cases": rows})


@login_required
def case_new(request):
    """Publish an appeal as a typical case: a preview already redacted, edited, then published."""
    _publisher(request)
    code = (request.POST.get("appeal") or request.GET.get("appeal") or "").strip()
    # No code has a NUL character, and PostgreSQL refuses one in a query: unknown, not a 500.
    appeal = (
        appeals_visible_to(request.user).filter(code=code).first() if code and "\x00" not in code else None
    )
    if appeal is None:
        if code:
            messages.error(request, _("没有编号为“%(code)s”的诉求") % {"code": code})
        return redirect("public-cases")
    texts = default_texts(appeal)
    error_field = None
    if request.method == "POST":
        texts = {name: request.POST.get(name, "") for name in ("title", "summary", "outcome")}
        try:
            case = typical_case_publish(appeal=appeal, by=request.user, **texts)
        except DomainError as error:
            messages.error(request, error.message)
            error_field = error.field
        else:
            messages.success(request, _("已发布典型案例：%(title)s") % {"title": case.title})
            return redirect("public-cases")
    context = {"appeal": appeal, "texts": texts, "error_field": error_field}
    return render(request, "public/case_new.html", context, status=400 if error_field else 200)


@login_required
@require_POST
def case_withdraw(request, case_id: int):
    _publisher(request)
    case = get_object_or_404(TypicalCase, pk=case_id)
    try:
        typical_case_withdraw(case=case, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已撤下典型案例：%(title)s") % {"title": case.title})
    return redirect("public-cases")


def case_detail(request, case_id: int):
    case = live_cases().filter(pk=case_id).first()
    if case is None:
        raise Http404(_("案例不存在或已撤下"))
    return render(request, "public/case.html", {"case": case})
