"""Learning from replies (从答复中学习): when the platform approves a unit's reply to an inquiry, the
reply — personal data stripped — is proposed to that unit as a new knowledge entry or as an update of
the entry of its own that covers the same matter. The unit accepts (possibly after editing) or
declines with a reason; nothing reaches operators before it accepts.

Proposals are made by `proposal_from_approved_reply`, which yousu.knowledge.apps registers in
yousu.dispatch.services.ORDER_COMPLETED_HOOKS: dispatch never imports the knowledge base."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import OrderRole, OrderStatus
from yousu.dispatch.models import Order
from yousu.intelligence import similarity
from yousu.notifications.services import notify
from yousu.org.choices import RoleCode
from yousu.org.models import Person, Unit
from yousu.org.selectors import jurisdiction_of_area

from . import pii
from .models import KnowledgeEntry, KnowledgeProposal, ProposalStatus
from .search import search
from .services import MAX_NOTE, entry_create, entry_update, may_keep

NOTIFICATION_KIND = "knowledge_proposal"
# How far ahead an accepted entry's first review falls unless the unit sets it: a year, the rhythm
# of the units' yearly review of their entries.
DEFAULT_REVIEW_DAYS = 365
# "The same matter": search scores are not comparable from one query to the next, so the search only
# finds the candidate (the unit's best-ranked visible entry) and a cosine of the two texts' jieba
# term weights (yousu.intelligence.similarity, 0–1) decides. 0.5 means half the weighted vocabulary
# is shared: a restatement of the entry's answer, not a neighbouring matter of the same unit. An
# entry on the same catalog item needs less (0.35). Both are judgement, not yet measured on real
# pairs; the unit sees the entry beside the proposal and may still accept it as an edit.
SAME_MATTER_SIMILARITY = 0.5
SAME_ITEM_SIMILARITY = 0.35
CANDIDATES = 10
# Kinds of personal data that must not come back when the unit edits the proposal before accepting:
# numbers are unambiguous; a name found in the unit's own edit may be an official it means to name,
# so names are not refused (the unit answers for its own text).
REFUSED_ON_ACCEPT = (pii.PHONE, pii.ID_NUMBER, pii.BANK_CARD, pii.EMAIL, pii.PLATE)
QUESTION_MAX = KnowledgeProposal._meta.get_field("question").max_length


# ---------------------------------------------------------------- making a proposal


def _same_matter(
    *, unit: Unit, question: str, answer: str, item: CatalogItem | None
) -> KnowledgeEntry | None:
    """The unit's visible entry that covers the same matter as the reply, if any."""
    city = jurisdiction_of_area(unit.area)
    hits = search(f"{question}。{answer}", k=CANDIDATES, jurisdiction=city)
    if not hits:
        return None
    entries = KnowledgeEntry.objects.filter(pk__in=[hit.entry_id for hit in hits], owning_unit=unit)
    by_id = {entry.pk: entry for entry in entries.prefetch_related("items")}
    mine = [by_id[hit.entry_id] for hit in hits if hit.entry_id in by_id]
    if not mine:
        return None
    best = mine[0]
    proposed = similarity.term_weights(answer, title=question)
    existing = similarity.term_weights(best.answer, title=best.question)
    score = similarity.dot(proposed, existing)
    same_item = item is not None and any(i.pk == item.pk for i in best.items.all())
    if score >= SAME_MATTER_SIMILARITY or (same_item and score >= SAME_ITEM_SIMILARITY):
        return best
    return None


