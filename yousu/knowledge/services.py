"""Writes of the knowledge base: create, update and review an entry. Each write checks its rules
first, then saves the entry, a full snapshot (KnowledgeEntryVersion) and a new search generation in
one transaction, so an entry never exists without the version that explains it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError, PermissionRefused
from yousu.org.choices import RoleCode
from yousu.org.models import Person, Unit
from yousu.org.selectors import jurisdiction_of

from .models import EntryStatus, KnowledgeEntry, KnowledgeEntryVersion
from .search import bump_generation, entry_terms

MAX_NOTE = 500
# Fields an update may change; the rest (status, review, version) move only through their own rules.
EDITABLE = (
    "question",
    "answer",
    "owning_unit",
    "keywords",
    "source_title",
    "source_number",
    "source_url",
    "valid_from",
    "valid_until",
    "review_due",
)
_LABELS = {"question": "问题", "answer": "答复口径"}


# ---------------------------------------------------------------- checks


def _active(by: Person | None) -> Person:
    if by is None or not by.is_active:
        raise PermissionRefused("必须由在岗人员操作", field="by")
    return by


# Who keeps a unit's entries: the people who answer for the unit's replies, which the entries speak
# for: its handlers and leaders, and a platform's dispatchers (they review the replies the entries
# are learnt from). Operators, supervisors and grid workers use the base and the read-only roles
# (leader, provincial) read it; none of them writes an entry, not even one of their own unit's.
KEEPER_ROLES = (RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER, RoleCode.DISPATCHER)


def may_keep(person: Person, unit: Unit) -> bool:
    """A person keeps a unit's entries if they belong to that unit in a keeping role (KEEPER_ROLES),
    or lead a unit above it."""
    if person is None or not person.is_active or person.unit_id is None:
        return False
    if person.unit_id == unit.pk:
        return person.has_role(*KEEPER_ROLES)
    return person.has_role(RoleCode.UNIT_LEADER) and unit.path.startswith(person.unit.path)


def _curates(by: Person, unit: Unit) -> bool:
    """A platform administrator curates the knowledge base of their own city, as everywhere else an
    administrator's reach ends at the jurisdiction. Being a superuser adds nothing: that flag is for
    maintaining data in the admin site, not for writing a unit's answers (docs/accounts.md)."""
    if not by.has_role(RoleCode.ADMINISTRATOR):
        return False
    own = jurisdiction_of(by)
    return own is not None and unit.area.path.startswith(own.path)


def may_edit(person: Person, unit: Unit) -> bool:
    """Whether a person may create, edit, withdraw and restore the unit's entries: the platform's
    administrators of its city, and the people who keep it (may_keep)."""
    return _curates(person, unit) or may_keep(person, unit)


def writes_entries(person: Person) -> bool:
    """Whether the person may write any unit's entries at all: an administrator with a city, or a
    unit's keeper. Everyone else is refused before anything is read (an import file, a form)."""
    if person is None or not person.is_active:
        return False
    if person.has_role(RoleCode.ADMINISTRATOR):
        return jurisdiction_of(person) is not None
    return person.unit_id is not None and person.has_role(*KEEPER_ROLES)


def check_writes_entries(by: Person) -> None:
    if not writes_entries(by):
        raise PermissionRefused(_("只有维护单位的人员或系统管理员可以新建、修改或导入知识条目"), field="by")


def _may_edit(by: Person, unit: Unit) -> None:
    if may_edit(by, unit):
        return
    raise PermissionRefused(f"只有{unit.name}或其上级单位负责人可以修改该知识条目", field="by")


def _text(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"{_LABELS[field]}不能为空", field=field)
    return value


def _dates(valid_from: dt.date, valid_until: dt.date | None, review_due: dt.date) -> None:
    if valid_from is None:
        raise DomainError("请填写生效日期", field="valid_from")
    if review_due is None:
        raise DomainError("请填写下次审核日期", field="review_due")
    if valid_until is not None and valid_until < valid_from:
        raise DomainError("失效日期不能早于生效日期", field="valid_until")


def _items(items: Iterable[CatalogItem] | None) -> list[CatalogItem]:
    items = list(items or [])
    for item in items:
        if not item.is_active:
            raise DomainError(f"事项“{item.name}”已停用", field="items")
    return items


