"""The citizen portal's share of intake (市民端): a citizen submits an appeal online, and later finds it
again by its code and the phone number given with it.

The citizen is nobody the platform knows, so the rules that stand in for a signed-in operator live
here: a phone number is required (it is the citizen's key to tracking and the callback), submissions
and look-ups are rate-limited (yousu.appeals.limits), a form a script filled in is refused, and a
look-up answers the same whether the code is unknown or the phone does not match it.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.utils.translation import gettext as _

from yousu.catalog.choices import AppealKind
from yousu.core.errors import DomainError, NotFound
from yousu.core.phones import normalise_phone, same_phone
from yousu.org.choices import UnitKind
from yousu.org.models import Area, Unit
from yousu.org.selectors import area_for_point, jurisdiction_of_area, jurisdictions

from . import limits
from .choices import Channel
from .models import Appeal
from .services import MAX_TITLE, appeal_create, appeal_replayed

# Online, the citizen reaches the platform through its web portal.
PORTAL_CHANNEL = Channel.WEB
# Kinds about something at a place: without the place nobody can be sent there.
PLACE_REQUIRED_KINDS = (AppealKind.HELP, AppealKind.COMPLAINT, AppealKind.REPORT)
DERIVED_TITLE_LENGTH = 30


class SpamRefused(DomainError):
    """The form's hidden trap field was filled in: a script, not a person, submitted it."""

    code = "spam"


def _not_found() -> NotFound:
    # One message for an unknown code and for a wrong phone, so a look-up never tells which it was.
    return NotFound(_("没有找到与该编号和手机号码相符的诉求，请核对后再试"), field="code")


def phone_matches(appeal: Appeal, phone: str) -> bool:
    """Whether `phone` is the number the appeal was submitted with, however either was written
    (+86…, 0086…, spaces: yousu.core.phones); an anonymous appeal has none."""
    return same_phone(appeal.citizen_phone, phone)