def proposal_from_approved_reply(order: Order) -> KnowledgeProposal | None:
    """The proposal learnt from a just-approved reply: only a lead order of an inquiry, completed, with
    a reply. One per completion (a sent-back order approved again proposes again). The unit is
    notified. Returns None when the order does not qualify or its proposal exists already."""
    order = Order.objects.select_related("appeal", "appeal__item", "unit").get(pk=order.pk)
    appeal = order.appeal
    if (
        order.role != OrderRole.LEAD
        or order.status != OrderStatus.COMPLETED
        or order.completed_at is None
        or appeal.kind != AppealKind.INQUIRY
        or not (order.reply_text or "").strip()
    ):
        return None
    if KnowledgeProposal.objects.filter(order=order, order_completed_at=order.completed_at).exists():
        return None
    known = [appeal.citizen_name] if appeal.citizen_name else []
    question = pii.strip_personal_data(appeal.title, known_names=known)
    answer = pii.strip_personal_data(order.reply_text, known_names=known)
    counts: dict[str, int] = {}
    for redacted in (question, answer):
        for kind, n in redacted.counts.items():
            counts[kind] = counts.get(kind, 0) + n
    entry = _same_matter(unit=order.unit, question=question.text, answer=answer.text, item=appeal.item)
    try:
        # A savepoint: a second call for the same completion (a retried hook) meets the unique
        # constraint, and the caller's transaction must go on.
        with transaction.atomic():
            proposal = KnowledgeProposal.objects.create(
                order=order,
                order_completed_at=order.completed_at,
                appeal=appeal,
                owning_unit=order.unit,
                entry=entry,
                question=question.text[:QUESTION_MAX],
                answer=answer.text,
                item=appeal.item,
                redactions=counts,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None
    if entry is None:
        text = _("诉求 %(code)s 的答复已整理为新知识条目建议，请审核后采纳或说明不采纳的理由。")
    else:
        text = _("诉求 %(code)s 的答复与知识条目“%(entry)s”相近，已整理为更新建议，请审核。")
    notify(
        kind=NOTIFICATION_KIND,
        subject=_("知识条目建议"),
        text=text % {"code": appeal.code, "entry": entry.question[:40] if entry else ""},
        unit=order.unit,
        order=order,
    )
    return proposal


# ---------------------------------------------------------------- deciding


def _pending(proposal: KnowledgeProposal, by: Person) -> KnowledgeProposal:
    """The proposal locked for the decision, after the checks every decision shares."""
    if by is None or not by.is_active:
        raise PermissionRefused(_("必须由在岗人员操作"), field="by")
    proposal = (
        KnowledgeProposal.objects.select_for_update(of=("self",))
        .select_related("owning_unit", "appeal", "entry", "item")
        .get(pk=proposal.pk)
    )
    if not may_keep(by, proposal.owning_unit):
        raise PermissionRefused(
            _("只有%(unit)s或其上级单位负责人可以处理该建议") % {"unit": proposal.owning_unit.name},
            field="by",
        )
    if proposal.status != ProposalStatus.PENDING:
        raise DomainError(
            _("该建议已处理（%(status)s）") % {"status": proposal.get_status_display()}, field="status"
        )
    return proposal


def _no_personal_numbers(value: str, field: str) -> None:
    found = pii.strip_personal_data(value).counts
    kinds = [pii.LABELS[kind] for kind in REFUSED_ON_ACCEPT if found.get(kind)]
    if kinds:
        raise DomainError(
            _("内容含有个人信息（%(kinds)s），请删除后再采纳") % {"kinds": "、".join(kinds)}, field=field
        )


@transaction.atomic
def proposal_accept(
    *,
    proposal: KnowledgeProposal,
    by: Person,
    question: str | None = None,
    answer: str | None = None,
    items: Iterable[CatalogItem] | None = None,
    keywords: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    review_due: dt.date | None = None,
    source_title: str = "",
    source_number: str = "",
    source_url: str = "",
    note: str = "",
) -> KnowledgeEntry:
    """The owning unit adopts the proposal, as proposed or edited: a new entry (valid from today,
    first review DEFAULT_REVIEW_DAYS ahead unless given), or the next version of the entry it would
    update. Text that brings back a phone, ID, card, plate or e-mail is refused (field named)."""
    proposal = _pending(proposal, by)
    question = proposal.question if question is None else question
    answer = proposal.answer if answer is None else answer
    _no_personal_numbers(question, "question")
    _no_personal_numbers(answer, "answer")
    if items is None:
        items = [proposal.item] if proposal.item is not None else []
    today = timezone.localdate()
    version_note = _("采纳群众诉求答复建议 %(code)s") % {"code": proposal.appeal.code}
    if note.strip():
        version_note = f"{version_note}：{note.strip()}"
    if proposal.entry is None:
        entry = entry_create(
            by=by,
            question=question,
            answer=answer,
            owning_unit=proposal.owning_unit,
            valid_from=valid_from or today,
            valid_until=valid_until,
            review_due=review_due or today + dt.timedelta(days=DEFAULT_REVIEW_DAYS),
            items=items,
            keywords=keywords,
            source_title=source_title,
            source_number=source_number,
            source_url=source_url,
            note=version_note[:MAX_NOTE],
        )
    else:
        changes = {"question": question, "answer": answer}
        # Only what the unit filled in replaces the entry's own: an empty field keeps it.
        for field, value in (
            ("keywords", keywords),
            ("source_title", source_title),
            ("source_number", source_number),
            ("source_url", source_url),
            ("valid_from", valid_from),
            ("valid_until", valid_until),
            ("review_due", review_due),
        ):
            if value:
                changes[field] = value
        entry = entry_update(
            entry=proposal.entry, by=by, note=version_note[:MAX_NOTE], items=items, **changes
        )
    proposal.status = ProposalStatus.ACCEPTED
    proposal.decided_by = by
    proposal.decided_at = timezone.now()
    proposal.decision_note = note.strip()[:MAX_NOTE]
    proposal.result_entry = entry
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "result_entry"])
    return entry


@transaction.atomic
def proposal_decline(*, proposal: KnowledgeProposal, by: Person, note: str) -> KnowledgeProposal:
    """The owning unit does not adopt the proposal; the reason is required."""
    proposal = _pending(proposal, by)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写不采纳的理由"), field="note")
    if len(note) > MAX_NOTE:
        raise DomainError(_("理由不能超过 %(max)d 个字") % {"max": MAX_NOTE}, field="note")
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by = by
    proposal.decided_at = timezone.now()
    proposal.decision_note = note
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return proposal


# ---------------------------------------------------------------- reading


def proposals_for(
    unit: Unit, *, below: bool = False, status: str | None = ProposalStatus.PENDING
) -> QuerySet[KnowledgeProposal]:
    """The unit's proposals (with `below`, also those of the units under it), pending by default,
    newest first; `status=None` for all."""
    proposals = KnowledgeProposal.objects.select_related("owning_unit", "appeal", "entry", "item")
    if below:
        proposals = proposals.filter(owning_unit__path__startswith=unit.path)
    else:
        proposals = proposals.filter(owning_unit=unit)
    if status is not None:
        proposals = proposals.filter(status=status)
    return proposals.order_by("-created_at", "-id")


def pending_count_for(person: Person) -> int:
    """How many proposals wait for the person: their unit's, and for a unit leader those below."""
    if person.unit is None or not may_keep(person, person.unit):
        return 0
    return proposals_for(person.unit, below=person.has_role(RoleCode.UNIT_LEADER)).count()