def _snapshot(entry: KnowledgeEntry, *, by: Person, at: dt.datetime, note: str) -> KnowledgeEntryVersion:
    return KnowledgeEntryVersion.objects.create(
        entry=entry,
        version=entry.version,
        question=entry.question,
        answer=entry.answer,
        owning_unit=entry.owning_unit,
        item_codes=sorted(entry.items.values_list("code", flat=True)),
        keywords=entry.keywords,
        source_title=entry.source_title,
        source_number=entry.source_number,
        source_url=entry.source_url,
        valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        review_due=entry.review_due,
        status=entry.status,
        changed_by=by,
        changed_at=at,
        note=(note or "")[:MAX_NOTE],
    )


def _clean(entry: KnowledgeEntry) -> None:
    """The model's own field checks (lengths, the link's form) as a DomainError naming the field."""
    try:
        entry.full_clean(exclude=["search_terms"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError("；".join(messages), field=field) from error


def _index_terms(entry: KnowledgeEntry) -> None:
    entry.search_terms = " ".join(
        entry_terms(question=entry.question, answer=entry.answer, keywords=entry.keywords)
    )


# ---------------------------------------------------------------- writes


@transaction.atomic
def entry_create(
    *,
    by: Person,
    question: str,
    answer: str,
    owning_unit: Unit,
    valid_from: dt.date,
    review_due: dt.date,
    valid_until: dt.date | None = None,
    items: Iterable[CatalogItem] | None = None,
    keywords: str = "",
    source_title: str = "",
    source_number: str = "",
    source_url: str = "",
    note: str = "",
) -> KnowledgeEntry:
    """A new entry, version 1."""
    _active(by)
    _may_edit(by, owning_unit)
    question, answer = _text(question, "question"), _text(answer, "answer")
    _dates(valid_from, valid_until, review_due)
    items = _items(items)
    entry = KnowledgeEntry(
        question=question,
        answer=answer,
        owning_unit=owning_unit,
        keywords=keywords.strip(),
        source_title=source_title.strip(),
        source_number=source_number.strip(),
        source_url=source_url.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        review_due=review_due,
        version=1,
    )
    _index_terms(entry)
    _clean(entry)
    entry.save()
    entry.items.set(items)
    _snapshot(entry, by=by, at=timezone.now(), note=note or "新建")
    bump_generation()
    return entry


class VersionConflict(DomainError):
    """The entry moved on since the editor read it: answered 409, never overwritten."""

    code = "conflict"


@transaction.atomic
def entry_update(
    *,
    entry: KnowledgeEntry,
    by: Person,
    note: str = "",
    items: Iterable[CatalogItem] | None = None,
    expected_version: int | None = None,
    **changes,
) -> KnowledgeEntry:
    """Change some fields of an entry (`items`, if given, replaces the related catalog items) and
    record the result as the next version; earlier versions keep the old values. With
    `expected_version` (the version the editor's form showed), refused with VersionConflict when
    someone saved in between: an edit never silently overwrites another."""
    _active(by)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"不能直接修改：{'、'.join(sorted(unknown))}", field=sorted(unknown)[0])
    # Locked: two editors saving at once must produce versions n+1 and n+2, not two n+1; and the
    # version compared below is the one the write will follow.
    entry = KnowledgeEntry.objects.select_for_update().select_related("owning_unit").get(pk=entry.pk)
    _may_edit(by, entry.owning_unit)
    if expected_version is not None and entry.version != expected_version:
        raise VersionConflict(
            _("该条目已被他人修改（您编辑的是第 %(yours)d 版，现在是第 %(current)d 版），请刷新后重新修改")
            % {"yours": expected_version, "current": entry.version},
            field="version",
        )
    if "owning_unit" in changes:
        # Handing an entry to another unit is a change the receiving side must be entitled to, too.
        _may_edit(by, changes["owning_unit"])
    for field in ("question", "answer"):
        if field in changes:
            changes[field] = _text(changes[field], field)
    for field in ("keywords", "source_title", "source_number", "source_url"):
        if field in changes:
            changes[field] = (changes[field] or "").strip()
    for field, value in changes.items():
        setattr(entry, field, value)
    _dates(entry.valid_from, entry.valid_until, entry.review_due)
    entry.version += 1
    _index_terms(entry)
    _clean(entry)
    entry.save()
    if items is not None:
        entry.items.set(_items(items))
    _snapshot(entry, by=by, at=timezone.now(), note=note)
    bump_generation()
    return entry


# entry_review's `valid_until` when the review leaves the validity as it was.
UNCHANGED = object()


@transaction.atomic
def entry_review(
    *,
    entry: KnowledgeEntry,
    by: Person,
    next_review_due: dt.date,
    note: str = "",
    valid_until: dt.date | object | None = UNCHANGED,
) -> KnowledgeEntry:
    """The owning unit confirms the entry is still right and sets the next review date; an entry that
    was hidden as overdue shows again. Only a person of the owning unit, or a unit leader above it.

    `valid_until` (a date, or None for no end) extends or ends the entry's validity in the same
    review: an expired entry comes back only with a validity that reaches today, so a review never
    leaves it confirmed yet still hidden."""
    _active(by)
    entry = KnowledgeEntry.objects.select_for_update().select_related("owning_unit").get(pk=entry.pk)
    if not may_keep(by, entry.owning_unit):
        raise PermissionRefused(
            f"只有{entry.owning_unit.name}或其上级单位负责人可以审核该知识条目", field="by"
        )
    if entry.status != EntryStatus.ACTIVE:
        raise DomainError("已撤下的知识条目不能审核", field="entry")
    now = timezone.now()
    if next_review_due is None or next_review_due <= timezone.localdate(now):
        raise DomainError("下次审核日期必须晚于今天", field="next_review_due")
    if valid_until is not UNCHANGED:
        entry.valid_until = valid_until
        _dates(entry.valid_from, entry.valid_until, next_review_due)
    if entry.valid_until is not None and entry.valid_until < timezone.localdate(now):
        raise DomainError(
            _("该条目已于 %(day)s 失效：审核时请填写新的失效日期（留空为长期有效），或撤下该条目")
            % {"day": entry.valid_until.isoformat()},
            field="valid_until",
        )
    entry.review_due = next_review_due
    entry.last_reviewed_at = now
    entry.last_reviewed_by = by
    # A review answers a flag too: the unit has looked at the entry the citizens found unhelpful
    # (and edited it first if it needed it); unhelpful answers are counted again from here.
    unflagged = entry.flagged_at is not None
    entry.flagged_at, entry.flag_reason = None, ""
    entry.version += 1
    entry.save()
    _snapshot(entry, by=by, at=now, note=note or ("审核（解除标记）" if unflagged else "审核"))
    bump_generation()
    return entry


# ---------------------------------------------------------------- withdrawing (撤下)


@transaction.atomic
def entry_withdraw(*, entry: KnowledgeEntry, by: Person, reason: str) -> KnowledgeEntry:
    """Take an entry out of use (撤下): operators no longer see it and search no longer finds it, but
    it stays with its history and can be restored. The reason is required and becomes the version's
    note. The same people who may edit the entry may withdraw it."""
    _active(by)
    entry = KnowledgeEntry.objects.select_for_update().select_related("owning_unit").get(pk=entry.pk)
    _may_edit(by, entry.owning_unit)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写撤下原因"), field="reason")
    if len(reason) > MAX_NOTE:
        raise DomainError(_("撤下原因不能超过 %(max)d 个字") % {"max": MAX_NOTE}, field="reason")
    if entry.status == EntryStatus.WITHDRAWN:
        raise DomainError(_("该知识条目已撤下"), field="entry")
    entry.status = EntryStatus.WITHDRAWN
    entry.version += 1
    entry.save()
    _snapshot(entry, by=by, at=timezone.now(), note=reason)
    bump_generation()
    return entry


@transaction.atomic
def entry_restore(*, entry: KnowledgeEntry, by: Person, note: str = "") -> KnowledgeEntry:
    """Put a withdrawn entry back in use; a new version. Its dates still apply: an entry that expired
    or fell overdue while withdrawn stays hidden from operators until it is edited or reviewed."""
    _active(by)
    entry = KnowledgeEntry.objects.select_for_update().select_related("owning_unit").get(pk=entry.pk)
    _may_edit(by, entry.owning_unit)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_("说明不能超过 %(max)d 个字") % {"max": MAX_NOTE}, field="note")
    if entry.status != EntryStatus.WITHDRAWN:
        raise DomainError(_("该知识条目在用，无需恢复"), field="entry")
    entry.status = EntryStatus.ACTIVE
    entry.version += 1
    entry.save()
    _snapshot(entry, by=by, at=timezone.now(), note=note or _("恢复在用"))
    bump_generation()
    return entry
