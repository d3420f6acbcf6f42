"""Forms of the catalog admin; each writes through a catalog service, never through a model's save()."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yousu.org.admin import ServiceModelForm, set_active
from yousu.org.choices import Level
from yousu.org.models import Sector, Unit

from .choices import AppealKind, CatalogLevel, RuleTarget
from .models import AccessList, AccessListChange, CatalogItem, DelegationException, ResponsibilityRule
from .services import (
    access_list_create,
    access_list_propose,
    delegation_exception_request,
    item_create,
    item_update,
    rule_change,
    rule_create,
)

RULE_LEVELS = [("", "---------"), *[c for c in Level.choices if c[0] != Level.GRID]]


class CatalogItemForm(ServiceModelForm):
    appeal_kinds = forms.MultipleChoiceField(
        label=_("适用诉求类型"),
        choices=AppealKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("都不选表示适用全部诉求类型"),
    )

    class Meta:
        model = CatalogItem
        fields = (
            "code",
            "name",
            "level",
            "parent",
            "keywords",
            "appeal_kinds",
            "time_limit_class",
            "description",
            "is_active",
        )

    def write(self, instance):
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "parent": data.get("parent"),
            "keywords": data.get("keywords", ""),
            "appeal_kinds": list(data.get("appeal_kinds") or []),
            "time_limit_class": data.get("time_limit_class"),
            "description": data.get("description", ""),
        }
        if instance is None:
            item = item_create(code=data["code"], level=data["level"], **values)
        else:
            item = item_update(instance, **values)
        return set_active(item, data.get("is_active", item.is_active))


class RuleCreateForm(ServiceModelForm):
    """A new rule, for an item and area that have none in force; changes go through the supersede form."""

    class Meta:
        model = ResponsibilityRule
        fields = ("item", "area", "target", "level", "sector", "unit", "valid_from", "reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "valid_from" in self.fields:
            self.fields["valid_from"].required = False
            self.fields["valid_from"].help_text = _("留空表示立即生效")

    def write(self, instance):
        data = self.cleaned_data
        return rule_create(
            item=data["item"],
            area=data.get("area"),
            target=data["target"],
            level=data.get("level") or "",
            sector=data.get("sector"),
            unit=data.get("unit"),
            valid_from=data.get("valid_from"),
            reason=data["reason"],
            by=self.actor,
        )


class RuleSupersedeForm(ServiceModelForm):
    """Replaces a rule in force by a new version; the rule itself is closed, never rewritten."""

    new_target = forms.ChoiceField(label=_("责任方式"), choices=RuleTarget.choices)
    new_level = forms.ChoiceField(
        label=_("责任层级"),
        choices=RULE_LEVELS,
        required=False,
        help_text=_("“所在地的职能部门”和“所在地的属地单位”必填；“指定单位”按该单位的层级"),
    )
    new_sector = forms.ModelChoiceField(
        label=_("职能领域"),
        queryset=Sector.objects.all(),
        required=False,
        help_text=_("仅“所在地的职能部门”方式需要"),
    )
    new_unit = forms.ModelChoiceField(
        label=_("指定单位"),
        queryset=Unit.objects.filter(is_active=True),
        required=False,
        widget=AutocompleteSelect(ResponsibilityRule._meta.get_field("unit"), admin.site),
        help_text=_("仅“指定单位”方式需要"),
    )
    effective_at = forms.SplitDateTimeField(
        label=_("变更生效时间"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("留空表示立即生效；原规则在此时间失效"),
    )
    change_reason = forms.CharField(
        label=_("变更依据"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("会商决定、文件编号或其他依据"),
    )

    error_fields = {
        "target": "new_target",
        "level": "new_level",
        "sector": "new_sector",
        "unit": "new_unit",
        "effective_at": "effective_at",
        "reason": "change_reason",
    }

    class Meta:
        model = ResponsibilityRule
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Start from what is in force, so the user changes only what the decision changes.
        rule = self.instance
        if rule.pk:
            self.initial.setdefault("new_target", rule.target)
            self.initial.setdefault("new_level", rule.level)
            self.initial.setdefault("new_sector", rule.sector_id)
            self.initial.setdefault("new_unit", rule.unit_id)

    def write(self, instance):
        data = self.cleaned_data
        return rule_change(
            rule=instance,
            target=data["new_target"],
            level=data.get("new_level") or "",
            sector=data.get("new_sector"),
            unit=data.get("new_unit"),
            effective_at=data.get("effective_at"),
            reason=data["change_reason"],
            by=self.actor,
        )


class AccessListForm(ServiceModelForm):
    class Meta:
        model = AccessList
        fields = ("name", "area", "cap")

    def write(self, instance):
        data = self.cleaned_data
        if instance is None:
            return access_list_create(name=data["name"], area=data["area"], cap=data.get("cap"))
        # The list's entries change only by approved proposals, its review date only by a yearly
        # review; its own name and cap have no service and no rule beyond the model's.
        instance.name, instance.cap = data["name"], data.get("cap")
        instance.save(update_fields=["name", "cap"])
        return instance


class AccessListChangeForm(ServiceModelForm):
    class Meta:
        model = AccessListChange
        fields = ("access_list", "action", "item", "reason", "growth_exception")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "item" in self.fields:
            self.fields["item"].queryset = CatalogItem.objects.filter(level=CatalogLevel.ITEM)

    def write(self, instance):
        data = self.cleaned_data
        return access_list_propose(
            access_list=data["access_list"],
            action=data["action"],
            item=data["item"],
            reason=data["reason"],
            by=self.actor,
            growth_exception=data.get("growth_exception") or "",
        )


class DelegationExceptionForm(ServiceModelForm):
    """A request for a catalog exception; the city platform decides it by the list's actions."""

    class Meta:
        model = DelegationException
        fields = ("item", "area", "unit", "unit_kind", "reason", "valid_until")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "item" in self.fields:
            self.fields["item"].queryset = CatalogItem.objects.filter(level=CatalogLevel.ITEM)

    def write(self, instance):
        data = self.cleaned_data
        return delegation_exception_request(
            item=data["item"],
            area=data["area"],
            unit=data.get("unit"),
            unit_kind=data.get("unit_kind") or "",
            reason=data["reason"],
            valid_until=data.get("valid_until"),
            by=self.actor,
        )


class AccessListReviewForm(forms.Form):
    """Confirms the yearly review shown above it."""

    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    note = forms.CharField(label=_("调整说明"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class NoteForm(forms.Form):
    """The note an action asks for: a decision note, a reason for retiring a rule."""

    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args, note_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = note_label
