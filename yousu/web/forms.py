"""Forms of the pages: the responsibility lookup and the operator's intake form."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yousu.appeals.choices import Channel
from yousu.appeals.models import Appeal
from yousu.appeals.services import MAX_CONTENT, MAX_TITLE
from yousu.catalog.choices import AppealKind
from yousu.catalog.models import CatalogItem
from yousu.knowledge.models import KnowledgeEntry
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


# The channels an operator types in; grid reports, proactive discovery and Open311 arrive by their
# own paths with their own checks.
OPERATOR_CHANNELS = (
    Channel.HOTLINE,
    Channel.WEB,
    Channel.MINI_PROGRAM,
    Channel.APP,
    Channel.REPORTING_PLATFORM,
    Channel.MEDIA,
    Channel.WECHAT_GROUP,
)


class IntakeForm(forms.Form):
    """The operator's one form. It checks shapes only (lengths, choices, that a code exists); every
    rule of intake is the domain's (yousu.appeals.services.appeal_take_in)."""

    kind = forms.ChoiceField(label=_("诉求类型"), choices=AppealKind.choices, initial=AppealKind.COMPLAINT)
    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[(c.value, c.label) for c in OPERATOR_CHANNELS],
        initial=Channel.HOTLINE,
    )
    citizen_name = forms.CharField(label=_("来电人姓名"), max_length=60, required=False)
    citizen_phone = forms.CharField(label=_("回访电话"), max_length=20, required=False)
    anonymous = forms.BooleanField(label=_("匿名"), required=False)
    confidential = forms.BooleanField(label=_("保密（承办单位看不到来电人）"), required=False)
    title = forms.CharField(label=_("标题"), max_length=MAX_TITLE)
    content = forms.CharField(
        label=_("诉求内容"), max_length=MAX_CONTENT, widget=forms.Textarea(attrs={"rows": 7})
    )
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    area = forms.CharField(
        label=_("区域编码"),
        max_length=40,
        required=False,
        help_text=_("可采用右侧识别出的地点"),
    )
    item = forms.CharField(
        label=_("目录事项编码"),
        max_length=40,
        required=False,
        help_text=_("可采用右侧建议，也可留空由派单员确定"),
    )
    answer = forms.CharField(
        label=_("当场答复内容（咨询类，填写即直接办结）"),
        max_length=MAX_CONTENT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The knowledge entry the answer comes from, set by "采用此答复" beside the form; recorded with the
    # answer so the citizen can later be asked whether it helped (yousu.knowledge.answers).
    knowledge_entry = forms.ModelChoiceField(
        queryset=KnowledgeEntry.objects.all(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("所引用的知识条目不存在")},
    )
    duplicate_of = forms.CharField(label=_("并案到诉求编号"), max_length=40, required=False)
    link_reason = forms.CharField(label=_("并案说明"), max_length=500, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        # The labels stand above their fields (and after the checkboxes): no trailing colon.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_item(self):
        code = self.cleaned_data["item"].strip()
        if not code:
            return None
        item = CatalogItem.objects.filter(code=code, is_active=True).first()
        if item is None:
            raise forms.ValidationError(_("没有这个目录事项：%(code)s") % {"code": code})
        return item

    def clean_area(self):
        code = self.cleaned_data["area"].strip()
        if not code:
            return None
        area = Area.objects.filter(code=code, is_active=True).defer("boundary").first()
        if area is None:
            raise forms.ValidationError(_("没有这个区域：%(code)s") % {"code": code})
        return area

    def clean_duplicate_of(self):
        code = self.cleaned_data["duplicate_of"].strip()
        if not code:
            return None
        original = Appeal.objects.filter(code=code).first()
        if original is None:
            raise forms.ValidationError(_("没有这个诉求编号：%(code)s") % {"code": code})
        return original
