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


class DispatchSuggestion(models.Model):
    """What the model suggested for an appeal, and what the dispatcher then chose (派单建议与实际派单).

    One per appeal: the first suggestion is kept, since it is the one people saw. The pair measures
    the platform's first-try accuracy; an automatic dispatch is marked, and so is its withdrawal."""

    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        on_delete=models.CASCADE,
        related_name="dispatch_suggestion",
    )
    model = models.ForeignKey(
        ClassifierModel, verbose_name=_("模型"), on_delete=models.PROTECT, related_name="suggestions"
    )
    made_at = models.DateTimeField(_("建议时间"), auto_now_add=True)
    suggested = models.JSONField(_("建议"), default=list, help_text=_("前三位类别、概率、事项与承办单位"))
    top_label = models.CharField(_("首选类别"), max_length=100)
    top_probability = models.FloatField(_("首选概率"))
    top_item = models.ForeignKey(
        "catalog.CatalogItem",
        verbose_name=_("首选事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chosen_item = models.ForeignKey(
        "catalog.CatalogItem",
        verbose_name=_("实派事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chosen_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("实派承办单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("自动派单时为空"),
    )
    chosen_at = models.DateTimeField(_("首次派单时间"), null=True, blank=True, db_index=True)
    agreed = models.BooleanField(_("首选正确"), null=True, blank=True)
    in_top3 = models.BooleanField(_("前三含正确"), null=True, blank=True)
    auto_dispatched = models.BooleanField(_("自动派单"), default=False)
    # The order's id, not a key: intelligence comes before dispatch and never depends on it.
    auto_order_id = models.PositiveBigIntegerField(_("自动派单工单"), null=True, blank=True)
    auto_note = models.CharField(_("未自动派单原因"), max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回自动派单时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdraw_reason = models.TextField(_("撤回理由"), blank=True)

    class Meta:
        verbose_name = _("派单建议")
        verbose_name_plural = _("派单建议")
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.top_label} ({self.top_probability:.2f})"


class HotIssueStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DISPATCHED = "dispatched", _("已合并派单")
    CLOSED = "closed", _("已关闭")


class HotIssue(models.Model):
    """热点问题: many appeals about the same matter and place in a short time, found incrementally by
    `yousu.intelligence.hot_issues`; it can be dispatched as one problem."""

    name = models.CharField(_("名称"), max_length=200)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    area = models.ForeignKey(
        "org.Area",
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hot_issues",
    )
    first_at = models.DateTimeField(_("首次出现"))
    last_at = models.DateTimeField(_("最近出现"), db_index=True)
    appeal_count = models.PositiveIntegerField(_("诉求件数"), default=0)
    support_votes = models.PositiveIntegerField(_("支持（点赞）数"), default=0)
    heat = models.FloatField(_("热度"), default=0, db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=HotIssueStatus.choices, default=HotIssueStatus.OPEN
    )
    centroid = models.JSONField(
        _("词权重"),
        default=dict,
        blank=True,
        help_text=_("成员诉求词权重之和（只保留最强的词），用于增量归并"),
    )
    landmarks = models.JSONField(_("地点词计数"), default=dict, blank=True)
    primary_appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("主办诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("合并派单时派出的诉求，其余诉求并入它"),
    )
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("热点问题")
        verbose_name_plural = _("热点问题")
        ordering = ["-heat", "-last_at", "-id"]
        indexes = [models.Index(fields=["status", "last_at"], name="hotissue_status_last")]

    def __str__(self) -> str:
        return self.name


class HotIssueAppeal(models.Model):
    """One appeal of a hot issue; an appeal belongs to one hot issue at most."""

    hot_issue = models.ForeignKey(
        HotIssue, verbose_name=_("热点问题"), on_delete=models.CASCADE, related_name="links"
    )
    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name=_("诉求"), on_delete=models.CASCADE, related_name="hot_issue_link"
    )
    similarity = models.FloatField(_("相似度"))
    # The appeal's word weights, kept so the duplicate finder need not segment old appeals again.
    terms = models.JSONField(_("词权重"), default=dict, blank=True)
    added_at = models.DateTimeField(_("归入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("热点问题诉求")
        verbose_name_plural = _("热点问题诉求")
        ordering = ["hot_issue", "id"]

    def __str__(self) -> str:
        return f"{self.hot_issue_id}: {self.appeal_id}"


class HotIssueMark(models.Model):
    """The detector's one row: runs lock it, so two schedulers never absorb the same appeals at once."""

    ran_at = models.DateTimeField(_("最近运行"), null=True, blank=True)
    absorbed = models.PositiveBigIntegerField(_("累计归入诉求"), default=0)

    class Meta:
        verbose_name = _("热点问题发现进度")
        verbose_name_plural = _("热点问题发现进度")

    def __str__(self) -> str:
        return f"{self.ran_at}: {self.absorbed}"
