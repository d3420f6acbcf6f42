"""Answering at intake from the knowledge base (直接办结), and the callback that asks whether it helped.

Every appeal answered on the spot gets an IntakeAnswer, written in the answer's transaction by
yousu.appeals.services.appeal_answer_at_intake: the entry the operator picked (if any) with the
entry's version at that moment, so what the citizen was told can always be read back even after the
entry changes. Once the answer is YOUSU_INTAKE_ANSWER_CHECK_HOURS old, the callback desk asks the
citizen whether it helped. When, since the entry's last review, at least YOUSU_KNOWLEDGE_UNHELPFUL_FLAG
citizens said it did not help and they are at least YOUSU_KNOWLEDGE_UNHELPFUL_SHARE percent of those
asked, the entry is flagged: it is hidden from operators (search, entries_for_operators) and put on
its unit's review list, and the unit is notified; a review clears the flag (services.entry_review).

Events on the appeal, for its trail: intake_answer_checked {helped, entry}, intake_answer_unreachable
{attempts}.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.callbacks.selectors import may_call_back
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.notifications.services import notify
from yousu.org.choices import Level
from yousu.org.models import Person
from yousu.org.selectors import in_own_jurisdiction, jurisdiction_of

from .models import CheckStatus, IntakeAnswer, KnowledgeEntry
from .search import bump_generation, search
from .selectors import entries_for_operators
from .services import _snapshot

COMMENT_LIMIT = 2000
# The workbench shows an entry only if it scores at least this share of the best one: below it the
# hits share a few common pieces with the call and only crowd the aids. On tipdm2020c (each message
# against the 2,750 replies, the reply given in the top 5 for 2,277 of 2,816), 0.3 would hide that
# reply for 2 of them, 0.5 for 29 (measured once; the figures are in docs/knowledge.md).
RELATIVE_FLOOR = 0.3


def answer_text_of(entry: KnowledgeEntry) -> str:
    """What the operator tells the citizen from an entry: its answer, with its source when it has one,
    so the citizen (and the record) can find the policy the answer rests on."""
    source = "".join(
        part for part in (entry.source_title, entry.source_number and f"（{entry.source_number}）")
    )
    return f"{entry.answer}\n依据：{source}" if source else entry.answer


def _check_entry(entry: KnowledgeEntry, appeal: Appeal, at: dt.datetime) -> KnowledgeEntry:
    """An entry may answer an appeal only if operators of the appeal's city may see it at that moment:
    in use, in force, reviewed, not flagged, and kept by a unit of that city."""
    visible = entries_for_operators(at, jurisdiction=appeal.jurisdiction).filter(pk=entry.pk).first()
    if visible is None:
        raise DomainError(
            "该知识条目已失效、待审核、已撤下或不属于本辖区，不能用于答复", field="knowledge_entry"
        )
    return visible


def intake_answer_record(
    *, appeal: Appeal, by: Person, entry: KnowledgeEntry | None = None, at: dt.datetime | None = None
) -> IntakeAnswer:
    """Called by appeal_answer_at_intake inside its transaction, after the appeal has been answered."""
    at = at or timezone.now()
    version = None
    if entry is not None:
        entry = _check_entry(entry, appeal, at)
        version = entry.version
    reachable = bool((appeal.citizen_phone or "").strip())
    return IntakeAnswer.objects.create(
        appeal=appeal,
        entry=entry,
        entry_version=version,
        answered_by=by,
        answered_at=at,
        check_status=CheckStatus.PENDING if reachable else CheckStatus.NOT_NEEDED,
        check_due_at=at + dt.timedelta(hours=settings.YOUSU_INTAKE_ANSWER_CHECK_HOURS) if reachable else None,
    )


def _pending(record: IntakeAnswer, by: Person) -> IntakeAnswer:
    if not may_call_back(by):
        raise PermissionRefused("只有接线员或市平台派单员可以回访", field="by")
    record = IntakeAnswer.objects.select_for_update().select_related("appeal").filter(pk=record.pk).first()
    if record is None:
        raise NotFound("当场答复记录不存在")
    if record.check_status != CheckStatus.PENDING:
        raise DomainError(f"该回访已是“{record.get_check_status_display()}”", field="status")
    return record


@transaction.atomic
def intake_answer_check(
    *, record: IntakeAnswer, by: Person, helped: bool | None, comment: str = ""
) -> IntakeAnswer:
    """The citizen's answer to "did the answer help?"."""
    record = _pending(record, by)
    if helped is None:
        raise DomainError("请选择答复是否有帮助", field="helped")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise DomainError(f"不能超过 {COMMENT_LIMIT} 个字符", field="comment")
    now = timezone.now()
    record.check_status, record.helped, record.comment = CheckStatus.DONE, helped, comment
    record.checked_by, record.checked_at = by, now
    record.save(update_fields=["check_status", "helped", "comment", "checked_by", "checked_at"])
    record_event(
        record.appeal,
        "intake_answer_checked",
        actor=by,
        reason=comment,
        payload={"helped": helped, "entry": record.entry_id},
    )
    if not helped and record.entry_id is not None:
        _flag_if_unhelpful(record.entry_id, by=by, now=now)
    return record


