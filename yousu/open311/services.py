"""Writes and checks of the Open311 GeoReport v2 interface: issuing and revoking client keys, counting
each client's requests, deciding the jurisdiction, and receiving a posted service request as an appeal
on the Open311 channel.

Errors are the domain's: PermissionRefused answers 403, NotFound 404, RateLimited 429 and any other
DomainError 400, which are the codes GeoReport v2 gives for each case.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from yousu.appeals.choices import Channel
from yousu.appeals.models import Appeal
from yousu.appeals.services import MAX_CONTENT, MAX_TITLE, appeal_create, appeal_replayed
from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.core.errors import DomainError, NotFound, PermissionRefused
from yousu.core.ratelimit import seconds_left, window_key, window_take
from yousu.org.choices import UnitKind
from yousu.org.models import Area, Person, Unit
from yousu.org.selectors import area_for_point, jurisdictions

from .choices import Datatype
from .models import ApiKey, ServiceAttribute, ServiceRequest

KEY_PREFIX = "ys311_"
PREFIX_SHOWN = 12
RATE_WINDOW_SECONDS = 60
RATE_CACHE_PREFIX = "yousu:open311-limit"
# GeoReport v2 leaves the kind of report to the service; an Open311 client reports a problem at a
# place, which is a complaint unless the catalog item is one that complaints do not fit.
DEFAULT_KIND = AppealKind.COMPLAINT
MAX_STRING = 500
TITLE_LENGTH = 30
# last_used_at is written at most this often per key, so a busy client does not write on every call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class RateLimited(DomainError):
    """Too many requests in the window: answered 429, with the seconds until the next window."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, field=None)
        self.retry_after = retry_after


# ------------------------------------------------------------------------------------------- keys


def _digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_issue(
    *, name: str, by: Person | None = None, rate_limit: int | None = None
) -> tuple[ApiKey, str]:
    """Issue a key to the client application `name`; returns the key row and the raw key, which is
    shown this once and stored nowhere."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写客户端名称"), field="name")
    if len(name) > 100:
        raise DomainError(_("客户端名称不能超过 100 个字符"), field="name")
    if rate_limit is not None and rate_limit < 1:
        raise DomainError(_("每分钟请求上限至少为 1"), field="rate_limit")
    if ApiKey.objects.filter(name=name, is_active=True).exists():
        raise DomainError(_("客户端 %(name)s 已有有效密钥，请先吊销") % {"name": name}, field="name")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            key = ApiKey.objects.create(
                name=name,
                prefix=raw[:PREFIX_SHOWN],
                key_hash=_digest(raw),
                created_by=by,
                rate_limit=rate_limit,
            )
    except IntegrityError:
        # Another administrator issued a key to the same client a moment ago.
        raise DomainError(
            _("客户端 %(name)s 已有有效密钥，请先吊销") % {"name": name}, field="name"
        ) from None
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, by: Person | None = None) -> ApiKey:
    """Revoke a key: from now on every request made with it is refused. The row stays, so the requests
    it posted still name their client."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if not key.is_active:
        raise DomainError(_("该密钥已被吊销"), field="key")
    key.is_active = False
    key.revoked_at = timezone.now()
    key.revoked_by = by
    key.save(update_fields=["is_active", "revoked_at", "revoked_by"])
    return key


def api_key_check(raw_key: str | None) -> ApiKey:
    """The active key `raw_key` is, or PermissionRefused (403 in GeoReport v2)."""
    if not raw_key:
        raise PermissionRefused(_("api_key was not provided：缺少 api_key"), field="api_key")
    key = ApiKey.objects.filter(key_hash=_digest(raw_key)).first()
    if key is None or not key.is_active:
        raise PermissionRefused(_("api_key is invalid：api_key 无效或已被吊销"), field="api_key")
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
        last_used_at=now
    )
    return key


# ------------------------------------------------------------------------------------- rate limits


def _count(scope: str, who: str) -> int:
    """Count one request in the current window of `who`."""
    return window_take(window_key(RATE_CACHE_PREFIX, scope, who, RATE_WINDOW_SECONDS), RATE_WINDOW_SECONDS)


