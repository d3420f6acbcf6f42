"""The unit's knowledge proposals (知识条目建议): the approved replies of the unit (and, for a unit
leader, of the units below) proposed as entries, each with its source appeal, the kinds of personal
data removed, the entry it would update beside it, and forms to accept (edited if need be) or decline.

The rules are yousu.knowledge.proposals'; a refusal comes back as the named field's message with 400."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError
from yousu.knowledge import pii
from yousu.knowledge.models import KnowledgeProposal, ProposalStatus
from yousu.knowledge.proposals import proposal_accept, proposal_decline, proposals_for
from yousu.knowledge.services import MAX_NOTE, may_keep
from yousu.org.choices import RoleCode

from .unit_desk import desk_unit

# The list's filters: what waits for a decision, or every proposal.
PENDING, ALL = "pending", "all"


class AcceptForm(forms.Form):
    """The proposal as the unit wants to keep it. Shapes only; the rules are the service's."""

    question = forms.CharField(label=gettext_lazy("问题"), max_length=500)
    answer = forms.CharField(label=gettext_lazy("答复口径"), widget=forms.Textarea(attrs={"rows": 10}))
    items = forms.CharField(
        label=gettext_lazy("相关事项编码"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("目录事项编码，多个用空格或逗号分隔"),
    )
    keywords = forms.CharField(
        label=gettext_lazy("关键词"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("用顿号、逗号或空格分隔"),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("生效日期"), required=False, help_text=gettext_lazy("留空为今天（更新条目时不变）")
    )
    valid_until = forms.DateField(
        label=gettext_lazy("失效日期"), required=False, help_text=gettext_lazy("留空为长期有效")
    )
    review_due = forms.DateField(
        label=gettext_lazy("下次审核日期"),
        required=False,
        help_text=gettext_lazy("留空为一年后（更新条目时不变）"),
    )
    source_title = forms.CharField(label=gettext_lazy("依据文件名称"), required=False, max_length=200)
    source_number = forms.CharField(label=gettext_lazy("依据文号"), required=False, max_length=100)
    source_url = forms.URLField(
        label=gettext_lazy("依据链接"), required=False, max_length=500, assume_scheme="https"
    )
    note = forms.CharField(label=gettext_lazy("说明"), required=False, max_length=MAX_NOTE)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_items(self):
        codes = [code for code in re.split(r"[\s,，、;；]+", self.cleaned_data["items"]) if code]
        found = {item.code: item for item in CatalogItem.objects.filter(code__in=codes, is_active=True)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise forms.ValidationError(_("没有这个目录事项：%(code)s") % {"code": "、".join(missing)})
        return [found[code] for code in dict.fromkeys(codes)]


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("不采纳的理由"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("请填写不采纳的理由")},
    )


def _leads(person) -> bool:
    return person.has_role(RoleCode.UNIT_LEADER)


def _proposal(request, proposal_id: int) -> KnowledgeProposal:
    """A proposal the person may decide (their unit's, or a unit's below for a leader); else 404."""
    desk_unit(request)
    proposal = (
        KnowledgeProposal.objects.select_related("owning_unit", "appeal", "entry", "item", "decided_by")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or not may_keep(request.user, proposal.owning_unit):
        raise Http404(_("建议不存在或无权查看"))
    return proposal


def _initial(proposal: KnowledgeProposal) -> dict:
    entry = proposal.entry
    initial = {"question": proposal.question, "answer": proposal.answer}
    if entry is not None:
        initial.update(
            keywords=entry.keywords,
            source_title=entry.source_title,
            source_number=entry.source_number,
            source_url=entry.source_url,
            items=" ".join(entry.items.values_list("code", flat=True)),
        )
        if proposal.item is not None and proposal.item.code not in initial["items"].split():
            initial["items"] = f"{initial['items']} {proposal.item.code}".strip()
    elif proposal.item is not None:
        initial["items"] = proposal.item.code
    return initial


def _page(request, proposal, *, accept_form=None, decline_form=None, status=200):
    redactions = [
        {
            "kind": kind,
            "label": pii.LABELS.get(kind, kind),
            "placeholder": pii.PLACEHOLDERS.get(kind, ""),
            "n": n,
        }
        for kind, n in sorted(proposal.redactions.items())
    ]
    context = {
        "proposal": proposal,
        "appeal": proposal.appeal,
        "entry": proposal.entry,
        "redactions": redactions,
        "pending": proposal.status == ProposalStatus.PENDING,
        "accept_form": accept_form or AcceptForm(initial=_initial(proposal)),
        "decline_form": decline_form or DeclineForm(),
    }
    return render(request, "web/knowledge/proposals/detail.html", context, status=status)


def _refused(form: forms.Form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def proposal_list(request):
    unit = desk_unit(request)
    state = request.GET.get("state") or PENDING
    if state not in (PENDING, ALL):
        state = PENDING
    proposals = proposals_for(
        unit, below=_leads(request.user), status=ProposalStatus.PENDING if state == PENDING else None
    )
    context = {"unit": unit, "state": state, "proposals": proposals[:200], "leads": _leads(request.user)}
    return render(request, "web/knowledge/proposals/list.html", context)


@login_required
def proposal_detail(request, proposal_id: int):
    return _page(request, _proposal(request, proposal_id))


@login_required
@require_POST
def accept(request, proposal_id: int):
    proposal = _proposal(request, proposal_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _page(request, proposal, accept_form=form, status=400)
    data = form.cleaned_data
    try:
        entry = proposal_accept(proposal=proposal, by=request.user, **data)
    except DomainError as error:
        _refused(form, error)
        return _page(request, proposal, accept_form=form, status=400)
    messages.success(
        request,
        _("已采纳，知识条目“%(entry)s”为第 %(v)d 版") % {"entry": entry.question[:40], "v": entry.version},
    )
    return redirect("knowledge-proposal-list")


@login_required
@require_POST
def decline(request, proposal_id: int):
    proposal = _proposal(request, proposal_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _page(request, proposal, decline_form=form, status=400)
    try:
        proposal_decline(proposal=proposal, by=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        _refused(form, error)
        return _page(request, proposal, decline_form=form, status=400)
    messages.success(request, _("已记录不采纳：%(code)s") % {"code": proposal.appeal.code})
    return redirect("knowledge-proposal-list")
