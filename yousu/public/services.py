"""Publishing typical cases (典型案例): removing the citizen's personal data from a text, and the
supervisor's explicit act of publishing a settled appeal or withdrawing it again.

Two layers keep personal data off the public page. `redact()` rewrites what it can recognise (phone
numbers, ID-card numbers, e-mail addresses, the citizen's name, house numbers) and leaves the rest of
the text as written. `personal_data_left()` then looks for the appeal's own citizen name and phone
number in a normalised form of the result (separators dropped, Chinese digits read as digits), which
catches what no pattern can rewrite safely, such as a phone number spelt 一三八…; publishing is refused
naming the field, and the supervisor rewords it.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yousu.appeals.choices import AppealStatus
from yousu.appeals.events import record_event
from yousu.appeals.models import Appeal
from yousu.core.errors import DomainError, PermissionRefused
from yousu.dispatch.choices import OrderRole
from yousu.dispatch.models import Order
from yousu.org.choices import Level, RoleCode
from yousu.org.models import Person
from yousu.org.selectors import jurisdiction_of, sees_every_jurisdiction

from .models import TypicalCase

# An appeal is settled when nothing can reopen it: closed after the callback, or answered at intake.
SETTLED_STATUSES = (AppealStatus.CLOSED, AppealStatus.ANSWERED_AT_INTAKE)
PUBLISHER_ROLES = (RoleCode.SUPERVISOR, RoleCode.ADMINISTRATOR)
LIMITS = {"title": 200, "summary": 5000, "outcome": 5000, "reason": 2000}

# What a redacted part becomes. Stored text, so fixed Chinese markers rather than the reader's language.
PHONE_MARK = "【电话】"
ID_MARK = "【身份证号】"
EMAIL_MARK = "【邮箱】"
HOUSE_MARK = "【门牌号】"

D = "[0-9０-９]"
SEP = r"[ \-－]"
NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
NOT_DIGIT_AFTER = r"(?![0-9０-９])"
ID_CARD = re.compile(
    NOT_DIGIT_BEFORE
    + rf"(?:{D}{{6}}{SEP}?{D}{{8}}{SEP}?{D}{{3}}[0-9０-９XxＸｘ](?![A-Za-z])|{D}{{15}}{NOT_DIGIT_AFTER})"
    + NOT_DIGIT_AFTER
)
MOBILE = re.compile(
    NOT_DIGIT_BEFORE
    + rf"(?:[+＋]?[8８][6６]{SEP}?)?[1１][3-9３-９]{D}{SEP}?{D}{{4}}{SEP}?{D}{{4}}"
    + NOT_DIGIT_AFTER
)
LANDLINE = re.compile(
    NOT_DIGIT_BEFORE + rf"(?:[(（]?[0０]{D}{{2,3}}[)）]?{SEP}?){D}{{3,4}}{SEP}?{D}{{4}}" + NOT_DIGIT_AFTER
)
# A local number without an area code looks like any other number; only a word that announces a
# contact ("电话 8123 4567", "微信号 …") marks it as one.
ANNOUNCED_NUMBER = re.compile(
    r"((?:电话|手机|座机|联系方式|微信号?|QQ|qq|tel|Tel|TEL)(?:号码?)?[:：\s]*)"
    rf"(?:{D}(?:{SEP}?{D}){{4,}}|[A-Za-z][A-Za-z0-9_\-]{{4,}})"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# House numbers: "88号", "3号楼2单元501室", "5栋3-201", "A座1203". A part is a number (or one letter)
# and a unit word; what follows a first part may be a bare number ("2单元501"). Not a house number:
# a day ("10月1号"), a metro line ("2号线"), an ordinal ("第3号"), a count of households ("30户").
# Chinese numerals only with 号/号楼/号院/单元, since "一栋楼" and "两层" are ordinary words.
_NUMBER = rf"{D}+(?:[-－]{D}+)*"
_HOUSE_UNIT = r"(?:号楼|号院|号(?![线码召称外])|栋|幢|座|单元|楼(?![上下道顶梯房])|层|室)"
_HOUSE_PART = rf"(?:(?:{_NUMBER}|[A-Za-zＡ-Ｚａ-ｚ])\s*{_HOUSE_UNIT}|[一二三四五六七八九十]+(?:号楼|号院|号(?![线码召称外])|单元))"
HOUSE = re.compile(
    r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ第月年日一二三四五六七八九十.])"
    + _HOUSE_PART
    + rf"(?:\s*(?:{_HOUSE_PART}|{_NUMBER}(?![0-9０-９]|\s*[元年月日天时分秒个件次岁%％])))*"
)

CHINESE_DIGITS = str.maketrans(
    "零〇一幺二两三四五六七八九０１２３４５６７８９", "0011223456789" + "0123456789"
)
# Between digits, anything a writer may put to break a number apart.
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s\-－—_.,，。、·・/\\|()（）\[\]【】*＊]+(?=\d)")
_NOT_WORD = re.compile(r"[\W_]+")


def redact(text: str, *, names: tuple[str, ...] = ()) -> str:
    """The text with phone numbers, ID-card numbers, e-mail addresses, the given people's names and
    house numbers replaced. A name becomes its surname and 某 ("王小明" → "王某"), as public notices
    write it; a given name of two or more characters standing alone becomes 某. Running it twice
    changes nothing more."""
    text = text or ""
    text = EMAIL.sub(EMAIL_MARK, text)
    # ID cards before phones: an 18-digit ID holds an 11-digit run that looks like a mobile number.
    text = ID_CARD.sub(ID_MARK, text)
    text = MOBILE.sub(PHONE_MARK, text)
    text = LANDLINE.sub(PHONE_MARK, text)
    text = ANNOUNCED_NUMBER.sub(lambda match: match.group(1) + PHONE_MARK, text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        spaced = r"[\s·・]*".join(re.escape(ch) for ch in name)
        text = re.sub(spaced, lambda _match, name=name: name[0] + "某", text)
        given = name[1:]
        if len(given) >= 2:
            text = re.sub(r"[\s·・]*".join(re.escape(ch) for ch in given), lambda _match: "某", text)
    return HOUSE.sub(HOUSE_MARK, text)


def _digits_joined(text: str) -> str:
    return _BETWEEN_DIGITS.sub("", text.translate(CHINESE_DIGITS))


def personal_data_left(appeal: Appeal, **texts: str) -> tuple[str, str] | None:
    """The first (field, what) among `texts` that still shows the appeal's citizen name or phone."""
    name = (appeal.citizen_name or "").strip()
    phone = re.sub(r"\D", "", (appeal.citizen_phone or "").translate(CHINESE_DIGITS))
    if len(phone) == 13 and phone.startswith("86"):
        phone = phone[2:]  # stored with the country code, written without it
    for field, text in texts.items():
        if len(name) >= 2 and _NOT_WORD.sub("", name) in _NOT_WORD.sub("", text):
            return field, _("诉求人姓名")
        # Seven digits is a local number's length: shorter tails are too common to mean a phone.
        if len(phone) >= 7 and phone in _digits_joined(text):
            return field, _("诉求人电话")
    return None