def rate_check(*, key: ApiKey | None, ip: str) -> None:
    """Count a request against its key's allowance per minute, or, without a key, its address's.
    Raises RateLimited once the allowance is used up."""
    if key is not None:
        limit = key.rate_limit or settings.YOUSU_OPEN311_REQUESTS_PER_KEY_MINUTE
        used = _count("key", str(key.pk))
    else:
        limit = settings.YOUSU_OPEN311_REQUESTS_PER_IP_MINUTE
        used = _count("ip", ip or "-")
    if used > limit:
        raise RateLimited(
            _("Too many requests：每分钟最多 %(n)d 次请求，请稍后再试") % {"n": limit},
            retry_after=seconds_left(RATE_WINDOW_SECONDS),
        )


# ---------------------------------------------------------------------------------- jurisdictions


def jurisdiction_resolve(jurisdiction_id: str | None) -> Area | None:
    """The city a request is about. With one city the parameter is optional and, when given, must be
    its code; with several it is required. Unknown: 404, as GeoReport v2 says."""
    cities = list(jurisdictions())
    if not jurisdiction_id:
        if len(cities) > 1:
            raise DomainError(
                _("jurisdiction_id was not provided：请指定 jurisdiction_id"), field="jurisdiction_id"
            )
        return cities[0] if cities else None
    for city in cities:
        if city.code == jurisdiction_id:
            return city
    raise NotFound(
        _("jurisdiction_id was not found：没有辖区 %(code)s") % {"code": jurisdiction_id},
        field="jurisdiction_id",
    )


def intake_unit_for(city: Area) -> Unit:
    """The platform that receives the city's Open311 requests: the unit of YOUSU_OPEN311_INTAKE_UNIT
    (unit codes, one per city) in that city, else the city's one active city platform."""
    units = Unit.objects.filter(is_active=True).select_related("area")
    for unit in units.filter(code__in=settings.YOUSU_OPEN311_INTAKE_UNIT):
        if unit.area.path_codes()[0] == city.code:
            return unit
    platforms = list(units.filter(kind=UnitKind.CITY_PLATFORM, area=city)[:2])
    if len(platforms) != 1:
        # A configuration fault of the platform, not of the client's request; it names the setting.
        raise DomainError(
            _("辖区 %(code)s 未开通 Open311 受理：请设置 YOUSU_OPEN311_INTAKE_UNIT") % {"code": city.code},
            field=None,
        )
    return platforms[0]


# ------------------------------------------------------------------------------------ the catalog


def service_find(service_code: str | None, city: Area | None = None) -> CatalogItem:
    """The active level-3 catalog item `service_code` names (its parents active too), or NotFound."""
    if not service_code:
        raise DomainError(_("service_code was not provided：缺少 service_code"), field="service_code")
    item = (
        CatalogItem.objects.filter(code=service_code, level=3, is_active=True)
        .select_related("parent__parent")
        .first()
    )
    if (
        item is None
        or not all(ancestor.is_active for ancestor in item.lineage())
        or not item.is_available_in(city)
    ):
        # Another city's local item is as unknown here as an item that does not exist.
        raise NotFound(
            _("service_code was not found：没有服务 %(code)s") % {"code": service_code}, field="service_code"
        )
    return item


def _attribute_value(attribute: ServiceAttribute, given: list[str]):
    """The posted value(s) of one attribute, checked against its datatype; raises a 400 naming it."""

    def refuse(reason: str):
        raise DomainError(
            _("attribute[%(code)s] %(reason)s") % {"code": attribute.code, "reason": reason},
            field=f"attribute[{attribute.code}]",
        )

    if attribute.datatype == Datatype.MULTI:
        keys = set(attribute.value_keys())
        unknown = [value for value in given if value not in keys]
        if unknown:
            refuse(_("不是可选的值：%(values)s") % {"values": "、".join(unknown)})
        return list(dict.fromkeys(given))
    if len(given) > 1:
        refuse(_("只能填写一个值"))
    value = given[0]
    if attribute.datatype == Datatype.SINGLE:
        if value not in attribute.value_keys():
            refuse(_("不是可选的值：%(value)s") % {"value": value})
    elif attribute.datatype == Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if number != number or number in (float("inf"), float("-inf")):
            refuse(_("应为数字"))
    elif attribute.datatype == Datatype.DATETIME:
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None:
            refuse(_("应为日期时间，例如 2026-12-01T10:00:00+08:00"))
    else:
        limit = MAX_STRING if attribute.datatype == Datatype.STRING else MAX_CONTENT
        if len(value) > limit:
            refuse(_("不能超过 %(n)d 个字符") % {"n": limit})
    return value


