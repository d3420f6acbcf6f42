"""The community work-item access list page (社区工作事项准入清单): the list as it stands, its size against
last year's (总量不增), and its changes climbing street → district → city with each stage's decision.

Anyone signed in reads it; a unit leader or administrator proposes a change; whoever may decide a
change at its current stage (yousu.catalog.services.may_decide_at_stage) approves or refuses it there;
the proposer or a city approver records the exception a growing change needs. The catalog services
decide every one of these; this module forwards."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yousu.catalog.choices import AccessChangeAction, AccessChangeStatus
from yousu.catalog.models import AccessList, AccessListApproval, AccessListChange, CatalogItem
from yousu.catalog.selectors import access_list_baseline, access_list_review_preview
from yousu.catalog.services import (
    PROPOSER_ROLES,
    access_list_decide,
    access_list_propose,
    access_list_record_exception,
    may_decide_at_stage,
)

from .actions import attempt

SHOWN_CHANGES = 50


def _may_propose(person) -> bool:
    return person.is_authenticated and (person.is_superuser or person.has_role(*PROPOSER_ROLES))


def _may_decide(change, person) -> bool:
    return (
        person.is_authenticated
        and change.status == AccessChangeStatus.PROPOSED
        and change.proposed_by_id != person.pk
        and may_decide_at_stage(change, person)
    )


def access_list(request):
    """The list is public, as the published guidance catalogue (指导目录) is; proposing and deciding
    need the person the catalog services allow."""
    person = request.user
    lists = []
    for lst in AccessList.objects.select_related("area", "established_by").order_by("id"):
        changes = list(
            lst.changes.select_related(
                "item", "proposed_by", "proposing_unit", "decided_by"
            ).prefetch_related(
                Prefetch(
                    "approvals",
                    queryset=AccessListApproval.objects.select_related("unit", "decided_by").order_by(
                        "decided_at"
                    ),
                )
            )[:SHOWN_CHANGES]
        )
        rows = [
            {
                "change": change,
                "may_decide": _may_decide(change, person),
                "may_except": person.is_authenticated
                and change.status == AccessChangeStatus.PROPOSED
                and change.action == AccessChangeAction.ADD
                and not change.growth_exception
                and (change.proposed_by_id == person.pk or may_decide_at_stage(change, person)),
            }
            for change in changes
        ]
        lists.append(
            {
                "list": lst,
                "entries": lst.entries.select_related("item", "item__parent", "added_by_change").order_by(
                    "item__path"
                ),
                "baseline": access_list_baseline(lst),
                "preview": access_list_review_preview(lst) if lst.established_at else None,
                "reviews": lst.reviews.select_related("reviewed_by").order_by("-year")[:5],
                "changes": rows,
            }
        )
    items = (
        CatalogItem.objects.filter(level=3, is_active=True).order_by("path") if _may_propose(person) else []
    )
    return render(
        request,
        "web/access_list.html",
        {
            "lists": lists,
            "may_propose": _may_propose(person),
            "items": items,
            "actions": AccessChangeAction.choices,
        },
    )


def _back():
    return redirect(reverse("catalog-access-list"))


@login_required
@require_POST
def propose(request, list_id: int):
    access_list_ = AccessList.objects.filter(pk=list_id).first()
    if access_list_ is None:
        raise Http404
    item = CatalogItem.objects.filter(pk=request.POST.get("item") or None).first()
    if item is None:
        messages.error(request, _("请选择事项"))
        return _back()
    attempt(
        request,
        lambda: access_list_propose(
            access_list=access_list_,
            action=request.POST.get("action", ""),
            item=item,
            reason=request.POST.get("reason", ""),
            by=request.user,
            growth_exception=request.POST.get("growth_exception", ""),
        ),
        lambda change: _("已提交申请，现处于“%(stage)s”阶段") % {"stage": change.get_stage_display()},
    )
    return _back()


@login_required
@require_POST
def decide(request, change_id: int):
    change = AccessListChange.objects.filter(pk=change_id).first()
    if change is None:
        raise Http404
    approve = request.POST.get("decision") == "approve"
    attempt(
        request,
        lambda: access_list_decide(
            change=change,
            approve=approve,
            note=request.POST.get("note", ""),
            by=request.user,
            growth_exception=request.POST.get("growth_exception", ""),
        ),
        lambda decided: (
            _("已批准，清单已调整")
            if decided.status == AccessChangeStatus.APPROVED
            else _("已同意，转入“%(stage)s”阶段") % {"stage": decided.get_stage_display()}
            if decided.status == AccessChangeStatus.PROPOSED
            else _("已驳回")
        ),
    )
    return _back()


@login_required
@require_POST
def record_exception(request, change_id: int):
    change = AccessListChange.objects.filter(pk=change_id).first()
    if change is None:
        raise Http404
    attempt(
        request,
        lambda: access_list_record_exception(
            change=change, reason=request.POST.get("reason", ""), by=request.user
        ),
        _("已记录例外理由"),
    )
    return _back()
