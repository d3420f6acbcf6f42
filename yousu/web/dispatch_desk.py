"""The dispatcher desk (派单台) of a city or district platform: the appeals waiting for dispatch with
their suggestions, one appeal's page to dispatch, pass on, link or convene a consultation, and the
review queues (returns, extensions, replies, consultations).

Every decision is a domain service's: who may act, the catalog's proposal, the reason an override
needs, the push-down and no-bounce rules, the low reply score's confirmation. This module finds the
objects, calls the service and shows its answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yousu.appeals.choices import AppealStatus
from yousu.appeals.models import Appeal, Attachment
from yousu.appeals.selectors import appeals_visible_to, citizen_for, events_of
from yousu.appeals.services import appeal_link_duplicate
from yousu.catalog.choices import RuleTarget
from yousu.catalog.models import CatalogItem, TimeLimitClass
from yousu.catalog.selectors import responsible_unit
from yousu.core.errors import DomainError
from yousu.dispatch.auto import auto_dispatch_withdraw
from yousu.dispatch.choices import OrderStatus
from yousu.dispatch.consultations import consultation_decide, consultation_open
from yousu.dispatch.selectors import (
    auto_dispatches_withdrawable,
    consultations_open_at,
    dispatch_queue,
    extension_requests_to_review,
    held_order,
    replies_to_review,
    return_requests_to_review,
    returns_refused_by_rule,
    returns_to_reopen,
)
from yousu.dispatch.services import (
    appeal_dispatch,
    extension_request_review,
    next_hop,
    order_forward,
    order_review,
    proposal,
    return_request_reopen,
    return_request_review,
)
from yousu.intelligence.api_hot import duplicates_as_data
from yousu.intelligence.duplicates import find_duplicates
from yousu.intelligence.models import ClassifierModel, DispatchSuggestion
from yousu.intelligence.places import resolve_place
from yousu.intelligence.suggestions import suggestion_record
from yousu.org.choices import PLATFORM_KINDS, Level, RoleCode
from yousu.org.models import Sector, Unit
from yousu.org.selectors import jurisdiction_of, units_visible_to

from .actions import attempt
from .events import event_label

# A queue row's suggestion costs a few milliseconds the first time (it is made and kept then).
QUEUE_PAGE = 50
REVIEW_LIMIT = 50
REFUSED_BY_RULE_SHOWN = 20
AUTO_SHOWN = 20
EVENTS_SHOWN = 30
# Orders a unit has let go of: it no longer handles the appeal (as the API decides who may call back).
LET_GO_STATUSES = (OrderStatus.FORWARDED, OrderStatus.RETURNED)
QUEUES = ("returns", "extensions", "replies", "consultations")


def _platform(request) -> Unit:
    """The desk is the platform dispatcher's; everyone else is refused (the services would refuse
    each action too, but the queues themselves are the platform's to read)."""
    person = request.user
    unit = person.unit if person.unit_id else None
    if not (person.has_role(RoleCode.DISPATCHER) and unit is not None and unit.kind in PLATFORM_KINDS):
        raise PermissionDenied(_("只有市、区平台的派单员可以使用派单台"))
    return unit


def _counts(platform: Unit) -> dict[str, int]:
    return {
        "returns": return_requests_to_review(platform).count(),
        "extensions": extension_requests_to_review(platform).count(),
        "replies": replies_to_review(platform).count(),
        "consultations": consultations_open_at(platform).count(),
    }


def _kept_suggestion(appeal: Appeal, *, model_active: bool = True) -> DispatchSuggestion | None:
    """The suggestion kept for the appeal, made and kept now if it has none (as the API's appeal
    suggestion does): what the dispatcher sees is what first-try accuracy is measured on."""
    try:
        return appeal.dispatch_suggestion
    except DispatchSuggestion.DoesNotExist:
        if not model_active or appeal.status != AppealStatus.RECEIVED:
            return None
        return suggestion_record(appeal)