def attributes_check(item: CatalogItem, posted: dict[str, list[str]]) -> dict[str, object]:
    """The item's attributes as posted (`posted`: code → non-empty values), each checked; a required
    one that is missing raises 400 naming its code. Codes the item does not ask for are dropped."""
    kept = {}
    for attribute in item.open311_attributes.filter(variable=True).order_by("order"):
        given = [value for value in posted.get(attribute.code, []) if value]
        if not given:
            if attribute.required:
                raise DomainError(
                    _("attribute[%(code)s] is required：请填写“%(question)s”")
                    % {"code": attribute.code, "question": attribute.description},
                    field=f"attribute[{attribute.code}]",
                )
            continue
        kept[attribute.code] = _attribute_value(attribute, given)
    return kept


def _attributes_text(item: CatalogItem, kept: dict[str, object]) -> str:
    """The answers as lines a handling unit reads with the appeal: question, then the chosen names."""
    lines = []
    for attribute in item.open311_attributes.filter(code__in=list(kept)).order_by("order"):
        value = kept[attribute.code]
        names = {str(v["key"]): v["name"] for v in attribute.values}
        shown = [names.get(v, v) for v in value] if isinstance(value, list) else [names.get(value, value)]
        lines.append(f"{attribute.description}：{'、'.join(shown)}")
    return "\n".join(lines)


def _kind_for(item: CatalogItem) -> str:
    kinds = [kind for kind in (item.appeal_kinds or []) if kind in AppealKind.values]
    if not kinds or DEFAULT_KIND in kinds:
        return DEFAULT_KIND
    return kinds[0]


def _title(description: str, item: CatalogItem) -> str:
    # The first sentence, as the web portal derives a title; the service's name when there is no text.
    text = " ".join(description.split())
    for mark in "。！？!?；;":
        text = text.split(mark, 1)[0]
    text = text.strip(" ，,、") or item.name
    if len(text) > TITLE_LENGTH:
        text = text[: TITLE_LENGTH - 1] + "…"
    return text[:MAX_TITLE]


# -------------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Location:
    """Where the problem is, as posted: lat and long (text or numbers), an address, an address id."""

    latitude: str | float | None = None
    longitude: str | float | None = None
    address: str = ""
    address_id: str = ""


@dataclass(frozen=True)
class Contact:
    """Who posted, as posted; never shown by a read."""

    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""


def _coordinates(location: Location) -> tuple[float | None, float | None]:
    if location.latitude is None and location.longitude is None:
        return None, None
    if location.latitude is None or location.longitude is None:
        raise DomainError(_("lat and long must be given together：经纬度须同时提供"), field="lat")
    try:
        lat, long = float(location.latitude), float(location.longitude)
    except (TypeError, ValueError):
        raise DomainError(_("lat/long are not numbers：经纬度应为数字"), field="lat") from None
    if not (-90 <= lat <= 90 and -180 <= long <= 180):  # NaN fails this too
        raise DomainError(_("lat/long out of range：经纬度超出范围"), field="lat")
    return lat, long