@transaction.atomic
def intake_answer_unreachable(*, record: IntakeAnswer, by: Person, note: str) -> IntakeAnswer:
    """One call nobody answered; after YOUSU_CALLBACK_MAX_ATTEMPTS the callback is given up."""
    record = _pending(record, by)
    note = (note or "").strip()
    if not note:
        raise DomainError("请写明联系情况", field="note")
    now = timezone.now()
    record.attempts += 1
    record.comment = note[:COMMENT_LIMIT]
    if record.attempts >= settings.YOUSU_CALLBACK_MAX_ATTEMPTS:
        record.check_status, record.checked_by, record.checked_at = CheckStatus.UNREACHABLE, by, now
    record.save(update_fields=["attempts", "comment", "check_status", "checked_by", "checked_at"])
    record_event(
        record.appeal,
        "intake_answer_unreachable",
        actor=by,
        reason=note,
        payload={"attempts": record.attempts},
    )
    return record


def answers_since_review(entry: KnowledgeEntry) -> tuple[int, int]:
    """(did not help, asked) among the callbacks about the entry since it was last reviewed (or
    created)."""
    since = entry.last_reviewed_at or entry.created
    found = IntakeAnswer.objects.filter(
        entry=entry, check_status=CheckStatus.DONE, checked_at__gte=since
    ).aggregate(asked=Count("id"), unhelpful=Count("id", filter=Q(helped=False)))
    return found["unhelpful"], found["asked"]


def is_unhelpful(unhelpful: int, asked: int) -> bool:
    """Both a number and a share: one citizen is not a pattern, and an entry that answers hundreds of
    calls well is not hidden for the few it did not help."""
    return (
        unhelpful >= settings.YOUSU_KNOWLEDGE_UNHELPFUL_FLAG
        and unhelpful * 100 >= settings.YOUSU_KNOWLEDGE_UNHELPFUL_SHARE * asked
    )


def _flag_if_unhelpful(entry_id: int, *, by: Person, now: dt.datetime) -> None:
    entry = KnowledgeEntry.objects.select_for_update().select_related("owning_unit").get(pk=entry_id)
    if entry.flagged_at is not None:
        return
    unhelpful, asked = answers_since_review(entry)
    if not is_unhelpful(unhelpful, asked):
        return
    entry.flagged_at = now
    entry.flag_reason = f"自上次审核以来回访 {asked} 位群众，{unhelpful} 位表示答复没有帮助"
    entry.version += 1
    entry.save(update_fields=["flagged_at", "flag_reason", "version", "updated"])
    # The flag is a change of what operators see: it is versioned like any other, by the person
    # whose recorded callback tipped it.
    _snapshot(entry, by=by, at=now, note=f"标记待审核：{entry.flag_reason}")
    bump_generation()
    notify(
        kind="knowledge_flagged",
        subject="知识条目待审核",
        text=f"知识条目“{entry.question[:40]}”{entry.flag_reason}，已暂停向接线员展示，请审核修改。",
        unit=entry.owning_unit,
    )