@login_required
def desk(request):
    platform = _platform(request)
    page = Paginator(dispatch_queue(platform), QUEUE_PAGE).get_page(request.GET.get("page"))
    # Asked once: without an active model each row would ask again only to find none.
    model_active = ClassifierModel.objects.filter(is_active=True).exists()
    rows = []
    for appeal in page:
        kept = _kept_suggestion(appeal, model_active=model_active)
        rows.append({"appeal": appeal, "top": kept.suggested[0] if kept and kept.suggested else None})
    context = {
        "platform": platform,
        "page": page,
        "rows": rows,
        "counts": _counts(platform),
        "autos": auto_dispatches_withdrawable(platform)[:AUTO_SHOWN],
    }
    return render(request, "web/dispatch/desk.html", context)


# ---------------------------------------------------------------- one appeal


def _appeal(request, code: str) -> Appeal:
    """An appeal the dispatcher reaches (appeals_visible_to, which counts the platform's queue: a
    report a grid worker took in below a district platform waits there). The caller has asked
    `_platform` first: the desk is a platform dispatcher's."""
    related = ("area", "item", "intake_unit", "duplicate_of")
    appeal = appeals_visible_to(request.user).select_related(*related).filter(code=code).first()
    if appeal is None:
        raise Http404(_("诉求不存在或无权查看"))
    return appeal


def _hop(platform: Unit, unit: Unit | None) -> Unit | None:
    """The unit below the platform on the way to `unit`, which the dispatch form offers."""
    if unit is None:
        return None
    try:
        return next_hop(platform, unit)
    except DomainError:
        return None


def _suggestion_rows(platform: Unit, kept: DispatchSuggestion | None) -> list[dict]:
    entries = list(kept.suggested[:3]) if kept else []
    item_codes = [e["item"]["code"] for e in entries if e.get("item")]
    unit_codes = [e["unit"]["code"] for e in entries if e.get("unit")]
    items = {i.code: i for i in CatalogItem.objects.filter(code__in=item_codes, level=3, is_active=True)}
    units = {u.code: u for u in Unit.objects.filter(code__in=unit_codes)}
    rows = []
    for entry in entries:
        unit = units.get((entry.get("unit") or {}).get("code"))
        rows.append(
            {
                "entry": entry,
                "percent": round(100 * entry["probability"]),
                "item": items.get((entry.get("item") or {}).get("code")),
                "unit": unit,
                "hop": _hop(platform, unit),
            }
        )
    return rows


def _place(request, appeal: Appeal):
    return resolve_place(
        address=appeal.address, text=f"{appeal.title}\n{appeal.content}", city=jurisdiction_of(request.user)
    )


def _duplicates(request, appeal: Appeal) -> list[dict]:
    try:
        found = find_duplicates(
            text=f"{appeal.title}\n{appeal.content}", area=appeal.area, exclude_id=appeal.pk
        )
    except DomainError:
        return []
    rows = duplicates_as_data(request.user, found)
    for row in rows:
        row["received_display"] = row["received_at"][:16].replace("T", " ")  # local ISO time
    return rows


@login_required
def attachment(request, code: str, attachment_id: int):
    """A file of an appeal the dispatcher may see: the citizen's photos, a unit's reply attachments
    (media files are never served to anyone directly)."""
    _platform(request)
    appeal = _appeal(request, code)
    found = appeal.attachments.filter(pk=attachment_id).first()
    if found is None:
        raise Http404(_("附件不存在"))
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


