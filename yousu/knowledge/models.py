"""Knowledge entries (知识条目): a question and its answer, the unit that keeps it right, the policy it
rests on, and the dates that decide whether operators may see it; every change leaves a full snapshot."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EntryStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    WITHDRAWN = "withdrawn", _("已撤下")


class KnowledgeEntry(models.Model):
    """One entry of the knowledge base. Written only through yousu.knowledge.services."""

    question = models.CharField(_("问题"), max_length=500)
    answer = models.TextField(_("答复口径"))
    owning_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("维护单位"),
        on_delete=models.PROTECT,
        related_name="knowledge_entries",
        help_text=_("负责保证条目内容准确并定期审核的单位"),
    )
    items = models.ManyToManyField(
        "catalog.CatalogItem", verbose_name=_("相关事项"), blank=True, related_name="knowledge_entries"
    )
    keywords = models.TextField(_("关键词"), blank=True, help_text=_("用顿号、逗号或空格分隔"))
    source_title = models.CharField(_("依据文件名称"), max_length=200, blank=True)
    source_number = models.CharField(_("依据文号"), max_length=100, blank=True)
    source_url = models.URLField(_("依据链接"), max_length=500, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("留空为长期有效"))
    review_due = models.DateField(_("下次审核日期"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=EntryStatus.choices, default=EntryStatus.ACTIVE
    )
    last_reviewed_at = models.DateTimeField(_("最近审核时间"), null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最近审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set when citizens said at callback that the entry's answer did not help (see
    # yousu.knowledge.answers): the entry is hidden from operators until its unit reviews it.
    flagged_at = models.DateTimeField(_("标记待审核时间"), null=True, blank=True)
    flag_reason = models.CharField(_("标记原因"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # The words the entry is indexed under (yousu.knowledge.search.entry_terms), space-separated:
    # computed once per write, so rebuilding the index never runs jieba over every entry again.
    search_terms = models.TextField(_("检索词"), blank=True, editable=False)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("知识条目")
        verbose_name_plural = pgettext_lazy("plural", "知识条目")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.question[:60]

    def is_visible_on(self, day: dt.date) -> bool:
        """Whether operators may see the entry on `day`: in use, not flagged, in force, and not overdue
        for review."""
        return (
            self.status == EntryStatus.ACTIVE
            and self.flagged_at is None
            and self.valid_from <= day
            and (self.valid_until is None or self.valid_until >= day)
            and self.review_due >= day
        )


class KnowledgeEntryVersion(models.Model):
    """A full snapshot of an entry as one change left it (create, update or review); never changed."""

    entry = models.ForeignKey(
        KnowledgeEntry, verbose_name=_("知识条目"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("版本"))
    question = models.CharField(_("问题"), max_length=500)
    answer = models.TextField(_("答复口径"))
    owning_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("维护单位"), on_delete=models.PROTECT, related_name="+"
    )
    # Codes, not a M2M: a snapshot must not change when an item is later renamed or moved.
    item_codes = models.JSONField(_("相关事项编码"), default=list, blank=True)
    keywords = models.TextField(_("关键词"), blank=True)
    source_title = models.CharField(_("依据文件名称"), max_length=200, blank=True)
    source_number = models.CharField(_("依据文号"), max_length=100, blank=True)
    source_url = models.URLField(_("依据链接"), max_length=500, blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)
    review_due = models.DateField(_("下次审核日期"))
    status = models.CharField(_("状态"), max_length=20, choices=EntryStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("修改时间"))
    note = models.CharField(_("修改说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("知识条目版本")
        verbose_name_plural = pgettext_lazy("plural", "知识条目版本")
        ordering = ["entry", "version"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "version"], name="knowledge_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.version}"


class SearchGeneration(models.Model):
    """One row whose generation every write to the entries replaces, in the same transaction: each
    worker process compares it with the generation of its in-memory index and rebuilds when they
    differ, so several gunicorn workers agree without a broker or a shared cache. A random token
    rather than a counter: a restored backup or a rolled-back test database can bring a counter back
    to a value some worker already holds for other entries; a fresh token is never reused."""

    generation = models.CharField(_("索引版本"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("知识库索引版本")
        verbose_name_plural = pgettext_lazy("plural", "知识库索引版本")

    def __str__(self) -> str:
        return self.generation


class CheckStatus(models.TextChoices):
    PENDING = "pending", _("待回访")
    DONE = "done", _("已回访")
    UNREACHABLE = "unreachable", _("无法联系")
    NOT_NEEDED = "not_needed", _("无需回访")


class IntakeAnswer(models.Model):
    """An appeal answered on the spot (直接办结): the answer given, the knowledge entry it came from
    (if any, with the entry's version at that moment), and the callback that asks the citizen whether
    the answer helped. Written with the answer, in the same transaction; never deleted."""

    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        on_delete=models.PROTECT,
        related_name="intake_answer_record",
    )
    entry = models.ForeignKey(
        KnowledgeEntry,
        verbose_name=_("知识条目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="intake_answers",
    )
    entry_version = models.PositiveIntegerField(_("条目版本"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("答复人"), on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), db_index=True)
    # The callback: asked by phone at the callback desk once it is due.
    check_status = models.CharField(
        _("回访状态"), max_length=20, choices=CheckStatus.choices, default=CheckStatus.PENDING
    )
    check_due_at = models.DateTimeField(_("回访时间（应）"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("联系次数"), default=0)
    helped = models.BooleanField(_("答复是否有帮助"), null=True, blank=True)
    comment = models.TextField(_("群众意见"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("回访时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("当场答复记录")
        verbose_name_plural = pgettext_lazy("plural", "当场答复记录")
        ordering = ["-answered_at", "-id"]
        indexes = [models.Index(fields=["check_status", "check_due_at"], name="intakeanswer_queue")]

    def __str__(self) -> str:
        return f"{self.appeal_id} · {self.get_check_status_display()}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    ACCEPTED = "accepted", _("已采纳")
    REJECTED = "rejected", _("未采纳")


class KnowledgeProposal(models.Model):
    """A proposed entry learnt from an approved reply to an inquiry: the reply with personal data
    stripped, offered to the unit that gave it, as a new entry or as an update of the entry it most
    resembles. The unit accepts (possibly after editing) or declines; nothing reaches operators
    before that."""

    order = models.ForeignKey(
        "dispatch.Order",
        verbose_name=_("来源工单"),
        on_delete=models.PROTECT,
        related_name="knowledge_proposals",
    )
    # Which completion: a sent-back order approved again proposes again.
    order_completed_at = models.DateTimeField(_("工单办结时间"))
    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("来源诉求"), on_delete=models.PROTECT, related_name="+"
    )
    owning_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("维护单位"), on_delete=models.PROTECT, related_name="knowledge_proposals"
    )
    entry = models.ForeignKey(
        KnowledgeEntry,
        verbose_name=_("建议更新的条目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
        help_text=_("留空为建议新建条目"),
    )
    question = models.CharField(_("问题"), max_length=500)
    answer = models.TextField(_("答复口径"))
    item = models.ForeignKey(
        "catalog.CatalogItem",
        verbose_name=_("相关事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # What was stripped, by kind and count (never the values themselves).
    redactions = models.JSONField(_("已去除的个人信息"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.CharField(_("处理说明"), max_length=500, blank=True)
    result_entry = models.ForeignKey(
        KnowledgeEntry,
        verbose_name=_("形成的条目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), db_index=True)

    class Meta:
        verbose_name = _("知识条目建议")
        verbose_name_plural = pgettext_lazy("plural", "知识条目建议")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "order_completed_at"], name="knowledge_proposal_one_per_completion"
            ),
        ]
        indexes = [models.Index(fields=["owning_unit", "status"], name="knowledgeproposal_queue")]

    def __str__(self) -> str:
        return self.question[:60]