def portal_intake_unit(city: Area | None = None) -> Unit:
    """The platform that receives online appeals (of `city`, when the deployment serves several): the
    unit YOUSU_CITIZEN_INTAKE_UNIT names (one code per city, comma-separated), or the city's one active
    city platform."""
    setting = getattr(settings, "YOUSU_CITIZEN_INTAKE_UNIT", "")
    codes = [c.strip() for c in (setting.split(",") if isinstance(setting, str) else setting) if c.strip()]
    units = Unit.objects.filter(is_active=True).select_related("area")
    if codes:
        candidates = list(units.filter(code__in=codes))
        if len(candidates) != len(set(codes)):
            raise DomainError(_("YOUSU_CITIZEN_INTAKE_UNIT 指定的受理单位不存在或已停用"), field=None)
    else:
        candidates = list(units.filter(kind=UnitKind.CITY_PLATFORM))
    if city is not None:
        candidates = [unit for unit in candidates if unit.area.path.startswith(city.path)]
        if len(candidates) != 1:
            raise DomainError(_("%(city)s 暂未开通网上受理") % {"city": city.name}, field="jurisdiction")
        return candidates[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise DomainError(_("暂未开通网上受理：请设置 YOUSU_CITIZEN_INTAKE_UNIT"), field=None)
    # Several cities receive online: the citizen's point or choice says which.
    raise DomainError(_("请选择诉求所在的城市，或在地图上点选位置"), field="jurisdiction")


def portal_city(*, jurisdiction: str = "", longitude: float | None = None, latitude: float | None = None):
    """The city an online appeal is about: the one the citizen chose, else the one whose boundary holds
    the point they picked; None when neither says (a deployment of one city needs neither)."""
    if jurisdiction:
        city = jurisdictions().filter(code=jurisdiction).first()
        if city is None:
            raise DomainError(_("没有这个城市：%(code)s") % {"code": jurisdiction[:40]}, field="jurisdiction")
        return city
    if longitude is not None and latitude is not None:
        return jurisdiction_of_area(area_for_point(longitude, latitude))
    return None


def _derived_title(content: str) -> str:
    """The first sentence of the content, shortened: what an operator would have typed as the title."""
    text = " ".join((content or "").split())
    for mark in "。！？!?；;\n":
        text = text.split(mark, 1)[0]
    text = text.strip(" ，,、")
    if len(text) > DERIVED_TITLE_LENGTH:
        text = text[: DERIVED_TITLE_LENGTH - 1] + "…"
    return text[:MAX_TITLE]


def citizen_appeal_submit(
    *,
    kind: str,
    content: str,
    phone: str,
    ip: str,
    idempotency_key: str,
    title: str = "",
    name: str = "",
    confidential: bool = False,
    address: str = "",
    longitude: float | None = None,
    latitude: float | None = None,
    attachments: list | None = None,
    trap: str = "",
    jurisdiction: str = "",
) -> Appeal:
    """Receive an appeal a citizen submitted online; returns it (its code is the citizen's receipt).

    A resubmission of the same form (same idempotency key, same phone) returns the first appeal and
    counts against no limit; the key with another phone (the form copied to another browser) is refused
    (IdempotencyKeyTaken) and shows nothing of the appeal. Every check runs before anything is written,
    and appeal_create writes in one transaction."""
    if trap:
        raise SpamRefused(_("提交未通过校验，请刷新页面后重新填写"), field=None)
    if not idempotency_key:
        raise DomainError(_("表单已失效，请刷新页面后重新填写"), field="idempotency_key")
    # Normalised before the per-phone limit counts it: +86…, 0086… and spaces are one number.
    phone = normalise_phone(phone, field="citizen_phone")
    if not phone:
        raise DomainError(_("请填写手机号码，用于查询办理进度和回访"), field="citizen_phone")
    # The key is the citizen's who submitted the form: the phone is what they prove themselves with.
    owner = functools.partial(phone_matches, phone=phone)
    existing = appeal_replayed(channel=PORTAL_CHANNEL, idempotency_key=idempotency_key, owner=owner)
    if existing is not None:
        return existing
    if kind in PLACE_REQUIRED_KINDS and not (address or "").strip() and longitude is None:
        raise DomainError(_("请填写地址，或在地图上点选位置"), field="address")
    attachments = list(attachments or [])
    if len(attachments) > limits.max_photos():
        raise DomainError(
            _("最多上传 %(n)d 张照片（现有 %(m)d 张）") % {"n": limits.max_photos(), "m": len(attachments)},
            field="attachments",
        )
    title = (title or "").strip() or _derived_title(content)
    intake_unit = portal_intake_unit(
        portal_city(jurisdiction=jurisdiction, longitude=longitude, latitude=latitude)
    )
    with limits.submission_slot(phone=phone, ip=ip):
        return appeal_create(
            kind=kind,
            channel=PORTAL_CHANNEL,
            title=title,
            content=content,
            intake_unit=intake_unit,
            received_by=None,
            address=address,
            longitude=longitude,
            latitude=latitude,
            citizen_name=name,
            citizen_phone=phone,
            confidential=confidential,
            idempotency_key=idempotency_key,
            idempotency_owner=owner,
            attachments=attachments,
        )


def citizen_appeal_find(*, code: str, phone: str, ip: str) -> Appeal:
    """The appeal with this code, if `phone` is the number it was submitted with. Every attempt counts
    against the address's hourly allowance; the answer for an unknown code and for a wrong phone is the
    same NotFound."""
    limits.tracking_attempt(ip=ip)
    code = (code or "").strip().upper()
    if not code:
        raise DomainError(_("请填写诉求编号"), field="code")
    if not (phone or "").strip():
        raise DomainError(_("请填写提交诉求时留的手机号码"), field="phone")
    # Text that cannot be a phone number says so (it tells nothing about the appeal).
    normalise_phone(phone, field="phone")
    appeal = Appeal.objects.filter(code=code).first() if len(code) <= 30 else None
    if appeal is None or not phone_matches(appeal, phone):
        raise _not_found()
    return appeal
