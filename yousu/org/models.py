"""Who is where: areas (city → district → street → community → grid), units, people and roles.

A city is described here as data: nothing in the shared code names a particular city.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from yousu.core.geo import validate_boundary
from yousu.core.tree import TreeNode

from .choices import (
    AREA_KIND_LEVEL,
    DEPARTMENT_DUTIES,
    GRID_ONLY_DUTIES,
    LEVEL_DEPTH,
    UNIT_KIND_LEVELS,
    AreaKind,
    GridDuty,
    Level,
    RoleCode,
    UnitKind,
)

CODE_HELP = _("字母、数字、点、横线或下划线，全局唯一")


def validate_code(value: str) -> None:
    # Codes become parts of materialised paths and of file rows, so they stay plain.
    if not value or any(ch in value for ch in "/,; \t\n"):
        raise ValidationError(_("编码不能为空，也不能含有斜杠、逗号、分号或空白"), code="invalid_code")


class Area(TreeNode):
    """An administrative area: city, district/county/park, street/township, community/village or grid."""

    code = models.CharField(
        _("编码"), max_length=40, unique=True, validators=[validate_code], help_text=CODE_HELP
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=AreaKind.choices)
    level = models.CharField(_("层级"), max_length=20, choices=Level.choices, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    boundary = models.JSONField(
        _("边界 (GeoJSON)"),
        null=True,
        blank=True,
        help_text=_("GeoJSON Polygon 或 MultiPolygon，经纬度 (WGS84)"),
    )
    appeal_code_prefix = models.CharField(
        _("诉求编号前缀"),
        max_length=6,
        blank=True,
        help_text=_("市级区域填写，例如 XN，诉求编号形如 XN20261122000123"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = pgettext_lazy("plural", "区域")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # The level is derived from the kind, never typed in, so the two cannot disagree.
        self.level = AREA_KIND_LEVEL[self.kind]
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and self.level == Level.CITY:
            # A new city may carry the id of a rolled-back or deleted one (SQLite reuses them); a new
            # calendar version keeps that one's cached calendar from being served for it.
            announce_calendar_change(self.pk)

    def clean(self) -> None:
        level = AREA_KIND_LEVEL.get(self.kind)
        if level is None:
            raise ValidationError({"kind": _("未知的区域类型")})
        if level == Level.CITY:
            if self.parent_id is not None:
                raise ValidationError({"parent": _("市级区域不能有上级区域")})
        else:
            if self.parent is None:
                raise ValidationError({"parent": _("除市级外，区域必须有上级区域")})
            if LEVEL_DEPTH[self.parent.level] != LEVEL_DEPTH[level] - 1:
                raise ValidationError(
                    {
                        "parent": _("上级区域的层级应紧邻本区域的上一级（%(parent)s 不能管辖 %(kind)s）")
                        % {"parent": self.parent.get_level_display(), "kind": AreaKind(self.kind).label}
                    }
                )
            if self.pk and self.parent.path.startswith(self.path or "\0"):
                raise ValidationError({"parent": _("上级区域不能是本区域或其下级")})
        if self.boundary is not None:
            try:
                validate_boundary(self.boundary)
            except ValueError as exc:
                raise ValidationError({"boundary": str(exc)}) from None
        elif level == Level.GRID:
            raise ValidationError({"boundary": _("网格必须有边界多边形")})

    def ancestors(self, include_self: bool = True) -> list[Area]:
        """From the root down to this area, in one query."""
        nodes = self.path_nodes()
        return nodes if include_self else nodes[:-1]

    def ancestor_at(self, level: str) -> Area | None:
        """This area's ancestor (or itself) at the given level, or None if this area is coarser."""
        if LEVEL_DEPTH[level] > LEVEL_DEPTH[self.level]:
            return None
        for area in self.ancestors():
            if area.level == level:
                return area
        return None

    @property
    def root(self) -> Area:
        return self.ancestors()[0]


