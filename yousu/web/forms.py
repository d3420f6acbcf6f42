"""Forms of the public pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yousu.catalog.models import CatalogItem
from yousu.org.models import Area


class ResponsibilityLookupForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("目录事项"),
        queryset=CatalogItem.objects.filter(is_active=True).order_by("path"),
        error_messages={"invalid_choice": _("没有这个目录事项")},
    )
    area = forms.ModelChoiceField(
        label=_("诉求地点"),
        queryset=Area.objects.filter(is_active=True).order_by("path"),
        error_messages={"invalid_choice": _("没有这个区域")},
    )
    at = forms.DateTimeField(
        label=_("查询时间"),
        required=False,
        help_text=_("留空表示现在；填写过去的时间可查当时生效的规则，例如 2026-11-01 09:00"),
    )

    def clean_at(self):
        return self.cleaned_data.get("at") or timezone.now()