# ---------------------------------------------------------------- publishing


def may_publish(person: Person | None) -> bool:
    if person is None or not person.is_authenticated or not person.is_active:
        return False
    # Not a superuser as such: publishing speaks for the platform, the flag only maintains data.
    return person.has_role(*PUBLISHER_ROLES)


def _check_publisher(person: Person, appeal: Appeal | None = None) -> None:
    if not may_publish(person):
        raise PermissionRefused(_("只有督办员或系统管理员可以发布或撤下典型案例"), field="by")
    if appeal is not None and not sees_every_jurisdiction(person):
        own = jurisdiction_of(person)
        if own is None or own.pk != appeal.jurisdiction_id:
            # A city publishes its own cases only (docs/jurisdictions.md).
            raise PermissionRefused(_("只能发布或撤下本辖区的典型案例"), field="appeal")


def _text(value, field: str, label: str, names: tuple[str, ...] | None = None) -> str:
    """The text trimmed, and redacted when `names` are given; empty or (after redaction, whose marks
    can be longer than what they replace) too long is refused naming the field."""
    if not isinstance(value, str) or not value.strip():
        raise DomainError(_("请填写%(label)s") % {"label": label}, field=field)
    value = value.strip() if names is None else redact(value.strip(), names=names)
    if len(value) > LIMITS[field]:
        raise DomainError(_("不能超过 %(n)d 个字符") % {"n": LIMITS[field]}, field=field)
    return value


