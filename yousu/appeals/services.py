"""Intake services: create an appeal on any channel, answer an inquiry on the spot, link a duplicate,
attach files. Each service validates first, writes in one transaction, and records an Event."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError, PermissionRefused
from yousu.core.files import discard_uncommitted, save_in_transaction
from yousu.core.phones import normalise_phone
from yousu.core.storable import storable
from yousu.org.choices import PLATFORM_KINDS, RoleCode
from yousu.org.models import Area, Person, Unit
from yousu.org.selectors import area_for_point, jurisdiction_of_area

from .choices import AppealStatus, Channel
from .events import record_event
from .models import Appeal, Attachment, DailySequence
from .selectors import check_reach

MAX_TITLE = 200
# Later stages (automatic dispatch) learn of a new appeal through these, each called with the
# appeal's id once the intake has committed; they register from their AppConfig.ready().
RECEIVED_HOOKS: list[Callable[[int], None]] = []
# The code prefix of a jurisdiction whose city area has none set.
DEFAULT_CODE_PREFIX = "YS"
MAX_CONTENT = 4000
# Extension → MIME types the file's own bytes may show; text-like files have no signature.
ALLOWED_ATTACHMENTS = {
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "png": {"image/png"},
    "gif": {"image/gif"},
    "webp": {"image/webp"},
    "pdf": {"application/pdf"},
    "mp3": {"audio/mpeg"},
    "amr": {"audio/amr"},
    "wav": {"audio/x-wav", "audio/wav"},
    "mp4": {"video/mp4"},
    "docx": {"application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    "xlsx": {"application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
}


MAX_ATTACHMENT_NAME = Attachment._meta.get_field("name").max_length


def max_attachment_bytes() -> int:
    return getattr(settings, "YOUSU_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)


@dataclass
class AttachmentIn:
    name: str
    data: bytes


def _next_code(*, root_area_code: str, day: dt.date) -> str:
    """The next appeal code of the jurisdiction whose root area is given, for a local day.

    One statement takes the number: it reads the root area's prefix and increments that day's
    counter, whose row it then holds locked until the intake commits. So two intakes at once get
    different numbers, a failed intake gives its number back (no gaps), and a prefix changed a
    moment ago is used at once, without a cache to keep in step.
    """
    connection = connections[router.db_for_write(DailySequence)]
    if not connection.features.can_return_columns_from_insert:
        return _next_code_without_returning(root_area_code=root_area_code, day=day)
    q = connection.ops.quote_name
    counter, area = q(DailySequence._meta.db_table), q(Area._meta.db_table)
    prefix_of_root = (
        f"COALESCE((SELECT NULLIF({q('appeal_code_prefix')}, '') FROM {area} WHERE {q('code')} = %s), "
        f"'{DEFAULT_CODE_PREFIX}')"
    )
    day_value = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {counter} SET {q('last')} = {q('last')} + 1 "
            f"WHERE {q('day')} = %s AND {q('prefix')} = {prefix_of_root} "
            f"RETURNING {q('prefix')}, {q('last')}",
            [day_value, root_area_code],
        )
        row = cursor.fetchone()
        if row is None:
            # The day's first appeal. Another intake may insert the row between our UPDATE and this
            # INSERT: the conflict clause then counts on from its number instead of failing.
            # (WHERE TRUE: SQLite needs it to tell this ON CONFLICT from a join's ON.)
            cursor.execute(
                f"INSERT INTO {counter} ({q('prefix')}, {q('day')}, {q('last')}) "
                f"SELECT {prefix_of_root}, %s, 1 WHERE TRUE "
                f"ON CONFLICT ({q('prefix')}, {q('day')}) DO UPDATE SET {q('last')} = {counter}.{q('last')} + 1 "
                f"RETURNING {q('prefix')}, {q('last')}",
                [root_area_code, day_value],
            )
            row = cursor.fetchone()
    prefix, number = row
    return f"{prefix}{day:%Y%m%d}{number:06d}"


def _next_code_without_returning(*, root_area_code: str, day: dt.date) -> str:
    # SQLite before 3.35 has no RETURNING. Its intakes are serialised anyway: the project opens
    # SQLite transactions IMMEDIATE, so the write lock is held from the start to the commit.
    prefix = (
        Area.objects.filter(code=root_area_code).values_list("appeal_code_prefix", flat=True).first()
        or DEFAULT_CODE_PREFIX
    )
    sequence, _created = DailySequence.objects.get_or_create(prefix=prefix, day=day)
    DailySequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    number = DailySequence.objects.values_list("last", flat=True).get(pk=sequence.pk)
    return f"{prefix}{day:%Y%m%d}{number:06d}"


def _appeal_with_key(channel: str, idempotency_key: str) -> Appeal | None:
    # Resubmissions are rare: ask whether there is one (cheaper to build and run) before loading it.
    appeals = Appeal.objects.filter(channel=channel, idempotency_key=idempotency_key)
    return appeals.first() if appeals.exists() else None


class IdempotencyKeyTaken(DomainError):
    """Another caller used this idempotency key: a replay is answered to the caller who used it only."""

    code = "conflict"


# Who else a key belongs to, besides the unit that received the appeal: a check of the first appeal
# (the portal's citizen: the same phone; an Open311 client: the same API key).
KeyOwner = Callable[[Appeal], bool]


def _replay_of(existing: Appeal, *, intake_unit: Unit | None, owner: KeyOwner | None) -> Appeal:
    """The first appeal, if the resubmission comes from the caller who used the key; anyone else is
    refused and told nothing of it. A key is unique per channel, not per caller, so without this check
    the key worked as a credential: posting another platform's key returned its appeal."""
    same_unit = intake_unit is None or existing.intake_unit_id == intake_unit.pk
    if not same_unit or (owner is not None and not owner(existing)):
        raise IdempotencyKeyTaken(
            _("这个幂等键已被其他调用方使用：每次新的提交请使用新的幂等键"), field="idempotency_key"
        )
    return existing