def suggest_entries(person: Person, text: str, *, k: int = 5) -> list[dict]:
    """The entries that best answer what the operator has typed so far, among those operators of the
    person's city may give, best first, as the workbench and the API show them."""
    if not text.strip():
        return []
    city = jurisdiction_of(person)
    hits = search(text, k=k, jurisdiction=city)
    hits = [hit for hit in hits if hit.score >= RELATIVE_FLOOR * hits[0].score] if hits else []
    # Checked against the database: an index still being rebuilt may hold an entry withdrawn or
    # flagged a moment ago (search.entry_index).
    entries = (
        entries_for_operators(jurisdiction=city)
        .select_related("owning_unit")
        .in_bulk([hit.entry_id for hit in hits])
    )
    return [
        {
            "id": entry.pk,
            "version": entry.version,
            "question": entry.question,
            "answer": entry.answer,
            "answer_text": answer_text_of(entry),
            "owning_unit": entry.owning_unit.name,
            "source_title": entry.source_title,
            "source_number": entry.source_number,
            "source_url": entry.source_url,
            "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
            "score": round(hit.score, 3),
        }
        for hit in hits
        if (entry := entries.get(hit.entry_id)) is not None
    ]


def intake_answers_visible_to(person: Person | None):
    """The on-the-spot answers whose callbacks the person may make: the same people and the same city
    as the callbacks of orders (yousu.callbacks.selectors.callbacks_visible_to)."""
    records = IntakeAnswer.objects.select_related("appeal", "entry", "answered_by")
    if not may_call_back(person):
        return records.none()
    return in_own_jurisdiction(person, records, "appeal__jurisdiction")


def intake_answer_checks_due(person: Person | None, at: dt.datetime | None = None):
    """The callback desk's share: answers old enough to ask about, oldest first."""
    at = at or timezone.now()
    return (
        intake_answers_visible_to(person)
        .filter(check_status=CheckStatus.PENDING, check_due_at__lte=at)
        .order_by("check_due_at", "id")
    )


def intake_answer_figures(start: dt.date, end: dt.date, scope=None) -> dict:
    """The dashboard's knowledge-base figures for the appeals received on the local days start..end:
    how many were answered on the spot, how many of them from a knowledge entry, how many citizens were asked, and how many said
    the answer helped. `scope`: a city (its jurisdiction), a district (by place), or None for all."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    # By the day the appeal was received, as the dashboard's other figures of the period count it.
    records = IntakeAnswer.objects.filter(appeal__received_at__gte=since, appeal__received_at__lt=until)
    if scope is not None:
        if scope.level == Level.CITY:
            records = records.filter(appeal__jurisdiction=scope)
        else:
            records = records.filter(appeal__area__path__startswith=scope.path)
    done, from_entry = Q(check_status=CheckStatus.DONE), Q(entry__isnull=False)
    counted = records.aggregate(
        n_answered=Count("id"),
        n_from_entries=Count("id", filter=from_entry),
        n_checked=Count("id", filter=done),
        n_helped=Count("id", filter=done & Q(helped=True)),
        n_entries_checked=Count("id", filter=done & from_entry),
        n_entries_helped=Count("id", filter=done & from_entry & Q(helped=True)),
    )
    # Named n_… in the query: "helped" is also a field, and an aggregate may not shadow it.
    found = {name.removeprefix("n_"): value for name, value in counted.items()}
    found["helped_rate"] = round(found["helped"] / found["checked"], 4) if found["checked"] else None
    found["entries_helped_rate"] = (
        round(found["entries_helped"] / found["entries_checked"], 4) if found["entries_checked"] else None
    )
    return found
