"""Admin of the catalog: time limits, items with their responsibility history, versioned rules and the
community access list, whose entries change only by approved proposals."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from yousu.core.errors import DomainError
from yousu.org.admin import NoDeleteMixin, ServiceAdminMixin
from yousu.org.choices import RoleCode

from .admin_forms import (
    AccessListChangeForm,
    AccessListForm,
    AccessListReviewForm,
    CatalogItemForm,
    DelegationExceptionForm,
    NoteForm,
    RuleCreateForm,
    RuleSupersedeForm,
)
from .models import (
    AccessList,
    AccessListApproval,
    AccessListChange,
    AccessListEntry,
    AccessListReview,
    CatalogItem,
    DelegationException,
    ResponsibilityRule,
    TimeLimitClass,
)
from .selectors import access_list_review_preview, rule_history
from .services import (
    access_list_decide,
    access_list_establish,
    access_list_record_exception,
    access_list_yearly_review,
    delegation_exception_decide,
    may_decide_delegation,
    rule_retire,
)


def note_action(
    model_admin: admin.ModelAdmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    note_label: str,
    apply: Callable[[object, str], object],
    done: str,
):
    """Ask for a note on an intermediate page, then apply a service to each selected row.

    The domain's refusal of one row (not allowed, cap reached, already decided ...) becomes an
    error message for that row; the other rows still go through.
    """
    confirmed = request.POST.get("post") == "yes"
    form = NoteForm(request.POST if confirmed else None, note_label=note_label)
    if confirmed and form.is_valid():
        note = form.cleaned_data["note"]
        for obj in queryset:
            try:
                apply(obj, note)
            except DomainError as exc:
                model_admin.message_user(request, f"{obj}：{exc.message}", messages.ERROR)
            else:
                model_admin.message_user(request, done % {"obj": obj}, messages.SUCCESS)
        return None
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "app_label": opts.app_label,
        "objects": list(queryset),
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media + form.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/catalog/note_action.html", context)


def change_link(obj) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj)


# ---------------------------------------------------------------- time limits and items


@admin.register(TimeLimitClass)
class TimeLimitClassAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "response_amount",
        "response_unit",
        "completion_amount",
        "completion_unit",
        "clock",
        "urgency",
    )
    list_display_links = ("code",)
    list_editable = (
        "name",
        "response_amount",
        "response_unit",
        "completion_amount",
        "completion_unit",
        "clock",
        "urgency",
    )
    search_fields = ("code", "name")


@admin.register(CatalogItem)
class CatalogItemAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = CatalogItemForm
    change_form_template = "admin/catalog/catalogitem/change_form.html"
    list_display = ("code", "name", "level", "parent", "time_limit_class", "on_access_list", "is_active")
    list_filter = ("level", "time_limit_class", "is_active")
    search_fields = ("code", "name", "keywords")
    list_select_related = ("parent", "time_limit_class")
    autocomplete_fields = ("parent",)

    def get_queryset(self, request):
        entries = AccessListEntry.objects.filter(item=OuterRef("pk"))
        return super().get_queryset(request).annotate(listed=Exists(entries))

    @admin.display(boolean=True, description=_("在准入清单内"), ordering="listed")
    def on_access_list(self, obj):
        return obj.listed

    def get_readonly_fields(self, request, obj=None):
        # The update service keeps code and level: both are part of the tree below the item.
        return ("code", "level") if obj is not None else ()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["rule_history"] = rule_history(obj) if obj is not None else None
        return super().render_change_form(request, context, add, change, form_url, obj)


# ---------------------------------------------------------------- responsibility rules


class InForceFilter(admin.SimpleListFilter):
    title = _("是否生效")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return (("yes", _("生效中")), ("no", _("未生效或已失效")))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.in_force(now)
        if self.value() == "no":
            return queryset.exclude(pk__in=ResponsibilityRule.objects.in_force(now).values("pk"))
        return queryset


RULE_RECORD_FIELDS = (
    "item",
    "scope",
    "target_description",
    "valid_from",
    "valid_until",
    "reason",
    "created_by",
    "created_at",
    "replaces",
)
RULE_CLOSING_FIELDS = ("successor", "retired_by", "retired_reason")
RULE_SUPERSEDE_FIELDS = (
    "new_target",
    "new_level",
    "new_sector",
    "new_unit",
    "effective_at",
    "change_reason",
)


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("item", "scope", "target_description", "valid_from", "valid_until", "in_force")
    list_filter = ("target", "level", InForceFilter)
    search_fields = ("item__code", "item__name")
    list_select_related = ("item", "area", "sector", "unit")
    autocomplete_fields = ("item", "area", "sector", "unit")
    actions = ("retire_rules",)

    @staticmethod
    def is_open(rule: ResponsibilityRule) -> bool:
        # A rule with an end time is already closed or scheduled to close (superseded or retired);
        # changing it again would fork the history, so only open-ended versions can change.
        return rule.valid_until is None

    @admin.display(description=_("适用区域"), ordering="area__path")
    def scope(self, obj):
        return obj.area or _("全辖区")

    @admin.display(description=_("责任单位"))
    def target_description(self, obj):
        return obj.describe_target()

    @admin.display(boolean=True, description=_("生效中"))
    def in_force(self, obj):
        return obj.in_force_now

    @admin.display(description=_("后继版本"))
    def successor(self, obj):
        try:
            return change_link(obj.replaced_by)
        except ResponsibilityRule.DoesNotExist:
            return "-"

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self.is_open(obj):
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = RuleSupersedeForm if obj is not None else RuleCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": RuleCreateForm._meta.fields})]
        if not self.is_open(obj) or not self.has_change_permission(request, obj):
            return [(_("规则"), {"fields": RULE_RECORD_FIELDS + RULE_CLOSING_FIELDS})]
        return [
            (_("现行规则"), {"fields": RULE_RECORD_FIELDS}),
            (
                _("变更为新版本"),
                {
                    "fields": RULE_SUPERSEDE_FIELDS,
                    "description": _(
                        "保存后生成新版本：原规则在变更生效时间失效，新版本自该时间起生效；原规则本身不会被改写。"
                    ),
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return RULE_RECORD_FIELDS + RULE_CLOSING_FIELDS if obj is not None else ()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # One way out of the supersede form: saving it, which makes the new version.
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False}
        extra_context["show_save_and_continue"] = False
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Never obj.save(): rule_change closes this version and creates its successor.
        obj.new_version = form.write(obj)
        return None

    def response_change(self, request, obj):
        new = getattr(obj, "new_version", None)
        if new is None:
            return super().response_change(request, obj)
        message = _("已生成新版本“%(new)s”，自 %(at)s 起生效；原规则同时失效。") % {
            "new": new,
            "at": localize(timezone.localtime(new.valid_from)),
        }
        self.message_user(request, message, messages.SUCCESS)
        opts = self.opts
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[new.pk])
        )

    @admin.action(description=_("停用所选规则"), permissions=["change"])
    def retire_rules(self, request, queryset):
        return note_action(
            self,
            request,
            queryset,
            action="retire_rules",
            title=_("停用责任规则"),
            note_label=_("停用原因"),
            apply=lambda rule, note: rule_retire(rule=rule, reason=note, by=request.user),
            done=_("已停用：%(obj)s"),
        )


# ---------------------------------------------------------------- community access list


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccessListEntryInline(ReadOnlyInline):
    model = AccessListEntry
    fields = ("item", "added_by_change", "added_at")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        # The entries are the list's content: whoever may see the list sees them.
        return self.admin_site.get_model_admin(AccessList).has_view_permission(request, obj)


class AccessListReviewInline(ReadOnlyInline):
    model = AccessListReview
    fields = (
        "year",
        "size_last_year",
        "size_now",
        "added",
        "removed",
        "exceptions",
        "reviewed_by",
        "reviewed_at",
    )
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(AccessList).has_view_permission(request, obj)


def may_review(request) -> bool:
    # Only offers the pages; the services make the real check (a city administrator).
    return request.user.is_superuser or request.user.has_role(RoleCode.ADMINISTRATOR)


@admin.register(AccessList)
class AccessListAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = AccessListForm
    list_display = ("name", "area", "entry_count", "cap", "established_at", "last_reviewed", "review_link")
    search_fields = ("name",)
    list_select_related = ("area",)
    autocomplete_fields = ("area",)
    actions = ("establish_lists",)

    def get_inlines(self, request, obj):
        # A new list is empty: entries arrive only with approved proposals.
        return [AccessListEntryInline, AccessListReviewInline] if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_total=Count("entries"))

    @admin.display(description=_("事项数"), ordering="entry_total")
    def entry_count(self, obj):
        return obj.entry_total

    @admin.display(description=_("年度调整"))
    def review_link(self, obj):
        if obj.pk is None or obj.established_at is None:
            return "-"
        url = reverse("admin:catalog_accesslist_review", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("年度调整（总量对比）"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "area", "cap")
        return ("name", "area", "cap", "established_at", "established_by", "last_reviewed", "review_link")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("area", "established_at", "established_by", "last_reviewed", "review_link")

    def has_review_permission(self, request):
        return may_review(request)

    def get_urls(self):
        urls = [
            path(
                "<int:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="catalog_accesslist_review",
            ),
        ]
        return urls + super().get_urls()

    def review_view(self, request, object_id):
        """The yearly review: the figures (size against last year's, the year's changes), then confirm."""
        access_list = self.get_object(request, object_id)
        if access_list is None or not self.has_view_permission(request, access_list):
            raise PermissionDenied
        form = AccessListReviewForm(request.POST or None)
        if request.method == "POST":
            if not may_review(request):
                raise PermissionDenied
            if form.is_valid():
                try:
                    review = access_list_yearly_review(
                        access_list=access_list,
                        year=form.cleaned_data["year"],
                        by=request.user,
                        note=form.cleaned_data["note"],
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, _("已记录：%(obj)s") % {"obj": review}, messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:catalog_accesslist_change", args=[access_list.pk])
                    )
        preview = error = None
        try:
            preview = access_list_review_preview(access_list)
        except DomainError as exc:
            error = exc.message
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(list)s：年度调整") % {"list": access_list},
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": access_list,
            "preview": preview,
            "error": error,
            "form": form,
            "may_review": may_review(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/accesslist/review.html", context)

    @admin.action(description=_("设立所选清单（此后实行分级审批、总量不增）"), permissions=["review"])
    def establish_lists(self, request, queryset):
        for access_list in queryset:
            try:
                access_list_establish(access_list=access_list, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{access_list}：{exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("已设立：%(obj)s") % {"obj": access_list}, messages.SUCCESS)


def may_decide(request) -> bool:
    # Only offers the actions; access_list_decide makes the real check (the stage's unit, not the proposer).
    return request.user.is_superuser or request.user.has_role(RoleCode.ADMINISTRATOR, RoleCode.UNIT_LEADER)


class AccessListApprovalInline(ReadOnlyInline):
    model = AccessListApproval
    fields = ("stage", "unit", "approve", "note", "decided_by", "decided_at")
    readonly_fields = fields
    verbose_name_plural = _("逐级审批记录")

    def has_view_permission(self, request, obj=None):
        return self.admin_site.get_model_admin(AccessListChange).has_view_permission(request, obj)


@admin.register(AccessListChange)
class AccessListChangeAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = AccessListChangeForm
    list_display = (
        "item",
        "action",
        "access_list",
        "status",
        "stage",
        "proposing_unit",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "stage", "action", "access_list")
    search_fields = ("item__code", "item__name", "reason")
    list_select_related = ("item", "access_list", "proposed_by", "decided_by", "proposing_unit")
    autocomplete_fields = ("item",)
    actions = ("approve_changes", "refuse_changes", "record_exceptions")

    def get_inlines(self, request, obj):
        return [AccessListApprovalInline] if obj is not None else []

    def get_fields(self, request, obj=None):
        fields = ("access_list", "action", "item", "reason")
        if obj is None:
            return (*fields, "growth_exception")
        return (
            *fields,
            "status",
            "stage",
            "proposing_unit",
            "proposed_by",
            "proposed_at",
            "growth_exception",
            "growth_exception_by",
            "growth_exception_at",
            "decided_by",
            "decided_at",
            "decision_note",
        )

    def has_change_permission(self, request, obj=None):
        # A proposal is a record: it is decided by the actions below, never edited.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_decide_permission(self, request):
        return may_decide(request)

    def _decide(self, request, queryset, *, approve: bool):
        return note_action(
            self,
            request,
            queryset,
            action="approve_changes" if approve else "refuse_changes",
            title=_("批准准入清单变更（本级）") if approve else _("驳回准入清单变更"),
            note_label=_("审批意见"),
            apply=lambda change, note: access_list_decide(
                change=change, approve=approve, note=note, by=request.user
            ),
            done=_("已审批：%(obj)s") if approve else _("已驳回：%(obj)s"),
        )

    @admin.action(description=_("批准（本级审批，市级批准后列入或移出）"), permissions=["decide"])
    def approve_changes(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description=_("驳回"), permissions=["decide"])
    def refuse_changes(self, request, queryset):
        return self._decide(request, queryset, approve=False)

    @admin.action(description=_("记录总量增加的例外理由"), permissions=["decide"])
    def record_exceptions(self, request, queryset):
        return note_action(
            self,
            request,
            queryset,
            action="record_exceptions",
            title=_("记录总量增加的例外理由"),
            note_label=_("例外理由（如新颁布的法律法规）"),
            apply=lambda change, note: access_list_record_exception(
                change=change, reason=note, by=request.user
            ),
            done=_("已记录例外理由：%(obj)s"),
        )


@admin.register(AccessListEntry)
class AccessListEntryAdmin(admin.ModelAdmin):
    """Read-only: an entry exists because a proposal was approved, and goes the same way."""

    list_display = ("item", "access_list", "added_by_change", "added_at")
    list_filter = ("access_list",)
    search_fields = ("item__code", "item__name")
    list_select_related = ("item", "access_list", "added_by_change__item")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessListReview)
class AccessListReviewAdmin(admin.ModelAdmin):
    """Read-only: a review is recorded from the list's yearly review page."""

    list_display = ("access_list", "year", "size_last_year", "size_now", "added", "removed", "reviewed_by")
    list_filter = ("access_list", "year")
    list_select_related = ("access_list", "reviewed_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DelegationException)
class DelegationExceptionAdmin(NoDeleteMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Catalog exceptions (目录例外): requested through the service, decided once by the city platform
    with the actions below, and kept as a trace, never edited or deleted."""

    form = DelegationExceptionForm
    list_display = (
        "item",
        "area",
        "delegate",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "valid_until",
    )
    list_filter = ("status", "unit_kind")
    search_fields = ("item__code", "item__name", "unit__name", "area__name", "reason")
    list_select_related = ("item", "area", "unit", "requested_by", "decided_by")
    autocomplete_fields = ("item", "area", "unit")
    actions = ("approve_exceptions", "refuse_exceptions")

    @admin.display(description=_("可交由"))
    def delegate(self, obj: DelegationException) -> str:
        return obj.delegate_label()

    def get_fields(self, request, obj=None):
        fields = ("item", "area", "unit", "unit_kind", "reason", "valid_until")
        if obj is None:
            return fields
        return (
            *fields,
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        )

    def has_change_permission(self, request, obj=None):
        # A request is a record: it is decided by the actions below, never edited.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_decide_permission(self, request):
        # Only offers the actions; delegation_exception_decide checks the city and the requester.
        return may_decide_delegation(request.user)

    def _decide(self, request, queryset, *, approve: bool):
        return note_action(
            self,
            request,
            queryset,
            action="approve_exceptions" if approve else "refuse_exceptions",
            title=_("批准目录例外") if approve else _("驳回目录例外"),
            note_label=_("审批意见"),
            apply=lambda exception, note: delegation_exception_decide(
                exception=exception, approve=approve, note=note, by=request.user
            ),
            done=_("已批准：%(obj)s") if approve else _("已驳回：%(obj)s"),
        )

    @admin.action(description=_("批准（市级平台）"), permissions=["decide"])
    def approve_exceptions(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description=_("驳回"), permissions=["decide"])
    def refuse_exceptions(self, request, queryset):
        return self._decide(request, queryset, approve=False)