def appeal_replayed(
    *, channel: str, idempotency_key: str, intake_unit: Unit | None = None, owner: KeyOwner | None = None
) -> Appeal | None:
    """The appeal that a submission with this key repeats (None for a key not used on the channel):
    the caller's own, or IdempotencyKeyTaken (409) for a key another caller used. `intake_unit` None
    leaves the unit to appeal_create's own check (the portal asks before it knows the city)."""
    existing = _appeal_with_key(channel, idempotency_key) if idempotency_key else None
    if existing is None:
        return None
    return _replay_of(existing, intake_unit=intake_unit, owner=owner)


def clean_text(value, field: str, *, limit: int, required: bool = True) -> str:
    """A text field as received: stripped, required unless said otherwise, at most `limit` long."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError("应为文本", field=field)
    value = value.strip()
    if required and not value:
        raise DomainError("不能为空", field=field)
    if len(value) > limit:
        raise DomainError(f"不能超过 {limit} 个字符（现有 {len(value)} 个）", field=field)
    return value


def _coordinate(value, field: str, *, limit: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise DomainError("经纬度应为数字", field=field) from None
    if not -limit <= value <= limit:  # NaN fails this too
        raise DomainError("经纬度超出范围", field=field)
    return value


INTAKE_ROLES = (RoleCode.OPERATOR, RoleCode.ADMINISTRATOR)
# Who else may record an appeal on a channel of their own: grid workers report from their grids,
# unit staff record what they found themselves (未诉先办).
CHANNEL_ROLES = {
    Channel.GRID_REPORT: (RoleCode.GRID_WORKER,),
    Channel.PROACTIVE: (RoleCode.GRID_WORKER, RoleCode.UNIT_HANDLER, RoleCode.UNIT_LEADER),
}


def _may_take_in(person: Person, channel: str | None = None) -> bool:
    # Not a superuser as such: the flag maintains data and receives no appeal in a unit's name
    # (docs/accounts.md).
    if person.has_role(*INTAKE_ROLES):
        return True
    if person.has_role(RoleCode.DISPATCHER) and person.unit and person.unit.kind in PLATFORM_KINDS:
        return True
    return bool(channel) and person.has_role(*CHANNEL_ROLES.get(channel, ()))


def may_take_in(person: Person) -> bool:
    """Whether the person may receive appeals at the workbench (the pages ask before showing it)."""
    return person.is_authenticated and person.is_active and _may_take_in(person)


def _check_intake_person(person: Person | None, channel: str | None, what: str) -> None:
    if person is None:
        return
    if not person.is_active or not _may_take_in(person, channel):
        raise PermissionRefused(f"只有接线员、平台派单员或系统管理员可以{what}", field="by")


def _check_in_jurisdiction(
    jurisdiction: Area, *, area: Area | None = None, item: CatalogItem | None = None
) -> None:
    """An appeal's place and item belong to the jurisdiction whose platform received it: another
    city's appeal is that city's platform's to receive, and a city's local item is only its own."""
    if area is not None and not area.path.startswith(jurisdiction.path):
        raise DomainError(
            f"区域“{area.name}”不在{jurisdiction.name}辖区内，应由其所在城市的平台受理", field="area"
        )
    if item is not None and not item.is_available_in(jurisdiction):
        raise DomainError(f"事项 {item.code} 是其他辖区的地方事项，本辖区不能使用", field="item")


def appeal_create(
    *,
    kind: str,
    channel: str,
    title: str,
    content: str,
    intake_unit: Unit,
    received_by: Person | None = None,
    address: str = "",
    longitude: float | None = None,
    latitude: float | None = None,
    area: Area | None = None,
    item: CatalogItem | None = None,
    citizen_name: str = "",
    citizen_phone: str = "",
    anonymous: bool = False,
    confidential: bool = False,
    received_at: dt.datetime | None = None,
    idempotency_key: str = "",
    idempotency_owner: KeyOwner | None = None,
    attachments: list[AttachmentIn] | None = None,
) -> Appeal:
    """Receive an appeal once. With an idempotency key already used on this channel by the same caller
    (the same intake unit and, where one is given, `idempotency_owner`'s check: the portal's citizen, an
    Open311 client), the first appeal is returned unchanged (a resubmission is not a new appeal); a key
    another caller used is refused with IdempotencyKeyTaken.

    Everything is checked before anything is written; the writes (number, appeal, event, files)
    are one transaction."""
    if channel not in Channel.values:
        raise DomainError(f"未知的渠道：{channel}", field="channel")
    if kind not in AppealKind.values:
        raise DomainError(f"未知的诉求类型：{kind}", field="kind")
    _check_intake_person(received_by, channel, "受理诉求")
    if received_by is None and channel == Channel.HOTLINE:
        raise DomainError("热线诉求须记录受理的接线员", field="received_by")
    idempotency_key = clean_text(idempotency_key, "idempotency_key", limit=100, required=False)
    if idempotency_key:
        existing = _appeal_with_key(channel, idempotency_key)
        if existing:
            return _replay_of(existing, intake_unit=intake_unit, owner=idempotency_owner)
    title = clean_text(title, "title", limit=MAX_TITLE)
    content = clean_text(content, "content", limit=MAX_CONTENT)
    address = clean_text(address, "address", limit=300, required=False)
    citizen_name = clean_text(citizen_name, "citizen_name", limit=60, required=False)
    # One stored form (yousu.core.phones), so limits, tracking and callbacks see one number.
    citizen_phone = normalise_phone(citizen_phone, field="citizen_phone")
    if anonymous:
        citizen_name = citizen_phone = ""
    elif not citizen_phone and channel == Channel.HOTLINE:
        raise DomainError("热线来电须记录回访电话（或标记为匿名）", field="citizen_phone")
    if (longitude is None) != (latitude is None):
        raise DomainError("经纬度须同时填写", field="longitude" if longitude is None else "latitude")
    if longitude is not None:
        longitude = _coordinate(longitude, "longitude", limit=180)
        latitude = _coordinate(latitude, "latitude", limit=90)
        if area is None:
            area = area_for_point(longitude, latitude, within=jurisdiction_of_area(intake_unit.area))
    if item is not None and item.level != 3:
        raise DomainError("请选择三级事项", field="item")
    jurisdiction = jurisdiction_of_area(intake_unit.area)
    _check_in_jurisdiction(jurisdiction, area=area, item=item)
    # Every file is checked before anything is written, so a bad one leaves no stray file behind.
    attachments = attachments_check(attachments)
    received_at = received_at or timezone.now()
    appeal = Appeal(
        kind=kind,
        channel=channel,
        title=title,
        content=content,
        address=address,
        longitude=longitude,
        latitude=latitude,
        area=area,
        item=item,
        citizen_name=citizen_name,
        citizen_phone=citizen_phone,
        anonymous=anonymous,
        confidential=confidential,
        received_at=received_at,
        idempotency_key=idempotency_key,
        received_by=received_by,
        intake_unit=intake_unit,
        jurisdiction=jurisdiction,
    )
    root_area_code = jurisdiction.code
    try:
        # Only writes from here on: the day's counter stays locked from numbering to commit, so
        # every other intake of the jurisdiction waits for as little as possible. Outside any
        # transaction this block is the transaction itself; inside one, a savepoint.
        with transaction.atomic():
            appeal.code = _next_code(root_area_code=root_area_code, day=timezone.localdate(received_at))
            appeal.save()
            record_event(
                appeal,
                "received",
                actor=received_by,
                to_state=appeal.status,
                payload={"channel": channel, "kind": kind},
            )
            for attachment in attachments:
                attachment_add(appeal=appeal, attachment=attachment, by=received_by)
    except IntegrityError:
        # Two submissions with one key raced; the other one won and is the appeal. Everything
        # this one wrote, its number included, was rolled back.
        existing = _appeal_with_key(channel, idempotency_key) if idempotency_key else None
        if existing:
            return _replay_of(existing, intake_unit=intake_unit, owner=idempotency_owner)
        raise
    finally:
        # The files of an intake that did not commit go now, not only when the request ends: their
        # folder is the code's, which the next appeal gets back (yousu.core.files).
        discard_uncommitted()
    for hook in RECEIVED_HOOKS:
        # After commit, so a later stage's work (an automatic dispatch) can never undo the intake.
        transaction.on_commit(functools.partial(hook, appeal.pk))
    return appeal


@transaction.atomic
def appeal_answer_at_intake(
    *, appeal: Appeal, answer: str = "", by: Person | None, knowledge_entry=None
) -> Appeal:
    """直接办结: the operator answered an inquiry on the spot; no order is created.

    With `knowledge_entry` (a yousu.knowledge KnowledgeEntry the operator picked) the answer may be
    left empty: the entry's answer is given. The entry and its version are recorded with the answer
    (yousu.knowledge.answers), and the citizen is later asked whether it helped."""
    from yousu.knowledge.answers import answer_text_of, intake_answer_record

    if by is None:
        raise PermissionRefused("当场答复须记录答复人", field="by")
    _check_intake_person(by, None, "当场答复办结")
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if knowledge_entry is not None and not (answer or "").strip():
        answer = answer_text_of(knowledge_entry)
    answer = clean_text(answer, "answer", limit=MAX_CONTENT)
    if appeal.kind != AppealKind.INQUIRY:
        raise DomainError("只有咨询类诉求可以当场答复办结", field="kind")
    if appeal.status != AppealStatus.RECEIVED:
        raise DomainError(f"诉求当前为“{appeal.get_status_display()}”，不能当场办结", field="status")
    before = appeal.status
    appeal.intake_answer = answer
    appeal.status = AppealStatus.ANSWERED_AT_INTAKE
    appeal.save(update_fields=["intake_answer", "status", "updated_at"])
    record = intake_answer_record(appeal=appeal, by=by, entry=knowledge_entry)
    payload = {"answer": answer}
    if record.entry_id is not None:
        payload.update(entry=record.entry_id, entry_version=record.entry_version)
    record_event(
        appeal,
        "answered_at_intake",
        actor=by,
        from_state=before,
        to_state=appeal.status,
        payload=payload,
    )
    return appeal


def appeal_take_in(
    *,
    answer: str = "",
    knowledge_entry=None,
    duplicate_of: Appeal | None = None,
    link_reason: str = "",
    **fields,
) -> Appeal:
    """One submit at the operator's workbench: receive the appeal and, in the same transaction,
    answer it on the spot (直接办结) or link it to the open appeal it repeats (并案).

    The choices are checked before anything is written, and a refusal of the second step rolls the
    intake back: the operator corrects the form and submits again, and no appeal is left half-done
    (received but neither answered nor linked) behind the citizen's back."""
    answer = (answer or "").strip()
    answering = bool(answer) or knowledge_entry is not None
    if answering and duplicate_of is not None:
        raise DomainError("当场答复办结与并案只能选其一", field="answer")
    if answering and fields.get("kind") != AppealKind.INQUIRY:
        raise DomainError("只有咨询类诉求可以当场答复办结", field="answer")
    by = fields.get("received_by")
    with transaction.atomic():
        appeal = appeal_create(**fields)
        if appeal.status != AppealStatus.RECEIVED:
            # The idempotency key was used before and that appeal has moved on: a resubmission of
            # the same form changes nothing.
            return appeal
        if answering:
            return appeal_answer_at_intake(
                appeal=appeal, answer=answer, by=by, knowledge_entry=knowledge_entry
            )
        if duplicate_of is not None:
            return appeal_link_duplicate(appeal=appeal, original=duplicate_of, by=by, reason=link_reason)
    return appeal


