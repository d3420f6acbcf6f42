"""The forms of the knowledge base's pages: an entry (create and edit), a review, a withdrawal, a
restore and an import. They only read and type the input; every rule is the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yousu.api.knowledge import items_for, units_to_keep

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, unit) -> str:
        return f"{unit.name}（{unit.code}）"


class ItemChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, item) -> str:
        return f"{item.code} {item.name}"


class EntryForm(forms.Form):
    """All fields of an entry. Question and answer are not required here: the service says what is
    missing, on the field, in its own words."""

    question = forms.CharField(
        label=_("问题"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    answer = forms.CharField(label=_("答复口径"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    owning_unit = UnitChoice(label=_("维护单位"), queryset=None, empty_label=None)
    items = ItemChoices(
        label=_("相关事项"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("按住 Ctrl（Mac 为 ⌘）可多选"),
    )
    keywords = forms.CharField(label=_("关键词"), required=False, help_text=_("用顿号、逗号或空格分隔"))
    source_title = forms.CharField(label=_("依据文件名称"), required=False, max_length=200)
    source_number = forms.CharField(label=_("依据文号"), required=False, max_length=100)
    source_url = forms.CharField(label=_("依据链接"), required=False, max_length=500)
    valid_from = forms.DateField(label=_("生效日期"), widget=DATE)
    valid_until = forms.DateField(
        label=_("失效日期"), required=False, widget=DATE, help_text=_("留空为长期有效")
    )
    review_due = forms.DateField(label=_("下次审核日期"), widget=DATE)
    note = forms.CharField(label=_("修改说明"), required=False, max_length=500)
    # The version the editor started from: a form older than the entry is refused, not saved over it.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owning_unit"].queryset = units_to_keep(person)
        self.fields["items"].queryset = items_for(person)


class ReviewForm(forms.Form):
    next_review_due = forms.DateField(label=_("下次审核日期"), required=False, widget=DATE)
    # Shown filled with the entry's current validity; emptied, the entry is valid without end.
    valid_until = forms.DateField(label=_("失效日期（留空为长期有效）"), required=False, widget=DATE)
    note = forms.CharField(label=_("审核说明"), required=False, max_length=500)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤下原因"), required=False, max_length=500)


class RestoreForm(forms.Form):
    note = forms.CharField(label=_("恢复说明"), required=False, max_length=500)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件（CSV 或 XLSX）"))