def settled_month(appeal: Appeal) -> dt.date:
    """The month the appeal's handling ended: its lead order's (last) completion, or its intake answer."""
    completed = (
        Order.objects.filter(appeal=appeal, role=OrderRole.LEAD, completed_at__isnull=False)
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    moment = completed or appeal.received_at
    return timezone.localtime(moment).date().replace(day=1)


def default_texts(appeal: Appeal) -> dict[str, str]:
    """What a supervisor starts from: the appeal's title and content and the unit's reply, redacted."""
    reply = (
        Order.objects.filter(appeal=appeal, role=OrderRole.LEAD)
        .exclude(reply_text="")
        .order_by("-completed_at", "-id")
        .values_list("reply_text", flat=True)
        .first()
    ) or appeal.intake_answer
    names = (appeal.citizen_name,)
    return {
        "title": redact(appeal.title, names=names)[: LIMITS["title"]],
        "summary": redact(appeal.content, names=names),
        "outcome": redact(reply or "", names=names),
    }


@transaction.atomic
def typical_case_publish(
    *, appeal: Appeal, by: Person, title: str, summary: str, outcome: str
) -> TypicalCase:
    """A supervisor publishes a settled appeal as a typical case. The texts are redacted once more
    here, whatever the form showed, and refused if they still show the citizen's name or phone."""
    _check_publisher(by)
    names = (appeal.citizen_name,)
    texts = {
        "title": _text(title, "title", _("标题"), names),
        "summary": _text(summary, "summary", _("公开摘要"), names),
        "outcome": _text(outcome, "outcome", _("办理结果"), names),
    }
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("area", "item").get(pk=appeal.pk)
    _check_publisher(by, appeal)
    if appeal.status not in SETTLED_STATUSES:
        raise DomainError(
            _("诉求“%(code)s”尚未结案（%(status)s），只能发布已结案的诉求")
            % {"code": appeal.code, "status": appeal.get_status_display()},
            field="appeal",
        )
    if appeal.confidential:
        raise DomainError(_("保密诉求不能作为典型案例公开"), field="appeal")
    if TypicalCase.objects.filter(appeal=appeal, withdrawn_at__isnull=True).exists():
        raise DomainError(_("该诉求已发布为典型案例，如需修改请先撤下"), field="appeal")
    left = personal_data_left(appeal, **texts)
    if left is not None:
        field, what = left
        raise DomainError(
            _("公开文字中仍含有%(what)s，请改写后再发布") % {"what": what},
            field=field,
        )
    area = appeal.area
    try:
        with transaction.atomic():
            case = TypicalCase.objects.create(
                appeal=appeal,
                **texts,
                item=appeal.item,
                district=area.ancestor_at(Level.DISTRICT) if area else None,
                street=area.ancestor_at(Level.STREET) if area else None,
                month=settled_month(appeal),
                published_by=by,
                published_at=timezone.now(),
            )
    except IntegrityError as exc:  # another supervisor published it at the same moment
        raise DomainError(_("该诉求已发布为典型案例，如需修改请先撤下"), field="appeal") from exc
    record_event(appeal, "typical_case_published", actor=by, payload={"case": case.pk, "title": case.title})
    return case


@transaction.atomic
def typical_case_withdraw(*, case: TypicalCase, by: Person, reason: str) -> TypicalCase:
    """Take a case off the public page; the row stays, with who withdrew it, when and why."""
    _check_publisher(by)
    reason = _text(reason, "reason", _("撤下理由"))
    case = TypicalCase.objects.select_for_update(of=("self",)).select_related("appeal").get(pk=case.pk)
    _check_publisher(by, case.appeal)
    if case.withdrawn_at is not None:
        raise DomainError(
            _("该案例已于 %(at)s 撤下") % {"at": f"{case.withdrawn_at:%Y-%m-%d %H:%M}"}, field="case"
        )
    case.withdrawn_at, case.withdrawn_by, case.withdrawal_reason = timezone.now(), by, reason
    case.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record_event(case.appeal, "typical_case_withdrawn", actor=by, reason=reason, payload={"case": case.pk})
    return case
