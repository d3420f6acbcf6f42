"""Intake (接): appeals, their attachments, the append-only event log, and personal-data access records.

An appeal is what a citizen raised; it is received once and never deleted. Every change of an
appeal or of one of its orders writes an Event, from which figures can always be recomputed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.org.models import Area, Unit

from .choices import AppealStatus, Channel


class DailySequence(models.Model):
    """The last appeal number given out for a code prefix on one day (locked when incremented)."""

    prefix = models.CharField(max_length=10)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="dailysequence_unique_day")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d}: {self.last}"


class Appeal(models.Model):
    code = models.CharField(_("诉求编号"), max_length=30, unique=True, editable=False)
    kind = models.CharField(_("诉求类型"), max_length=20, choices=AppealKind.choices)
    channel = models.CharField(_("渠道"), max_length=30, choices=Channel.choices)
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("内容"))
    address = models.CharField(_("地址"), max_length=300, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("所在区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    item = models.ForeignKey(
        CatalogItem,
        verbose_name=_("目录事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    citizen_name = models.CharField(_("诉求人"), max_length=60, blank=True)
    citizen_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    confidential = models.BooleanField(_("保密"), default=False, help_text=_("对承办单位隐藏诉求人信息"))
    received_at = models.DateTimeField(_("受理时间"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=AppealStatus.choices, default=AppealStatus.RECEIVED
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("并入诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        help_text=_("并案后跟随该诉求办理，不再另行派单"),
    )
    intake_answer = models.TextField(_("当场答复"), blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, blank=True, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    intake_unit = models.ForeignKey(
        Unit, verbose_name=_("受理单位"), on_delete=models.PROTECT, related_name="appeals_received"
    )
    # The city whose platform received it (the root of the intake unit's area), set once at intake:
    # whose people may see it, whose figures count it, and the key appeals partition by at scale.
    jurisdiction = models.ForeignKey(
        Area,
        verbose_name=_("辖区"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("诉求")
        verbose_name_plural = pgettext_lazy("plural", "诉求")
        ordering = ["-received_at", "-id"]
        constraints = [
            # A resubmission with the same key on the same channel returns the first appeal.
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="appeal_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="appeal_status_received"),
            models.Index(fields=["jurisdiction", "received_at"], name="appeal_jurisdiction_received"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in (AppealStatus.RECEIVED, AppealStatus.DISPATCHED)


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.appeal.received_at:%Y/%m}/{instance.appeal.code}/{filename}"


class Attachment(models.Model):
    appeal = models.ForeignKey(
        Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="attachments"
    )
    # The order a unit attached it to (dispatch.Order id), if it came with a reply.
    order_id = models.BigIntegerField(_("工单"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=attachment_path)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = pgettext_lazy("plural", "附件")

    def __str__(self) -> str:
        return self.name


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("events are append-only")

    def delete(self):
        raise TypeError("events are append-only")


class Event(models.Model):
    """One change of an appeal or of one of its orders: who, which unit, when, what, from, to, why.

    Append-only: saving an existing row or deleting raises. Later stages (supervision,
    evaluation) read this table rather than being called by the stages that write it.
    """

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="events"
    )
    # dispatch.Order id; kept as a plain column so this app does not depend on the one after it.
    order_id = models.BigIntegerField(_("工单"), null=True, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_unit = models.ForeignKey(
        Unit, verbose_name=_("操作单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), db_index=True)
    action = models.CharField(_("动作"), max_length=40, db_index=True)
    from_state = models.CharField(_("原状态"), max_length=20, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    payload = models.JSONField(_("详情"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = pgettext_lazy("plural", "事件")
        ordering = ["at", "id"]
        # Django's internal manager must refuse bulk updates and deletes too.
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("events are append-only")


class PersonalDataAccess(models.Model):
    """A record that someone saw a citizen's unmasked name and phone, and why."""

    appeal = models.ForeignKey(Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    purpose = models.CharField(_("用途"), max_length=100)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = pgettext_lazy("plural", "个人信息查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.person} · {self.appeal_id} · {self.at:%Y-%m-%d %H:%M}"
