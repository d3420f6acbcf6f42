"""Writes to the organisation model. Each service validates fully before it saves anything."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from yousu.core.errors import DomainError
from yousu.core.phones import normalise_phone

from .choices import GridDuty, RoleCode
from .models import Area, GridAssignment, Person, Role, Sector, Unit


def raise_validation(exc: ValidationError) -> None:
    """Turn Django's ValidationError into a DomainError naming the first offending field."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        raise DomainError(" ".join(str(m) for e in errors for m in e.messages), field=field) from None
    raise DomainError(" ".join(exc.messages)) from None


def full_clean_or_raise(obj, *, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise_validation(exc)


@transaction.atomic
def area_create(
    *, code: str, name: str, kind: str, parent: Area | None = None, boundary: dict | None = None
) -> Area:
    area = Area(code=code, name=name, kind=kind, parent=parent, boundary=boundary)
    full_clean_or_raise(area, exclude=["level", "path"])
    area.save()
    return area


@transaction.atomic
def area_update(area: Area, *, name: str, kind: str, parent: Area | None, boundary: dict | None) -> Area:
    area.name, area.kind, area.parent, area.boundary = name, kind, parent, boundary
    full_clean_or_raise(area, exclude=["level", "path"])
    area.save()
    return area


def sector_ensure(*, code: str, name: str) -> Sector:
    sector, created = Sector.objects.get_or_create(code=code, defaults={"name": name})
    if not created and sector.name != name:
        sector.name = name
        sector.save(update_fields=["name"])
    return sector


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    level: str,
    area: Area,
    parent: Unit | None = None,
    sector: Sector | None = None,
    phone: str = "",
) -> Unit:
    unit = Unit(
        code=code, name=name, kind=kind, level=level, area=area, parent=parent, sector=sector, phone=phone
    )
    full_clean_or_raise(unit, exclude=["path"])
    unit.save()
    return unit


@transaction.atomic
def unit_update(
    unit: Unit,
    *,
    name: str,
    kind: str,
    level: str,
    area: Area,
    parent: Unit | None,
    sector: Sector | None,
    phone: str = "",
) -> Unit:
    unit.name, unit.kind, unit.level, unit.area = name, kind, level, area
    unit.parent, unit.sector, unit.phone = parent, sector, phone
    full_clean_or_raise(unit, exclude=["path"])
    unit.save()
    return unit


def roles_by_code(codes: list[str]) -> list[Role]:
    unknown = set(codes) - set(RoleCode.values)
    if unknown:
        raise DomainError(f"未知的角色：{'、'.join(sorted(unknown))}", field="roles")
    roles = list(Role.objects.filter(code__in=codes))
    missing = set(codes) - {role.code for role in roles}
    for code in missing:  # a database migrated before a role was added
        roles.append(Role.objects.create(code=code))
    return roles


@transaction.atomic
def person_create(
    *,
    username: str,
    full_name: str,
    unit: Unit | None,
    roles: list[str],
    password: str | None = None,
    phone: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    is_demo: bool = False,
) -> Person:
    if Person.objects.filter(username=username).exists():
        raise DomainError(f"用户名 {username} 已存在", field="username")
    # The number text messages go to, in the one form every phone is stored in (yousu.core.phones).
    phone = normalise_phone(phone, field="phone")
    role_objects = roles_by_code(roles)
    if unit is None and not set(roles) <= {RoleCode.ADMINISTRATOR, RoleCode.PROVINCIAL}:
        # The province-level reader belongs to no city's unit tree.
        raise DomainError("除系统管理员和省级监管外，人员必须属于一个单位", field="unit")
    person = Person(
        username=username,
        full_name=full_name,
        unit=unit,
        phone=phone,
        is_staff=is_staff,
        is_superuser=is_superuser,
        is_demo=is_demo,
    )
    if password:
        # The settings' password rules (AUTH_PASSWORD_VALIDATORS: length, common passwords, digits only,
        # like the name), as the admin's forms and createsuperuser apply them: every way in to an
        # account meets the same rules.
        try:
            validate_password(password, user=person)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from None
        person.set_password(password)
    else:
        person.set_unusable_password()
    full_clean_or_raise(person, exclude=["password", "roles"])
    person.save()
    person.roles.set(role_objects)
    return person


@transaction.atomic
def grid_assign(
    *,
    area: Area,
    person: Person,
    duty: str,
    unit: Unit | None = None,
    since: dt.date | None = None,
) -> GridAssignment:
    if duty not in GridDuty.values:
        raise DomainError(f"未知的网格职责：{duty}", field="duty")
    existing = GridAssignment.objects.filter(area=area, person=person, duty=duty).first()
    if existing:
        return existing
    assignment = GridAssignment(area=area, person=person, duty=duty, unit=unit, since=since)
    full_clean_or_raise(assignment)
    assignment.save()
    return assignment


@transaction.atomic
def area_set_appeal_code_prefix(area: Area, prefix: str) -> Area:
    """The letters that start every appeal code of this jurisdiction (XN → XN20261122000123)."""
    prefix = (prefix or "").strip().upper()
    if area.parent_id is not None:
        raise DomainError("只有市级区域（辖区）设诉求编号前缀", field="appeal_code_prefix")
    if not (1 <= len(prefix) <= 6 and prefix.isascii() and prefix.isalpha()):
        raise DomainError("前缀应为 1 到 6 个英文字母", field="appeal_code_prefix")
    area.appeal_code_prefix = prefix
    area.save(update_fields=["appeal_code_prefix"])
    return area
