"""Publicising (宣): typical cases a supervisor chose to publish, with the citizen's personal data removed.

A case is never deleted: withdrawing it records who took it down, when and why, and it leaves the
public page. The month's ranking and headline figures come from the assessment (`yousu.evaluation`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.appeals.models import Appeal
from yousu.catalog.models import CatalogItem
from yousu.org.models import Area

USER = settings.AUTH_USER_MODEL


class TypicalCase(models.Model):
    """典型案例: one settled appeal told to the public. Texts are stored as published (redacted)."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="typical_cases"
    )
    title = models.CharField(_("标题"), max_length=200)
    summary = models.TextField(_("公开摘要"), help_text=_("已隐去诉求人姓名、电话、证件号、邮箱和门牌号"))
    outcome = models.TextField(_("办理结果"))
    item = models.ForeignKey(
        CatalogItem,
        verbose_name=_("事项类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # No finer place than the street: a community or a grid can point to a household.
    district = models.ForeignKey(
        Area, verbose_name=_("区县"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        Area, verbose_name=_("街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"), help_text=_("诉求办结的月份（该月第一天）"))
    published_by = models.ForeignKey(
        USER, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"))
    withdrawn_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        USER, verbose_name=_("撤下人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(_("撤下理由"), blank=True)

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = pgettext_lazy("plural", "典型案例")
        ordering = ["-published_at", "-id"]
        constraints = [
            # An appeal is told once at a time; after a withdrawal it may be published again, reworded.
            models.UniqueConstraint(
                fields=["appeal"],
                condition=Q(withdrawn_at__isnull=True),
                name="typicalcase_one_live_per_appeal",
            ),
        ]
        indexes = [
            models.Index(
                fields=["month"], condition=Q(withdrawn_at__isnull=True), name="typicalcase_live_month"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None