@login_required
def appeal_page(request, code: str):
    platform = _platform(request)
    appeal = _appeal(request, code)
    held = held_order(platform, appeal)
    can_dispatch = appeal.status == AppealStatus.RECEIVED
    kept = _kept_suggestion(appeal)
    suggestions = _suggestion_rows(platform, kept)
    try:
        rule = proposal(appeal)
        rule_error = ""
    except DomainError as error:
        rule, rule_error = None, error.message
    # The form starts on the catalog's unit, else on the suggestion's; the item on the appeal's own,
    # else on the suggestion's (an item the operator chose stands until the dispatcher changes it).
    top = suggestions[0] if suggestions else None
    prefill_item = appeal.item or (top["item"] if top else None)
    prefill_unit = _hop(platform, rule.unit) if rule else (top["hop"] if top else None)
    orders = list(appeal.orders.select_related("unit", "dispatched_from").order_by("dispatched_at", "id"))
    handling = {order.unit_id for order in orders if order.status not in LET_GO_STATUSES}
    item_choices = {s["item"].pk: s["item"] for s in suggestions if s["item"]}
    if appeal.item is not None:
        item_choices.setdefault(appeal.item.pk, appeal.item)
    context = {
        "platform": platform,
        "appeal": appeal,
        "citizen": citizen_for(request.user, appeal, handling_unit_ids=handling, purpose="派单台查看诉求"),
        "attachments": list(appeal.attachments.order_by("uploaded_at", "id")),
        "held": held,
        "can_dispatch": can_dispatch,
        "kept": kept,
        "suggestions": suggestions,
        "rule": rule,
        "rule_error": rule_error,
        "prefill_item": prefill_item,
        "prefill_unit": prefill_unit,
        "item_choices": list(item_choices.values()),
        "units_below": platform.children.filter(is_active=True).order_by("path"),
        "time_limit_classes": TimeLimitClass.objects.order_by("urgency", "code"),
        "place": _place(request, appeal),
        "duplicates": _duplicates(request, appeal) if can_dispatch else [],
        "orders": orders,
        "auto": kept if kept and kept.auto_dispatched and not kept.withdrawn_at else None,
        "parties": units_visible_to(request.user)
        .filter(is_active=True)
        .exclude(kind__in=PLATFORM_KINDS)
        .order_by("path"),
        "events": [
            {"event": event, "label": event_label(event.action)}
            for event in list(events_of(appeal))[-EVENTS_SHOWN:]
        ],
        "counts": _counts(platform),
    }
    return render(request, "web/dispatch/appeal.html", context)


def _done(request, action, done: str, then: str):
    attempt(request, action, done)
    return redirect(then)


def _object(queryset, value):
    """The row named by a form's id field, or None for an empty or unknown one (the service then
    answers for the missing choice)."""
    value = (value or "").strip()
    return queryset.filter(pk=value).first() if value.isdigit() else None