@transaction.atomic
def appeal_link_duplicate(*, appeal: Appeal, original: Appeal, by: Person | None, reason: str = "") -> Appeal:
    """The new appeal follows the open one: no second dispatch, its own callback later. The person
    must reach both appeals (appeals_visible_to): a link would otherwise show them the other one."""
    _check_intake_person(by, None, "并案")
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    original = Appeal.objects.get(pk=original.pk)
    check_reach(by, [appeal], field="appeal")
    check_reach(by, [original], field="original")
    if appeal.status != AppealStatus.RECEIVED:
        raise DomainError("只有尚未派单的诉求可以并案", field="status")
    while original.duplicate_of_id:  # always link to the appeal that is actually handled
        original = original.duplicate_of
    # Checked after following the links: linking to one of its own duplicates would make a cycle.
    if appeal.pk == original.pk:
        raise DomainError("不能与自身并案", field="original")
    if appeal.jurisdiction_id != original.jurisdiction_id:
        raise DomainError(f"诉求 {original.code} 属于其他辖区，不能并案", field="original")
    if not original.is_open:
        raise DomainError(
            f"诉求 {original.code} 已{original.get_status_display()}，不能并入", field="original"
        )
    appeal.duplicate_of = original
    before = appeal.status
    appeal.status = AppealStatus.LINKED
    takes_item = appeal.item_id is None and original.item_id is not None
    if takes_item:
        appeal.item = original.item
    appeal.save(update_fields=["duplicate_of", "status", "item", "updated_at"])
    if takes_item:
        # Every change of an appeal's item is an event, as in appeal_set_item: figures counted by
        # item (the dashboard's categories) follow the log, and a recount from it gives the same.
        record_event(appeal, "item_set", actor=by, payload={"from": "", "to": original.item.code})
    record_event(
        appeal,
        "linked_duplicate",
        actor=by,
        from_state=before,
        to_state=appeal.status,
        reason=reason,
        payload={"original": original.code},
    )
    record_event(original, "duplicate_attached", actor=by, payload={"duplicate": appeal.code})
    return appeal


