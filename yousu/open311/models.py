"""What the Open311 interface keeps of its own: the client applications' keys, the extra fields a
catalog item asks for, and what a client posted with each request beyond the appeal itself."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yousu.appeals.models import Appeal
from yousu.catalog.models import CatalogItem
from yousu.org.models import Area

from .choices import LIST_DATATYPES, Datatype


class ApiKey(models.Model):
    """A client application's key (API 密钥). Only its SHA-256 is stored: the raw key is shown once,
    when it is issued, so a copy of the database lets nobody post in a client's name."""

    name = models.CharField(_("客户端名称"), max_length=100)
    prefix = models.CharField(_("密钥前缀"), max_length=16, editable=False, help_text=_("用于辨认密钥"))
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("有效"), default=True, editable=False)
    rate_limit = models.PositiveIntegerField(
        _("每分钟请求上限"),
        null=True,
        blank=True,
        help_text=_("空表示使用默认值（YOUSU_OPEN311_REQUESTS_PER_KEY_MINUTE）"),
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("吊销人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 API 密钥")
        verbose_name_plural = _("Open311 API 密钥")
        ordering = ["name", "-created_at"]
        constraints = [
            # One active key per client, so revoking "the key of X" is never ambiguous.
            models.UniqueConstraint(
                fields=["name"], condition=Q(is_active=True), name="open311_apikey_one_active_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ServiceAttribute(models.Model):
    """An extra field a catalog item asks for when a request is posted (GeoReport v2 attribute). An item
    with attributes is announced with metadata=true and has a service definition."""

    item = models.ForeignKey(
        CatalogItem, verbose_name=_("目录事项"), on_delete=models.PROTECT, related_name="open311_attributes"
    )
    code = models.CharField(_("编码"), max_length=50, help_text=_("客户端提交时使用 attribute[编码]"))
    variable = models.BooleanField(
        _("需要填写"), default=True, help_text=_("不勾选表示仅作提示说明，客户端无需填写")
    )
    datatype = models.CharField(_("数据类型"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("必填"), default=False)
    datatype_description = models.CharField(_("格式说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"))
    description = models.CharField(_("问题"), max_length=500)
    values = models.JSONField(
        _("选项"),
        default=list,
        blank=True,
        help_text=_('单选、多选的选项：[{"key": "1", "name": "名称"}, …]'),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["item__code", "order"]
        constraints = [
            models.UniqueConstraint(fields=["item", "code"], name="open311_attribute_unique_code"),
            models.UniqueConstraint(fields=["item", "order"], name="open311_attribute_unique_order"),
            models.CheckConstraint(condition=Q(order__gte=1), name="open311_attribute_order_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} · {self.code}"

    def value_keys(self) -> list[str]:
        return [str(value["key"]) for value in self.values]

    def clean(self) -> None:
        errors = {}
        if self.item_id and self.item.level != 3:
            errors["item"] = _("只有三级事项可以设置 Open311 属性")
        if not isinstance(self.values, list) or any(
            not isinstance(value, dict)
            or set(value) != {"key", "name"}
            or not str(value["key"]).strip()
            or not str(value["name"]).strip()
            for value in self.values
        ):
            errors["values"] = _('选项应为列表，每项含 key 和 name，例如 [{"key": "1", "name": "餐馆"}]')
        elif len(set(self.value_keys())) != len(self.values):
            errors["values"] = _("选项的 key 不能重复")
        elif self.datatype in LIST_DATATYPES and not self.values:
            errors["values"] = _("单选、多选须列出选项")
        elif self.datatype not in LIST_DATATYPES and self.values:
            errors["values"] = _("只有单选、多选可以列出选项")
        if errors:
            raise ValidationError(errors)


class ServiceRequest(models.Model):
    """An appeal received through Open311, with what the client posted that the appeal does not hold."""

    appeal = models.OneToOneField(
        Appeal, verbose_name=_("诉求"), on_delete=models.PROTECT, related_name="open311_request"
    )
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API 密钥"), on_delete=models.PROTECT, related_name="requests"
    )
    jurisdiction = models.ForeignKey(Area, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="+")
    token = models.CharField(_("令牌"), max_length=64, unique=True, editable=False)
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    address_id = models.CharField(_("地址编号"), max_length=100, blank=True)
    media_url = models.URLField(_("图片链接"), max_length=1000, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    device_id = models.CharField(_("设备编号"), max_length=100, blank=True)
    account_id = models.CharField(_("账号"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 服务请求")
        verbose_name_plural = _("Open311 服务请求")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.appeal.code
