"""Pre-aggregated counters of the live dashboard, fed from the event log.

The event log stays the truth: every row here can be recomputed from it (`yousu tally --rebuild`).
The counters exist so the dashboard reads a few thousand rows instead of ten million appeals.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Grain(models.TextChoices):
    DAY = "day", _("日")
    MONTH = "month", _("月")


class Dim(models.TextChoices):
    """One marginal per dimension (not their cross product), so the number of rows stays small."""

    ALL = "all", _("合计")
    CHANNEL = "channel", _("渠道")
    KIND = "kind", _("诉求类型")
    CATEGORY = "category", _("事项类别")
    AREA = "area", _("街道/乡镇")
    HOT = "hot", _("类别×街道")


class Tally(models.Model):
    """Counters of one dimension value in one district on one day or month.

    `received`, `settled` and `answered` count appeals by the day they were received (a cohort:
    settled = of the appeals received then, how many are settled now); `completed` counts settling
    transitions by the day they happened.
    """

    grain = models.CharField(_("粒度"), max_length=5, choices=Grain.choices)
    period = models.DateField(_("日期"), help_text=_("日粒度为当日，月粒度为当月 1 日"))
    # An Area id, 0 for appeals without a district: NULLs never conflict in a unique constraint, so
    # the upsert would add rows instead of adding to one.
    district = models.BigIntegerField(_("区县"), default=0)
    dim = models.CharField(_("维度"), max_length=10, choices=Dim.choices)
    key = models.CharField(_("取值"), max_length=100, blank=True)
    received = models.IntegerField(_("受理数"), default=0)
    settled = models.IntegerField(_("已办结数"), default=0)
    answered = models.IntegerField(_("直接办结数"), default=0)
    completed = models.IntegerField(_("办结次数"), default=0)

    class Meta:
        verbose_name = _("看板计数")
        verbose_name_plural = pgettext_lazy("plural", "看板计数")
        ordering = ["grain", "period", "district", "dim", "key"]
        constraints = [
            models.UniqueConstraint(fields=["grain", "period", "district", "dim", "key"], name="tally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.period} {self.district} {self.dim}={self.key}: {self.received}"


class TallyMark(models.Model):
    """How far the counters have read the event log: every event up to `event_id` is counted.

    One row (id 1). It is locked while the consumer runs, so two schedulers never count twice.
    """

    event_id = models.BigIntegerField(_("已计入的最后事件"), default=0)
    tallied_at = models.DateTimeField(_("计入时间"), null=True, blank=True)
    events = models.BigIntegerField(_("已计入事件数"), default=0)
    # A new value whenever the counters change, so a cached reading of them is never taken for a
    # later one (event ids alone repeat after a rebuild or, in SQLite, a rollback).
    generation = models.CharField(_("计数版本"), max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = _("看板计数进度")
        verbose_name_plural = pgettext_lazy("plural", "看板计数进度")

    def __str__(self) -> str:
        return f"≤ {self.event_id}"
