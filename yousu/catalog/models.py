"""The responsibility catalog (职责目录): the matter tree, who answers for each matter where and since
when (权责清单, versioned), time-limit classes, and the community work-item access list (准入清单)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.core.tree import TreeNode
from yousu.org.choices import Level
from yousu.org.models import Area, Sector, Unit, validate_code

from .choices import (
    AccessChangeAction,
    AccessChangeStage,
    AccessChangeStatus,
    AppealKind,
    CatalogLevel,
    ClockKind,
    DelegateKind,
    DelegationStatus,
    LimitUnit,
    RuleTarget,
)


class TimeLimitClass(models.Model):
    """How fast an order of this class must be accepted and completed; editable data."""

    code = models.CharField(_("编码"), max_length=30, unique=True, validators=[validate_code])
    name = models.CharField(_("名称"), max_length=50)
    response_amount = models.PositiveIntegerField(_("响应时限"))
    response_unit = models.CharField(_("响应时限单位"), max_length=10, choices=LimitUnit.choices)
    completion_amount = models.PositiveIntegerField(_("办结时限"))
    completion_unit = models.CharField(_("办结时限单位"), max_length=10, choices=LimitUnit.choices)
    clock = models.CharField(
        _("计时方式"),
        max_length=10,
        choices=ClockKind.choices,
        default=ClockKind.WORKING,
        help_text=_("工作时间：按工作日和办公时间计时；自然时间：7×24 小时计时"),
    )
    urgency = models.PositiveSmallIntegerField(
        _("紧急程度"), default=0, help_text=_("数值越大越紧急；派单员只能把时限类别调高，不能调低")
    )

    class Meta:
        verbose_name = _("时限类别")
        verbose_name_plural = pgettext_lazy("plural", "时限类别")
        ordering = ["-urgency", "code"]

    def __str__(self) -> str:
        return self.name

    def describe(self) -> str:
        return _("%(r)s%(ru)s内响应，%(c)s%(cu)s内办结（%(clock)s）") % {
            "r": self.response_amount,
            "ru": self.get_response_unit_display(),
            "c": self.completion_amount,
            "cu": self.get_completion_unit_display(),
            "clock": self.get_clock_display(),
        }


class CatalogItem(TreeNode):
    """A node of the 3-level catalog: domain (1) → category (2) → item (3)."""

    code = models.CharField(_("编码"), max_length=40, unique=True, validators=[validate_code])
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=CatalogLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    keywords = models.TextField(_("关键词"), blank=True, help_text=_("用顿号、逗号或空格分隔"))
    appeal_kinds = models.JSONField(
        _("适用诉求类型"), default=list, blank=True, help_text=_("空表示适用全部诉求类型")
    )
    time_limit_class = models.ForeignKey(
        TimeLimitClass,
        verbose_name=_("时限类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        help_text=_("事项必填；领域和类别可留空"),
    )
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # Empty: the shared catalog every jurisdiction of the deployment uses (a province's standard
    # catalog); set: a local item only that city's appeals and rules may use.
    jurisdiction = models.ForeignKey(
        "org.Area",
        verbose_name=_("所属辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "city"},
        help_text=_("留空为全部辖区共用的目录；填写则为该市的地方事项"),
    )

    class Meta:
        verbose_name = _("目录事项")
        verbose_name_plural = pgettext_lazy("plural", "目录事项")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.level == CatalogLevel.DOMAIN:
            if self.parent_id:
                errors["parent"] = _("一级领域不能有上级")
        elif not self.parent_id:
            errors["parent"] = _("二级类别和三级事项必须有上级")
        elif self.parent.level != self.level - 1:
            errors["parent"] = _("上级必须正好高一级")
        if self.jurisdiction_id and self.jurisdiction.level != "city":
            errors["jurisdiction"] = _("所属辖区必须是市级区域")
        elif (
            self.parent_id
            and self.parent.jurisdiction_id
            and self.parent.jurisdiction_id != self.jurisdiction_id
        ):
            # A city's local branch holds only that city's items; a shared branch may hold both.
            errors["jurisdiction"] = _("上级是 %(city)s 的地方事项，本事项也只能属于该辖区") % {
                "city": self.parent.jurisdiction.name
            }
        if self.level == CatalogLevel.ITEM and not self.time_limit_class_id:
            errors["time_limit_class"] = _("三级事项必须指定时限类别")
        kinds = self.appeal_kinds
        if not isinstance(kinds, list) or any(kind not in AppealKind.values for kind in kinds):
            errors["appeal_kinds"] = _("诉求类型只能是：%(kinds)s") % {"kinds": "、".join(AppealKind.values)}
        if errors:
            raise ValidationError(errors)

    def keyword_list(self) -> list[str]:
        text = self.keywords
        for sep in "、，,;；\n":
            text = text.replace(sep, " ")
        return [word for word in text.split(" ") if word]

    def lineage(self) -> list[CatalogItem]:
        """This node and its ancestors, nearest first (item, category, domain)."""
        return list(reversed(self.path_nodes()))

    def is_available_in(self, jurisdiction) -> bool:
        """Whether appeals and rules of the jurisdiction (a city Area, or None when unknown) may use it."""
        return self.jurisdiction_id is None or jurisdiction is None or self.jurisdiction_id == jurisdiction.pk

    def effective_time_limit_class(self) -> TimeLimitClass | None:
        for node in self.lineage():
            if node.time_limit_class_id:
                return node.time_limit_class
        return None


class RuleQuerySet(models.QuerySet):
    def in_force(self, at):
        """Rules valid at the moment `at`: valid_from <= at < valid_until."""
        return self.filter(valid_from__lte=at).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))


class ResponsibilityRule(models.Model):
    """One version of 'who answers for this matter in this area' (权责清单 entry).

    Rows are never edited in place: a change closes the rule in force (valid_until) and creates
    its successor (replaces), each with who, when and why, so the rule in force at any past
    moment can be found again and figures can be recomputed.
    """

    item = models.ForeignKey(
        CatalogItem, verbose_name=_("目录事项"), on_delete=models.PROTECT, related_name="rules"
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("适用区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibility_rules",
        help_text=_("留空表示全辖区；更具体的区域优先"),
    )
    target = models.CharField(_("责任方式"), max_length=20, choices=RuleTarget.choices)
    level = models.CharField(
        _("责任层级"), max_length=20, choices=[c for c in Level.choices if c[0] != Level.GRID], blank=True
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("职能领域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rules",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("指定单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rules",
    )
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("取代的规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    reason = models.TextField(_("变更依据"), help_text=_("会商决定、文件编号或其他依据"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设定时间"), auto_now_add=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("停用人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    retired_reason = models.TextField(_("停用原因"), blank=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任规则")
        verbose_name_plural = pgettext_lazy("plural", "责任规则（权责清单）")
        ordering = ["item__path", "area__path", "valid_from"]
        indexes = [models.Index(fields=["item", "valid_from"], name="rule_item_from")]

    def __str__(self) -> str:
        return f"{self.item.name} → {self.describe_target()}"

    def describe_target(self) -> str:
        if self.target == RuleTarget.UNIT:
            return str(self.unit)
        level = Level(self.level).label if self.level else ""
        if self.target == RuleTarget.SECTOR:
            return _("诉求所在地的%(level)s%(sector)s部门") % {"level": level, "sector": self.sector}
        return _("诉求所在地的%(level)s") % {"level": level}

    @property
    def in_force_now(self) -> bool:
        from django.utils import timezone

        now = timezone.now()
        return self.valid_from <= now and (self.valid_until is None or self.valid_until > now)


class AccessList(models.Model):
    """The community work-item access list (社区工作事项准入清单) of a jurisdiction: the closed list of
    catalog items that may be given to a community. Changes only through an approved AccessListChange."""

    name = models.CharField(_("名称"), max_length=100)
    area = models.OneToOneField(
        Area, verbose_name=_("适用辖区"), on_delete=models.PROTECT, related_name="access_list"
    )
    cap = models.PositiveIntegerField(
        _("事项总量上限"),
        null=True,
        blank=True,
        help_text=_("“总量不增”：设定后，批准新增事项不得使清单超过此数；留空表示不设上限"),
    )
    last_reviewed = models.DateField(_("最近年度调整日期"), null=True, blank=True)
    established_at = models.DateTimeField(
        _("设立时间"),
        null=True,
        blank=True,
        help_text=_("设立前由市级一次审批、只受上限约束；设立后实行街道、区县、市分级审批和总量不增"),
    )
    established_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设立人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("社区工作事项准入清单")
        verbose_name_plural = pgettext_lazy("plural", "社区工作事项准入清单")

    def __str__(self) -> str:
        return self.name


class AccessListEntry(models.Model):
    access_list = models.ForeignKey(
        AccessList, verbose_name=_("准入清单"), on_delete=models.PROTECT, related_name="entries"
    )
    item = models.ForeignKey(
        CatalogItem, verbose_name=_("目录事项"), on_delete=models.PROTECT, related_name="+"
    )
    added_by_change = models.ForeignKey(
        "AccessListChange", verbose_name=_("批准记录"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("列入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("准入事项")
        verbose_name_plural = pgettext_lazy("plural", "准入事项")
        ordering = ["item__path"]
        constraints = [
            models.UniqueConstraint(fields=["access_list", "item"], name="accesslistentry_unique_item"),
        ]

    def __str__(self) -> str:
        return str(self.item)


class AccessListChange(models.Model):
    """A proposal to add an item to, or remove one from, an access list, and its decision.

    It climbs the stages (street → district → city) of the proposing unit's chain; each stage's
    decision is an AccessListApproval, and only the city's approval applies it to the list.
    `decided_by`, `decided_at` and `decision_note` hold the final decision (the city's approval or a
    refusal at any stage)."""

    access_list = models.ForeignKey(
        AccessList, verbose_name=_("准入清单"), on_delete=models.PROTECT, related_name="changes"
    )
    action = models.CharField(_("变更"), max_length=10, choices=AccessChangeAction.choices)
    item = models.ForeignKey(
        CatalogItem, verbose_name=_("目录事项"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("申请理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=AccessChangeStatus.choices, default=AccessChangeStatus.PROPOSED
    )
    stage = models.CharField(
        _("审批阶段"),
        max_length=10,
        choices=AccessChangeStage.choices,
        default=AccessChangeStage.CITY,
        help_text=_("待审批的申请所处的层级；已批准或已驳回的申请为作出决定时的层级"),
    )
    proposing_unit = models.ForeignKey(
        Unit,
        verbose_name=_("申请单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    growth_exception = models.TextField(
        _("总量增加的例外理由"),
        blank=True,
        help_text=_("使清单超过上次年度调整时的总量时必填，例如新颁布的法律法规要求社区承担"),
    )
    growth_exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("例外理由记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    growth_exception_at = models.DateTimeField(_("例外理由记录时间"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("准入清单变更")
        verbose_name_plural = pgettext_lazy("plural", "准入清单变更（分级审批）")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            # One open proposal per item and list, so two approvals cannot race each other.
            models.UniqueConstraint(
                fields=["access_list", "item"],
                condition=Q(status="proposed"),
                name="accesslistchange_one_open_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.item.name}（{self.get_status_display()}）"


class AccessListApproval(models.Model):
    """One stage's decision on an access list change: who, for which unit, when, yes or no, and why."""

    change = models.ForeignKey(
        AccessListChange, verbose_name=_("准入清单变更"), on_delete=models.CASCADE, related_name="approvals"
    )
    stage = models.CharField(_("审批阶段"), max_length=10, choices=AccessChangeStage.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("审批单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approve = models.BooleanField(_("同意"))
    note = models.TextField(_("审批意见"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("准入清单审批记录")
        verbose_name_plural = pgettext_lazy("plural", "准入清单审批记录")
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change", "stage"], name="accesslistapproval_one_per_stage"),
        ]

    def __str__(self) -> str:
        verdict = _("同意") if self.approve else _("不同意")
        return f"{self.get_stage_display()}：{verdict}"


class AccessListReview(models.Model):
    """The yearly review (每年动态调整一次): the list's size against last year's, and the year's changes."""

    access_list = models.ForeignKey(
        AccessList, verbose_name=_("准入清单"), on_delete=models.PROTECT, related_name="reviews"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    size_last_year = models.PositiveIntegerField(_("上年事项数"))
    size_now = models.PositiveIntegerField(_("本年事项数"))
    added = models.PositiveIntegerField(_("本年新增"))
    removed = models.PositiveIntegerField(_("本年移出"))
    exceptions = models.TextField(_("总量增加的例外"), blank=True)
    note = models.TextField(_("调整说明"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调整人"), on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("调整时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("准入清单年度调整")
        verbose_name_plural = pgettext_lazy("plural", "准入清单年度调整")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["access_list", "year"], name="accesslistreview_one_per_year"),
        ]

    def __str__(self) -> str:
        return _("%(list)s %(year)s 年度调整") % {"list": self.access_list, "year": self.year}


class DelegationException(models.Model):
    """目录例外: a recorded exception to the catalog that lets an item the catalog gives to a department
    be handed, for places in one area, to a street or community (a named one, or the one of a kind that
    serves the place). It is requested with a reason and holds only once the city platform approved it;
    rows are never deleted, the decision stays on record. A community is still never given an item off
    its access list, exception or not."""

    item = models.ForeignKey(
        CatalogItem,
        verbose_name=_("目录事项"),
        on_delete=models.PROTECT,
        related_name="delegation_exceptions",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("适用区域"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("诉求地点在此区域内时适用"),
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("可交由的单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("指定一个街道或社区；或不指定而选择单位类型"),
    )
    unit_kind = models.CharField(
        _("可交由的单位类型"),
        max_length=20,
        choices=DelegateKind.choices,
        blank=True,
        help_text=_("诉求所在地的街道或社区；指定单位时留空"),
    )
    reason = models.TextField(_("例外理由"))
    valid_until = models.DateTimeField(_("有效期至"), null=True, blank=True, help_text=_("留空表示长期有效"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DelegationStatus.choices, default=DelegationStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("目录例外（交由基层办理）")
        verbose_name_plural = pgettext_lazy("plural", "目录例外（交由基层办理）")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Exactly one of the two ways of naming whom the item may go to.
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(unit_kind=""))
                | (Q(unit__isnull=True) & ~Q(unit_kind="")),
                name="delegationexception_unit_or_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} → {self.delegate_label()}（{self.get_status_display()}）"

    def delegate_label(self) -> str:
        if self.unit_id:
            return self.unit.name
        return _("%(area)s内诉求所在地的%(kind)s") % {
            "area": self.area.name,
            "kind": self.get_unit_kind_display(),
        }
