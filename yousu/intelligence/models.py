"""Trained classifier models as versioned artifacts: a joblib file plus this record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ClassifierModel(models.Model):
    version = models.PositiveIntegerField(_("版本"), unique=True)
    file_path = models.CharField(_("模型文件"), max_length=500, help_text=_("相对于 VAR_DIR/models/"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("训练时间"), auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("训练人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    training_summary = models.JSONField(
        _("训练数据概况"), default=dict, help_text=_("条数、各类别条数、来源")
    )
    metrics = models.JSONField(_("评估指标"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用中"), default=False)

    class Meta:
        verbose_name = _("分类模型")
        verbose_name_plural = _("分类模型")
        ordering = ["-version"]
        # Dispatch suggestions must come from one known model, never from two at once.
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_classifier"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class ClassifierActivation(models.Model):
    """One switch of the active model, kept so any suggestion can be traced to the model that made it."""

    from_model = models.ForeignKey(
        ClassifierModel,
        verbose_name=_("原模型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_model = models.ForeignKey(
        ClassifierModel, verbose_name=_("新模型"), on_delete=models.PROTECT, related_name="activations"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("模型切换记录")
        verbose_name_plural = _("模型切换记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_model or '—'} → {self.to_model}"