class Sector(models.Model):
    """A line of work (生态环境, 市场监管, 供水 ...) so that a rule can name 'the district X department'."""

    code = models.CharField(_("编码"), max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("职能领域")
        verbose_name_plural = pgettext_lazy("plural", "职能领域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Unit(TreeNode):
    """A unit that receives orders: platform, department, government, street, community or enterprise."""

    code = models.CharField(
        _("编码"), max_length=40, unique=True, validators=[validate_code], help_text=CODE_HELP
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("单位类型"), max_length=30, choices=UnitKind.choices)
    level = models.CharField(
        _("层级"), max_length=20, choices=[c for c in Level.choices if c[0] != Level.GRID]
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("派单链上的上一级单位，例如区级部门的上级是区平台"),
    )
    area = models.ForeignKey(Area, verbose_name=_("服务区域"), on_delete=models.PROTECT, related_name="units")
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("职能领域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = pgettext_lazy("plural", "单位")
        ordering = ["path"]
        indexes = [models.Index(fields=["sector", "level", "area"], name="unit_sector_lookup")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        allowed = UNIT_KIND_LEVELS.get(self.kind)
        if allowed is None:
            errors["kind"] = _("未知的单位类型")
        elif self.level not in allowed:
            errors["level"] = _("%(kind)s 不能设在 %(level)s 层级") % {
                "kind": UnitKind(self.kind).label,
                "level": Level(self.level).label if self.level in Level.values else self.level,
            }
        if self.area_id and self.area.level != self.level:
            errors["area"] = _("服务区域的层级（%(area)s）与单位层级不一致") % {
                "area": self.area.get_level_display()
            }
        if self.parent_id:
            if self.pk and self.parent.path.startswith(self.path or "\0"):
                errors["parent"] = _("上级单位不能是本单位或其下级")
            elif LEVEL_DEPTH[self.parent.level] > LEVEL_DEPTH[self.level]:
                errors["parent"] = _("上级单位的层级不能低于本单位")
            elif self.area_id and self.parent.area.path_codes()[0] != self.area.path_codes()[0]:
                # One deployment may serve several cities: each city's units form their own tree,
                # so dispatch (which follows the tree) never crosses from one city into another.
                errors["parent"] = _("上级单位属于其他辖区（市）；单位只能隶属于本辖区的单位")
        elif self.kind != UnitKind.CITY_PLATFORM:
            errors["parent"] = _("除市级平台外，单位必须有上级单位")
        if self.kind == UnitKind.DEPARTMENT and not self.sector_id:
            errors["sector"] = _("职能部门必须注明职能领域")
        if errors:
            raise ValidationError(errors)

    @property
    def is_community(self) -> bool:
        return self.kind == UnitKind.COMMUNITY

    def chain(self) -> list[Unit]:
        """The dispatch chain from the top unit down to this one."""
        return self.path_nodes()


class Role(models.Model):
    """A role a person holds; the eight codes are created by a migration."""

    code = models.CharField(_("编码"), max_length=30, unique=True, choices=RoleCode.choices)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = pgettext_lazy("plural", "角色")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(RoleCode(self.code).label) if self.code in RoleCode.values else self.code


class Person(AbstractUser):
    """A member of staff: belongs to one unit and holds roles. Citizens are not people here."""

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("角色"), blank=True, related_name="people")
    is_demo = models.BooleanField(_("演示账号"), default=False)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = pgettext_lazy("plural", "人员")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def role_codes(self) -> set[str]:
        # Cached per instance: visibility checks ask for it many times in one request.
        if not hasattr(self, "_role_codes"):
            self._role_codes = set(self.roles.values_list("code", flat=True))
        return self._role_codes

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes() & set(codes))


class GridAssignment(models.Model):
    """A person's duty on an area: grid chief (any level: the four-level grid-chief system),
    grid worker, or department staff stationed on or patrolling a grid (驻格/巡格)."""

    area = models.ForeignKey(
        Area, verbose_name=_("区域/网格"), on_delete=models.PROTECT, related_name="assignments"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="assignments"
    )
    duty = models.CharField(_("职责"), max_length=20, choices=GridDuty.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("派出部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_assignments",
        help_text=_("驻格/巡格人员的所属部门"),
    )
    since = models.DateField(_("起始日期"), null=True, blank=True)
    until = models.DateField(_("截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("网格职责")
        verbose_name_plural = pgettext_lazy("plural", "网格职责")
        constraints = [
            models.UniqueConstraint(fields=["area", "person", "duty"], name="gridassignment_unique_duty"),
        ]

    def __str__(self) -> str:
        return f"{self.area} · {self.get_duty_display()} · {self.person}"

    def clean(self) -> None:
        if self.duty in GRID_ONLY_DUTIES and self.area_id and self.area.level != Level.GRID:
            raise ValidationError({"area": _("网格员、驻格和巡格人员只能安排到网格")})
        if self.duty in DEPARTMENT_DUTIES:
            if not self.unit_id:
                raise ValidationError({"unit": _("驻格/巡格人员必须注明所属部门")})
            if self.unit.kind != UnitKind.DEPARTMENT:
                raise ValidationError({"unit": _("驻格/巡格人员的所属单位必须是职能部门")})
        if self.since and self.until and self.until < self.since:
            raise ValidationError({"until": _("截止日期不能早于起始日期")})


# ---------------------------------------------------------------- working calendar


class CityCalendarPart(models.Model):
    """Every row of a city's working calendar announces its changes, from a service or the admin
    alike, so cached calendars (yousu.org.calendar) are rebuilt. Each model says which city it
    belongs to with owning_city_id()."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        announce_calendar_change(self.owning_city_id())

    def delete(self, *args, **kwargs):
        city_id = self.owning_city_id()  # asked first: the row is gone afterwards
        result = super().delete(*args, **kwargs)
        announce_calendar_change(city_id)
        return result


def announce_calendar_change(city_id: int) -> None:
    # Imported here: the calendar module reads these models.
    from .calendar import calendar_changed

    calendar_changed(city_id)


class WorkingCalendar(CityCalendarPart):
    """A city's working calendar (工作日历): its office hours, its own days off and duty days, and the
    years it has entered in full. The official holidays come from the chinesecalendar package."""

    area = models.OneToOneField(
        Area,
        verbose_name=_("辖区"),
        on_delete=models.PROTECT,
        related_name="working_calendar",
        limit_choices_to={"level": Level.CITY},
        help_text=_("市级区域；其下所有区县、街道、社区和单位使用这一日历"),
    )
    morning_start = models.TimeField(_("上午上班时间"), default=dt.time(8, 30))
    morning_end = models.TimeField(_("上午下班时间"), default=dt.time(12, 0))
    afternoon_start = models.TimeField(_("下午上班时间"), default=dt.time(14, 0))
    afternoon_end = models.TimeField(_("下午下班时间"), default=dt.time(18, 0))

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = pgettext_lazy("plural", "工作日历")
        ordering = ["area__path"]

    def __str__(self) -> str:
        return gettext("%(area)s工作日历") % {"area": self.area}

    def owning_city_id(self) -> int:
        return self.area_id

    def clean(self) -> None:
        if self.area_id and self.area.level != Level.CITY:
            raise ValidationError({"area": _("工作日历按辖区（市级区域）设立")})
        # Each check needs the field before it; a missing time is reported by the field itself.
        times = [self.morning_start, self.morning_end, self.afternoon_start, self.afternoon_end]
        if None in times:
            return
        if not self.morning_start < self.morning_end:
            raise ValidationError({"morning_end": _("上午下班时间必须晚于上午上班时间")})
        if not self.morning_end <= self.afternoon_start:
            raise ValidationError({"afternoon_start": _("下午上班时间不能早于上午下班时间")})
        if not self.afternoon_start < self.afternoon_end:
            raise ValidationError({"afternoon_end": _("下午下班时间必须晚于下午上班时间")})

    def sessions(self) -> tuple[tuple[dt.time, dt.time], ...]:
        return ((self.morning_start, self.morning_end), (self.afternoon_start, self.afternoon_end))


class CalendarYear(CityCalendarPart):
    """A year the city declares entered: its holidays and make-up working days are overrides.
    Deadlines may then run into a year the package does not (yet) cover.

    A provisional declaration (临时声明) is made before the State Council has published the year's
    arrangement (each November or December): only the days fixed by law are entered (元旦 on 1 January),
    so the deadlines that cross the new year can be computed, and the platform keeps reminding the
    administrators until the year is declared in full (yousu.org.calendar.calendar_notices)."""

    calendar = models.ForeignKey(
        WorkingCalendar, verbose_name=_("工作日历"), on_delete=models.CASCADE, related_name="years"
    )
    year = models.PositiveSmallIntegerField(
        _("年份"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    source = models.CharField(
        _("依据"),
        max_length=300,
        help_text=_("国务院办公厅节假日安排通知的文号和标题，以及本市的补充决定"),
    )
    provisional = models.BooleanField(
        _("临时声明"),
        default=False,
        help_text=_(
            "国务院办公厅尚未公布该年节假日安排时勾选：只录入了法定固定日期的假日（如 1 月 1 日元旦）；"
            "公布后录入全部节假日和调休上班日，再不勾选此项重新声明该年"
        ),
    )
    declared_by = models.ForeignKey(
        Person, verbose_name=_("声明人"), on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(_("声明时间"), default=timezone.now)

    class Meta:
        verbose_name = _("已录入年份")
        verbose_name_plural = pgettext_lazy("plural", "已录入年份")
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "year"], name="calendaryear_unique_year"),
        ]

    def __str__(self) -> str:
        if self.provisional:
            return gettext("%(year)s（临时声明）") % {"year": self.year}
        return str(self.year)

    def owning_city_id(self) -> int:
        return self.calendar.area_id


class CalendarOverride(CityCalendarPart):
    """A city's own decision about one date: an extra day off (停工) or a duty day (值班、调休上班).
    It wins over the official calendar."""

    calendar = models.ForeignKey(
        WorkingCalendar, verbose_name=_("工作日历"), on_delete=models.CASCADE, related_name="overrides"
    )
    date = models.DateField(_("日期"))
    is_workday = models.BooleanField(
        _("上班"), help_text=_("勾选为上班日（调休上班、值班），不勾选为休息日（放假、停工）")
    )
    reason = models.CharField(_("原因"), max_length=200, help_text=_("例如：市政府决定：暴雨停工"))
    set_by = models.ForeignKey(Person, verbose_name=_("设定人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("设定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("例外日")
        verbose_name_plural = pgettext_lazy("plural", "例外日")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendaroverride_unique_date"),
        ]

    def __str__(self) -> str:
        kind = gettext("上班") if self.is_workday else gettext("休息")
        return f"{self.date.isoformat()} {kind}（{self.reason}）"

    def owning_city_id(self) -> int:
        return self.calendar.area_id


# ---------------------------------------------------------------- place names


class PlaceNameKind(models.TextChoices):
    ALIAS = "alias", _("别名")
    ROAD = "road", _("道路")
    LANDMARK = "landmark", _("地标")
    COMPOUND = "compound", _("小区")


# Levels a place name may point at: place resolution answers down to the community; a grid is found
# from a point, not from words.
PLACE_NAME_LEVELS = (Level.DISTRICT, Level.STREET, Level.COMMUNITY)


class PlaceName(models.Model):
    """A name people use for a place inside an area (地名): another name of the area itself, a road,
    a landmark or a residential compound. Place resolution (yousu.intelligence.places) reads these
    beside the areas' own names."""

    area = models.ForeignKey(
        Area,
        verbose_name=_("所在区域"),
        on_delete=models.PROTECT,
        related_name="place_names",
        help_text=_("区县、街道或社区/村：地名所在的最小区域"),
    )
    name = models.CharField(_("地名"), max_length=100)
    kind = models.CharField(_("类别"), max_length=20, choices=PlaceNameKind.choices)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("地名")
        verbose_name_plural = pgettext_lazy("plural", "地名")
        ordering = ["area__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="placename_unique_area_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    def clean(self) -> None:
        # Names are matched character by character, so stray spaces would never match.
        self.name = "".join((self.name or "").split())
        if not self.name:
            raise ValidationError({"name": _("地名不能为空")})
        if len(self.name) < 2:
            raise ValidationError({"name": _("地名至少两个字：单字会在诉求文字中到处误配")})
        if self.area_id and self.area.level not in PLACE_NAME_LEVELS:
            raise ValidationError({"area": _("地名只能挂在区县、街道或社区/村上")})
