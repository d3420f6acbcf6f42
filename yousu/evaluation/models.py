"""The monthly assessment (考评): schemes (weights, deductions, zone rule), runs, unit results and
grassroots-burden figures. A run is never changed after it is written: recomputing a month makes a new
version and the earlier one stays, so what a unit was told can always be shown again."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.org.models import Unit

from .choices import Zone, ZoneRule

SHARE = [MinValueValidator(0), MaxValueValidator(1)]
NON_NEGATIVE = [MinValueValidator(0)]


class AssessmentScheme(models.Model):
    """考评方案: how rates are weighed, what is deducted, how zones are drawn. Edited in the admin;
    the scheme in force for a month is the one with the latest `valid_from` on or before its first day."""

    name = models.CharField(_("名称"), max_length=100)
    valid_from = models.DateField(_("生效日期"), unique=True)
    response_weight = models.FloatField(_("响应率权重"), default=20, validators=NON_NEGATIVE)
    completion_weight = models.FloatField(_("办结率权重"), default=20, validators=NON_NEGATIVE)
    on_time_weight = models.FloatField(_("按时办结率权重"), default=15, validators=NON_NEGATIVE)
    resolution_weight = models.FloatField(_("解决率权重"), default=20, validators=NON_NEGATIVE)
    satisfaction_weight = models.FloatField(_("满意率权重"), default=25, validators=NON_NEGATIVE)
    # Zero by default so that a city's existing scores do not move until it decides to weigh report-ins.
    report_in_weight = models.FloatField(
        _("报到率权重"),
        default=0,
        validators=NON_NEGATIVE,
        help_text=_("职能部门、企事业单位被街道社区吹哨召集后按时报到的比例的权重；为 0 时只列数据不计分"),
    )
    min_sample = models.PositiveIntegerField(
        _("最少样本数"),
        default=3,
        help_text=_("本月考核工单数与应报到次数少于此数的单位显示为“样本不足”，不计分、不排名、不分区"),
    )
    projection_days = models.CharField(
        _("月中预警日"),
        max_length=50,
        default="15,25",
        blank=True,
        help_text=_(
            "每月这些日子按本月截至当日的数据试算考评，预计处于红区的单位会收到预警；用逗号分隔，留空则不试算"
        ),
    )
    overdue_deduction = models.FloatField(_("每件超期扣分"), default=1, validators=NON_NEGATIVE)
    refused_return_deduction = models.FloatField(_("每次退单被驳回扣分"), default=2, validators=NON_NEGATIVE)
    criticism_deduction = models.FloatField(_("每次通报批评扣分"), default=5, validators=NON_NEGATIVE)
    hours_per_order = models.FloatField(
        _("每件工单估算工时（小时）"),
        default=4,
        validators=NON_NEGATIVE,
        help_text=_("估算基层减负工时：每挡回一件本不该由街道社区办理的工单，按此工时计"),
    )
    zone_rule = models.CharField(
        _("分区方式"), max_length=20, choices=ZoneRule.choices, default=ZoneRule.THRESHOLD
    )
    red_below = models.FloatField(_("红区线（低于）"), default=60, validators=NON_NEGATIVE)
    yellow_below = models.FloatField(_("黄区线（低于）"), default=80, validators=NON_NEGATIVE)
    blue_share = models.FloatField(_("蓝区比例"), default=0.2, validators=SHARE)
    red_share = models.FloatField(_("红区比例"), default=0.1, validators=SHARE)

    class Meta:
        verbose_name = _("考评方案")
        verbose_name_plural = pgettext_lazy("plural", "考评方案")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.name}（{self.valid_from:%Y-%m-%d} 起）"

    def weights(self) -> dict[str, float]:
        return {
            "response_rate": self.response_weight,
            "completion_rate": self.completion_weight,
            "on_time_rate": self.on_time_weight,
            "resolution_rate": self.resolution_weight,
            "satisfaction_rate": self.satisfaction_weight,
            "report_in_rate": self.report_in_weight,
        }

    def projection_day_numbers(self) -> list[int]:
        """The days of the month named in `projection_days`, e.g. [15, 25]; `clean` refuses bad ones."""
        return sorted(
            {int(part) for part in self.projection_days.replace("，", ",").split(",") if part.strip()}
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if sum(self.weights().values()) <= 0:
            raise ValidationError(_("各率权重之和必须大于零"))
        if self.red_below > self.yellow_below:
            raise ValidationError({"red_below": _("红区线不能高于黄区线")})
        if self.blue_share + self.red_share > 1:
            raise ValidationError({"red_share": _("蓝区比例与红区比例之和不能超过 1")})
        try:
            days = self.projection_day_numbers()
        except ValueError:
            days = [0]
        # The 1st is the assessment of the month just ended, and the 29th to 31st do not exist every month.
        if any(not 2 <= day <= 28 for day in days):
            raise ValidationError(
                {"projection_days": _("月中预警日应为 2 到 28 之间的日子，用逗号分隔，例如 15,25")}
            )


class AssessmentRun(models.Model):
    """One computation of one month. Version 1 is the first; each recomputation adds the next."""

    month = models.DateField(_("月份"), help_text=_("该月的第一天"))
    version = models.PositiveIntegerField(_("版本"))
    scheme = models.ForeignKey(
        AssessmentScheme, verbose_name=_("考评方案"), on_delete=models.PROTECT, related_name="runs"
    )
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("计算人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)
    is_current = models.BooleanField(_("当前版本"), default=True)
    # A month's result is final only once every order in it has passed its sign-for limit (and every
    # summoned department its report-in limit); before that the run says what it is (definitions.TIMING).
    is_provisional = models.BooleanField(
        _("暂定"), default=False, help_text=_("月份未结束，或仍有工单未到签收时限、部门未到报到时限")
    )
    final_after = models.DateTimeField(
        _("可出终版时间"),
        null=True,
        blank=True,
        help_text=_("最后一个未定结果的签收或报到时限；此后重算即为终版"),
    )
    projection_day = models.DateField(
        _("月中试算日"), null=True, blank=True, help_text=_("月中预警的试算（按本月截至当日的数据）")
    )
    seconds = models.FloatField(_("计算耗时（秒）"), default=0)

    class Meta:
        verbose_name = _("考评批次")
        verbose_name_plural = pgettext_lazy("plural", "考评批次")
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["month", "version"], name="assessmentrun_unique_version"),
            # Two people recomputing at once: one of them gets the next version, never two current ones.
            models.UniqueConstraint(
                fields=["month"], condition=Q(is_current=True), name="assessmentrun_one_current"
            ),
            # A projection day is computed once, however many workers run the periodic job.
            models.UniqueConstraint(
                fields=["month", "projection_day"],
                condition=Q(projection_day__isnull=False),
                name="assessmentrun_one_projection_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.version}"

    @property
    def month_label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def month_end(self) -> dt.date:
        return (self.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


class UnitAssessment(models.Model):
    """One unit's figures in one run. Rates are shares (0–1), empty when their denominator is zero."""

    run = models.ForeignKey(
        AssessmentRun, verbose_name=_("考评批次"), on_delete=models.PROTECT, related_name="results"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    # The peer group as it was in the month: a unit that changes kind later keeps its old ranking.
    level = models.CharField(_("层级"), max_length=20)
    kind = models.CharField(_("单位类型"), max_length=30)
    received = models.PositiveIntegerField(_("派单数"), default=0)
    assessed = models.PositiveIntegerField(_("考核工单数"), default=0)
    responded = models.PositiveIntegerField(_("按时签收数"), default=0)
    due = models.PositiveIntegerField(_("应办结数"), default=0)
    completed = models.PositiveIntegerField(_("已办结数"), default=0)
    completed_on_time = models.PositiveIntegerField(_("按时办结数"), default=0)
    called_back = models.PositiveIntegerField(_("回访工单数"), default=0)
    solved = models.PositiveIntegerField(_("已解决数"), default=0)
    satisfied = models.PositiveIntegerField(_("满意及基本满意数"), default=0)
    unsatisfied_not_unit = models.PositiveIntegerField(_("非单位原因不满意数"), default=0)
    unreachable = models.PositiveIntegerField(_("回访未接通"), default=0)
    sent_back = models.PositiveIntegerField(_("退回重办"), default=0)
    returns_filed = models.PositiveIntegerField(_("退单申请"), default=0)
    returns_refused = models.PositiveIntegerField(_("退单被驳回"), default=0)
    overdue = models.PositiveIntegerField(_("超期工单"), default=0)
    criticism_notices = models.PositiveIntegerField(_("通报批评"), default=0)
    awaiting_response = models.PositiveIntegerField(_("签收结果待定"), default=0)
    carried_over = models.PositiveIntegerField(_("期限内结转"), default=0)
    report_ins_due = models.PositiveIntegerField(_("被召集报到次数"), default=0)
    report_ins_on_time = models.PositiveIntegerField(_("按时报到"), default=0)
    report_ins_late = models.PositiveIntegerField(_("迟到报到"), default=0)
    report_ins_missing = models.PositiveIntegerField(_("未报到"), default=0)
    report_ins_pending = models.PositiveIntegerField(_("报到结果待定"), default=0)
    response_rate = models.FloatField(_("响应率"), null=True, blank=True)
    completion_rate = models.FloatField(_("办结率"), null=True, blank=True)
    on_time_rate = models.FloatField(_("按时办结率"), null=True, blank=True)
    resolution_rate = models.FloatField(_("解决率"), null=True, blank=True)
    satisfaction_rate = models.FloatField(_("满意率"), null=True, blank=True)
    report_in_rate = models.FloatField(_("报到率"), null=True, blank=True)
    insufficient_sample = models.BooleanField(_("样本不足"), default=False)
    deduction = models.FloatField(_("扣分"), default=0)
    score = models.FloatField(_("综合得分"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("同类排名"), null=True, blank=True)
    peers = models.PositiveIntegerField(_("同类参评单位数"), default=0)
    zone = models.CharField(_("红黄蓝区"), max_length=10, choices=Zone.choices, blank=True)

    class Meta:
        verbose_name = _("单位考评结果")
        verbose_name_plural = pgettext_lazy("plural", "单位考评结果")
        ordering = ["run", "level", "kind", "rank", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="unitassessment_one_per_run")]

    def __str__(self) -> str:
        return f"{self.run} · {self.unit}"


class BurdenFigure(models.Model):
    """基层减负: one street's or community's burden figures in one run."""

    run = models.ForeignKey(
        AssessmentRun, verbose_name=_("考评批次"), on_delete=models.PROTECT, related_name="burden"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("街道或社区"), on_delete=models.PROTECT, related_name="+")
    received = models.PositiveIntegerField(_("接收工单"), default=0)
    assigned_elsewhere = models.PositiveIntegerField(_("目录规定他人负责"), default=0)
    pushdowns_refused = models.PositiveIntegerField(_("驳回部门推诿"), default=0)
    pushdowns_refused_by_rule = models.PositiveIntegerField(_("其中按规则驳回"), default=0)
    whistles = models.PositiveIntegerField(_("吹哨次数"), default=0)
    report_ins_due = models.PositiveIntegerField(_("应报到部门次"), default=0)
    report_ins_on_time = models.PositiveIntegerField(_("按时报到部门次"), default=0)
    access_list_refused = models.PositiveIntegerField(_("拒绝违反准入清单派单"), default=0)
    forwards_refused = models.PositiveIntegerField(_("拒绝违反目录转派"), default=0)
    delegated = models.PositiveIntegerField(_("经批准下放"), default=0)
    hours_saved = models.FloatField(_("减负工时（估算）"), default=0)

    class Meta:
        verbose_name = _("基层减负数据")
        verbose_name_plural = pgettext_lazy("plural", "基层减负数据")
        ordering = ["run", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="burdenfigure_one_per_run")]

    def __str__(self) -> str:
        return f"{self.run} · {self.unit}"