@login_required
@require_POST
def dispatch(request, code: str):
    _platform(request)
    appeal = _appeal(request, code)
    code_typed = request.POST.get("item_code", "").strip()
    if code_typed:
        item = CatalogItem.objects.filter(code=code_typed, is_active=True).first()
        if item is None:
            messages.error(request, _("没有编码为 %(code)s 的目录事项") % {"code": code_typed})
            return redirect("dispatch-appeal", appeal.code)
    else:
        item = _object(CatalogItem.objects.all(), request.POST.get("item"))
    unit = _object(Unit.objects.all(), request.POST.get("unit"))
    tlc = _object(TimeLimitClass.objects.all(), request.POST.get("time_limit_class"))
    reason = request.POST.get("reason", "")
    here = reverse("dispatch-appeal", args=[appeal.code])
    try:
        order = appeal_dispatch(
            appeal=appeal, item=item, by=request.user, unit=unit, reason=reason, time_limit_class=tlc
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(here)
    messages.success(
        request, _("已派单：%(code)s → %(unit)s") % {"code": appeal.code, "unit": order.unit.name}
    )
    return redirect("dispatch-desk")


@login_required
@require_POST
def forward(request, code: str):
    platform = _platform(request)
    appeal = _appeal(request, code)
    order = held_order(platform, appeal)
    if order is None:
        raise Http404(_("该诉求没有在本平台待转派的工单"))
    unit = _object(Unit.objects.all(), request.POST.get("unit"))
    reason = request.POST.get("reason", "")
    try:
        made = order_forward(order=order, by=request.user, unit=unit, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("dispatch-appeal", appeal.code)
    messages.success(
        request, _("已转派：%(code)s → %(unit)s") % {"code": appeal.code, "unit": made.unit.name}
    )
    return redirect("dispatch-desk")


@login_required
@require_POST
def link(request, code: str):
    _platform(request)
    appeal = _appeal(request, code)
    here = reverse("dispatch-appeal", args=[appeal.code])
    original = appeals_visible_to(request.user).filter(code=request.POST.get("original", "").strip()).first()
    if original is None:
        messages.error(request, _("没有这个诉求编号，或无权查看"))
        return redirect(here)
    return _done(
        request,
        lambda: appeal_link_duplicate(
            appeal=appeal, original=original, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("已并案：%(code)s 并入 %(original)s") % {"code": appeal.code, "original": original.code},
        here,
    )


@login_required
@require_POST
def withdraw(request, code: str):
    _platform(request)
    appeal = _appeal(request, code)
    return _done(
        request,
        lambda: auto_dispatch_withdraw(appeal=appeal, by=request.user, reason=request.POST.get("reason", "")),
        _("已撤回自动派单：%(code)s") % {"code": appeal.code},
        reverse("dispatch-appeal", args=[appeal.code]),
    )


@login_required
@require_POST
def consult(request, code: str):
    _platform(request)
    appeal = _appeal(request, code)
    item = _object(CatalogItem.objects.all(), request.POST.get("item")) or appeal.item
    parties = list(
        units_visible_to(request.user).filter(
            pk__in=[value for value in request.POST.getlist("parties") if value.isdigit()]
        )
    )
    return _done(
        request,
        lambda: consultation_open(
            item=item, topic=request.POST.get("topic", ""), parties=parties, by=request.user, appeal=appeal
        ),
        _("已发起会商：%(code)s") % {"code": appeal.code},
        reverse("dispatch-appeal", args=[appeal.code]),
    )


# ---------------------------------------------------------------- review queues


@login_required
def reviews(request, queue: str):
    platform = _platform(request)
    if queue not in QUEUES:
        raise Http404
    context = {"platform": platform, "queue": queue, "counts": _counts(platform), "limit": REVIEW_LIMIT}
    if queue == "returns":
        returns = list(return_requests_to_review(platform)[:REVIEW_LIMIT])
        for made in returns:
            made.basis_answer = _catalog_answer(made)
        context["returns"] = returns
        refused = list(returns_refused_by_rule(platform)[:REFUSED_BY_RULE_SHOWN])
        reopenable = set(
            returns_to_reopen(platform).filter(pk__in=[r.pk for r in refused]).values_list("pk", flat=True)
        )
        for made in refused:
            made.reopenable = made.pk in reopenable
        context["refused_by_rule"] = refused
    elif queue == "extensions":
        context["extensions"] = extension_requests_to_review(platform)[:REVIEW_LIMIT]
    elif queue == "replies":
        replies = list(replies_to_review(platform)[:REVIEW_LIMIT])
        # The files each unit sent with its reply, for the reviewer to open beside the text.
        files: dict[int, list] = {}
        for found in Attachment.objects.filter(order_id__in=[order.pk for order in replies]).order_by("id"):
            files.setdefault(found.order_id, []).append(found)
        for order in replies:
            order.reply_files = files.get(order.pk, [])
        context["replies"] = replies
    else:
        consultations = list(consultations_open_at(platform)[:REVIEW_LIMIT])
        context["consultations"] = consultations
        # The catalog change the decision may propose (consultation_decide checks it).
        context["rule_targets"] = RuleTarget.choices
        context["rule_levels"] = [(v, label) for v, label in Level.choices if v != Level.GRID]
        context["sectors"] = Sector.objects.order_by("code") if consultations else []
    return render(request, "web/dispatch/reviews.html", context)


def _approve(request) -> bool:
    return request.POST.get("decision") == "approve"


def _catalog_answer(made) -> str:
    """What the catalog says of the item a return relies on, at the appeal's place: the reviewer sees
    the unit's claim beside the catalog's answer."""
    item, area = made.basis_item, made.order.appeal.area
    if item is None or area is None:
        return ""
    try:
        return responsible_unit(item=item, area=area).unit.name
    except DomainError:
        return _("目录未规定")


@login_required
@require_POST
def review_return(request, pk: int):
    platform = _platform(request)
    made = return_requests_to_review(platform).filter(pk=pk).first()
    if made is None:
        raise Http404(_("退单申请不存在或已审核"))
    approve = _approve(request)
    return _done(
        request,
        lambda: return_request_review(
            request=made,
            by=request.user,
            approve=approve,
            note=request.POST.get("note", ""),
            may_file_again=not approve and bool(request.POST.get("may_file_again")),
        ),
        (_("已同意退单：%(code)s") if approve else _("已驳回退单：%(code)s"))
        % {"code": made.order.appeal.code},
        reverse("dispatch-reviews", args=["returns"]),
    )


@login_required
@require_POST
def reopen_return(request, pk: int):
    platform = _platform(request)
    made = returns_to_reopen(platform).select_related("order__appeal").filter(pk=pk).first()
    if made is None:
        raise Http404(_("退单申请不存在或不能再允许重新申请"))
    return _done(
        request,
        lambda: return_request_reopen(request=made, by=request.user, note=request.POST.get("note", "")),
        _("已允许%(unit)s就 %(code)s 再申请一次退单")
        % {"unit": made.unit.name, "code": made.order.appeal.code},
        reverse("dispatch-reviews", args=["returns"]),
    )


@login_required
@require_POST
def review_extension(request, pk: int):
    platform = _platform(request)
    made = extension_requests_to_review(platform).filter(pk=pk).first()
    if made is None:
        raise Http404(_("延期申请不存在或已审核"))
    approve = _approve(request)
    return _done(
        request,
        lambda: extension_request_review(
            request=made, by=request.user, approve=approve, note=request.POST.get("note", "")
        ),
        (_("已同意延期：%(code)s") if approve else _("已驳回延期：%(code)s"))
        % {"code": made.order.appeal.code},
        reverse("dispatch-reviews", args=["extensions"]),
    )


@login_required
@require_POST
def review_reply(request, pk: int):
    platform = _platform(request)
    order = replies_to_review(platform).filter(pk=pk).first()
    if order is None:
        raise Http404(_("没有这份待审核的答复"))
    approve = _approve(request)
    return _done(
        request,
        lambda: order_review(
            order=order,
            by=request.user,
            approve=approve,
            note=request.POST.get("note", ""),
            confirm_low_score=request.POST.get("confirm_low_score") == "on",
        ),
        (_("已审核办结：%(code)s") if approve else _("已退回重办：%(code)s")) % {"code": order.appeal.code},
        reverse("dispatch-reviews", args=["replies"]),
    )


@login_required
@require_POST
def decide_consultation(request, pk: int):
    platform = _platform(request)
    consultation = consultations_open_at(platform).filter(pk=pk).first()
    if consultation is None:
        raise Http404(_("会商不存在或已作出决定"))
    parties = consultation.parties.all()
    lead = _object(parties, request.POST.get("lead_unit"))
    assisting = list(
        parties.filter(pk__in=[value for value in request.POST.getlist("assisting_units") if value.isdigit()])
    )
    return _done(
        request,
        lambda: consultation_decide(
            consultation=consultation,
            by=request.user,
            meeting_record=request.POST.get("meeting_record", ""),
            lead_unit=lead,
            assisting_units=assisting,
            proposed_target=request.POST.get("proposed_target", ""),
            proposed_level=request.POST.get("proposed_level", ""),
            proposed_sector=_object(Sector.objects.all(), request.POST.get("proposed_sector")),
            proposed_unit=_object(parties, request.POST.get("proposed_unit")),
        ),
        _("已作出会商决定：%(topic)s") % {"topic": consultation.topic},
        reverse("dispatch-reviews", args=["consultations"]),
    )