def open311_request_create(
    *,
    key: ApiKey,
    city: Area | None,
    service_code: str | None,
    location: Location,
    description: str = "",
    attributes: dict[str, list[str]] | None = None,
    contact: Contact | None = None,
    media_url: str = "",
    idempotency_key: str = "",
) -> ServiceRequest:
    """Receive a posted service request as an appeal on the Open311 channel.

    Everything is checked before anything is written (key, service, location, attributes, text,
    contact); the appeal and this request's row are one transaction. GeoReport v2 has no idempotency
    key, so without one every post is a new appeal, with its own token. With one (this platform's
    addition: the Idempotency-Key header), a repeated post by the same client (API key) returns its
    first request; the key from another client is refused (IdempotencyKeyTaken, 409) and told nothing."""
    if not key.is_active:
        raise PermissionRefused(_("api_key is invalid：api_key 无效或已被吊销"), field="api_key")
    if city is None:
        raise NotFound(_("jurisdiction_id was not found：平台尚未设置辖区"), field="jurisdiction_id")
    # Every client posts through the same intake unit: the API key is what makes a key its own.
    owner = functools.partial(_posted_with, key=key)
    replayed = appeal_replayed(channel=Channel.OPEN311, idempotency_key=idempotency_key, owner=owner)
    if replayed is not None:
        return ServiceRequest.objects.get(appeal=replayed)
    item = service_find(service_code, city)
    contact = contact or Contact()
    latitude, longitude = _coordinates(location)
    address = (location.address or "").strip()
    address_id = (location.address_id or "").strip()
    if latitude is None and not address and not address_id:
        raise DomainError(
            _("location was not provided：请提供 lat 和 long、address_string 或 address_id"), field="lat"
        )
    area = None
    if latitude is not None:
        area = area_for_point(longitude, latitude)
        if area is not None and area.path_codes()[0] != city.code:
            # The place is another jurisdiction's: its platform, not this one, must receive it.
            raise DomainError(
                _("lat/long are outside jurisdiction %(code)s：位置不在本辖区") % {"code": city.code},
                field="lat",
            )
    if len(address) > 300 or len(address_id) > 100:
        raise DomainError(_("address_string or address_id is too long：地址过长"), field="address_string")
    description = (description or "").strip()
    if len(description) > MAX_CONTENT:
        raise DomainError(
            _("description is longer than %(n)d characters：描述不能超过 %(n)d 个字符") % {"n": MAX_CONTENT},
            field="description",
        )
    kept = attributes_check(item, attributes or {})
    answers = _attributes_text(item, kept)
    content = "\n\n".join(part for part in (description or item.name, answers) if part)
    if len(content) > MAX_CONTENT:
        raise DomainError(
            _("description and attributes together exceed %(n)d characters：描述与属性合计过长")
            % {"n": MAX_CONTENT},
            field="description",
        )
    email = (contact.email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(_("email is not valid：电子邮箱格式不对"), field="email") from None
    media_url = (media_url or "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise DomainError(
                _("media_url is not a valid URL：图片链接格式不对"), field="media_url"
            ) from None
        if len(media_url) > 1000:
            raise DomainError(_("media_url is too long：图片链接过长"), field="media_url")
    for field, value in (("device_id", contact.device_id), ("account_id", contact.account_id)):
        if len(value or "") > 100:
            raise DomainError(_("%(field)s is too long：过长") % {"field": field}, field=field)
    # Chinese order: family name first.
    name = f"{(contact.last_name or '').strip()}{(contact.first_name or '').strip()}"
    intake_unit = intake_unit_for(city)
    try:
        with transaction.atomic():
            appeal = appeal_create(
                kind=_kind_for(item),
                channel=Channel.OPEN311,
                title=_title(description, item),
                content=content,
                intake_unit=intake_unit,
                received_by=None,
                address=address,
                longitude=longitude,
                latitude=latitude,
                area=area,
                item=item,
                citizen_name=name[:60],
                citizen_phone=contact.phone or "",
                idempotency_key=idempotency_key,
                idempotency_owner=owner,
            )
            earlier = ServiceRequest.objects.filter(appeal=appeal).first()
            if earlier is not None:
                # The same client's post with the same key won a race with this one: its request.
                return earlier
            return ServiceRequest.objects.create(
                appeal=appeal,
                api_key=key,
                jurisdiction=city,
                token=secrets.token_urlsafe(18),
                attributes=kept,
                address_id=address_id,
                media_url=media_url,
                email=email,
                device_id=(contact.device_id or "").strip(),
                account_id=(contact.account_id or "").strip(),
            )
    except DomainError as exc:
        # appeal_create names its own fields (citizen_phone, …); the client knows the Open311 names.
        names = {"citizen_phone": "phone", "citizen_name": "first_name", "content": "description"}
        if exc.field in names:
            raise DomainError(f"{names[exc.field]}: {exc.message}", field=names[exc.field]) from None
        raise


def _posted_with(appeal: Appeal, *, key: ApiKey) -> bool:
    """Whether the Open311 request of `appeal` was posted with `key`."""
    return ServiceRequest.objects.filter(appeal=appeal, api_key=key).exists()


def token_find(token: str) -> ServiceRequest:
    with suppress(ServiceRequest.DoesNotExist):
        return ServiceRequest.objects.select_related("appeal").get(token=token)
    raise NotFound(_("token was not found：没有该令牌"), field="token")
