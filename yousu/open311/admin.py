"""Admin of the Open311 interface: client keys (issued and revoked through the services, the raw key
shown once), the extra fields of catalog items, and the requests received (without the citizen)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from yousu.core.errors import DomainError
from yousu.org.admin import NoDeleteMixin, adopt

from .models import ApiKey, ServiceAttribute, ServiceRequest
from .services import api_key_issue, api_key_revoke


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "rate_limit")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = ApiKey.objects.filter(name=name, is_active=True).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("该客户端已有有效密钥，请先吊销"))
        return name


@admin.action(description=_("吊销所选密钥"))
def revoke_keys(model_admin, request, queryset):
    for key in queryset:
        try:
            api_key_revoke(key=key, by=request.user)
        except DomainError as exc:
            model_admin.message_user(request, f"{key}：{exc.message}", messages.ERROR)
        else:
            model_admin.message_user(request, _("已吊销 %(key)s") % {"key": key}, messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "is_active", "rate_limit", "created_at", "last_used_at", "revoked_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    readonly_fields = (
        "prefix",
        "is_active",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    actions = [revoke_keys]

    def get_readonly_fields(self, request, obj=None):
        # A key belongs to its client: renaming it would hide whose requests it posted.
        return (*self.readonly_fields, "name") if obj is not None else ()

    def get_fields(self, request, obj=None):
        return ("name", "rate_limit") if obj is None else ("name", "rate_limit", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            ApiKey.objects.filter(pk=obj.pk).update(rate_limit=obj.rate_limit)
            return
        key, raw = api_key_issue(name=obj.name, by=request.user, rate_limit=obj.rate_limit)
        adopt(obj, key)
        # Shown this once: only the key's digest is stored.
        self.message_user(
            request,
            _("密钥已签发，请立即复制交给客户端（不会再次显示）：%(raw)s") % {"raw": raw},
            messages.WARNING,
        )


class ServiceAttributeForm(forms.ModelForm):
    class Meta:
        model = ServiceAttribute
        fields = (
            "item",
            "code",
            "variable",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        )


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    form = ServiceAttributeForm
    list_display = ("item", "order", "code", "description", "datatype", "required", "variable")
    list_filter = ("datatype", "required")
    search_fields = ("item__code", "item__name", "code", "description")
    autocomplete_fields = ("item",)
    list_select_related = ("item",)


@admin.register(ServiceRequest)
class ServiceRequestAdmin(NoDeleteMixin, admin.ModelAdmin):
    # The citizen's email stays out of the admin: personal data is seen where it is logged.
    fields = (
        "appeal",
        "api_key",
        "jurisdiction",
        "token",
        "attributes",
        "address_id",
        "media_url",
        "created_at",
    )
    readonly_fields = fields
    list_display = ("appeal", "api_key", "jurisdiction", "created_at")
    list_filter = ("api_key",)
    search_fields = ("appeal__code", "token")
    list_select_related = ("appeal", "api_key", "jurisdiction")

    def has_add_permission(self, request):
        return False