@transaction.atomic
def appeal_set_item(*, appeal: Appeal, item: CatalogItem, by: Person | None) -> Appeal:
    if item.level != 3:
        raise DomainError("请选择三级事项", field="item")
    appeal = Appeal.objects.select_for_update().select_related("jurisdiction").get(pk=appeal.pk)
    _check_in_jurisdiction(appeal.jurisdiction, item=item)
    old = appeal.item.code if appeal.item else ""
    appeal.item = item
    appeal.save(update_fields=["item", "updated_at"])
    record_event(appeal, "item_set", actor=by, payload={"from": old, "to": item.code})
    return appeal


def _attachment_in(attachment: AttachmentIn | UploadedFile) -> AttachmentIn:
    if isinstance(attachment, UploadedFile):
        attachment.seek(0)
        return AttachmentIn(name=attachment.name or "", data=attachment.read())
    return attachment


def attachments_check(attachments: list[AttachmentIn | UploadedFile] | None) -> list[AttachmentIn]:
    """Check every file (as attachment_add does) before any is stored; the files, read once."""
    files = [_attachment_in(attachment) for attachment in attachments or []]
    for attachment in files:
        _checked(attachment)
    return files


def _checked(attachment: AttachmentIn) -> tuple[str, bytes, str]:
    """(file name, bytes, detected type) after checking size, extension and that the bytes match it.
    A name longer than the row keeps is shortened, its extension kept."""
    data = attachment.data
    name = (attachment.name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not storable(name):
        # A NUL cannot be in a file name on disk, nor either of them in the database.
        raise DomainError(
            _("附件的文件名含有无法保存的字符（空字符或不成对的代理字符），请改名后重试"), field="attachments"
        )
    if not name or "." not in name:
        raise DomainError("附件须有带扩展名的文件名", field="attachments")
    extension = name.rsplit(".", 1)[1].lower()
    if extension not in ALLOWED_ATTACHMENTS:
        raise DomainError(
            f"不接受 .{extension} 文件；可上传：{'、'.join(sorted(ALLOWED_ATTACHMENTS))}", field="attachments"
        )
    if len(name) > MAX_ATTACHMENT_NAME:
        # A phone or a script may send a name of any length; a longer one than the row keeps failed
        # the insert on PostgreSQL, after the file was written.
        stem, given_extension = name.rsplit(".", 1)
        name = f"{stem[: MAX_ATTACHMENT_NAME - len(given_extension) - 1].rstrip()}.{given_extension}"
    if not data:
        raise DomainError(f"附件 {name} 是空文件", field="attachments")
    if len(data) > max_attachment_bytes():
        raise DomainError(
            f"附件 {name} 超过 {max_attachment_bytes() // (1024 * 1024)} MB", field="attachments"
        )
    guessed = filetype.guess(data)
    if guessed is None or guessed.mime not in ALLOWED_ATTACHMENTS[extension]:
        raise DomainError(f"附件 {name} 的内容与扩展名 .{extension} 不符", field="attachments")
    return name, data, guessed.mime


def attachment_add(
    *, appeal: Appeal, attachment: AttachmentIn | UploadedFile, by: Person | None, order_id: int | None = None
) -> Attachment:
    """Store a file after checking its size, its extension and that its bytes match the extension."""
    from django.core.files.base import ContentFile

    name, data, mime = _checked(_attachment_in(attachment))
    try:
        with transaction.atomic():
            stored = Attachment(
                appeal=appeal,
                order_id=order_id,
                name=name,
                content_type=mime,
                size=len(data),
                uploaded_by=by,
            )
            # Deleted again if this transaction, or the caller's around it, does not commit: the
            # folder is the appeal code's, which a rolled-back intake gives to the next appeal.
            save_in_transaction(stored.file, name, ContentFile(data))
            stored.save()
            record_event(
                appeal,
                "attachment_added",
                actor=by,
                order_id=order_id,
                payload={"name": name, "size": len(data), "type": mime},
            )
    except BaseException:
        discard_uncommitted()
        raise
    return stored
